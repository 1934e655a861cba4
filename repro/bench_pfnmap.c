// SPDX-License-Identifier: GPL-2.0
/*
 * bench_pfnmap: what the series costs, or saves, a user of a huge VFIO BAR
 * when nothing races: timings for harness/bench.sh, which boots the
 * baseline and the patched kernel in turn and compares them.
 *
 *   bench_pfnmap BDF [SECONDS]   (SECONDS per KVM measurement, default 5)
 *
 * The device's largest mmap-able BAR is mapped at a 1 GiB-aligned
 * address, as QEMU maps BARs (vfio-pci maps it with PUD entries when it
 * is 1 GiB or larger, with PMD entries when smaller), and touched.  Then:
 *
 * map:  VFIO_IOMMU_MAP_DMA and UNMAP_DMA of the BAR in chunks of the whole
 *       BAR, 2 MiB and 64 KiB (the first 64 MiB of it): microseconds per
 *       map-and-unmap pair.  The lookup of every pfn is the
 *       follow_pfnmap_start() fast path the retry patches touch.
 * walk: one read of /proc/self/smaps (and numa_maps), then one read of
 *       each 2 MiB of the BAR: the read's time, the next pass's time, the
 *       page faults that pass took (refaults) and the PUD splits the read
 *       made (thp_split_pud: zaps).  touch: the same pass with no read
 *       before it, the control.
 * kvm:  a KVM guest with the BAR as a memslot reads and writes a word in
 *       each 2 MiB of it, exiting to us after each pass, for SECONDS,
 *       while a monitor thread reads /proc/self/numa_maps never, every
 *       100 ms and every 10 ms: passes per second, and per read the
 *       vCPU's stage-2 page faults (pf_taken of KVM's binary stats: it
 *       also counts the faults KVM retries while an invalidation of the
 *       range is in progress) and the faults that mapped something
 *       (pf_fixed: stage-2 mappings rebuilt).
 *
 * The measuring thread runs on the guest's last CPU, the monitor on its
 * first.  Each result is one line "BENCH name key=value ...", in the order above;
 * per-round values are summarised as median, first and third quartile.
 * KVM_RUN failing with EFAULT (the race the series fixes, on the
 * baseline) is counted, not fatal: the guest goes on.
 *
 * Exit status: 0 done, 1 error, 4 skipped (no BAR; no /dev/kvm skips only
 * the kvm part).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/resource.h>

#include "kvm.h"
#include "vmstat.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define SZ_64K		0x10000UL
#define SZ_64M		0x4000000UL
#define IOVA_BASE	0x100000000ULL
#define MAP_ROUNDS	15
#define WALK_ROUNDS	25

/*
 * 32-bit code: for (esi = 1 GiB; esi < 1 GiB + size; esi += 2 MiB)
 * (*esi)++; then out 0x10, al; and again.  The end is patched in at
 * GUEST_END.
 */
static unsigned char guest_code[] = {
	0xbe, 0x00, 0x00, 0x00, 0x40,		/* 0:  mov esi, 0x40000000 */
	0x8b, 0x06,				/* 5:  mov eax, [esi] */
	0x83, 0xc0, 0x01,			/* 7:  add eax, 1 */
	0x89, 0x06,				/* 10: mov [esi], eax */
	0x81, 0xc6, 0x00, 0x00, 0x20, 0x00,	/* 12: add esi, 0x200000 */
	0x81, 0xfe, 0x00, 0x00, 0x00, 0x80,	/* 18: cmp esi, end */
	0x72, 0xeb,				/* 24: jb 5 */
	0xe6, EXIT_PORT,			/* 26: out 0x10, al */
	0xeb, 0xe2,				/* 28: jmp 0 */
};
#define GUEST_END	20

static char *bar_map;
static uint64_t bar_size;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Print " KEY=median KEY_q1=... KEY_q3=..." of N values (sorts them). */
static void quartiles(const char *key, double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	printf(" %s=%.3f %s_q1=%.3f %s_q3=%.3f", key, v[n / 2], key, v[n / 4],
	       key, v[(3 * n) / 4]);
}

/* A counter the bench needs: fail rather than report a zero it never read. */
static long counter(long value, const char *name)
{
	if (value < 0)
		fail("no counter %s in this kernel\n", name);
	return value;
}

static long splits(void)
{
	return counter(vmstat_counter("thp_split_pud"), "thp_split_pud in /proc/vmstat");
}

static long minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

/* Read one byte of each 2 MiB of the BAR. */
static void touch_bar(void)
{
	for (uint64_t off = 0; off < bar_size; off += SZ_2M)
		(void)*(volatile char *)(bar_map + off);
}

