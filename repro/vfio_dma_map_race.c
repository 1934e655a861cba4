// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_dma_map_race: VFIO_IOMMU_MAP_DMA of a BAR while its mmap is zapped
 * behind the mapping process's back.
 *
 *   vfio_dma_map_race BDF decode|numa_maps [SECONDS [MAP_SIZE]]
 *
 * decode: another thread toggles the device's memory decode, which makes
 * vfio-pci zap the BAR's mmap.  A map that meets decode disabled fails
 * with EFAULT, which is legitimate.  The toggling pauses, with decode
 * enabled, while a map is undone: QEMU's emulated VT-d stalls when IOTLB
 * invalidations overlap BAR toggling.  The first zap of each map waits a
 * delay, tuned after every map: longer after an EFAULT the toggler caused
 * (the zap came before the fault), shorter otherwise (after the lookup,
 * or not at all), so that the zaps gather around the end of the fault.
 *
 * numa_maps: another thread reads /proc/self/numa_maps in a loop, whose
 * page walk zaps the BAR's huge PUD (counted by thp_split_pud) on kernels
 * without the page-walk fix.  Decode stays on: every error is spurious.
 *
 * A map whose fault succeeded but whose entry was zapped again before the
 * kernel looked it up failed with EINVAL on unpatched kernels: that is
 * the bug, and any EINVAL fails this program.  A run in which fewer than
 * $VFIO_DMA_MAP_ZAP_MIN_RACED maps met a zap (no floor without it) goes
 * on for up to EXTRA_SECONDS more, then says nothing and exits as
 * skipped, "inconclusive".
 *
 * Stand-alone twin of the selftests map_bar_while_toggling_decode and
 * map_bar_while_reading_numa_maps, for kernels without
 * tools/testing/selftests/vfio.  Defaults: 30 s, 64 KiB.  Each map is one
 * chance to hit the race; 6.12 looks a pfnmap up one page at a time, so it
 * maps less than the selftests' 2 MiB to map more often.
 * Exit status: 0 no EINVAL, 1 EINVAL or another error, 4 skipped.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <linux/pci_regs.h>

#include "vfio.h"
#include "vmstat.h"

/* How long a run below its floor may go on (the tests give 300 s). */
#define EXTRA_SECONDS 210

enum { RUN, PAUSE, PAUSED, STOP };

/* Random part of the delay, and the tuning step, as fractions of it. */
#define ZAP_DELAY_SPREAD	32
#define ZAP_DELAY_STEP		64

static atomic_int state = PAUSED;
static atomic_ulong delay;
static atomic_ulong toggles;
static atomic_ulong reads;

static void *toggler(void *arg)
{
	unsigned long spins, spread;
	unsigned int seed = 1;
	int waited = 0;

	for (;;) {
		int s = atomic_load(&state);

		if (s == STOP)
			return NULL;
		if (s == PAUSE)
			atomic_store(&state, PAUSED);
		if (s != RUN) {
			waited = 0;
			sched_yield();
			continue;
		}
		if (!waited) {
			spins = atomic_load(&delay);
			spread = spins / ZAP_DELAY_SPREAD;
			spins = spins - spread + rand_r(&seed) % (2 * spread + 1);
			while (spins-- && atomic_load(&state) == RUN)
				;
			waited = 1;
			if (atomic_load(&state) != RUN)
				continue;
		}
		set_memory_decode(0);
		set_memory_decode(1);
		atomic_fetch_add(&toggles, 1);
	}
}

static void *numa_maps_reader(void *arg)
{
	while (atomic_load(&state) != STOP) {
		read_file("/proc/self/numa_maps");
		atomic_fetch_add(&reads, 1);
	}
	return NULL;
}

static void set_state(int s)
{
	atomic_store(&state, s);
	while (s == PAUSE && atomic_load(&state) != PAUSED)
		sched_yield();
}

