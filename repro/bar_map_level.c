// SPDX-License-Identifier: GPL-2.0
/*
 * bar_map_level: which page-table level maps a 1 GiB VFIO BAR.
 *
 *   bar_map_level BDF
 *
 * Maps the device's BAR of at least 1 GiB at a 1 GiB-aligned address,
 * touches its first byte once and counts with mincore() the pages that
 * one fault made present: all of the 1 GiB with a PUD entry, 2 MiB with
 * a PMD entry, one page with a PTE.  Then it reads /proc/self/smaps and
 * numa_maps, whose page walks zap a huge pfnmap PUD on kernels without
 * the page-walk fix, and counts again: what the walks left present.  A
 * measurement: it fails only when the fault mapped nothing.
 *
 * Exit status: 0 measured, 1 failure, 4 skipped (no suitable BAR).
 */
#define _GNU_SOURCE
#include "vfio.h"

int main(int argc, char *argv[])
{
	const char *bdf = argc > 1 ? argv[1] : getenv("VFIO_SELFTESTS_BDF");
	size_t pages = SZ_1G / SZ_4K, present = 0, walked, i;
	struct vfio_region_info bar;
	const char *level;
	unsigned char *vec;
	char *map;

	if (!bdf)
		skip("usage: %s BDF\n", argv[0]);
	if (getpagesize() != (int)SZ_4K)
		skip("page size %d, not 4 KiB\n", getpagesize());
	vfio_open(bdf);
	bar = big_bar();
	map = mmap_big_bar(&bar, SZ_1G);
	vec = malloc(pages);
	if (!vec)
		fail("malloc\n");
	if (mincore(map, SZ_1G, vec))
		fail("mincore: %s\n", strerror(errno));
	for (i = 0; i < pages; i++)
		present += vec[i] & 1;
	if (present)
		skip("%zu pages of the BAR present before it was touched\n", present);

	(void)*(volatile char *)map;
	if (mincore(map, SZ_1G, vec))
		fail("mincore: %s\n", strerror(errno));
	for (i = 0; i < pages; i++)
		present += vec[i] & 1;
	if (present == pages)
		level = "PUD";
	else if (present == SZ_2M / SZ_4K)
		level = "PMD";
	else if (present == 1)
		level = "PTE";
	else if (present)
		level = "unknown";
	else
		fail("one fault made no page of the BAR present\n");
	read_file("/proc/self/smaps");
	read_file("/proc/self/numa_maps");
	if (mincore(map, SZ_1G, vec))
		fail("mincore: %s\n", strerror(errno));
	for (i = 0, walked = 0; i < pages; i++)
		walked += vec[i] & 1;
	printf("# the 1 GiB BAR is mapped with %s entries: one fault made %zu of %zu pages present, %zu after reading smaps and numa_maps\n",
	       level, present, pages, walked);
	return 0;
}
