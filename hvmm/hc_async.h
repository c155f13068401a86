/*
 * Asynchronous hypercalls (DSV_HC_SUBMIT, docs/abi.md): a fixed pool of worker threads
 * performs file-offload calls that may block, so that the guest's vCPU runs other threads
 * meanwhile. A call is accepted only when an idle worker is free to take it, so no call
 * ever waits behind a blocked one. Free of KVM: the completion interrupt is a callback.
 */
#ifndef HVMM_HC_ASYNC_H
#define HVMM_HC_ASYNC_H

#include <pthread.h>
#include <stdint.h>

#include "dsv/hypercall.h"
#include "file_offload.h"
#include "guest_mem.h"

/* Interrupts the vCPU with this APIC ID with vector; returns 0 or -errno. */
typedef int (*hc_async_wake_fn)(void *opaque, uint32_t apic_id, uint32_t vector);

struct hc_async_job {
	struct dsv_hc call; /* hvmm's copy: the guest may rewrite its block meanwhile */
	struct dsv_hc *blk; /* where ret and DSV_HC_F_DONE go */
	uint32_t apic_id, vector;
	int ring; /* from the offload ring: the guest's wake word says whom to interrupt */
};

struct hc_async {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct hc_async_job queue[DSV_HC_ASYNC_MAX];
	unsigned head, count; /* queued jobs */
	unsigned idle;	      /* workers waiting for a job */
	int stopping;
	struct fileio *fio;
	const struct guest_mem *gm;
	uint32_t nr_apic_ids; /* valid APIC IDs: 0 .. nr_apic_ids - 1 */
	hc_async_wake_fn wake;
	void *wake_opaque;
};

void hc_async_init(struct hc_async *a, struct fileio *fio, const struct guest_mem *gm,
		   uint32_t nr_apic_ids, hc_async_wake_fn wake, void *wake_opaque);

/*
 * Queues the call in the checked copy *call (block blk in guest RAM). Returns 0, -EAGAIN
 * when no idle worker can take it now, -EINVAL for a bad APIC ID or vector.
 */
int hc_async_submit(struct hc_async *a, struct dsv_hc *blk, const struct dsv_hc *call,
		    uint32_t apic_id, uint32_t vector);

/* The same for a call from the offload ring (hc_ring.c): no interrupt but the one the
 * guest asks for in its block's wake word. 0 or -EAGAIN. */
int hc_async_submit_ring(struct hc_async *a, struct dsv_hc *blk, const struct dsv_hc *call);

/*
 * Completes a ring call (docs/abi.md "The offload ring"): ret, then flags | DSV_HC_F_DONE
 * (release), a full fence, then the guest's wake word: when it asks for an interrupt, one
 * to a valid APIC ID (below nr_apic_ids) with a vector of 32-255. Returns 0, -EINVAL for a
 * bad wake word (nothing sent), or wake's error.
 */
int hc_async_complete_ring(struct dsv_hc *blk, int64_t ret, uint32_t flags, uint32_t nr_apic_ids,
			   hc_async_wake_fn wake, void *wake_opaque);

/* A worker's loop (run on a thread of the caller's making); returns after hc_async_stop. */
void hc_async_run(struct hc_async *a);
void hc_async_stop(struct hc_async *a);

#endif
