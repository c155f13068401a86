/* Kernel entry points: hvmm's 64-bit entry, SYSCALL, exceptions and interrupts, and the
 * two ways back to user mode (sysretq; iretq for traps, see plat_*.c for the CS rule). */
#define PERCPU_VA        0xffffffffffe00000
#define PCPU_KSTACK      (PERCPU_VA + 0)
#define PCPU_USER_RSP    (PERCPU_VA + 8)
#define USER_CS 0x33
#define USER_DS 0x2b

	.section .text.entry, "ax"
	.code64
/* hvmm: every vCPU starts here; rdi = vCPU index, rsi = boot info GPA, rsp = boot stack. */
	.globl _start
_start:
	cld
	xorl %ebp, %ebp
	call boot_entry
1:	hlt
	jmp 1b

	.text
/* switch_stack(rsp, fn, arg): runs fn(arg) on a new stack; fn never returns. */
/* switch_to(cr3, rsp, fn, arg): new page tables and stack at once (the boot stack hvmm
 * gave us is identity-mapped, which the kernel's own tables are not). */
	.globl switch_to
switch_to:
	movq %rdi, %cr3
	movq %rsi, %rsp
	movq %rcx, %rdi
	xorl %ebp, %ebp
	pushq $0
	jmp *%rdx

	.globl switch_stack
switch_stack:
	movq %rdi, %rsp
	xorl %ebp, %ebp
	movq %rdx, %rdi
	pushq $0
	jmp *%rsi

.macro PUSH_GPRS
	pushq %rax
	pushq %rbx
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %rbp
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro POP_GPRS
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rbp
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rbx
	popq %rax
.endm

/* SYSCALL: rcx = user rip, r11 = user rflags, rsp still the user's. Interrupts are off
 * (SFMASK clears IF; on PVM the VIF stays clear in the kernel). */
	.globl syscall_entry
syscall_entry:
	movq %rsp, PCPU_USER_RSP
	movq PCPU_KSTACK, %rsp
	pushq $USER_DS
	pushq PCPU_USER_RSP
	pushq %r11
	pushq $USER_CS
	pushq %rcx
	pushq $0                 /* error */
	pushq $-1                /* vector: -1 marks a syscall frame */
	PUSH_GPRS
	movq %rsp, %rdi
	call syscall_dispatch
	jmp sysret_to_user

/* enter_user(regs): leaves the kernel through sysretq with the registers in *regs. */
	.globl enter_user
enter_user:
	movq %rdi, %rsp
sysret_to_user:
	POP_GPRS
	addq $16, %rsp           /* vector, error */
	popq %rcx                /* rip */
	addq $8, %rsp            /* cs */
	popq %r11                /* rflags */
	popq %rsp                /* user rsp; ss stays behind on the kernel stack */
	sysretq

/* iret_to_user(regs): back to user mode through iretq with the registers in *regs (a
 * thread that was preempted in user mode; regs->cs follows the platform's rule). */
	.globl iret_to_user
iret_to_user:
	movq %rdi, %rsp
	POP_GPRS
	addq $16, %rsp           /* vector, error */
	iretq

/* context_switch(save_ksp, ksp, prev): saves the callee-saved registers and the stack
 * pointer in *save_ksp (unless NULL), continues the context saved at ksp and returns prev
 * there. A new context (sched.c new_context) returns into one of the trampolines. */
	.globl context_switch
context_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	testq %rdi, %rdi
	jz 1f
	movq %rsp, (%rdi)
1:	movq %rsi, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	movq %rdx, %rax
	ret

	.globl thread_trampoline
thread_trampoline:
	movq %rax, %rdi
	call thread_first_run

	.globl idle_trampoline
idle_trampoline:
	movq %rax, %rdi
	call idle_first_run

/* Exceptions and interrupts: one stub per vector pushes a dummy error code where the CPU
 * does not, then the vector number. */
trap_common:
	cld
	PUSH_GPRS
	movq %rsp, %rdi
	call trap_dispatch
	POP_GPRS
	addq $16, %rsp
	iretq

	.section .rodata
	.align 8
	.globl trap_stubs
trap_stubs:
	.text
	.align 16
.set vec, 0
.rept 256
	.align 16
1:
	.if (vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	.else
	pushq $0
	.endif
	pushq $vec
	jmp trap_common
	.section .rodata
	.quad 1b
	.text
.set vec, vec + 1
.endr
