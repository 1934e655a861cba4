// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_fault_error: VFIO_IOMMU_MAP_DMA of a pfnmap whose fault fails after
 * dropping the mmap lock must fail with the fault's errno.
 *
 *   vfio_fault_error BDF
 *
 * BDF is any device bound to vfio-pci (it only provides the type1
 * container).  The mapping is the harness's test-only /dev/test_huge_pfnmap
 * with fault_mode=1: a fault that may be retried drops the mmap lock and
 * asks for a retry, and the retry fails with SIGBUS, so fixup_user_fault()
 * returns -EFAULT with its "unlocked" set.  vfio_iommu_type1 used to take
 * "unlocked" for a reason to retry before looking at the error: without
 * the retry bound it looped for as long as the process lived, with the
 * bound but not the fix it failed with EINVAL after 16 rounds.  MAP_DMA
 * runs in a child that an alarm kills after 10 s.
 *
 * Exit status: 0 EFAULT, 1 another result, 4 skipped (no test device).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/wait.h>

#include "vfio.h"

int main(int argc, char *argv[])
{
	const char *bdf = argc > 1 ? argv[1] : getenv("VFIO_SELFTESTS_BDF");
	int fd, status, ret;
	pid_t pid;
	char *map;

	if (!bdf)
		skip("usage: %s BDF\n", argv[0]);
	fd = open("/dev/test_huge_pfnmap", O_RDWR);
	if (fd < 0 || access(TESTDEV_PARAMS "fault_mode", W_OK))
		skip("no /dev/test_huge_pfnmap with fault_mode: %s\n", strerror(errno));
	vfio_open(bdf);
	map = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		fail("mmap: %s\n", strerror(errno));

	testdev_set("fault_mode", 1);
	pid = fork();
	if (pid < 0)
		fail("fork: %s\n", strerror(errno));
	if (!pid) {
		alarm(10);
		ret = dma_map(map, SZ_2M, 0);
		printf("MAP_DMA of a mapping whose fault fails after dropping the mmap lock: %s\n",
		       ret ? strerror(-ret) : "success");
		fflush(stdout);
		_exit(ret == -EFAULT ? 0 : 1);
	}
	if (waitpid(pid, &status, 0) != pid)
		fail("waitpid: %s\n", strerror(errno));
	testdev_set("fault_mode", 0);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		fail("MAP_DMA did not return within 10 s: it kept retrying\n");
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail("MAP_DMA did not fail with EFAULT, the fault's errno\n");
	printf("PASS: MAP_DMA failed with the fault's EFAULT\n");
	return 0;
}