int main(int argc, char *argv[])
{
	const char *bdf = argc > 1 ? argv[1] : getenv("VFIO_SELFTESTS_BDF");
	const char *trigger = argc > 2 ? argv[2] : "decode";
	double seconds = argc > 3 ? atof(argv[3]) : 30;
	uint64_t size = argc > 4 ? strtoull(argv[4], NULL, 0) : 0x10000;
	const char *min = getenv("VFIO_DMA_MAP_ZAP_MIN_RACED");
	unsigned long min_raced;
	unsigned long maps = 0, raced = 0, efault = 0, einval = 0, other = 0;
	int walk = !strcmp(trigger, "numa_maps");
	struct vfio_region_info bar;
	pthread_t thread;
	char *map;
	double end;

	/* The floor: the harness passes the one harness/race-rates gives. */
	min_raced = min && *min ? strtoul(min, NULL, 0) : 0;
	if (!bdf || (!walk && strcmp(trigger, "decode")))
		skip("usage: %s BDF decode|numa_maps [SECONDS [MAP_SIZE]]\n",
		     argv[0]);
	if (walk && vmstat_counter("thp_split_pud") < 0)
		skip("/proc/vmstat has no thp_split_pud to count zaps\n");
	vfio_open(bdf);
	bar = big_bar();
	map = mmap_big_bar(&bar, SZ_1G);
	if (size > SZ_1G)
		size = SZ_1G;

	if (pthread_create(&thread, NULL, walk ? numa_maps_reader : toggler,
			   NULL))
		fail("pthread_create\n");
	/*
	 * SECONDS, and while fewer maps than the floor met a zap, on until
	 * EXTRA_SECONDS more have passed (a slow kernel or guest).
	 */
	for (end = now() + seconds;
	     race_goes_on(end, EXTRA_SECONDS, raced, min_raced); maps++) {
		unsigned long before;
		int ret, zapped;

		if (walk) {
			before = vmstat_counter("thp_split_pud");
			ret = dma_map(map, size, 0);
			zapped = vmstat_counter("thp_split_pud") != (long)before;
		} else {
			unsigned long d = atomic_load(&delay);

			before = atomic_load(&toggles);
			set_state(RUN);
			ret = dma_map(map, size, 0);
			set_state(PAUSE);
			zapped = atomic_load(&toggles) != before;
			if (zapped && ret == -EFAULT)
				d += d / ZAP_DELAY_STEP + 1;
			else if (d)
				d -= d / ZAP_DELAY_STEP + 1;
			atomic_store(&delay, d);
		}
		raced += zapped;
		if (!ret) {
			int err = dma_unmap(size, 0);

			if (err) {
				/* Every later MAP_DMA would fail on the stale mapping. */
				printf("# UNMAP_DMA of 0x%llx bytes: %s\n",
				       (unsigned long long)size, strerror(-err));
				other++;
				break;
			}
			continue;
		}
		if (ret == -EFAULT && !walk)
			efault++;
		else if (ret == -EINVAL)
			einval++;
		else
			other++;
		if (ret != -EFAULT || walk)
			printf("# MAP_DMA of 0x%llx bytes: %s\n",
			       (unsigned long long)size, strerror(-ret));
	}
	set_state(STOP);
	pthread_join(thread, NULL);

	if (walk)
		printf("# %lu maps of 0x%llx bytes in %.0f s, %lu reads of numa_maps, %lu maps raced a PUD split: ",
		       maps, (unsigned long long)size, now() - (end - seconds),
		       atomic_load(&reads), raced);
	else
		printf("# %lu maps of 0x%llx bytes in %.0f s, %lu raced a decode toggle (%lu toggles): %lu EFAULT (decode off), ",
		       maps, (unsigned long long)size, now() - (end - seconds), raced,
		       atomic_load(&toggles), efault);
	printf("%lu EINVAL, %lu other errors\n", einval, other);
	if (einval || other) {
		printf("FAIL: MAP_DMA failed with %s\n",
		       walk ? "an error" : "other errors than EFAULT");
		return 1;
	}
	if (raced < min_raced) {
		printf("SKIP: inconclusive: %lu maps raced a zap, fewer than %lu\n",
		       raced, min_raced);
		return KSFT_SKIP;
	}
	printf("PASS: no spurious EINVAL\n");
	return 0;
}
