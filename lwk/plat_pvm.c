/* kvm_pvm: the guest kernel runs at hardware CPL3 and the host virtualizes privilege.
 * - The effective interrupt flag is vif->if_; RFLAGS.IF does not gate delivery. An
 *   interrupt that arrived while if_ was 0 is flagged in vif->pending and needs a trapping
 *   instruction (sti) after if_ = 1 to be delivered.
 * - iretq to user mode must use a CS the host GDT does not know (USER_CS_ALT), so that
 *   the #GP makes the host emulate the return (a plain iretq would leave the host
 *   believing the vCPU is still in kernel mode).
 * - CR2 is written into the VIF page (DSV_PVM_VIF_CR2_CELL), cheaper than mov %cr2. */
#include "plat.h"

const struct platform *plat = &plat_hw;

static void pvm_init_cpu(struct cpu *c)
{
	if (!c->vif)
		panic("PVM platform without a VIF page");
	c->vif->if_ = 0;
}

static void pvm_halt(struct cpu *c)
{
	volatile struct dsv_pvm_vif *vif = c->vif;
	vif->if_ = 1;
	__asm__ volatile("" ::: "memory");
	if (vif->pending)
		__asm__ volatile("sti" ::: "memory");
	__asm__ volatile(".globl plat_hlt_insn\nplat_hlt_insn: hlt" ::: "memory");
	vif->if_ = 0;
}

static uint64_t pvm_fault_addr(struct cpu *c)
{
	return ((volatile struct dsv_pvm_vif *)c->vif)->cr2;
}

const struct platform plat_pvm = {
	.name = "pvm",
	.init_cpu = pvm_init_cpu,
	.halt = pvm_halt,
	.fault_addr = pvm_fault_addr,
	.user_iret_cs = USER_CS_ALT,
};
