/*
 * The bare guest's programs, assembled into the runner as data and copied into the guest
 * (supervisor programs at BARE_KCODE, the user program at BARE_UCODE). Each starts in
 * 64-bit supervisor mode with %rdi = warm-up iterations and %rsi = timed iterations (both
 * at least 1), writes 1 to the start cell before the timed loop and the number of timed
 * iterations it ran to the done cell after it; both cells lie where no memory is, so each
 * write is one exit to the runner, which times the span between them.
 */
#include "bare_layout.h"

/*
 * insn, %rdi times untimed (warm-up), then %rsi times between the start and done marks; the
 * done cell gets the count. %r9, %r10 and %rbx are the macro's.
 */
.macro TIMED insn:vararg
	movq %rdi, %r9
1:	\insn
	decq %r9
	jnz 1b
	movq $BARE_MARK, %rbx
	movl $1, BARE_MARK_START(%rbx)
	xorl %r10d, %r10d
	movq %rsi, %r9
2:	\insn
	incq %r10
	decq %r9
	jnz 2b
	movl %r10d, BARE_MARK_DONE(%rbx)
.endm

	.section .rodata, "a"
	.code64

/* Exit floor: port writes, each a full exit to the runner and back. */
	.globl ovh_guest_exit, ovh_guest_exit_end
ovh_guest_exit:
	TIMED outb %al, $BARE_PORT
3:	hlt
	jmp 3b
ovh_guest_exit_end:

/*
 * Trap floor: rdmsr of IA32_APIC_BASE. It traps on every kind of host (at hardware CPL3
 * under PVM every rdmsr faults; VT-x and SVM intercept this MSR, which KVM passes through
 * to neither) and KVM answers it in the kernel, without an exit to the runner.
 */
	.globl ovh_guest_trap, ovh_guest_trap_end
ovh_guest_trap:
	movl $BARE_MSR_APICBASE, %ecx	/* rdmsr leaves %ecx as it is */
	TIMED rdmsr
3:	hlt
	jmp 3b
ovh_guest_trap_end:

/*
 * Syscall floor, supervisor half: STAR, LSTAR and SFMASK as the lwk sets them, then into
 * user mode with sysretq (the only way in that PVM sees, docs/platform.md). The syscall
 * entry does nothing but return: %rcx and %r11 still hold the user's RIP and RFLAGS.
 */
	.globl ovh_guest_sys, ovh_guest_sys_end
ovh_guest_sys:
	movl $BARE_MSR_STAR, %ecx
	xorl %eax, %eax
	movl $((BARE_STAR_USER << 16) | BARE_KERNEL_CS), %edx
	wrmsr
	movl $BARE_MSR_LSTAR, %ecx
	movl $(BARE_KCODE + (sys_entry - ovh_guest_sys)), %eax
	xorl %edx, %edx
	wrmsr
	movl $BARE_MSR_SFMASK, %ecx
	movl $BARE_SFMASK, %eax
	xorl %edx, %edx
	wrmsr
	movq $BARE_UCODE, %rcx
	movq $0x202, %r11	/* IF set, as the lwk's user mode */
	movq $BARE_USTACK, %rsp
	sysretq
	.balign 16
sys_entry:
	sysretq
ovh_guest_sys_end:

/* Syscall floor, user half (CPL3): syscall round trips; %rdi and %rsi as above. */
	.globl ovh_guest_user, ovh_guest_user_end
ovh_guest_user:
	TIMED syscall
3:	pause
	jmp 3b
ovh_guest_user_end:

	.section .note.GNU-stack, "", @progbits
