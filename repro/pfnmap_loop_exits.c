// SPDX-License-Identifier: GPL-2.0
/*
 * pfnmap_loop_exits: every way out of the fault-and-lookup retry loops of
 * vfio_iommu_type1 (VFIO_IOMMU_MAP_DMA) and KVM (a guest access to a
 * VM_PFNMAP memslot), driven by the harness's test-only
 * /dev/test_huge_pfnmap, whose fault handler misbehaves on request.
 *
 *   pfnmap_loop_exits BDF vfio|kvm first|bound|unlock|kill
 *
 * first:  a mapping never touched by the CPU: the access must succeed,
 *         the callers fault it in.  A caller that faulted in only on
 *         -ENOENT failed here without the patch that introduced -ENOENT.
 *         MAP_DMA maps the device's BAR of 1 GiB or more (type1 refuses
 *         the test device's RAM pfns), the guest the test device's
 *         mapping with fault_mode=0.
 * bound:  every fault succeeds but maps nothing (fault_mode=2).  The
 *         access must fail as it always did (MAP_DMA: EINVAL, KVM_RUN:
 *         EFAULT), after exactly 1 + RETRIES faults: the first fault and
 *         one per retry.
 * unlock: every fault drops the mmap lock and then maps nothing
 *         (fault_mode=3: two faults per fixup_user_fault()).  Without a
 *         bound on that path the loop runs until the task is killed; it
 *         must fail as above, after 2 * (1 + RETRIES) faults, within 10 s.
 * kill:   as unlock, but each fault sleeps 100 ms; the task is sent
 *         SIGKILL 500 ms in and must be gone within 1 s, well before the
 *         bound would end the loop.  For KVM the vCPU must also have
 *         exited with KVM_EXIT_INTR, as for a signal seen by GUP, and not
 *         with an error (fixup_user_fault()'s -EINTR is a pending fatal
 *         signal, not a fault that failed).
 *
 * RETRIES is $PFNMAP_RETRIES, default 16 (the series' bound).  BDF is any
 * device bound to vfio-pci: it provides the type1 container.  The access
 * runs in a child that an alarm kills after 10 s.
 *
 * Exit status: 0 pass, 1 fail, 4 skipped (no test device, no /dev/kvm).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kvm.h"

/* mov eax, [SLOT1_GPA]; out EXIT_PORT, al; hlt */
static const unsigned char guest_code[] = {
	0xa1, 0x00, 0x00, 0x00, 0x40,
	0xe6, EXIT_PORT,
	0xf4,
};

/*
 * The parent takes the child's vCPU fd with pidfd_getfd(), to read kvm_run
 * after the child's death: the child sends the fd's number down a pipe
 * and waits for the parent's word on another before it runs the vCPU.
 */
static int take_fd(pid_t pid, int pipe_rd)
{
	int pidfd, fd, num;

	if (read(pipe_rd, &num, sizeof(num)) != sizeof(num))
		fail("no vCPU fd from the child\n");
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		fail("pidfd_open: %s\n", strerror(errno));
	fd = syscall(SYS_pidfd_getfd, pidfd, num, 0);
	if (fd < 0)
		fail("pidfd_getfd: %s\n", strerror(errno));
	close(pidfd);
	return fd;
}

/* The access, in the child: the ioctl's errno, 0 for success. */
static int access_map(int kvm, int first, char *map, int pipe_wr, int ack_rd)
{
	char ack;

	struct kvm_run *run;
	int vcpu, ret;

	if (!kvm) {
		if (first) {
			struct vfio_region_info bar = big_bar();

			map = mmap_big_bar(&bar, SZ_1G);
		}
		return -dma_map(map, SZ_4K, 0);
	}
	vcpu = kvm_guest(guest_code, sizeof(guest_code), map, SZ_2M, &run);
	if (write(pipe_wr, &vcpu, sizeof(vcpu)) != sizeof(vcpu) ||
	    read(ack_rd, &ack, 1) != 1)
		fail("no word from the parent: %s\n", strerror(errno));
	ret = ioctl(vcpu, KVM_RUN, 0) ? errno : 0;
	if (!ret && (run->exit_reason != KVM_EXIT_IO || run->io.port != EXIT_PORT)) {
		printf("# unexpected exit %u\n", run->exit_reason);
		return -1;
	}
	return ret;
}

