// SPDX-License-Identifier: GPL-2.0
/*
 * vfio_dma_map_race: VFIO_IOMMU_MAP_DMA of a BAR while another thread
 * toggles the device's memory decode, which makes vfio-pci zap the BAR's
 * mmap without the mapping process's mmap_lock.
 *
 *   vfio_dma_map_race BDF [SECONDS [MAP_SIZE]]
 *
 * A map that meets decode disabled fails with EFAULT, which is legitimate.
 * One whose fault succeeded but whose entry was zapped again before the
 * kernel looked it up failed with EINVAL on unpatched kernels: that is
 * the bug, and any EINVAL fails this program.  The toggling pauses, with
 * decode enabled, while a map is undone: QEMU's emulated VT-d stalls when
 * IOTLB invalidations overlap BAR toggling.  The first zap of each map
 * waits a delay that is tuned after every map the toggler zapped during,
 * longer after EFAULT (the zap came before the fault) and shorter after
 * success (it came after the lookup), so that the zaps gather around the
 * end of the fault.
 *
 * Stand-alone twin of the selftest map_bar_while_toggling_decode, for
 * kernels without tools/testing/selftests/vfio.  Defaults: 15 s, 64 KiB.
 * Each map is one chance to hit the race; 6.12 looks a pfnmap up one page
 * at a time, so it maps less than the selftest's 2 MiB to map more often
 * (6.12.95 under TCG: 27 EINVAL in 42,189 maps of 64 KiB in three runs of
 * 15 s; 2 in 49,377 maps of 2 MiB in 90 s).
 * Exit status: 0 no EINVAL, 1 EINVAL or another error, 4 skipped.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <linux/pci_regs.h>

#include "vfio.h"

enum { RUN, PAUSE, PAUSED, STOP };

/* Random part of the delay, and the tuning step, as fractions of it. */
#define ZAP_DELAY_SPREAD	32
#define ZAP_DELAY_STEP		64

static atomic_int state = PAUSED;
static atomic_ulong delay;
static unsigned long toggles;
static uint64_t config_offset;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void set_memory_decode(int on)
{
	uint16_t cmd;

	if (pread(device, &cmd, 2, config_offset + PCI_COMMAND) != 2)
		fail("read PCI_COMMAND: %s\n", strerror(errno));
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	if (pwrite(device, &cmd, 2, config_offset + PCI_COMMAND) != 2)
		fail("write PCI_COMMAND: %s\n", strerror(errno));
}

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
		}
		set_memory_decode(0);
		set_memory_decode(1);
		toggles++;
	}
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
	double seconds = argc > 2 ? atof(argv[2]) : 15;
	uint64_t size = argc > 3 ? strtoull(argv[3], NULL, 0) : 0x10000;
	unsigned long maps = 0, efault = 0, einval = 0, other = 0, toggled;
	struct vfio_region_info config = {
		.argsz = sizeof(config), .index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	struct vfio_region_info bar;
	pthread_t thread;
	char *map;
	double end;

	if (!bdf)
		skip("usage: %s BDF [SECONDS [MAP_SIZE]]\n", argv[0]);
	vfio_open(bdf);
	bar = big_bar();
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &config))
		fail("config region: %s\n", strerror(errno));
	config_offset = config.offset;
	map = mmap_big_bar(&bar, SZ_1G);
	if (size > SZ_1G)
		size = SZ_1G;

	if (pthread_create(&thread, NULL, toggler, NULL))
		fail("pthread_create\n");
	for (end = now() + seconds; now() < end; maps++) {
		int ret;

		toggled = toggles;
		set_state(RUN);
		ret = dma_map(map, size, 0);
		set_state(PAUSE);
		/* Learn only from maps the toggler zapped during. */
		if (toggles != toggled) {
			unsigned long d = atomic_load(&delay);

			if (ret == -EFAULT)
				d += d / ZAP_DELAY_STEP + 1;
			else if (!ret && d)
				d -= d / ZAP_DELAY_STEP + 1;
			atomic_store(&delay, d);
		}
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
		if (ret == -EFAULT)
			efault++;
		else if (ret == -EINVAL)
			einval++;
		else
			other++;
		if (ret != -EFAULT)
			printf("# MAP_DMA of 0x%llx bytes: %s\n",
			       (unsigned long long)size, strerror(-ret));
	}
	set_state(STOP);
	pthread_join(thread, NULL);

	printf("# %lu maps of 0x%llx bytes in %.0f s, %lu decode toggles: ",
	       maps, (unsigned long long)size, seconds, toggles);
	printf("%lu EFAULT (decode off), %lu EINVAL, %lu other errors\n",
	       efault, einval, other);
	if (einval || other) {
		printf("FAIL: MAP_DMA failed with other errors than EFAULT\n");
		return 1;
	}
	printf("PASS: no spurious EINVAL\n");
	return 0;
}
