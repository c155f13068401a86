/* vCPU threads: pinned from birth, set up in 64-bit mode, then the KVM_RUN loop. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "guest_boot.h"
#include "cgroup_join.h"
#include "dsv/hvmm_cli.h"
#include "dsv/hypercall.h"
#include "log.h"
#include "seccomp_filter.h"
#include "vm.h"
#include "vm_setup.h"

#define KICK_SIGNAL SIGUSR1

static void kick_handler(int sig)
{
	(void)sig; /* only here so KVM_RUN returns with EINTR */
}

int vcpu_kick_signal_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(KICK_SIGNAL, &sa, NULL);
}

static int set_cpuid(struct vcpu *v, char *err, size_t errlen)
{
	struct kvm_cpuid2 *c = v->vm->cpuid;

	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		/* Each vCPU reports its own APIC id, so the guest can tell them apart. */
		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffff) | ((uint32_t)v->index << 24);
		if (e->function == 0xb || e->function == 0x1f)
			e->edx = (uint32_t)v->index;
	}
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
		snprintf(err, errlen, "KVM_SET_CPUID2: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int set_long_mode(struct vcpu *v, char *err, size_t errlen)
{
	struct kvm_sregs s;
	struct kvm_regs r;
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

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_GET_SREGS: %s", strerror(errno));
		return -1;
	}
	s.cs = cs;
	s.ds = s.es = s.fs = s.gs = s.ss = ds;
	s.cr0 = 0x80050033; /* PG AM WP NE ET MP PE */
	s.cr3 = v->vm->cr3;
	s.cr4 = 0x10620; /* FSGSBASE OSXMMEXCPT OSFXSR PAE */
	if (v->vm->xsave)
		s.cr4 |= 1u << 18; /* OSXSAVE */
	s.efer = 0xd01;		   /* NXE LMA LME SCE */
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0) {
		snprintf(err, errlen, "KVM_SET_SREGS (64-bit entry state): %s", strerror(errno));
		return -1;
	}
	memset(&r, 0, sizeof(r));
	r.rip = v->vm->entry;
	r.rdi = (uint64_t)v->index;
	r.rsi = BOOT_INFO_GPA;
	r.rsp = boot_stack_top(v->index);
	r.rflags = 0x2;
	if (ioctl(v->fd, KVM_SET_REGS, &r) < 0) {
		snprintf(err, errlen, "KVM_SET_REGS: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int set_xcr0(struct vcpu *v, char *err, size_t errlen)
{
	struct kvm_xcrs x;

	if (!v->vm->xcr0)
		return 0;
	memset(&x, 0, sizeof(x));
	x.nr_xcrs = 1;
	x.xcrs[0].xcr = 0;
	x.xcrs[0].value = v->vm->xcr0;
	if (ioctl(v->fd, KVM_SET_XCRS, &x) < 0) {
		snprintf(err, errlen, "KVM_SET_XCRS (XCR0=0x%llx): %s",
			 (unsigned long long)v->vm->xcr0, strerror(errno));
		return -1;
	}
	return 0;
}

static int vcpu_setup(struct vcpu *v)
{
	struct vm *vm = v->vm;
	char *err = v->setup_err;
	size_t errlen = sizeof(v->setup_err);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)v->index);
	if (v->fd < 0) {
		snprintf(err, errlen, "vCPU %d: KVM_CREATE_VCPU: %s", v->index, strerror(errno));
		return -1;
	}
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		v->run = NULL;
		snprintf(err, errlen, "vCPU %d: mmap of kvm_run: %s", v->index, strerror(errno));
		return -1;
	}
	if (set_cpuid(v, err, errlen) || set_long_mode(v, err, errlen) || set_xcr0(v, err, errlen))
		return -1;
	if (vm->plat->vcpu_setup(v->fd, boot_vif_gpa(v->index), err, errlen))
		return -1;
	/* With the in-kernel irqchip, APs start UNINITIALIZED; we start them all directly. */
	if (ioctl(v->fd, KVM_SET_MP_STATE, &mp) < 0) {
		snprintf(err, errlen, "vCPU %d: KVM_SET_MP_STATE: %s", v->index, strerror(errno));
		return -1;
	}
	if (v->index == 0) {
		int khz = ioctl(v->fd, KVM_GET_TSC_KHZ, 0);

		vm->tsc_khz = khz > 0 ? (uint64_t)khz : 0;
	}
	return 0;
}

void vcpu_dump_regs(struct vcpu *v)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(v->fd, KVM_GET_REGS, &r) < 0 || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	log_err("vCPU %d registers:\n"
		"  rip %016llx rsp %016llx rflags %016llx\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
		"  cs %04x ss %04x idt base %016llx limit %x",
		v->index, r.rip, r.rsp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp,
		r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, s.cr0, s.cr2, s.cr3, s.cr4,
		s.efer, s.cs.selector, s.ss.selector, s.idt.base, s.idt.limit);
}

static unsigned long long guest_rip(struct vcpu *v)
{
	struct kvm_regs r;

	return ioctl(v->fd, KVM_GET_REGS, &r) < 0 ? 0 : r.rip;
}

