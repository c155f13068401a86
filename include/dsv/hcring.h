/* SPDX-License-Identifier: MIT */
/*
 * The offload ring (docs/abi.md "The offload ring"): exitless file and descriptor calls.
 *
 * The guest registers one ring per VM with DSV_HC_RING(gpa, slots). Each slot holds the GPA
 * of a struct dsv_hc that carries one call (nr DSV_HC_NOP or a file call, flags 0). The
 * guest fills a free slot, then advances head; an hvmm proxy thread takes slots in order,
 * copies each block, performs the call (short ones itself, ones that may block on a worker
 * thread), writes ret and then DSV_HC_F_DONE into flags (release order).
 *
 * The proxy spins while calls come and sleeps when idle: it sets `sleeping` first and then
 * looks at head once more. A guest that advanced head and then reads `sleeping` != 0 (with
 * a full fence between, on both sides) writes DSV_RING_DOORBELL_PORT, which a KVM
 * ioeventfd turns into a wake-up in the host kernel: no exit to hvmm.
 *
 * Waiting: the guest may spin on flags. To be interrupted instead, it stores
 * DSV_HC_WAKE(apic_id, vector) into the block's `reserved` word, fences, and reads flags
 * again; hvmm stores DSV_HC_F_DONE, fences, and reads `reserved`: one of the two sees the
 * other, so no wake-up is lost (at worst a spare interrupt). DSV_HC_F_RETRY with
 * DSV_HC_F_DONE: hvmm did not make the call (every worker busy with a call that may block);
 * the guest makes it through DSV_HC_PORT instead.
 */
#ifndef DSV_HCRING_H
#define DSV_HCRING_H

#include <stdint.h>

#include "fileio.h"
#include "hypercall.h"

#define DSV_HC_RING 7u		       /* (gpa, slots) -> 0; -ENOSYS: none (--offload exit) */
#define DSV_RING_DOORBELL_PORT 0x0608u /* any width: wakes the sleeping proxy (ioeventfd) */
#define DSV_RING_MIN_SLOTS 8u	       /* slots: a power of two in [MIN, MAX] */
#define DSV_RING_MAX_SLOTS 4096u
#define DSV_HC_F_RETRY 2u	    /* with DSV_HC_F_DONE: not made; call through the port */
#define DSV_HC_WAKE_ON (1ull << 63) /* `reserved` of a ring call: interrupt me when done */
#define DSV_HC_WAKE(apic_id, vector) \
	(DSV_HC_WAKE_ON | ((uint64_t)(uint32_t)(apic_id) << 8) | (uint8_t)(vector))

/* Header and slots, 64-byte aligned, wholly in guest RAM; hvmm keeps the slot count given
 * at registration and never reads tail back. Indices are free-running modulo 2^32. */
struct dsv_hc_ring {
	volatile uint32_t head;	    /* written by the guest: slots filled */
	uint32_t pad0[15];	    /* head and tail on separate cache lines */
	volatile uint32_t tail;	    /* written by hvmm: slots taken (free again) */
	volatile uint32_t sleeping; /* written by hvmm: 1 while the proxy sleeps */
	uint32_t pad1[14];
	volatile uint64_t slot[]; /* GPA of a 64-byte aligned struct dsv_hc */
};

_Static_assert(sizeof(struct dsv_hc_ring) == 128, "dsv_hc_ring layout (an ABI change)");

static inline uint64_t dsv_hc_ring_bytes(uint32_t slots)
{
	return sizeof(struct dsv_hc_ring) + (uint64_t)slots * 8;
}

/*
 * Calls that can wait for another thread or the network, by their arguments alone (poll
 * and epoll_wait only with a timeout). The lwk parks a thread that makes one while others
 * share its vCPU; hvmm hands one to a worker unless the descriptor is a regular file or
 * directory (or MSG_DONTWAIT), and hands on a few more that the arguments alone do not
 * show: an open without O_NONBLOCK, the close of a lingering socket (fileio_block.c).
 */
static inline int dsv_hc_may_block(uint32_t nr, const uint64_t args[6])
{
	switch (nr) {
	case DSV_HC_READ:
	case DSV_HC_WRITE:
	case DSV_HC_CONNECT:
	case DSV_HC_ACCEPT4:
	case DSV_HC_SENDMSG:
	case DSV_HC_RECVMSG:
		return 1;
	case DSV_HC_POLL:
		return args[2] != 0;
	case DSV_HC_SELECT:
		return args[4] != 0;
	case DSV_HC_EPOLL_WAIT:
		return (int32_t)args[3] != 0;
	default:
		return 0;
	}
}

#endif
