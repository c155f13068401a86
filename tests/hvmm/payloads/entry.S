/* Every vCPU enters here in 64-bit mode: rdi = vCPU index, rsi = boot info, rsp = stack. */
	.section .text.entry, "ax"
	.globl _start
_start:
	and $-16, %rsp
	call payload_main
1:	hlt
	jmp 1b
	.section .note.GNU-stack, "", @progbits