static void bench_map(void)
{
	static const struct { const char *name; uint64_t chunk; } kinds[] = {
		{ "whole", 0 }, { "2M", SZ_2M }, { "64K", SZ_64K },
	};

	for (unsigned int k = 0; k < ARRAY_SIZE(kinds); k++) {
		uint64_t chunk = kinds[k].chunk ? kinds[k].chunk : bar_size;
		uint64_t span = kinds[k].chunk == SZ_64K && bar_size > SZ_64M ?
				SZ_64M : bar_size;
		uint64_t n = span / chunk, off;
		double us[MAP_ROUNDS];

		for (int r = 0; r < MAP_ROUNDS; r++) {
			double t0 = now();
			int ret;

			for (off = 0; off < span; off += chunk) {
				ret = dma_map(bar_map + off, chunk, IOVA_BASE + off);
				if (ret)
					fail("MAP_DMA of %#lx at %#lx: %s\n",
					     (unsigned long)chunk, (unsigned long)off,
					     strerror(-ret));
			}
			for (off = 0; off < span; off += chunk) {
				ret = dma_unmap(chunk, IOVA_BASE + off);
				if (ret)
					fail("UNMAP_DMA: %s\n", strerror(-ret));
			}
			us[r] = (now() - t0) * 1e6 / n;
		}
		printf("BENCH map_%s chunks=%lu", kinds[k].name, (unsigned long)n);
		quartiles("us", us, MAP_ROUNDS);
		printf("\n");
	}
}

/* One read of FILE (NULL: none) and the pass over the BAR after it. */
static void bench_walk(const char *name, const char *file)
{
	double read_us[WALK_ROUNDS], pass_us[WALK_ROUNDS];
	long faults = 0, zaps = 0;

	for (int r = 0; r < WALK_ROUNDS; r++) {
		long split0 = splits(), flt;
		double t0, t1, t2;

		touch_bar();
		t0 = now();
		if (file)
			read_file(file);
		t1 = now();
		flt = minflt();
		touch_bar();
		t2 = now();
		faults += minflt() - flt;
		zaps += splits() - split0;
		read_us[r] = (t1 - t0) * 1e6;
		pass_us[r] = (t2 - t1) * 1e6;
	}
	printf("BENCH walk_%s rounds=%d faults_per_read=%.2f zaps_per_read=%.2f",
	       name, WALK_ROUNDS, (double)faults / WALK_ROUNDS,
	       (double)zaps / WALK_ROUNDS);
	if (file)
		quartiles("read_us", read_us, WALK_ROUNDS);
	quartiles("pass_us", pass_us, WALK_ROUNDS);
	printf("\n");
}

/* KVM's binary statistics of a vCPU: the value of counter NAME, or -1. */
static long kvm_stat(int stats_fd, const char *name)
{
	struct kvm_stats_header hdr;
	struct kvm_stats_desc *desc;
	size_t desc_size;
	long val = -1;
	char *descs;

	if (pread(stats_fd, &hdr, sizeof(hdr), 0) != sizeof(hdr))
		return -1;
	desc_size = sizeof(*desc) + hdr.name_size;
	descs = malloc(desc_size * hdr.num_desc);
	if (!descs || pread(stats_fd, descs, desc_size * hdr.num_desc,
			    hdr.desc_offset) != (ssize_t)(desc_size * hdr.num_desc))
		fail("read KVM stats descriptors\n");
	for (unsigned int i = 0; i < hdr.num_desc; i++) {
		uint64_t v;

		desc = (struct kvm_stats_desc *)(descs + i * desc_size);
		if (strcmp(desc->name, name))
			continue;
		if (pread(stats_fd, &v, sizeof(v), hdr.data_offset + desc->offset) ==
		    sizeof(v))
			val = v;
		break;
	}
	free(descs);
	return val;
}

static atomic_int stop;
static atomic_long reads;
static long interval_us;

/*
 * The guest's vCPUs: the measuring thread runs on the last, the monitor
 * on the first, so that they never share one and every boot places them
 * the same way.
 */
static void pin(int last)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	if (n < 2)
		return;
	CPU_ZERO(&set);
	CPU_SET(last ? n - 1 : 0, &set);
	errno = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (errno)
		fail("pthread_setaffinity_np: %s\n", strerror(errno));
}

