/* PVH entry (XEN_ELFNOTE_PHYS32_ENTRY) for QEMU/libvirt -kernel boots: 32-bit protected
 * mode, paging off, ebx = physical address of struct hvm_start_info. Every instruction
 * before the PVM opt-in (in pvh_main) runs emulated on kvm_pvm, so this does as little
 * as possible: static page tables (identity and kernel window for the first 1 GiB),
 * long mode, a jump to C. The entries are user-accessible (U=1) because kvm_pvm runs
 * guest supervisor code at hardware CPL3 and hangs on U=0 pages (see mm.c). */
#define KERNEL_VMA 0xffffffff80000000
#define PHYS(x) ((x) - KERNEL_VMA)

	.section .note.Xen, "a", @note
	.align 4
	.long 4, 4, 18            /* namesz, descsz, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long PHYS(pvh_start)
	.long 0                   /* QEMU reads the entry as 8 bytes */

	.section .text.pvh, "ax"
	.code32
	.globl pvh_start
pvh_start:
	cli
	cld
	movl %ebx, %esi
	xorl %edi, %edi           /* the boot vCPU */
	jmp pvh_long_mode

/* Application processors arrive here from the real-mode trampoline (pvh_smp.c), in
 * 32-bit protected mode with CS 0x08. */
	.globl pvh_ap32
pvh_ap32:
	movl $0x18, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	movl $1, %edi

pvh_long_mode:
	lgdt PHYS(pvh_gdtr)
	movl $PHYS(pvh_pml4), %eax
	movl %eax, %cr3
	movl $0x20, %eax          /* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx
	rdmsr
	orl $0x901, %eax          /* SCE, LME, NXE */
	wrmsr
	movl $0x80050033, %eax    /* PG, AM, WP, NE, ET, MP, PE */
	movl %eax, %cr0
	ljmp $0x10, $PHYS(pvh_long)

	.code64
pvh_long:
	movl $0x18, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	xorl %ebp, %ebp
	testl %edi, %edi
	jnz 2f
	movabsq $pvh_stack_top, %rsp
	movl %esi, %edi
	movabsq $pvh_main, %rax
	call *%rax
1:	hlt
	jmp 1b
2:	/* an AP: take the next index and its boot stack */
	movl $1, %eax
	lock xaddl %eax, pvh_next_ap(%rip)
	movl %eax, %edi
	leal 1(%rax), %ecx
	shlq $12, %rcx
	movabsq $pvh_ap_stacks, %rsp
	addq %rcx, %rsp
	movabsq $pvh_ap_main, %rax
	call *%rax
	jmp 1b

/* Real-mode trampoline, copied to PVH_TRAMPOLINE (below 1 MiB) and started by SIPI with
 * CS = PVH_TRAMPOLINE >> 4, IP = 0. The GDT pointer is patched in by pvh_smp.c. */
	.code16
	.globl pvh_tramp_start, pvh_tramp_end, pvh_tramp_gdtr
pvh_tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl pvh_tramp_gdtr - pvh_tramp_start
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	.byte 0x66, 0xea          /* ljmpl $0x08, $PHYS(pvh_ap32) */
	.long PHYS(pvh_ap32)
	.word 0x08
	.align 4
pvh_tramp_gdtr:
	.word 0
	.long 0
pvh_tramp_end:
	.code64

	.section .data.pvh, "aw"
	.align 16
	.globl pvh_gdtr
pvh_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff  /* 0x08 32-bit code, for the AP trampoline */
	.quad 0x00af9a000000ffff  /* 0x10 64-bit code */
	.quad 0x00cf92000000ffff  /* 0x18 data */
pvh_gdtr:
	.word pvh_gdtr - pvh_gdt - 1
	.long PHYS(pvh_gdt)

	.align 4096
pvh_pml4:
	.quad PHYS(pvh_pdpt_lo) + 7
	.fill 510, 8, 0
	.quad PHYS(pvh_pdpt_hi) + 7
pvh_pdpt_lo:
	.quad PHYS(pvh_pd) + 7
	.fill 511, 8, 0
pvh_pdpt_hi:
	.fill 510, 8, 0
	.quad PHYS(pvh_pd) + 7
	.quad 0
pvh_pd:
	.set i, 0
	.rept 512
	.quad (i << 21) | 0x87
	.set i, i + 1
	.endr

pvh_next_ap:
	.long 1                   /* vCPU index of the next AP to arrive */

	.section .bss.pvh, "aw", @nobits
	.align 4096
pvh_ap_stacks:                    /* 4 KiB boot stack per AP, index 1 at the bottom */
	.skip 4096 * 64
	.align 16
pvh_stack:
	.skip 16384
pvh_stack_top:
