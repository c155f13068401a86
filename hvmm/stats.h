/* Counters for --stats: exits by reason, time in guest and in hvmm, memory, pinning. */
#ifndef HVMM_STATS_H
#define HVMM_STATS_H

#include <stdint.h>
#include <stdio.h>

enum exit_kind {
	EXK_HYPERCALL, /* port I/O to DSV_HC_PORT */
	EXK_IO_OTHER,  /* any other port */
	EXK_MMIO,
	EXK_HLT,
	EXK_INTR, /* KVM_RUN interrupted by a signal */
	EXK_SHUTDOWN,
	EXK_INTERNAL,
	EXK_OTHER,
	EXK_COUNT
};

struct vcpu_stats {
	uint64_t exits[EXK_COUNT];
	uint64_t ns_in_guest; /* inside KVM_RUN */
	uint64_t ns_in_hvmm;  /* handling exits between KVM_RUNs */
};

struct vm_times {
	uint64_t ns_start;     /* CLOCK_MONOTONIC at main() */
	uint64_t ns_first_run; /* just before vCPU 0's first KVM_RUN */
	uint64_t ns_exit;      /* when the VM ended */
	double populate_ms;
};

const char *exit_kind_name(enum exit_kind k);
uint64_t now_ns(void);

struct vm;
/* Prints the stats for vm to f, as text or one JSON object. */
void stats_print(FILE *f, const struct vm *vm, int json);

#endif
