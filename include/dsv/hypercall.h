/* SPDX-License-Identifier: MIT */
/*
 * dsv hypercalls (docs/abi.md "Hypercalls").
 *
 * Synchronous call: the guest fills a struct dsv_hc in guest RAM (below 4 GiB, 64-byte
 * aligned), then executes `outl %eax, %dx` with %dx = DSV_HC_PORT and %eax = the block's
 * GPA. hvmm validates the block, performs the call and writes the result into ret before
 * the guest continues. ret >= 0 is success; ret < 0 is a negated Linux errno value.
 *
 * Notification (no reply, no exit to the VMM process): any write to DSV_NOTIFY_PORT is
 * consumed in the host kernel through an ioeventfd and wakes hvmm's housekeeping thread.
 */
#ifndef DSV_HYPERCALL_H
#define DSV_HYPERCALL_H

#include <stddef.h>
#include <stdint.h>

#define DSV_HC_PORT 0x0600u	/* 4 bytes wide: outl with the GPA of a struct dsv_hc */
#define DSV_NOTIFY_PORT 0x0604u /* any width: console-ring doorbell (ioeventfd) */
#define DSV_PORT_BASE 0x0600u	/* hvmm owns ports [DSV_PORT_BASE, DSV_PORT_END) */
#define DSV_PORT_END 0x0610u

#define DSV_HC_ALIGN 64u

/*
 * 64-byte aligned (and so 128 bytes long): an array of blocks, one per vCPU, keeps every
 * element aligned and no two vCPUs' blocks share a cache line.
 */
struct dsv_hc {
	_Alignas(DSV_HC_ALIGN) uint32_t nr; /* DSV_HC_* */
	uint32_t flags;			    /* must be 0 */
	uint64_t args[6];
	int64_t ret;	   /* written by hvmm */
	uint64_t reserved; /* must be 0 */
};

_Static_assert(sizeof(struct dsv_hc) % DSV_HC_ALIGN == 0, "dsv_hc blocks must tile aligned");
_Static_assert(sizeof(struct dsv_hc) == 128 && offsetof(struct dsv_hc, ret) == 56,
	       "dsv_hc layout (an ABI change)");

/* Core hypercalls. */
#define DSV_HC_NOP 0u		/* () -> 0; measures the round trip */
#define DSV_HC_CONSOLE_WRITE 1u /* (gpa, len) -> len; console: hvmm's stdout or --log */
#define DSV_HC_EXIT 2u		/* (status) -> does not return; ends the whole VM */
#define DSV_HC_LOG 3u		/* (gpa, len) -> len; kernel diagnostics: hvmm's stderr or --log */
#define DSV_HC_CONSOLE_RING 4u	/* (gpa, size) -> 0; register the console ring (struct dsv_ring) */
#define DSV_HC_ABORT 5u		/* (gpa, len) -> does not return; kernel panic with a message */
/* (gpa, apic_id, vector) -> 0: queued; -EAGAIN: make the call synchronously (below) */
#define DSV_HC_SUBMIT 6u
/* 7: DSV_HC_RING (dsv/hcring.h) */
/* (fd, offset, len, flags) -> GPA of the host file's pages (below), or -errno */
#define DSV_HC_MMAP_SHARED 8u
/* (gpa, len) -> 0: drops a DSV_HC_MMAP_SHARED mapping */
#define DSV_HC_MUNMAP_SHARED 9u

/*
 * Shared file mappings (docs/abi.md "Shared file mappings"): hvmm maps the regular file
 * behind guest descriptor fd MAP_SHARED and adds it to the VM as a memory slot at a GPA
 * above RAM, 2 MiB aligned; offset and len are page-aligned, len > 0, inside the file.
 * flags: DSV_SHM_WRITE for a writable mapping (else the slot is read-only). At most
 * DSV_SHM_MAX_MAPS mappings and DSV_SHM_MAX_BYTES bytes at a time per VM.
 */
#define DSV_SHM_WRITE 1u
#define DSV_SHM_MAX_MAPS 32u
#define DSV_SHM_MAX_BYTES (4ull << 30)

/*
 * Asynchronous calls: a file-offload call that may block (a read on a pipe, accept, poll)
 * while the calling vCPU has other work. The guest fills a struct dsv_hc (flags 0) at gpa
 * and submits it with DSV_HC_SUBMIT; hvmm copies it and returns at once. An hvmm worker
 * thread performs the call, writes ret, then sets flags to DSV_HC_F_DONE (release order),
 * then sends an MSI with vector (32..255) to the vCPU whose APIC ID is apic_id. The guest
 * must leave the block alone until it sees DSV_HC_F_DONE. -EAGAIN: every worker is busy
 * (DSV_HC_ASYNC_MAX calls in flight per VM); the guest makes the call synchronously.
 */
#define DSV_HC_F_DONE 1u
#define DSV_HC_ASYNC_MAX 8u

/*
 * File offload. Paths and buffers are passed as GPA + length; every one is
 * checked against guest RAM by hvmm. Numbers from 0x100 on; defined in dsv/fileio.h.
 */
#define DSV_HC_FILE_BASE 0x100u

#define DSV_HC_MAX_IO (1u << 20) /* largest single transfer hvmm accepts */

/*
 * Console ring: a single-producer (guest) single-consumer (hvmm) byte ring in guest RAM.
 * head is written by the guest only, tail by hvmm only; both count bytes modulo 2^32 and
 * size is a power of two. The guest rings DSV_NOTIFY_PORT after advancing head.
 */
struct dsv_ring {
	volatile uint32_t head;
	volatile uint32_t tail;
	uint32_t size; /* bytes in data[], power of two, >= 64 */
	uint32_t reserved;
	uint8_t data[];
};

_Static_assert(sizeof(struct dsv_ring) == 16, "dsv_ring layout (an ABI change)");

#endif
