/* Exceptions and interrupts. A fault in the program ends it the way Linux reports it
 * (a dmesg-style line and the shell's message on stderr, exit status 128 + signal);
 * a fault in the kernel is a panic. */
#include "trap.h"
#include "apic.h"
#include "fastpath.h"
#include "plat.h"
#include "sched.h"
#include "thread.h"
#include "x86.h"

enum {
	SIGILL = 4,
	SIGTRAP = 5,
	SIGBUS = 7,
	SIGFPE = 8,
	SIGSEGV = 11
};

static int vector_signal(uint64_t v)
{
	switch (v) {
	case 0:
	case 16:
	case 19:
		return SIGFPE; /* #DE, #MF, #XM */
	case 1:
	case 3:
		return SIGTRAP; /* #DB, #BP */
	case 6:
		return SIGILL; /* #UD */
	case 17:
		return SIGBUS; /* #AC */
	default:
		return SIGSEGV; /* #GP, #PF, #SS, #NP, ... */
	}
}

const char *signal_message(int sig)
{
	switch (sig) {
	case SIGILL:
		return "Illegal instruction";
	case SIGTRAP:
		return "Trace/breakpoint trap";
	case 6:
		return "Aborted";
	case SIGBUS:
		return "Bus error";
	case SIGFPE:
		return "Floating point exception";
	case 9:
		return "Killed";
	case SIGSEGV:
		return "Segmentation fault";
	default:
		return "Terminated";
	}
}

/* A fault in user mode kills the program, as Linux's default action does, unless it is the
 * fast path's to answer (fastpath.c). */
static void user_fault(struct regs *r)
{
	struct cpu *c = this_cpu();
	uint64_t addr = r->vector == 14 ? plat->fault_addr(c) : 0;
	if (fastpath_user_fault(r, &addr) == FP_FAULT_RESUME)
		return;
	int tid = c->current ? c->current->tid : 0;
	int sig = vector_signal(r->vector);
	if (r->vector == 14)
		klog("%s[%d]: segfault at %lx ip %016lx sp %016lx error %lx", prog_name, tid, addr,
		     r->rip, r->rsp, r->error);
	else
		klog("%s[%d]: trap %s (vector %lu) ip %016lx sp %016lx error %lx", prog_name, tid,
		     signal_message(sig), r->vector, r->rip, r->rsp, r->error);
	kill_program(sig);
}

NORETURN static void kernel_fault(struct regs *r)
{
	panic("kernel trap %lu error %lx at rip %lx rsp %lx cr2 %lx", r->vector, r->error, r->rip,
	      r->rsp, r->vector == 14 ? plat->fault_addr(this_cpu()) : 0);
}

void trap_dispatch(struct regs *r)
{
	if (r->vector >= 32) {
		if (r->vector != SPURIOUS_VECTOR)
			apic_eoi();
		if (r->vector == WAKE_VECTOR)
			this_cpu()->wake_irqs++;
		/* A wakeup that arrived between enabling interrupts and the hlt: skip the hlt,
		 * or the vCPU would sleep through it. */
		if ((uint64_t)r->rip == (uint64_t)plat_hlt_insn)
			r->rip += 1;
	} else if (r->cs & 3) {
		user_fault(r);
	} else {
		kernel_fault(r);
	}
	if (r->cs & 3) {
		r->cs = plat->user_iret_cs;
		/* A timer or wake interrupt in user mode is where threads sharing a vCPU switch. */
		if (r->vector == TIMER_VECTOR || r->vector == WAKE_VECTOR)
			sched_interrupt_from_user(r);
	}
}
