/* Hardware VT-x/SVM: an ordinary x86-64 machine. */
#include "plat.h"

static void hw_init_cpu(struct cpu *c)
{
	(void)c;
}

/* sti's one-instruction shadow makes sti;hlt atomic: no wakeup can slip in between. */
static void hw_halt(struct cpu *c)
{
	(void)c;
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static uint64_t hw_fault_addr(struct cpu *c)
{
	(void)c;
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

const struct platform plat_hw = {
	.name = "hw",
	.init_cpu = hw_init_cpu,
	.halt = hw_halt,
	.fault_addr = hw_fault_addr,
	.user_iret_cs = USER_CS,
};
