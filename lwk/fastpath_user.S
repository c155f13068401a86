/* The fast path's user-mode handler (docs/lwk.md "The fast path for system calls"). The
 * kernel copies these bytes to FP_CODE_VA + FP_HANDLER_OFF; a rewritten site's
 * `call *%rax` slides into them with the system call number in %rax, the arguments in
 * place and the site's return address at (%rsp). Like `syscall`, the handler may change
 * %rax, %rcx and %r11 only; it keeps the flags too. Data comes from the read-only page at
 * FP_DATA_VA (absolute addresses: the code runs at a fixed place). */
#include "fastpath.h"

#define D(off) (FP_DATA_VA + (off))
#define W(off) (FP_RW_VA + (off))

/* One probe of the site table: %rcx is the site, %r11 the slot. */
.macro probe_site
	cmpq %rcx, D(FPD_SITES)(, %r11, 8)
	je 2f
	incl %r11d
	andl $(FP_SITES - 1), %r11d
.endm

	.section .rodata.fastpath, "a"
	.globl fastpath_user_start
fastpath_user_start:
	pushfq
	movq 8(%rsp), %rcx
	subq $2, %rcx			/* the site: where `call *%rax` starts */
	movq %rcx, %r11
	imulq D(FPD_HASH_MUL), %r11
	shrq $(64 - FP_SITE_BITS), %r11
	probe_site
	probe_site
	probe_site
	probe_site
	/* Not a rewritten site: the program called a small address (a NULL function pointer,
	 * say). The kernel reports the fault a native call would take, at %rax. */
	popfq
	.globl fp_not_a_site
fp_not_a_site:
	ud2

2:	cmpq $FP_NR_FUTEX, %rax
	je futex
	cmpq $FP_NR_BRK, %rax
	je brk
	cmpq $FP_NR_GETPID, %rax
	je getpid
	cmpq $FP_NR_GETPPID, %rax
	je getppid
	cmpq $FP_NR_SCHED_YIELD, %rax
	je yield
slow:
	popfq
	.globl fp_slow_syscall
fp_slow_syscall:
	syscall				/* the kernel returns to the site, not here */
	ud2

getpid:
	movl D(FPD_PID), %eax
	popfq
	ret

getppid:
	movl D(FPD_PPID), %eax
	popfq
	ret

/* With no vCPU shared by two threads there is nobody to yield to: the kernel would only
 * pause too. */
yield:
	cmpl $0, D(FPD_SHARED_VCPUS)
	jne slow
	pause
	xorl %eax, %eax
	popfq
	ret

/* brk (uvm.h "brk as the fast path's handler shares it"): with a break in [base, fast_hi]
 * (else the kernel has it, or the program spoiled it), an address below the base asks for
 * the break; one in [fast_lo, fast_hi] becomes the break by a cmpxchg from the break read
 * (a kernel turn in between makes it fail: the call goes to the kernel). The limits are
 * read again after it: if the kernel lowered them meanwhile the move is undone and the
 * kernel answers. Going up, the pages Linux would give anew are zeroed: from the old
 * break's page up to the new one's, as far as the highest break since they were zero. */
brk:
	movq W(FPW_BRK_CUR), %rcx
	cmpq D(FPD_BRK_BASE), %rcx
	jb slow
	cmpq D(FPD_BRK_FAST_HI), %rcx
	ja slow
	cmpq D(FPD_BRK_BASE), %rdi
	jb 9f
	cmpq D(FPD_BRK_FAST_LO), %rdi
	jb slow
	cmpq D(FPD_BRK_FAST_HI), %rdi
	ja slow
	movq %rcx, %rax
	lock cmpxchgq %rdi, W(FPW_BRK_CUR)
	jne 3f
	cmpq D(FPD_BRK_FAST_HI), %rdi
	ja 4f
	cmpq %rcx, %rdi
	jbe 8f
	pushq %rdi
	movq W(FPW_BRK_HW), %r11
	cmpq %rdi, %r11
	cmovaq %rdi, %r11		/* min(hw, new) */
	addq $4095, %r11
	andq $-4096, %r11
	leaq 4095(%rcx), %rdi
	andq $-4096, %rdi
	movq %r11, %rcx
	subq %rdi, %rcx
	jbe 1f
	xorl %eax, %eax
	cld				/* the flags are restored by popfq */
	rep stosb
1:	popq %rdi
	cmpq W(FPW_BRK_HW), %rdi
	jbe 8f
	movq %rdi, W(FPW_BRK_HW)
8:	incq W(FPW_BRK_MOVES)
	movq %rdi, %rax
	popfq
	ret
9:	movq %rcx, %rax
	popfq
	ret
4:	movq %rdi, %rax			/* undo, unless the kernel has taken it already */
	lock cmpxchgq %rcx, W(FPW_BRK_CUR)
3:	movl $FP_NR_BRK, %eax
	jmp slow

/* Futex calls on a word in the program's window, aligned (else the kernel answers):
 * FUTEX_WAKE and FUTEX_WAKE_BITSET with no waiter counted in the word's bucket have nobody
 * to wake: 0. FUTEX_WAIT and FUTEX_WAIT_BITSET without a timeout (its checks are the
 * kernel's): a word that differs, or changes within a short spin while no vCPU is shared,
 * is EAGAIN, the answer of a waiter that reached the kernel after the change. */
futex:
	movq %rdi, %rcx
	subq D(FPD_UWIN_VA), %rcx
	jb slow
	cmpq D(FPD_UWIN_LAST), %rcx
	ja slow
	testb $3, %dil
	jnz slow
	movl %esi, %ecx
	andl $~0x80, %ecx		/* FUTEX_PRIVATE_FLAG */
	cmpl $1, %ecx			/* FUTEX_WAKE */
	je wake
	testl %ecx, %ecx		/* FUTEX_WAIT */
	je wait
	cmpl $10, %ecx			/* FUTEX_WAKE_BITSET */
	je wake_bitset
	cmpl $9, %ecx			/* FUTEX_WAIT_BITSET */
	je wait_bitset
	/* FUTEX_CLOCK_REALTIME is for absolute waits only; with anything else the kernel
	 * answers ENOSYS */
	cmpl $0x109, %ecx		/* FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME */
	jne slow
wait_bitset:
	testl %r9d, %r9d
	jz slow
	jmp wait
wake_bitset:
	testl %r9d, %r9d
	jz slow
wake:
	/* The program's store to the futex word must be visible before the waiter count is
	 * read: a waiter counts itself before it reads the word (futex.c). */
	lock orq $0, (%rsp)
	movq %rdi, %rcx
	shrq $2, %rcx
	andl $(FP_WAITER_BUCKETS - 1), %ecx
	cmpl $0, D(FPD_WAITERS)(, %rcx, 4)
	jne slow
	jmp 7f
wait:
	testq %r10, %r10
	jnz slow
	cmpl %edx, (%rdi)
	jne 6f
	cmpl $0, D(FPD_SHARED_VCPUS)
	jne slow
	movl $FP_WAIT_SPINS, %ecx
4:	pause
	cmpl %edx, (%rdi)
	jne 6f
	decl %ecx
	jnz 4b
	jmp slow
6:	movq $-11, %rax			/* EAGAIN */
	popfq
	ret
7:	xorl %eax, %eax
	popfq
	ret
	.globl fastpath_user_end
fastpath_user_end:
