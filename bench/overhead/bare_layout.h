/*
 * The bare guest's memory layout, shared by the host side (bare_vcpu.c) and the guest
 * programs (floors_guest.S). Guest-physical = guest-virtual (identity map, 2 MiB pages).
 */
#ifndef OVH_BARE_LAYOUT_H
#define OVH_BARE_LAYOUT_H

#define BARE_MEM 0x400000    /* 4 MiB of RAM in one memory slot */
#define BARE_GDT 0x1000	     /* GDT: the lwk's selectors (below) */
#define BARE_VIF 0x8000	     /* PVM's VIF page (docs/platform.md); unused elsewhere */
#define BARE_KCODE 0x10000   /* supervisor code: the first 2 MiB page, U bit clear */
#define BARE_PML4 0x20000    /* PML4, PDPT, PD on three pages from here */
#define BARE_KSTACK 0x100000 /* top of the supervisor stack (unused: no exceptions) */
#define BARE_UCODE 0x200000  /* user code: the second 2 MiB page, U bit set */
#define BARE_USTACK 0x3ff000 /* top of the user stack */
#define BARE_MARK 0x400000   /* third 2 MiB page: no memory behind it, so a write exits */
#define BARE_MARK_START 0    /* offset of the "timing starts" cell */
#define BARE_MARK_DONE 8     /* offset of the "timing ends" cell; the value is the count */
#define BARE_PORT 0xe0	     /* port of the exit probe */

/* Selectors, laid out as the lwk's (sysret needs user data at STAR+8, code at STAR+16). */
#define BARE_KERNEL_CS 0x10
#define BARE_KERNEL_DS 0x18
#define BARE_STAR_USER 0x23 /* sysretq: SS = 0x2b, CS = 0x33 (RPL 3) */
#define BARE_USER_CS 0x33

#define BARE_MSR_APICBASE 0x1b
#define BARE_MSR_STAR 0xc0000081
#define BARE_MSR_LSTAR 0xc0000082
#define BARE_MSR_SFMASK 0xc0000084
#define BARE_SFMASK 0x47700 /* TF, IF, DF, IOPL, NT, AC cleared on syscall, as the lwk */

#endif
