/* SPDX-License-Identifier: MIT */
/*
 * dsv host/guest ABI: version and shared constants.
 * Included by hvmm (host, hosted C11) and by the lwk and test payloads (freestanding C11),
 * so it may use only fixed-width integer types, offsetof and no libc.
 * Documented in docs/abi.md; bump DSV_ABI_VERSION on any incompatible change.
 */
#ifndef DSV_ABI_H
#define DSV_ABI_H

#include <stddef.h>
#include <stdint.h>

#define DSV_ABI_VERSION 1u

/* Limits shared by both sides. */
#define DSV_MAX_VCPUS 64u
#define DSV_MAX_MEM_RANGES 16u
#define DSV_CMDLINE_MAX 4096u

/* Platform kinds passed in the boot info (struct dsv_bootinfo.platform). */
#define DSV_PLATFORM_HW 1u  /* hardware VT-x/SVM: ordinary IDT/TSS/SYSCALL, iretq works */
#define DSV_PLATFORM_PVM 2u /* kvm_pvm: see docs/abi.md "PVM" */

/*
 * Under QEMU (PVH boot) the lwk ends its status log (a debugcon of its own on port
 * DSV_QEMU_STATUS_PORT, apart from the 0xe9 one that carries stderr) with this text and its
 * exit status in decimal, then exits through isa-debug-exit: a libvirt user (dsvd) never
 * sees QEMU's exit code, so it reads the status from that log (docs/abi.md). Its own port,
 * so that the status never lands in the middle of the program's output.
 */
#define DSV_QEMU_STATUS_PORT 0x402
#define DSV_QEMU_EXIT_LINE "dsv-guest-exit-status: "
/* ... and starts it with this line, so that a log without the exit line means "killed". */
#define DSV_QEMU_BOOT_LINE "dsv-guest: the exit status follows at the end of this log"

/* kvm_pvm: the MSR that opts a guest in to native supervisor mode (docs/abi.md). */
#define DSV_PVM_MSR_VIF 0x4b564d10u
#define DSV_PVM_VIF_CR2_CELL (1u << 4)	/* host writes CR2 at VIF+8 on a #PF */
#define DSV_PVM_VIF_HOST_SET (1u << 10) /* required when the VMM (not the guest) writes it */

/* Layout of the 4 KiB PVM VIF page. */
struct dsv_pvm_vif {
	uint8_t if_;	 /* effective interrupt flag: 1 = interrupts may be delivered */
	uint8_t pending; /* host sets 1 when an interrupt waits while if_ == 0 */
	uint8_t pad[6];
	uint64_t cr2; /* faulting address of the last #PF (with DSV_PVM_VIF_CR2_CELL) */
};

/* The host writes these cells: their offsets are PVM's, not ours to choose. */
_Static_assert(offsetof(struct dsv_pvm_vif, pending) == 1 && offsetof(struct dsv_pvm_vif, cr2) == 8,
	       "PVM VIF page layout");

#endif
