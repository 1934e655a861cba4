/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every reproducer shares: sizes, fail() and skip() with the
 * kselftest exit codes, a clock, reading a file to its end (as a
 * monitoring tool reads /proc/PID/numa_maps), and the parameters of the
 * harness's test-only /dev/test_huge_pfnmap.
 */
#ifndef REPRO_COMMON_H
#define REPRO_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define SZ_4K	0x1000UL
#define SZ_2M	0x200000UL
#define SZ_1G	0x40000000UL
#define KSFT_SKIP 4

#define fail(...) do { fprintf(stderr, "FAIL: " __VA_ARGS__); exit(1); } while (0)
#define skip(...) do { printf("SKIP: " __VA_ARGS__); exit(KSFT_SKIP); } while (0)

static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Whether a race run that should end at END goes on: until END, and past
 * it, while fewer than MIN_RACED of its tries met a zap, for up to EXTRA
 * more seconds (a slow kernel or guest).  MIN_RACED 0: no floor.
 */
static inline int race_goes_on(double end, double extra,
			       unsigned long raced, unsigned long min_raced)
{
	double t = now();

	return t < end || (raced < min_raced && t < end + extra);
}

/* Read PATH to its end and throw it away; fail if it cannot be opened. */
static inline void read_file(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		fail("%s: %s\n", path, strerror(errno));
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	close(fd);
}

#define TESTDEV_PARAMS "/sys/module/test_huge_pfnmap/parameters/"

/* Set parameter NAME of the test-only device. */
static inline void testdev_set(const char *name, unsigned long value)
{
	char path[128], buf[32];
	int fd, len;

	snprintf(path, sizeof(path), TESTDEV_PARAMS "%s", name);
	len = snprintf(buf, sizeof(buf), "%lu", value);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, buf, len) != len)
		fail("%s: %s\n", path, strerror(errno));
	close(fd);
}

/* Parameter NAME of the test-only device. */
static inline unsigned long testdev_get(const char *name)
{
	char path[128], buf[32] = "";
	int fd;

	snprintf(path, sizeof(path), TESTDEV_PARAMS "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		fail("%s: %s\n", path, strerror(errno));
	close(fd);
	return strtoul(buf, NULL, 0);
}

#endif /* REPRO_COMMON_H */