static void on_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	struct hc_outcome res;
	uint32_t in_val;

	if (run->io.port < DSV_PORT_BASE || run->io.port >= DSV_PORT_END) {
		/* No legacy devices here: writes vanish, reads see an empty bus. */
		v->st.exits[EXK_IO_OTHER]++;
		if (run->io.direction == KVM_EXIT_IO_IN)
			memset(data, 0xff, (size_t)run->io.size * run->io.count);
		return;
	}
	v->st.exits[EXK_HYPERCALL]++;
	hc_port_io(&v->vm->hc, run->io.port, run->io.direction == KVM_EXIT_IO_OUT, run->io.size,
		   run->io.count, data, &in_val, &res);
	if (run->io.direction == KVM_EXIT_IO_IN)
		memcpy(data, &in_val, run->io.size <= 4 ? run->io.size : 4);
	if (res.action == HC_EXIT)
		vm_request_exit(v->vm, res.status, "guest exited with status %d", res.status);
	else if (res.action == HC_ABORT)
		vm_request_exit(v->vm, HVMM_EXIT_CRASH, "guest kernel aborted on vCPU %d: %s",
				v->index, res.msg);
}

static void on_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	v->st.exits[EXK_MMIO]++;
	if (!run->mmio.is_write)
		memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
}

/* Handles one exit. Returns 0 to keep running. */
static int handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		on_io(v);
		return 0;
	case KVM_EXIT_MMIO:
		on_mmio(v);
		return 0;
	case KVM_EXIT_HLT:
		v->st.exits[EXK_HLT]++;
		return 0;
	case KVM_EXIT_INTR:
		v->st.exits[EXK_INTR]++;
		return 0;
	case KVM_EXIT_SHUTDOWN:
		v->st.exits[EXK_SHUTDOWN]++;
		if (log_verbose())
			vcpu_dump_regs(v);
		vm_request_exit(v->vm, HVMM_EXIT_CRASH,
				"guest crashed: vCPU %d shut down (triple fault) at "
				"rip 0x%llx",
				v->index, guest_rip(v));
		return -1;
	case KVM_EXIT_SYSTEM_EVENT:
		v->st.exits[EXK_SHUTDOWN]++;
		vm_request_exit(v->vm, HVMM_EXIT_CRASH,
				"guest crashed: vCPU %d requested system event %u "
				"(reset or shutdown)",
				v->index, run->system_event.type);
		return -1;
	case KVM_EXIT_INTERNAL_ERROR:
		v->st.exits[EXK_INTERNAL]++;
		if (log_verbose())
			vcpu_dump_regs(v);
		vm_request_exit(v->vm, HVMM_EXIT_KVM,
				"KVM internal error on vCPU %d (suberror %u) at rip "
				"0x%llx",
				v->index, run->internal.suberror, guest_rip(v));
		return -1;
	case KVM_EXIT_FAIL_ENTRY:
		v->st.exits[EXK_INTERNAL]++;
		if (log_verbose())
			vcpu_dump_regs(v);
		vm_request_exit(v->vm, HVMM_EXIT_KVM,
				"KVM could not enter vCPU %d (hardware reason 0x%llx)", v->index,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		return -1;
	default:
		v->st.exits[EXK_OTHER]++;
		if (log_verbose())
			vcpu_dump_regs(v);
		vm_request_exit(v->vm, HVMM_EXIT_KVM, "unexpected KVM exit %u on vCPU %d",
				run->exit_reason, v->index);
		return -1;
	}
}

static void run_loop(struct vcpu *v)
{
	struct vm *vm = v->vm;
	uint64_t t_back = now_ns();

	if (v->index == 0)
		vm->times.ns_first_run = t_back;
	while (!atomic_load(&vm->exiting)) {
		uint64_t t_in = now_ns(), t_out;
		int rc;

		v->st.ns_in_hvmm += t_in - t_back;
		rc = ioctl(v->fd, KVM_RUN, 0);
		t_out = now_ns();
		v->st.ns_in_guest += t_out - t_in;
		t_back = t_out;
		if (rc < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->st.exits[EXK_INTR]++;
				continue;
			}
			vm_request_exit(vm, HVMM_EXIT_KVM, "KVM_RUN failed on vCPU %d: %s",
					v->index, strerror(errno));
			break;
		}
		if (handle_exit(v))
			break;
	}
	v->st.ns_in_hvmm += now_ns() - t_back;
}

void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	char name[16];
	int ok;

	/* Named so that agents and tools can place threads exactly (dsvd, ps -L, top -H). */
	snprintf(name, sizeof(name), "vcpu%d", v->index);
	pthread_setname_np(pthread_self(), name);
	ok = 1;
	/* Into the VM's CPU cgroup before anything is set up or allocated; then pinned again,
	 * as entering a v1 cpuset widens the thread's CPUs to the whole cpuset's. */
	if (vm->vcpu_cg_fd >= 0 &&
	    (cgroup_enter_thread(vm->vcpu_cg_fd) || vm_pin_self(&v->host_cpu, 1))) {
		snprintf(v->setup_err, sizeof(v->setup_err),
			 "--vcpu-cgroup %s: vCPU %d cannot "
			 "enter it on CPU %d: %s",
			 vm->opts->vcpu_cgroup, v->index, v->host_cpu, strerror(errno));
		ok = 0;
	}
	ok = ok && vcpu_setup(v) == 0;

	/* this vCPU thread's seccomp filter, before the guest runs */
	if (ok &&
	    sec_install(vm->opts, SEC_THREAD_VCPU, v->index, v->setup_err, sizeof(v->setup_err)))
		ok = 0;
	pthread_barrier_wait(&vm->ready);
	pthread_barrier_wait(&vm->go);
	if (ok && !atomic_load(&vm->abort_start))
		run_loop(v);
	return NULL;
}