/* Read numa_maps every interval_us, on a fixed schedule. */
static void *monitor(void *unused)
{
	struct timespec next;

	pin(0);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&stop)) {
		next.tv_nsec += interval_us * 1000;
		next.tv_sec += next.tv_nsec / 1000000000;
		next.tv_nsec %= 1000000000;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		if (atomic_load(&stop))
			break;
		read_file("/proc/self/numa_maps");
		atomic_fetch_add(&reads, 1);
	}
	return NULL;
}

static struct kvm_run *run;
static int vcpu;

/*
 * One KVM_RUN until the guest's next pass ends: 1 for a pass, 0 when
 * KVM_RUN failed with EFAULT (the race, counted not fatal), was
 * interrupted or asked to be retried.
 */
static int guest_pass(unsigned long *efault)
{
	int ret = ioctl(vcpu, KVM_RUN, 0);

	if (ret < 0 && errno == EFAULT) {
		(*efault)++;
		return 0;
	}
	if (ret < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (ret < 0)
		fail("KVM_RUN: %s\n", strerror(errno));
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != EXIT_PORT)
		fail("unexpected exit %u\n", run->exit_reason);
	return 1;
}

static void bench_kvm(double seconds)
{
	static const long intervals_ms[] = { 0, 100, 10 };
	uint32_t guest_end = SLOT1_GPA + bar_size;
	int stats;

	if (access("/dev/kvm", R_OK | W_OK)) {
		printf("BENCH kvm skipped=/dev/kvm:%s\n", strerror(errno));
		return;
	}
	if (SLOT1_GPA + bar_size >= 0x100000000ULL) {
		printf("BENCH kvm skipped=BAR_above_4GiB\n");
		return;
	}
	memcpy(guest_code + GUEST_END, &guest_end, sizeof(guest_end));
	vcpu = kvm_guest(guest_code, sizeof(guest_code), bar_map, bar_size, &run);
	stats = ioctl(vcpu, KVM_GET_STATS_FD, NULL);
	if (stats < 0)
		fail("KVM_GET_STATS_FD: %s\n", strerror(errno));

	for (unsigned int i = 0; i < ARRAY_SIZE(intervals_ms); i++) {
		unsigned long passes = 0, efault = 0;
		long pf, fixed, zaps, nreads;
		pthread_t thread;
		double t0, end;

		/* A whole pass first: the counters start with the BAR mapped. */
		while (!guest_pass(&efault))
			;
		pf = counter(kvm_stat(stats, "pf_taken"), "pf_taken in KVM's stats");
		fixed = counter(kvm_stat(stats, "pf_fixed"), "pf_fixed in KVM's stats");
		zaps = splits();
		interval_us = intervals_ms[i] * 1000;
		atomic_store(&stop, 0);
		atomic_store(&reads, 0);
		if (interval_us && pthread_create(&thread, NULL, monitor, NULL))
			fail("pthread_create\n");
		for (t0 = now(), end = t0 + seconds; now() < end;)
			passes += guest_pass(&efault);
		t0 = now() - t0;
		atomic_store(&stop, 1);
		if (interval_us)
			pthread_join(thread, NULL);
		nreads = atomic_load(&reads);
		/* And one after: each read's zap met a pass that rebuilt it. */
		while (!guest_pass(&efault))
			;
		pf = kvm_stat(stats, "pf_taken") - pf;
		fixed = kvm_stat(stats, "pf_fixed") - fixed;
		zaps = splits() - zaps;
		printf("BENCH kvm_%ldms seconds=%.1f passes_per_s=%.1f reads=%ld zaps=%ld",
		       intervals_ms[i], t0, passes / t0, nreads, zaps);
		printf(" stage2_faults=%ld stage2_fixed=%ld efault=%lu\n", pf, fixed, efault);
	}
}

int main(int argc, char *argv[])
{
	const char *bdf = argc > 1 ? argv[1] : getenv("VFIO_SELFTESTS_BDF");
	double seconds = argc > 2 ? atof(argv[2]) : 5;
	struct vfio_region_info bar;

	if (!bdf || !*bdf)
		skip("usage: %s BDF [SECONDS]\n", argv[0]);
	pin(1);
	vfio_open(bdf);
	bar = find_bar(SZ_2M, "2 MiB", 1);
	bar_size = bar.size;
	bar_map = mmap_big_bar(&bar, bar_size);
	touch_bar();
	printf("BENCH bar size_mib=%lu\n", (unsigned long)(bar_size >> 20));

	bench_map();
	bench_walk("none", NULL);
	bench_walk("smaps", "/proc/self/smaps");
	bench_walk("numa_maps", "/proc/self/numa_maps");
	bench_kvm(seconds);
	printf("BENCH done\n");
	return 0;
}
