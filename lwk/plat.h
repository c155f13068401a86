/* The CPU platform interface: the only place the kernel differs between kvm_pvm and
 * hardware virtualization (docs/platform.md, docs/lwk.md). */
#ifndef LWK_PLAT_H
#define LWK_PLAT_H

#include "cpu.h"

struct platform {
	const char *name;
	void (*init_cpu)(struct cpu *c); /* on the vCPU itself, after its tables are loaded */
	/* Enables interrupts, halts until one arrives, disables them again. An interrupt
	 * that lands before the hlt makes the handler skip it (idle_hlt_fixup). */
	void (*halt)(struct cpu *c);
	uint64_t (*fault_addr)(struct cpu *c); /* CR2 of the last #PF */
	uint16_t user_iret_cs;		       /* CS for iretq back to user mode */
};

extern const struct platform *plat;
extern const struct platform plat_pvm, plat_hw;

/* Address of the hlt instruction in the halt routines; see trap.c. */
extern char plat_hlt_insn[];

#endif
