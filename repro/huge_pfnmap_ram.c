// SPDX-License-Identifier: GPL-2.0
/*
 * huge_pfnmap_ram: move and walk a RAM-backed huge PUD pfnmap.
 *
 *   huge_pfnmap_ram move|walk
 *
 * Maps 1 GiB of /dev/test_huge_pfnmap (the harness's test-only device,
 * RAM mapped like vfio-pci maps a BAR) at a 1 GiB-aligned address and
 * writes a pattern, which maps it with one PUD entry, then
 *
 *   move: moves all of it with mremap() to another 1 GiB-aligned address
 *         (the PUD entry must move: present at the destination, no PUD
 *         split), then 2 MiB off alignment (the PUD entry must be split);
 *   walk: reads /proc/self/smaps and numa_maps (the entry must stay);
 *
 * checking the pattern after each step, then unmaps it and closes the
 * device, which frees the memory.  Unlike a BAR, the pfns are pfn_valid,
 * so a kernel with CONFIG_PAGE_TABLE_CHECK accounts the entries: a move
 * that clears the old entry without telling page_table_check ends in
 * "kernel BUG at mm/page_table_check.c" when the memory is freed, which
 * the harness reads from the console.
 *
 * Exit status: 0 success, 1 failure, 4 skipped (no device).
 */
#define _GNU_SOURCE
#include "common.h"
#include "vmstat.h"

/* An address OFFSET past a 1 GiB boundary with 1 GiB free after it. */
static char *reserve(unsigned long offset)
{
	char *p = mmap(NULL, 3 * SZ_1G, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED)
		fail("mmap reserve: %s\n", strerror(errno));
	return (char *)(((uintptr_t)p + SZ_1G - 1) & ~(SZ_1G - 1)) + offset;
}

static unsigned long resident(char *p, unsigned long size)
{
	static unsigned char vec[SZ_1G / 4096];
	unsigned long n = 0;

	if (mincore(p, size, vec))
		fail("mincore: %s\n", strerror(errno));
	for (unsigned long i = 0; i < size / 4096; i++)
		n += vec[i] & 1;
	return n;
}

static void check_pattern(const char *when, char *p)
{
	for (unsigned long off = 0; off < SZ_1G; off += SZ_2M)
		if (*(volatile uint64_t *)(p + off) != (off ^ 0x5a5a5a5a))
			fail("%s: wrong data at offset 0x%lx\n", when, off);
}

static void walk(char *p, long splits)
{
	read_file("/proc/self/smaps");
	read_file("/proc/self/numa_maps");
	printf("after reading smaps and numa_maps: %lu of %lu pages present, %ld PUD splits\n",
	       resident(p, SZ_1G), SZ_1G / 4096,
	       vmstat_counter("thp_split_pud") - splits);
	if (resident(p, SZ_1G) != SZ_1G / 4096)
		fail("reading smaps and numa_maps zapped the PUD entry\n");
	check_pattern("after the page walks", p);
}

static char *move(char *p, long splits)
{
	char *q;

	q = mremap(p, SZ_1G, SZ_1G, MREMAP_MAYMOVE | MREMAP_FIXED, reserve(0));
	if (q == MAP_FAILED)
		fail("mremap aligned: %s\n", strerror(errno));
	printf("moved to %p: %lu of %lu pages present, %ld PUD splits\n", q,
	       resident(q, SZ_1G), SZ_1G / 4096,
	       vmstat_counter("thp_split_pud") - splits);
	if (resident(q, SZ_1G) != SZ_1G / 4096)
		fail("aligned mremap: the PUD entry did not move\n");
	if (vmstat_counter("thp_split_pud") != splits)
		fail("aligned mremap: the PUD entry was split\n");
	check_pattern("after the aligned move", q);

	p = mremap(q, SZ_1G, SZ_1G, MREMAP_MAYMOVE | MREMAP_FIXED,
		   reserve(SZ_2M));
	if (p == MAP_FAILED)
		fail("mremap unaligned: %s\n", strerror(errno));
	printf("moved to %p: %ld PUD splits\n", p,
	       vmstat_counter("thp_split_pud") - splits);
	if (vmstat_counter("thp_split_pud") != splits + 1)
		fail("unaligned mremap: the PUD entry was not split\n");
	check_pattern("after the unaligned move", p);
	return p;
}

int main(int argc, char *argv[])
{
	const char *op = argc > 1 ? argv[1] : "";
	long splits;
	char *p;
	int fd;

	if (strcmp(op, "move") && strcmp(op, "walk"))
		fail("usage: %s move|walk\n", argv[0]);
	fd = open("/dev/test_huge_pfnmap", O_RDWR);
	if (fd < 0) {
		printf("SKIP: /dev/test_huge_pfnmap: %s\n", strerror(errno));
		return KSFT_SKIP;
	}
	p = mmap(reserve(0), SZ_1G, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, fd, 0);
	if (p == MAP_FAILED)
		fail("mmap: %s\n", strerror(errno));
	for (unsigned long off = 0; off < SZ_1G; off += SZ_2M)
		*(uint64_t *)(p + off) = off ^ 0x5a5a5a5a;
	if (resident(p, SZ_1G) != SZ_1G / 4096)
		fail("the mapping is not all present after writing it\n");
	splits = vmstat_counter("thp_split_pud");
	if (splits < 0)
		fail("/proc/vmstat has no thp_split_pud\n");
	printf("mapped 1 GiB of RAM at %p with one PUD entry\n", p);

	if (!strcmp(op, "walk"))
		walk(p, splits);
	else
		p = move(p, splits);

	if (munmap(p, SZ_1G))
		fail("munmap: %s\n", strerror(errno));
	close(fd);
	/* The device frees its memory now; give a BUG time to show. */
	sleep(1);
	printf("PASS: %s of a RAM-backed huge PUD pfnmap, then freed it\n", op);
	return 0;
}
