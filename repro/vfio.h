/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VFIO reproducers share: opening a device through a VFIO type1
 * container, finding its large BAR, mapping for DMA.  Only the VFIO uapi,
 * so that they run on kernels without tools/testing/selftests/vfio.
 */
#ifndef REPRO_VFIO_H
#define REPRO_VFIO_H

#include <libgen.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "common.h"

static int container, device;


static inline void vfio_open(const char *bdf)
{
	char path[PATH_MAX], link[PATH_MAX];
	struct vfio_group_status status = { .argsz = sizeof(status) };
	ssize_t len;
	int group;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		fail("%s: %s\n", path, strerror(errno));
	link[len] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(link));

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		fail("/dev/vfio/vfio: %s\n", strerror(errno));
	group = open(path, O_RDWR);
	if (group < 0)
		fail("%s: %s\n", path, strerror(errno));
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		fail("group %s is not viable\n", path);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		fail("VFIO_GROUP_SET_CONTAINER: %s\n", strerror(errno));
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		fail("VFIO_SET_IOMMU: %s\n", strerror(errno));
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		fail("VFIO_GROUP_GET_DEVICE_FD: %s\n", strerror(errno));
}

/*
 * An mmap-able BAR of at least MIN bytes (WHAT names MIN in the skip
 * message): the first, or with LARGEST the largest.
 */
static inline struct vfio_region_info find_bar(uint64_t min, const char *what,
					       int largest)
{
	struct vfio_region_info best = { .size = 0 };

	for (unsigned int i = VFIO_PCI_BAR0_REGION_INDEX;
	     i <= VFIO_PCI_BAR5_REGION_INDEX; i++) {
		struct vfio_region_info info = {
			.argsz = sizeof(info), .index = i,
		};

		if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &info))
			continue;
		if (!(info.flags & VFIO_REGION_INFO_FLAG_MMAP) || info.size < min ||
		    info.size <= best.size)
			continue;
		if (!largest)
			return info;
		best = info;
	}
	if (!best.size)
		skip("no mmap-able BAR of %s or more\n", what);
	return best;
}

/* The first mmap-able BAR of at least 1 GiB. */
static inline struct vfio_region_info big_bar(void)
{
	return find_bar(SZ_1G, "1 GiB", 0);
}

static inline int dma_map(void *vaddr, uint64_t size, uint64_t iova)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr, .iova = iova, .size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map) ? -errno : 0;
}

static inline int dma_unmap(uint64_t size, uint64_t iova)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap), .iova = iova, .size = size,
	};

	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) ? -errno : 0;
}

/* Map the device's 1 GiB-or-larger BAR at a 1 GiB-aligned address. */
static inline char *mmap_big_bar(struct vfio_region_info *bar, uint64_t size)
{
	char *resv, *map;

	resv = mmap(NULL, size + SZ_1G, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (resv == MAP_FAILED)
		fail("reserve: %s\n", strerror(errno));
	map = (char *)(((uintptr_t)resv + SZ_1G - 1) & ~(SZ_1G - 1));
	map = mmap(map, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
		   device, bar->offset);
	if (map == MAP_FAILED)
		fail("mmap BAR: %s\n", strerror(errno));
	return map;
}

/* Enable or disable the device's memory decode in its config space. */
static inline void set_memory_decode(int on)
{
	static uint64_t config_offset;
	uint16_t cmd;

	if (!config_offset) {
		struct vfio_region_info config = {
			.argsz = sizeof(config),
			.index = VFIO_PCI_CONFIG_REGION_INDEX,
		};

		if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &config))
			fail("config region: %s\n", strerror(errno));
		config_offset = config.offset;
	}
	if (pread(device, &cmd, 2, config_offset + PCI_COMMAND) != 2)
		fail("read PCI_COMMAND: %s\n", strerror(errno));
	cmd = on ? cmd | PCI_COMMAND_MEMORY : cmd & ~PCI_COMMAND_MEMORY;
	if (pwrite(device, &cmd, 2, config_offset + PCI_COMMAND) != 2)
		fail("write PCI_COMMAND: %s\n", strerror(errno));
}

#endif /* REPRO_VFIO_H */
