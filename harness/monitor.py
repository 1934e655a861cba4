#!/usr/bin/env python3
"""monitor.py SOCKET COMMAND...: run QEMU human monitor commands.

Connects to a QEMU monitor listening on the unix socket SOCKET (QEMU's
-monitor unix:SOCKET,server,nowait), runs each COMMAND in turn and prints
its output under a "(qemu) COMMAND" line.  run-vm.sh uses it to record
the vCPU and local APIC state of a guest it is about to kill.
"""

import re
import socket
import sys

PROMPT = b"(qemu) "
# The monitor echoes input with terminal line-editing sequences.
ESCAPES = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def read_prompt(sock):
    data = b""
    while not data.endswith(PROMPT):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data[: -len(PROMPT)] if data.endswith(PROMPT) else data


def main(path, commands):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(path)
        read_prompt(sock)
        for command in commands:
            sock.sendall(command.encode() + b"\n")
            text = ESCAPES.sub("", read_prompt(sock).decode(errors="replace"))
            # Drop the echoed command line; keep what it printed.
            output = text.split("\n", 1)[1] if "\n" in text else ""
            print(f"(qemu) {command}")
            print(output.replace("\r", "").rstrip("\n"))
    return 0


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__.strip().splitlines()[0])
    try:
        sys.exit(main(sys.argv[1], sys.argv[2:]))
    except OSError as e:
        sys.exit(f"monitor.py: {sys.argv[1]}: {e}")