int main(int argc, char *argv[])
{
	const char *bdf = argc > 1 ? argv[1] : NULL;
	const char *api = argc > 2 ? argv[2] : "";
	const char *mode = argc > 3 ? argv[3] : "";
	const char *env = getenv("PFNMAP_RETRIES");
	unsigned long retries = env && *env ? strtoul(env, NULL, 0) : 16;
	int kvm = !strcmp(api, "kvm"), bound = !strcmp(mode, "bound");
	int kill_it = !strcmp(mode, "kill"), first = !strcmp(mode, "first");
	int expect = kvm ? EFAULT : EINVAL;
	unsigned long faults, want;
	int fd, status, ret, pfd[2], ack[2];
	struct kvm_run *run = NULL;
	double sent = 0, gone;
	pid_t pid;
	char *map;

	if (!bdf || (!kvm && strcmp(api, "vfio")) ||
	    (!bound && !kill_it && !first && strcmp(mode, "unlock")))
		skip("usage: %s BDF vfio|kvm first|bound|unlock|kill\n", argv[0]);
	fd = open("/dev/test_huge_pfnmap", O_RDWR);
	if (fd < 0 || access(TESTDEV_PARAMS "faults", W_OK))
		skip("no /dev/test_huge_pfnmap with a faults counter: %s\n",
		     strerror(errno));
	if (kvm && access("/dev/kvm", R_OK | W_OK))
		skip("/dev/kvm: %s (no SVM/VMX, or KVM not built)\n", strerror(errno));
	if (!kvm)
		vfio_open(bdf);
	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		fail("mmap: %s\n", strerror(errno));
	if (pipe(pfd) || pipe(ack))
		fail("pipe: %s\n", strerror(errno));

	testdev_set("faults", 0);
	testdev_set("fault_delay_ms", kill_it ? 100 : 0);
	testdev_set("fault_mode", first ? 0 : bound ? 2 : 3);
	if (first)
		expect = 0;
	pid = fork();
	if (pid < 0)
		fail("fork: %s\n", strerror(errno));
	if (!pid) {
		alarm(10);
		ret = access_map(kvm, first, map, pfd[1], ack[0]);
		printf("# %s: %s\n", kvm ? "KVM_RUN" : "MAP_DMA",
		       ret ? strerror(ret) : "success");
		fflush(stdout);
		_exit(ret == expect ? 0 : 1);
	}
	/* A child that dies before it sends its vCPU fd ends the read. */
	close(pfd[1]);
	close(ack[0]);
	if (kvm) {
		int vcpu = take_fd(pid, pfd[0]);

		run = mmap(NULL, sizeof(*run), PROT_READ | PROT_WRITE,
			   MAP_SHARED, vcpu, 0);
		if (run == MAP_FAILED)
			fail("mmap kvm_run of the child's vCPU: %s\n", strerror(errno));
		if (write(ack[1], "", 1) != 1)
			fail("write: %s\n", strerror(errno));
	}
	if (kill_it) {
		usleep(500000);
		sent = now();
		kill(pid, SIGKILL);
	}
	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid: %s\n", strerror(errno));
	gone = now();
	testdev_set("fault_mode", 0);
	testdev_set("fault_delay_ms", 0);
	faults = testdev_get("faults");
	if (WIFEXITED(status) && WEXITSTATUS(status) == KSFT_SKIP)
		skip("the child skipped\n");

	if (first) {
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			fail("%s of a never-touched pfnmap failed\n",
			     kvm ? "KVM_RUN" : "MAP_DMA");
		printf("PASS: %s faulted a never-touched pfnmap in\n",
		       kvm ? "KVM_RUN" : "MAP_DMA");
		return 0;
	}
	if (kill_it) {
		printf("# %s: gone %.0f ms after SIGKILL, %lu faults, exit reason %u\n",
		       api, (gone - sent) * 1000, faults, run ? run->exit_reason : 0);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
			fail("the task ended before SIGKILL reached it\n");
		if (gone - sent > 1.0)
			fail("the task took %.1f s to die\n", gone - sent);
		if (run && run->exit_reason != KVM_EXIT_INTR)
			fail("KVM_RUN ended with exit reason %u, not KVM_EXIT_INTR (%u)\n",
			     run->exit_reason, KVM_EXIT_INTR);
		printf("PASS: a fatal signal ended the loop\n");
		return 0;
	}
	want = (bound ? 1 : 2) * (1 + retries);
	printf("# %s %s: %lu faults, %lu expected\n", api, mode, faults, want);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		fail("the access did not end within 10 s (%lu faults): it kept retrying\n",
		     faults);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("the access did not fail with %s\n", strerror(expect));
	if (faults != want)
		fail("%lu faults, not %lu\n", faults, want);
	printf("PASS: %s failed with %s after %lu faults\n",
	       kvm ? "KVM_RUN" : "MAP_DMA", strerror(expect), faults);
	return 0;
}
