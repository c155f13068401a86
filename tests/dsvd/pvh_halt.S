# A tiny PVH guest for dsvd's commodity-VM tests (QEMU/libvirt direct kernel boot).
# 32-bit PVH entry -> long mode (emulated under PVM, a few hundred instructions) -> opts in to
# native PVM supervisor mode (wrmsr 0x4b564d10, see docs/platform.md) -> prints one line
# on COM1 -> halts forever with interrupts off, so it costs no CPU while the test runs.
.section .text
.code32
.globl _start
_start:
    cli
    # page tables: PML4 0x10000 -> PDPT 0x11000 -> PD 0x12000 (512 x 2 MiB identity)
    movl $0x10000, %edi
    xorl %eax, %eax
    movl $(3*4096/4), %ecx
    rep stosl
    movl $0x11007, 0x10000
    movl $0x12007, 0x11000
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $0x87, %eax
    movl %eax, 0x12000(,%ecx,8)
    incl %ecx
    cmpl $512, %ecx
    jne 1b
    movl $0x10000, %eax
    movl %eax, %cr3
    movl %cr4, %eax
    orl $0x20, %eax          # PAE
    movl %eax, %cr4
    movl $0xC0000080, %ecx
    rdmsr
    orl $0x100, %eax         # LME
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax    # PG|PE
    movl %eax, %cr0
    lgdt gdtr
    ljmp $0x08, $long_mode
.code64
long_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %ss
    movq $0x80000, %rsp
    # opt in to native PVM supervisor mode: VIF page at 0x14000 (ignored without PVM)
    movl $0x4b564d10, %ecx
    movl $0x14000, %eax
    xorl %edx, %edx
    wrmsr
    leaq message(%rip), %rsi
    movw $0x3f8, %dx
2:  lodsb
    testb %al, %al
    jz 3f
    outb %al, %dx
    jmp 2b
3:  cli
    hlt
    jmp 3b
message:
    .asciz "dsv-pvh-guest: up\n"
.align 16
gdt:
    .quad 0
    .quad 0x00af9a000000ffff   # 0x08 64-bit code
    .quad 0x00cf92000000ffff   # 0x10 data
gdtr:
    .word 23
    .long gdt
.section .note.Xen, "a", @note
.align 4
.long 4, 4, 18
.asciz "Xen"
.long _start
