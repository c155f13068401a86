/*
 * Bare KVM exit probe (see kvmexit.h). The guest starts directly in 64-bit mode; on this
 * machine's PVM backend it first opts in through the VIF MSR so its supervisor code runs
 * natively instead of through KVM's emulator (docs/platform.md). On hardware
 * virtualization the MSR does not exist and setting it is a no-op.
 */
#include "kvmexit.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MEM (4u << 20)
#define CODE 0x10000u
#define PML4 0x20000u
#define PVM_VIF 0x4b564d10u
#define VIF_PAGE 0x8000u
#define PORT 0xe0u
#define WARMUP 100u

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double ovh_kvm_exit_us(unsigned n, char *why, unsigned long whylen)
{
	double result = -1;
	int kvm = -1, vm = -1, vcpu = -1;
	uint8_t *mem = MAP_FAILED;
	struct kvm_run *run = MAP_FAILED;
	long runsz = 0;
	snprintf(why, whylen, "ok");

	if ((kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "cannot open /dev/kvm");
		goto out;
	}
	if ((vm = ioctl(kvm, KVM_CREATE_VM, 0)) < 0 ||
	    (mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) ==
		    MAP_FAILED) {
		snprintf(why, whylen, "cannot create a VM");
		goto out;
	}
	struct kvm_userspace_memory_region r = { 0, 0, 0, MEM, (uint64_t)(uintptr_t)mem };
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &r)) {
		snprintf(why, whylen, "KVM_SET_USER_MEMORY_REGION failed");
		goto out;
	}
	/* Identity map of the first 4 MiB with 2 MiB pages. */
	uint64_t *pml4 = (uint64_t *)(mem + PML4), *pdpt = pml4 + 512, *pd = pml4 + 1024;
	pml4[0] = (PML4 + 0x1000) | 7;
	pdpt[0] = (PML4 + 0x2000) | 7;
	pd[0] = 0x87;
	pd[1] = (1u << 21) | 0x87;
	uint32_t count = n + WARMUP;
	uint8_t code[] = {
		0xb9, 0,	0, 0, 0, /* mov $count, %ecx */
		0xe6, PORT,		 /* 1: out %al, $PORT */
		0xff, 0xc9,		 /* dec %ecx */
		0x75, 0xfa,		 /* jnz 1b */
		0xe6, PORT + 1, /* out %al, $PORT+1: done (hlt needs an irqchip under PVM) */
		0xf4,		/* hlt */
	};
	memcpy(code + 1, &count, 4);
	memcpy(mem + CODE, code, sizeof code);

	if ((vcpu = ioctl(vm, KVM_CREATE_VCPU, 0)) < 0 ||
	    (runsz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0 ||
	    (run = mmap(NULL, (size_t)runsz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0)) ==
		    MAP_FAILED) {
		snprintf(why, whylen, "cannot create a vCPU");
		goto out;
	}
	struct kvm_sregs s;
	ioctl(vcpu, KVM_GET_SREGS, &s);
	struct kvm_segment cs = { .base = 0,
				  .limit = 0xffffffff,
				  .selector = 0x10,
				  .type = 11,
				  .present = 1,
				  .dpl = 0,
				  .s = 1,
				  .l = 1,
				  .g = 1 };
	struct kvm_segment ds = { .base = 0,
				  .limit = 0xffffffff,
				  .selector = 0x18,
				  .type = 3,
				  .present = 1,
				  .dpl = 0,
				  .db = 1,
				  .s = 1,
				  .g = 1 };
	s.cs = cs;
	s.ss = s.ds = s.es = s.fs = s.gs = ds;
	s.cr0 = 0x80050033;
	s.cr3 = PML4;
	s.cr4 = 0x620;	/* PAE, OSFXSR, OSXMMEXCPT */
	s.efer = 0xd01; /* SCE, LME, LMA, NXE */
	if (ioctl(vcpu, KVM_SET_SREGS, &s)) {
		snprintf(why, whylen, "KVM_SET_SREGS failed");
		goto out;
	}
	union { /* struct kvm_msrs ends in a flexible array: room for one entry */
		struct kvm_msrs h;
		char room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} msr;
	memset(&msr, 0, sizeof msr);
	msr.h.nmsrs = 1;
	msr.h.entries[0].index = PVM_VIF;
	msr.h.entries[0].data = VIF_PAGE | 0x400; /* bit 10: written by the VMM */
	ioctl(vcpu, KVM_SET_MSRS, &msr); /* 0 entries set on hardware virtualization: fine */
	struct kvm_regs g = { .rip = CODE, .rsp = 0x100000, .rflags = 2 };
	ioctl(vcpu, KVM_SET_REGS, &g);

	unsigned exits = 0;
	double t0 = 0;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0)) {
			snprintf(why, whylen, "KVM_RUN failed");
			goto out;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == PORT) {
			if (++exits == WARMUP)
				t0 = now();
			continue;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == PORT + 1 && exits == count) {
			result = (now() - t0) * 1e6 / n;
			break;
		}
		snprintf(why, whylen, "unexpected exit %u after %u port writes", run->exit_reason,
			 exits);
		goto out;
	}
out:
	if (run != MAP_FAILED)
		munmap(run, (size_t)runsz);
	if (mem != MAP_FAILED)
		munmap(mem, MEM);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
	return result;
}
