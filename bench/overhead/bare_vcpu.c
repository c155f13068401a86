/*
 * The bare vCPU (bare_vcpu.h). The guest starts directly in 64-bit supervisor mode; on a
 * PVM host it is first opted in through the VIF MSR so its supervisor code runs natively
 * instead of through KVM's emulator (docs/platform.md). On hardware virtualization the MSR
 * does not exist and setting it is a no-op.
 */
#include "bare_vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "bare_layout.h"

#define PVM_MSR_VIF 0x4b564d10u
#define PVM_VIF_HOST_SET 0x400u /* required when the VMM, not the guest, writes the MSR */
#define LIMIT_S 60		/* a guest that never marks done is stopped after this */

struct bare {
	int kvm, vm, vcpu;
	uint8_t *mem;
	struct kvm_run *run;
	size_t runsz;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void on_alarm(int sig)
{
	(void)sig; /* only there to interrupt KVM_RUN */
}

/* Identity map of 6 MiB in 2 MiB pages: supervisor code, user code, the mark page. */
static void map_memory(uint8_t *mem)
{
	uint64_t *pml4 = (uint64_t *)(mem + BARE_PML4), *pdpt = pml4 + 512, *pd = pml4 + 1024;
	pml4[0] = (BARE_PML4 + 0x1000) | 7; /* present, writable, user: the leaves decide */
	pdpt[0] = (BARE_PML4 + 0x2000) | 7;
	pd[0] = 0x83;		   /* present, writable, 2 MiB; supervisor only */
	pd[1] = BARE_UCODE | 0x87; /* and user */
	pd[2] = BARE_MARK | 0x87;  /* no memory slot behind it */
	uint64_t *gdt = (uint64_t *)(mem + BARE_GDT); /* the lwk's layout (lwk/cpu.c) */
	gdt[2] = 0x00af9a000000ffffull;		      /* 0x10 kernel code, 64-bit */
	gdt[3] = 0x00cf92000000ffffull;		      /* 0x18 kernel data */
	gdt[4] = 0x00cffa000000ffffull;		      /* 0x20 user code, 32-bit (sysret layout) */
	gdt[5] = 0x00cff2000000ffffull;		      /* 0x28 user data */
	gdt[6] = 0x00affa000000ffffull;		      /* 0x30 user code, 64-bit */
}

static int setup_vcpu(struct bare *b, unsigned warmup, unsigned n, char *why, size_t whylen)
{
	struct kvm_sregs s;
	if (ioctl(b->vcpu, KVM_GET_SREGS, &s)) {
		snprintf(why, whylen, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	struct kvm_segment cs = { .limit = 0xffffffff,
				  .selector = BARE_KERNEL_CS,
				  .type = 11,
				  .present = 1,
				  .s = 1,
				  .l = 1,
				  .g = 1 };
	struct kvm_segment ds = { .limit = 0xffffffff,
				  .selector = BARE_KERNEL_DS,
				  .type = 3,
				  .present = 1,
				  .db = 1,
				  .s = 1,
				  .g = 1 };
	s.cs = cs;
	s.ss = s.ds = s.es = s.fs = s.gs = ds;
	s.gdt.base = BARE_GDT;
	s.gdt.limit = 7 * 8 - 1;
	s.cr0 = 0x80050033; /* PG, AM, WP, NE, ET, MP, PE */
	s.cr3 = BARE_PML4;
	s.cr4 = 0x620;	/* PAE, OSFXSR, OSXMMEXCPT */
	s.efer = 0xd01; /* SCE, LME, LMA, NXE */
	if (ioctl(b->vcpu, KVM_SET_SREGS, &s)) {
		snprintf(why, whylen, "KVM_SET_SREGS: %s", strerror(errno));
		return -1;
	}
	union { /* struct kvm_msrs ends in a flexible array: room for one entry */
		struct kvm_msrs h;
		char room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} msr;
	memset(&msr, 0, sizeof msr);
	msr.h.nmsrs = 1;
	msr.h.entries[0].index = PVM_MSR_VIF;
	msr.h.entries[0].data = BARE_VIF | PVM_VIF_HOST_SET;
	ioctl(b->vcpu, KVM_SET_MSRS, &msr); /* 0 entries set on hardware virtualization: fine */
	struct kvm_regs g = {
		.rip = BARE_KCODE, .rsp = BARE_KSTACK, .rdi = warmup, .rsi = n, .rflags = 2
	};
	if (ioctl(b->vcpu, KVM_SET_REGS, &g)) {
		snprintf(why, whylen, "KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int open_vm(struct bare *b, const struct ovh_bare_prog *p, char *why, size_t whylen)
{
	if ((b->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC)) < 0) {
		snprintf(why, whylen, "cannot open /dev/kvm: %s", strerror(errno));
		return -1;
	}
	if ((b->vm = ioctl(b->kvm, KVM_CREATE_VM, 0)) < 0 ||
	    (b->mem = mmap(NULL, BARE_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0)) == MAP_FAILED) {
		snprintf(why, whylen, "cannot create a VM: %s", strerror(errno));
		return -1;
	}
	struct kvm_userspace_memory_region r = { 0, 0, 0, BARE_MEM, (uint64_t)(uintptr_t)b->mem };
	if (ioctl(b->vm, KVM_SET_USER_MEMORY_REGION, &r)) {
		snprintf(why, whylen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	map_memory(b->mem);
	memcpy(b->mem + BARE_KCODE, p->kcode, (size_t)(p->kcode_end - p->kcode));
	if (p->ucode)
		memcpy(b->mem + BARE_UCODE, p->ucode, (size_t)(p->ucode_end - p->ucode));
	long sz;
	if ((b->vcpu = ioctl(b->vm, KVM_CREATE_VCPU, 0)) < 0 ||
	    (sz = ioctl(b->kvm, KVM_GET_VCPU_MMAP_SIZE, 0)) <= 0 ||
	    (b->run = mmap(NULL, (size_t)sz, PROT_READ | PROT_WRITE, MAP_SHARED, b->vcpu, 0)) ==
		    MAP_FAILED) {
		snprintf(why, whylen, "cannot create a vCPU: %s", strerror(errno));
		return -1;
	}
	b->runsz = (size_t)sz;
	return 0;
}

static void close_vm(struct bare *b)
{
	if (b->run != MAP_FAILED)
		munmap(b->run, b->runsz);
	if (b->mem != MAP_FAILED)
		munmap(b->mem, BARE_MEM);
	if (b->vcpu >= 0)
		close(b->vcpu);
	if (b->vm >= 0)
		close(b->vm);
	if (b->kvm >= 0)
		close(b->kvm);
}

/* The mark write in this exit (BARE_MARK_START or _DONE) and its value; -1 if not one. */
static int mark_of(const struct kvm_run *run, uint32_t *value)
{
	if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write || run->mmio.len != 4)
		return -1;
	uint64_t off = run->mmio.phys_addr - BARE_MARK;
	if (off != BARE_MARK_START && off != BARE_MARK_DONE)
		return -1;
	memcpy(value, run->mmio.data, 4);
	return (int)off;
}

/* The vCPU's privilege level now, from CS's RPL (what sysretq and syscall set). */
static int cpl(const struct bare *b)
{
	struct kvm_sregs s;
	if (ioctl(b->vcpu, KVM_GET_SREGS, &s))
		return -1;
	return s.cs.selector & 3;
}

static double drive(struct bare *b, const struct ovh_bare_prog *p, unsigned n, char *why,
		    size_t whylen)
{
	unsigned ports = 0;
	bool started = false;
	double t0 = 0;
	for (;;) {
		if (ioctl(b->vcpu, KVM_RUN, 0)) {
			snprintf(why, whylen, "KVM_RUN: %s",
				 errno == EINTR ? "no done mark within the time limit"
						: strerror(errno));
			return -1;
		}
		double t = now();
		const struct kvm_run *run = b->run;
		uint32_t v = 0;
		int mark = mark_of(run, &v);
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == BARE_PORT &&
		    run->io.direction == KVM_EXIT_IO_OUT && p->port_exits) {
			ports += started;
			continue;
		}
		if (mark == BARE_MARK_START && !started && v == 1) {
			if (p->user && cpl(b) != 3) {
				snprintf(why, whylen, "the start mark came from CPL %d, not 3",
					 cpl(b));
				return -1;
			}
			started = true;
			t0 = now();
			continue;
		}
		if (mark == BARE_MARK_DONE && started) {
			if (v != n || ports != n * p->port_exits || (p->user && cpl(b) != 3)) {
				snprintf(why, whylen,
					 "done mark says %u iterations (%u port exits, CPL %d) "
					 "where %u ran",
					 v, ports, cpl(b), n);
				return -1;
			}
			return (t - t0) * 1e6 / n;
		}
		snprintf(why, whylen, "unexpected exit %u (mark %d, value %u) %s the start mark",
			 run->exit_reason, mark, v, started ? "after" : "before");
		return -1;
	}
}

double ovh_bare_time(const struct ovh_bare_prog *prog, unsigned warmup, unsigned n, char *why,
		     size_t whylen)
{
	struct bare b = { -1, -1, -1, MAP_FAILED, MAP_FAILED, 0 };
	double us = -1;
	snprintf(why, whylen, "ok");
	if (warmup < 1 || n < 1) {
		snprintf(why, whylen, "warm-up and timed iterations must be at least 1");
		return -1;
	}
	/* A guest that loses its way (no exit ever comes) must not hang the runner. */
	struct sigaction sa = { .sa_handler = on_alarm }, old_sa;
	/* then every second, in case the first one fell between two KVM_RUNs */
	struct itimerval limit = { .it_interval = { 1, 0 }, .it_value = { LIMIT_S, 0 } },
			 off = { 0 };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, &old_sa); /* no SA_RESTART: KVM_RUN returns EINTR */
	if (open_vm(&b, prog, why, whylen) == 0 && setup_vcpu(&b, warmup, n, why, whylen) == 0) {
		setitimer(ITIMER_REAL, &limit, NULL);
		us = drive(&b, prog, n, why, whylen);
		setitimer(ITIMER_REAL, &off, NULL);
	}
	sigaction(SIGALRM, &old_sa, NULL);
	close_vm(&b);
	return us;
}
