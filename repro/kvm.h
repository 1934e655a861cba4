/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal KVM guest for the reproducers: one vCPU in flat 32-bit
 * protected mode without paging, running code at GUEST_CODE in 2 MiB of
 * RAM (memslot 0), with a second memslot at guest physical 1 GiB backed
 * by the caller's mapping.  x86 only.
 */
#ifndef REPRO_KVM_H
#define REPRO_KVM_H

#include <linux/kvm.h>

#include "vfio.h"

#define GUEST_CODE	0x1000UL
#define GUEST_RAM	0x200000UL
#define SLOT1_GPA	SZ_1G
#define EXIT_PORT	0x10

static inline void kvm_set_seg(struct kvm_segment *seg, uint16_t selector,
			       uint8_t type)
{
	*seg = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = selector,
		.type = type, .present = 1, .dpl = 0, .db = 1, .s = 1,
		.l = 0, .g = 1,
	};
}

/*
 * kvm_guest(CODE, LEN, MAP, SIZE, &RUN): a VM running CODE, with MAP
 * (SIZE bytes) as memslot 1 at SLOT1_GPA; returns the vCPU's fd and its
 * kvm_run in RUN.  Skips without /dev/kvm.
 */
static inline int kvm_guest(const unsigned char *code, size_t len, void *map,
			    uint64_t size, struct kvm_run **run)
{
	struct kvm_regs regs = { .rip = GUEST_CODE, .rflags = 2 };
	struct kvm_sregs sregs;
	int kvm, vm, vcpu, mmap_size;
	char *ram;

	kvm = open("/dev/kvm", O_RDWR);
	if (kvm < 0)
		skip("/dev/kvm: %s (no SVM/VMX, or KVM not built)\n", strerror(errno));
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		fail("KVM_CREATE_VM: %s\n", strerror(errno));
	ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED)
		fail("mmap guest RAM: %s\n", strerror(errno));
	memcpy(ram + GUEST_CODE, code, len);
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &(struct kvm_userspace_memory_region){
			.slot = 0, .guest_phys_addr = 0, .memory_size = GUEST_RAM,
			.userspace_addr = (uintptr_t)ram }) ||
	    ioctl(vm, KVM_SET_USER_MEMORY_REGION, &(struct kvm_userspace_memory_region){
			.slot = 1, .guest_phys_addr = SLOT1_GPA, .memory_size = size,
			.userspace_addr = (uintptr_t)map }))
		fail("KVM_SET_USER_MEMORY_REGION: %s\n", strerror(errno));

	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	mmap_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || mmap_size <= 0)
		fail("KVM_CREATE_VCPU: %s\n", strerror(errno));
	*run = mmap(NULL, mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (*run == MAP_FAILED)
		fail("mmap kvm_run: %s\n", strerror(errno));
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		fail("KVM_GET_SREGS: %s\n", strerror(errno));
	kvm_set_seg(&sregs.cs, 0x08, 0xb);
	kvm_set_seg(&sregs.ds, 0x10, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 |= 1;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		fail("KVM_SET_SREGS/REGS: %s\n", strerror(errno));
	return vcpu;
}

#endif
