/* Descriptor tables and the SYSCALL MSRs of one vCPU. */
#include "cpu.h"
#include "x86.h"
#include "plat.h"

struct cpu *cpus[DSV_MAX_VCPUS];
uint32_t nr_cpus;
bool percpu_mapped;

struct idt_gate {
	uint16_t off0, sel;
	uint8_t ist, type;
	uint16_t off1;
	uint32_t off2, reserved;
} __attribute__((packed));

static struct idt_gate idt[256] __attribute__((aligned(16)));

void idt_init(void)
{
	for (int v = 0; v < 256; v++) {
		uint64_t a = trap_stubs[v];
		idt[v] = (struct idt_gate){
			.off0 = (uint16_t)a,
			.sel = KERNEL_CS,
			.ist = 0,
			/* int3 and into may be raised from user mode (DPL 3); all are interrupt gates */
			.type = (v == 3 || v == 4) ? 0xee : 0x8e,
			.off1 = (uint16_t)(a >> 16),
			.off2 = (uint32_t)(a >> 32),
		};
	}
}

static void load_tables(struct cpu *c)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) gdtr = { sizeof c->gdt - 1, (uint64_t)c->gdt },
				  idtr = { sizeof idt - 1, (uint64_t)idt };
	__asm__ volatile("lgdt %0" : : "m"(gdtr));
	__asm__ volatile("pushq %[cs]\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movl %[ds], %%eax\n\t"
			 "movl %%eax, %%ds\n\t"
			 "movl %%eax, %%es\n\t"
			 "movl %%eax, %%ss\n\t"
			 "xorl %%eax, %%eax\n\t"
			 "movl %%eax, %%fs\n\t"
			 "movl %%eax, %%gs\n\t"
			 :
			 : [cs] "i"(KERNEL_CS), [ds] "i"(KERNEL_DS)
			 : "rax", "memory");
	__asm__ volatile("ltr %w0" : : "r"(TSS_SEL));
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

void cpu_init_tables(struct cpu *c)
{
	c->gdt[0] = 0;
	c->gdt[1] = 0;
	c->gdt[2] = 0x00af9a000000ffffull; /* 0x10 kernel code, 64-bit */
	c->gdt[3] = 0x00cf92000000ffffull; /* 0x18 kernel data */
	c->gdt[4] = 0x00cffa000000ffffull; /* 0x20 user code, 32-bit (unused, sysret layout) */
	c->gdt[5] = 0x00cff2000000ffffull; /* 0x28 user data */
	c->gdt[6] = 0x00affa000000ffffull; /* 0x30 user code, 64-bit */
	uint64_t t = (uint64_t)&c->tss, lim = sizeof c->tss - 1;
	c->gdt[7] = (lim & 0xffff) | ((t & 0xffffff) << 16) | (0x89ull << 40) |
		    (((t >> 24) & 0xff) << 56);
	c->gdt[8] = t >> 32; /* 0x38 TSS, 16 bytes */
	c->gdt[9] = 0;
	c->gdt[10] = 0x00affa000000ffffull; /* 0x50 user code, 64-bit: USER_CS_ALT */

	memset(&c->tss, 0, sizeof c->tss);
	c->tss.rsp[0] = c->idle_stack_top;
	c->tss.iomap_base = sizeof c->tss;

	load_tables(c);
	/* sysret: CS = 0x23 + 16 = 0x33, SS = 0x23 + 8 = 0x2b; syscall: CS 0x10, SS 0x18 */
	wrmsr(MSR_STAR, (0x23ull << 48) | ((uint64_t)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
	wrmsr(MSR_SFMASK, 0x47700); /* TF, IF, DF, IOPL, NT, AC */
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_GS_BASE, 0);
}
