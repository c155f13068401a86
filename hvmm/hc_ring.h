/*
 * The offload ring's consumer (docs/abi.md "The offload ring"): takes the guest's calls
 * from its submission ring, runs short ones at once and hands ones that may block to the
 * DSV_HC_SUBMIT workers. Free of KVM (the completion interrupt is a callback) and of
 * threads (hc_proxy.c loops over it), so it can be unit-tested and fuzzed.
 */
#ifndef HVMM_HC_RING_H
#define HVMM_HC_RING_H

#include <stdatomic.h>
#include <stdint.h>

#include "dsv/hcring.h"
#include "file_offload.h"
#include "guest_mem.h"
#include "hc_async.h"

enum hc_ring_reject {
	RING_REJ_FLOOD, /* head more than the ring's slots ahead: all skipped */
	RING_REJ_BLOCK, /* a slot's GPA misaligned or outside RAM: no answer possible */
	RING_REJ_CALL,	/* flags not 0, or not NOP / a file call: -EINVAL */
	RING_REJ_WAKE,	/* a wake word with a bad APIC ID or vector: no interrupt */
	RING_REJ_COUNT
};

struct hc_ring {
	const struct guest_mem *gm;
	struct fileio *fio;	/* NULL: file calls answer -ENOSYS */
	struct hc_async *async; /* NULL: calls that may block answer DSV_HC_F_RETRY */
	uint32_t nr_apic_ids;
	hc_async_wake_fn wake;
	void *wake_opaque;
	int kick_fd; /* eventfd written when the ring is registered (-1: none) */

	atomic_int state; /* 0 none, 1 being registered, 2 registered */
	struct dsv_hc_ring *hdr;
	uint32_t slots; /* from the registration; never re-read from the guest */
	uint32_t tail;	/* the proxy's own: hdr->tail is a copy for the guest */

	atomic_ulong calls, inline_calls, handed, retried, sleeps;
	atomic_ulong rejected[RING_REJ_COUNT];
	atomic_uint logged; /* bit per reason: reported once */
};

void hc_ring_init(struct hc_ring *r, const struct guest_mem *gm, struct fileio *fio,
		  struct hc_async *async, uint32_t nr_apic_ids, hc_async_wake_fn wake,
		  void *wake_opaque, int kick_fd);

/* DSV_HC_RING: 0, -EINVAL (slots, alignment), -EFAULT (outside RAM), -EBUSY (again). */
int hc_ring_register(struct hc_ring *r, uint64_t gpa, uint64_t slots);

/* Takes every call queued now (at most the ring's slots); returns how many entries it
 * took (a flood counts as one). Single consumer: one thread only. */
unsigned hc_ring_poll(struct hc_ring *r);

/* True when the guest has queued calls hc_ring_poll has not taken. */
int hc_ring_pending(const struct hc_ring *r);

/* The proxy publishes that it sleeps (1) or polls (0). */
void hc_ring_set_sleeping(struct hc_ring *r, int sleeping);

const char *hc_ring_reject_name(enum hc_ring_reject why);

#endif
