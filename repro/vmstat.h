/* SPDX-License-Identifier: GPL-2.0 */
/* vmstat_counter(): read one counter of /proc/vmstat. */
#ifndef REPRO_VMSTAT_H
#define REPRO_VMSTAT_H

#include <stdio.h>
#include <string.h>

/* A counter of /proc/vmstat, or -1 if the kernel does not count it. */
static inline long vmstat_counter(const char *name)
{
	char key[64];
	long val = -1, v;
	FILE *f = fopen("/proc/vmstat", "r");

	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", key, &v) == 2) {
		if (!strcmp(key, name)) {
			val = v;
			break;
		}
	}
	fclose(f);
	return val;
}

#endif /* REPRO_VMSTAT_H */
