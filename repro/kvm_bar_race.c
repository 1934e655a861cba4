// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_bar_race: a KVM guest reads and writes a VFIO BAR that backs one of
 * its memslots while the BAR's mmap is zapped behind the VMM's back.
 *
 *   kvm_bar_race BDF decode|numa_maps|none [SECONDS]   (default 60)
 *
 * The BAR (1 GiB, mmapped 1 GiB-aligned: vfio-pci maps it with one PUD
 * entry) is memslot 1 at guest physical 1 GiB.  One vCPU runs a 32-bit
 * flat protected-mode loop that increments a word every 2 MiB of it and
 * exits to us with an OUT after each pass.  Every zap of the BAR's mmap
 * makes KVM drop its mapping of it, and the vCPU's next access faults:
 * hva_to_pfn() faults the mmap in with fixup_user_fault() and looks the
 * pfn up with follow_pfnmap_start().  A zap between the two made that
 * lookup fail, and KVM_RUN fail with EFAULT, on kernels without the retry.
 *
 * decode: another thread toggles the device's memory decode (vfio-pci
 * zaps the mmap).  A fault while decode is off fails legitimately with
 * EFAULT too, so EFAULTs are counted but prove nothing either way: this
 * trigger is for running the retry loop (e.g. on a lockdep kernel).
 *
 * numa_maps: another thread reads /proc/self/numa_maps, whose page walk
 * zaps the BAR's PUD on kernels without the page-walk fix.  Decode stays
 * on, so every refault succeeds and every EFAULT from KVM_RUN is
 * spurious: that is the oracle.  Zaps are counted with thp_split_pud; a
 * run with fewer than $KVM_ZAP_MIN_RACED passes that met one goes on
 * for up to SECONDS more, then is inconclusive (no floor without it; the
 * harness passes the one that harness/race-rates gives).
 *
 * none: no zapper, the control.
 *
 * Exit status: 0 no spurious EFAULT, 1 spurious EFAULT or another error,
 * 4 skipped (no /dev/kvm, no BAR, or inconclusive).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <linux/pci_regs.h>

#include "kvm.h"
#include "vmstat.h"

/*
 * 32-bit code: for (esi = 1 GiB; esi < 2 GiB; esi += 2 MiB) (*esi)++;
 * then out 0x10, al; and again.
 */
static const unsigned char guest_code[] = {
	0xbe, 0x00, 0x00, 0x00, 0x40,		/* 0:  mov esi, 0x40000000 */
	0x8b, 0x06,				/* 5:  mov eax, [esi] */
	0x83, 0xc0, 0x01,			/* 7:  add eax, 1 */
	0x89, 0x06,				/* 10: mov [esi], eax */
	0x81, 0xc6, 0x00, 0x00, 0x20, 0x00,	/* 12: add esi, 0x200000 */
	0x81, 0xfe, 0x00, 0x00, 0x00, 0x80,	/* 18: cmp esi, 0x80000000 */
	0x72, 0xeb,				/* 24: jb 5 */
	0xe6, EXIT_PORT,			/* 26: out 0x10, al */
	0xeb, 0xe2,				/* 28: jmp 0 */
};

static atomic_int stop;
static atomic_ulong zaps;

static void *toggle_decode(void *arg)
{
	while (!atomic_load(&stop)) {
		set_memory_decode(0);
		set_memory_decode(1);
		atomic_fetch_add(&zaps, 1);
		usleep(100);
	}
	return NULL;
}

static void *read_numa_maps(void *arg)
{
	while (!atomic_load(&stop))
		read_file("/proc/self/numa_maps");
	return NULL;
}

int main(int argc, char *argv[])
{
	const char *bdf = argc > 1 ? argv[1] : getenv("VFIO_SELFTESTS_BDF");
	const char *trigger = argc > 2 ? argv[2] : "numa_maps";
	double seconds = argc > 3 ? atof(argv[3]) : 60;
	const char *min = getenv("KVM_ZAP_MIN_RACED");
	unsigned long min_raced = min && *min ? strtoul(min, NULL, 0) : 0;
	unsigned long passes = 0, raced = 0, efault = 0, other = 0;
	int walk = !strcmp(trigger, "numa_maps");
	int toggle = !strcmp(trigger, "decode");
	struct vfio_region_info bar;
	struct kvm_run *run;
	pthread_t thread;
	int vcpu;
	char *map;
	double end;

	if (!bdf || (!walk && !toggle && strcmp(trigger, "none")))
		skip("usage: %s BDF decode|numa_maps|none [SECONDS]\n", argv[0]);
	if (access("/dev/kvm", R_OK | W_OK))
		skip("/dev/kvm: %s (no SVM/VMX, or KVM not built)\n", strerror(errno));
	if (walk && vmstat_counter("thp_split_pud") < 0)
		skip("/proc/vmstat has no thp_split_pud to count zaps\n");

	vfio_open(bdf);
	bar = big_bar();
	map = mmap_big_bar(&bar, SZ_1G);

	vcpu = kvm_guest(guest_code, sizeof(guest_code), map, SZ_1G, &run);

	if ((walk || toggle) &&
	    pthread_create(&thread, NULL, walk ? read_numa_maps : toggle_decode, NULL))
		fail("pthread_create\n");
	/*
	 * SECONDS, and on a slow kernel (KASAN) up to twice as long while
	 * fewer passes than the floor met a zap.
	 */
	for (end = now() + seconds;
	     race_goes_on(end, seconds, raced, walk ? min_raced : 0);) {
		long before = walk ? vmstat_counter("thp_split_pud") : 0;
		unsigned long toggled = atomic_load(&zaps);
		int ret = ioctl(vcpu, KVM_RUN, 0);

		if (walk)
			raced += vmstat_counter("thp_split_pud") != before;
		else if (toggle)
			raced += atomic_load(&zaps) != toggled;
		if (ret < 0 && errno == EFAULT) {
			efault++;
			continue;
		}
		if (ret < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (ret < 0)
			fail("KVM_RUN: %s\n", strerror(errno));
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == EXIT_PORT) {
			passes++;
			continue;
		}
		printf("# unexpected exit %u at rip?\n", run->exit_reason);
		other++;
		break;
	}
	atomic_store(&stop, 1);
	if (walk || toggle)
		pthread_join(thread, NULL);

	printf("# %lu guest passes over 0x%lx bytes in %.0f s (%s), %lu raced a zap: ",
	       passes, SZ_1G, now() - (end - seconds), trigger, raced);
	if (walk)
		printf("%lu spurious EFAULT from KVM_RUN\n", efault);
	else
		printf("%lu EFAULT from KVM_RUN\n", efault);
	if (other || (walk && efault)) {
		printf("FAIL: KVM_RUN failed for a mapping that could be faulted in\n");
		return 1;
	}
	if (walk && raced < min_raced) {
		printf("SKIP: inconclusive: %lu passes raced a zap, fewer than %lu\n",
		       raced, min_raced);
		return KSFT_SKIP;
	}
	if (!passes)
		fail("the guest made no pass over the BAR\n");
	printf("PASS: %s\n", walk ? "no spurious EFAULT" : "the guest ran");
	return 0;
}
