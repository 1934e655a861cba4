# Entry points of the verification harness; see README.md.
BASE ?= 7.3

.PHONY: deps verify verify-stable stress check ci export

# Debian packages the harness needs (as root).
deps:
	harness/install-deps.sh

# Verify the series on BASE: table of baseline, patched and debug runs.
verify:
	BASE=$(BASE) harness/verify.sh

# The 6.12 stable backport: applies, builds, repro tests on both kernels.
verify-stable:
	BASE=6.12 DEBUG=0 harness/verify.sh

# A long race run on the kernels the last verify built: ROUNDS boots of
# SECONDS_PER_ROUND per type1 backend (default 4 x 75 s x 2 = 10 minutes
# of racing per kernel).
stress:
	BASE=$(BASE) harness/stress.sh

# The harness's own tests: no kernel, no VM.
check:
	tests/run.sh

# Everything CI checks.
ci: check verify verify-stable

# Export a kernel work tree's commits on top of base as the series:
#   make export KTREE=~/linux-work [BASEREF=base] [DIR=series]
BASEREF ?= base
DIR ?= series
export:
	harness/export-series.sh $(KTREE) $(BASEREF) $(DIR)
