// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_pud_split: split the VMA of a PUD-mapped VFIO BAR mmap and check
 * that what remains still reads and DMA-maps.
 *
 *   vfio_pud_split BDF OP
 *
 * BDF is a PCI device bound to vfio-pci with a BAR of at least 1 GiB; OP
 * is what splits the mapping: munmap, mprotect, mremap, madvise, mlock or
 * fork (munmap first, then fork and read in the child); or walk, which
 * reads /proc/self/smaps and numa_maps and expects no PUD split
 * (thp_split_pud in /proc/vmstat): their page walks must not zap it.  The BAR is
 * mapped 1 GiB-aligned and read once, which makes vfio-pci map it with a
 * single PUD entry, then OP is applied to its last 4 KiB.  mremap-whole
 * and mremap-shift move the whole mapping instead, to a 1 GiB-aligned
 * address or 2 MiB past one.
 *
 * Unpatched kernels with huge pfnmap support (since v6.12) oops in
 * __split_huge_pmd() <- vma_adjust_trans_huge() <- __split_vma(): the PUD
 * leaf is used as a page table.  Stand-alone: uses only the VFIO uapi,
 * for kernels without tools/testing/selftests/vfio.
 *
 * Exit status: 0 success, 1 failure, 4 skipped (no suitable BAR).
 */
#define _GNU_SOURCE
#include <sys/wait.h>

#include "vfio.h"
#include "vmstat.h"

/* Read and DMA-map [vaddr, vaddr + size) of what is left of the mapping. */
static void check_remaining(const char *what, char *vaddr, uint64_t size)
{
	volatile char *p = vaddr;
	int ret;

	(void)p[0];
	(void)p[size - 1];
	ret = dma_map(vaddr, size, 0);
	if (!ret)
		ret = dma_unmap(size, 0);
	if (ret)
		fail("%s: MAP_DMA of the remaining 0x%llx bytes: %s\n", what,
		     (unsigned long long)size, strerror(-ret));
}

int main(int argc, char *argv[])
{
	const char *bdf = argc > 1 ? argv[1] : getenv("VFIO_SELFTESTS_BDF");
	const char *op = argc > 2 ? argv[2] : "munmap";
	struct vfio_region_info bar;
	char *map, *tail;
	uint64_t rest = SZ_1G - SZ_4K;

	if (!bdf)
		skip("usage: %s BDF munmap|mprotect|mremap|mremap-whole|mremap-shift|madvise|mlock|fork|walk\n",
		     argv[0]);
	vfio_open(bdf);
	bar = big_bar();

	map = mmap_big_bar(&bar, SZ_1G);
	tail = map + rest;

	/* Fault the BAR in: vfio-pci maps the aligned 1 GiB with a PUD. */
	(void)*(volatile char *)map;
	printf("%s: BAR %u (0x%llx bytes) mapped at %p, splitting with %s\n",
	       bdf, bar.index, (unsigned long long)bar.size, map, op);
	fflush(stdout);

	if (!strcmp(op, "munmap")) {
		if (munmap(tail, SZ_4K))
			fail("munmap: %s\n", strerror(errno));
	} else if (!strcmp(op, "mprotect")) {
		if (mprotect(tail, SZ_4K, PROT_READ))
			fail("mprotect: %s\n", strerror(errno));
	} else if (!strcmp(op, "mremap")) {
		char *dst = mmap(NULL, SZ_4K, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (mremap(tail, SZ_4K, SZ_4K, MREMAP_MAYMOVE | MREMAP_FIXED,
			   dst) == MAP_FAILED)
			fail("mremap: %s\n", strerror(errno));
		(void)*(volatile char *)dst;
	} else if (!strcmp(op, "mremap-whole") || !strcmp(op, "mremap-shift")) {
		/*
		 * Move all of it, to another 1 GiB-aligned address (the PUD
		 * entry moves) or 2 MiB past one (it must be split).
		 */
		char *dst = mmap(NULL, 3 * SZ_1G, PROT_NONE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		dst = (char *)(((uintptr_t)dst + SZ_1G - 1) & ~(SZ_1G - 1));
		if (!strcmp(op, "mremap-shift"))
			dst += 2 * 1024 * 1024;
		map = mremap(map, SZ_1G, SZ_1G, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
		if (map == MAP_FAILED)
			fail("mremap: %s\n", strerror(errno));
		rest = SZ_1G;
	} else if (!strcmp(op, "madvise")) {
		if (madvise(tail, SZ_4K, MADV_DONTFORK))
			fail("madvise: %s\n", strerror(errno));
	} else if (!strcmp(op, "mlock")) {
		if (mlock(tail, SZ_4K))
			printf("mlock: %s (allowed to fail)\n", strerror(errno));
	} else if (!strcmp(op, "fork")) {
		pid_t pid;
		int status;

		if (munmap(tail, SZ_4K))
			fail("munmap: %s\n", strerror(errno));
		pid = fork();
		if (pid < 0)
			fail("fork: %s\n", strerror(errno));
		if (!pid) {
			volatile char *p = map;

			(void)p[0];
			(void)p[rest - 1];
			_exit(0);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			fail("fork: the child could not read the mapping\n");
	} else if (!strcmp(op, "walk")) {
		long splits = vmstat_counter("thp_split_pud");

		if (splits < 0)
			skip("/proc/vmstat has no thp_split_pud\n");
		read_file("/proc/self/smaps");
		read_file("/proc/self/numa_maps");
		splits = vmstat_counter("thp_split_pud") - splits;
		printf("reading smaps and numa_maps: %ld PUD splits\n", splits);
		if (splits)
			fail("reading smaps and numa_maps zapped the BAR's PUD\n");
		rest = SZ_1G;
	} else {
		fail("unknown operation '%s'\n", op);
	}

	check_remaining(op, map, rest);
	printf("PASS: %s of the last 4 KiB: the remaining 0x%llx bytes read and DMA-map\n",
	       op, (unsigned long long)rest);
	return 0;
}
