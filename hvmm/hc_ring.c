#include "hc_ring.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void hc_ring_init(struct hc_ring *r, const struct guest_mem *gm, struct fileio *fio,
		  struct hc_async *async, uint32_t nr_apic_ids, hc_async_wake_fn wake,
		  void *wake_opaque, int kick_fd)
{
	memset(r, 0, sizeof(*r));
	r->gm = gm;
	r->fio = fio;
	r->async = async;
	r->nr_apic_ids = nr_apic_ids;
	r->wake = wake;
	r->wake_opaque = wake_opaque;
	r->kick_fd = kick_fd;
}

const char *hc_ring_reject_name(enum hc_ring_reject why)
{
	static const char *const names[RING_REJ_COUNT] = {
		"head ran ahead of the ring (entries skipped)",
		"entry names a block misaligned or outside guest RAM",
		"call with flags set or not a file call",
		"wake word with a bad APIC ID or vector",
	};
	return why < RING_REJ_COUNT ? names[why] : "?";
}

static void reject(struct hc_ring *r, enum hc_ring_reject why)
{
	unsigned bit = 1u << why;

	atomic_fetch_add(&r->rejected[why], 1);
	if (!(atomic_fetch_or(&r->logged, bit) & bit))
		log_warn("guest offload ring: %s (reported once)", hc_ring_reject_name(why));
}

int hc_ring_register(struct hc_ring *r, uint64_t gpa, uint64_t slots)
{
	int expect = 0;
	struct dsv_hc_ring *hdr;
	uint64_t one = 1;

	if (slots < DSV_RING_MIN_SLOTS || slots > DSV_RING_MAX_SLOTS || (slots & (slots - 1)) ||
	    gpa % DSV_HC_ALIGN)
		return -EINVAL;
	hdr = gm_ptr(r->gm, gpa, dsv_hc_ring_bytes((uint32_t)slots));
	if (!hdr)
		return -EFAULT;
	if (!atomic_compare_exchange_strong(&r->state, &expect, 1))
		return -EBUSY;
	r->hdr = hdr;
	r->slots = (uint32_t)slots;
	r->tail = __atomic_load_n(&hdr->head, __ATOMIC_ACQUIRE);
	__atomic_store_n(&hdr->tail, r->tail, __ATOMIC_RELEASE);
	__atomic_store_n(&hdr->sleeping, 0, __ATOMIC_RELEASE);
	atomic_store_explicit(&r->state, 2, memory_order_release);
	/* The proxy sleeps until a ring exists: start it polling. */
	if (r->kick_fd >= 0 && write(r->kick_fd, &one, sizeof(one)) < 0)
		log_warn("cannot wake the offload proxy: %s", strerror(errno));
	return 0;
}

static int ready(const struct hc_ring *r)
{
	return atomic_load_explicit(&r->state, memory_order_acquire) == 2;
}

int hc_ring_pending(const struct hc_ring *r)
{
	return ready(r) && __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE) != r->tail;
}

void hc_ring_set_sleeping(struct hc_ring *r, int sleeping)
{
	if (!ready(r))
		return;
	__atomic_store_n(&r->hdr->sleeping, (uint32_t)sleeping, __ATOMIC_RELAXED);
	/* sleeping before head is read again, as the guest's head before sleeping is read */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Answers a ring call: ret, then DONE, then the interrupt the guest may have asked for. */
static void complete(struct hc_ring *r, struct dsv_hc *blk, int64_t ret, uint32_t flags)
{
	int rc = hc_async_complete_ring(blk, ret, flags, r->nr_apic_ids, r->wake, r->wake_opaque);

	if (rc == -EINVAL)
		reject(r, RING_REJ_WAKE);
}

static void take(struct hc_ring *r, uint64_t gpa)
{
	struct dsv_hc *blk = gm_ptr(r->gm, gpa, sizeof(*blk));
	struct dsv_hc call;
	int64_t ret;

	atomic_fetch_add(&r->calls, 1);
	if (!blk || gpa % DSV_HC_ALIGN) {
		reject(r, RING_REJ_BLOCK);
		return;
	}
	/* Copy once: the guest may rewrite its block while the call runs. */
	memcpy(&call, blk, sizeof(call));
	if (call.flags ||
	    (call.nr != DSV_HC_NOP && (call.nr < DSV_HC_FILE_BASE || call.nr > DSV_HC_FILE_LAST))) {
		reject(r, RING_REJ_CALL);
		complete(r, blk, -EINVAL, 0);
		return;
	}
	if (call.nr == DSV_HC_NOP) {
		atomic_fetch_add(&r->inline_calls, 1);
		complete(r, blk, 0, 0);
		return;
	}
	if (!r->fio) {
		complete(r, blk, -ENOSYS, 0);
		return;
	}
	if (fileio_call_inline(r->fio, r->gm, call.nr, call.args, &ret)) {
		atomic_fetch_add(&r->inline_calls, 1);
		complete(r, blk, ret, 0);
		return;
	}
	/* Never here: a call that waits would hold up every other call of the VM. */
	if (r->async && hc_async_submit_ring(r->async, blk, &call) == 0) {
		atomic_fetch_add(&r->handed, 1);
		return;
	}
	atomic_fetch_add(&r->retried, 1);
	complete(r, blk, -EAGAIN, DSV_HC_F_RETRY);
}

unsigned hc_ring_poll(struct hc_ring *r)
{
	uint32_t head, n;

	if (!ready(r))
		return 0;
	head = __atomic_load_n(&r->hdr->head, __ATOMIC_ACQUIRE);
	n = head - r->tail;
	if (!n)
		return 0;
	if (n > r->slots) {
		/* Not a ring any more: skip it all rather than read slots twice over. */
		reject(r, RING_REJ_FLOOD);
		r->tail = head;
		__atomic_store_n(&r->hdr->tail, r->tail, __ATOMIC_RELEASE);
		return 1;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t gpa =
			__atomic_load_n(&r->hdr->slot[r->tail & (r->slots - 1)], __ATOMIC_RELAXED);

		/* The slot is free once read: the guest may fill it while this call runs. */
		r->tail++;
		__atomic_store_n(&r->hdr->tail, r->tail, __ATOMIC_RELEASE);
		take(r, gpa);
	}
	return n;
}
