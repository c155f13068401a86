#include "hc_async.h"

#include <errno.h>
#include <string.h>

#include "dsv/hcring.h"
#include "log.h"

void hc_async_init(struct hc_async *a, struct fileio *fio, const struct guest_mem *gm,
		   uint32_t nr_apic_ids, hc_async_wake_fn wake, void *wake_opaque)
{
	memset(a, 0, sizeof(*a));
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->fio = fio;
	a->gm = gm;
	a->nr_apic_ids = nr_apic_ids;
	a->wake = wake;
	a->wake_opaque = wake_opaque;
}

static int queue(struct hc_async *a, struct dsv_hc *blk, const struct dsv_hc *call,
		 uint32_t apic_id, uint32_t vector, int ring)
{
	int rc = 0;

	pthread_mutex_lock(&a->lock);
	/* Each queued job has an idle worker of its own: none waits behind a blocked call. */
	if (a->stopping || a->count >= a->idle) {
		rc = -EAGAIN;
	} else {
		struct hc_async_job *j = &a->queue[(a->head + a->count) % DSV_HC_ASYNC_MAX];

		j->call = *call;
		j->blk = blk;
		j->apic_id = apic_id;
		j->vector = vector;
		j->ring = ring;
		a->count++;
		pthread_cond_signal(&a->cond);
	}
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int hc_async_submit(struct hc_async *a, struct dsv_hc *blk, const struct dsv_hc *call,
		    uint32_t apic_id, uint32_t vector)
{
	if (apic_id >= a->nr_apic_ids || vector < 32 || vector > 255)
		return -EINVAL;
	return queue(a, blk, call, apic_id, vector, 0);
}

int hc_async_submit_ring(struct hc_async *a, struct dsv_hc *blk, const struct dsv_hc *call)
{
	return queue(a, blk, call, 0, 0, 1);
}

int hc_async_complete_ring(struct dsv_hc *blk, int64_t ret, uint32_t flags, uint32_t nr_apic_ids,
			   hc_async_wake_fn wake, void *wake_opaque)
{
	uint64_t w;
	uint32_t apic_id;

	__atomic_store_n(&blk->ret, ret, __ATOMIC_RELAXED);
	__atomic_store_n(&blk->flags, flags | DSV_HC_F_DONE, __ATOMIC_RELEASE);
	/* DONE before the wake word is read, as the guest's wake word before DONE is read:
	 * one of the two sees the other, so no wake-up is lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	w = __atomic_load_n(&blk->reserved, __ATOMIC_RELAXED);
	if (!(w & DSV_HC_WAKE_ON))
		return 0;
	apic_id = (uint32_t)(w >> 8);
	if (apic_id >= nr_apic_ids || (w & 0xff) < 32 || (w & ~(DSV_HC_WAKE_ON | 0xffffffffffull)))
		return -EINVAL;
	return wake(wake_opaque, apic_id, (uint32_t)(w & 0xff));
}

static void complete(struct hc_async *a, const struct hc_async_job *j, int64_t ret)
{
	int rc;

	if (j->ring) {
		rc = hc_async_complete_ring(j->blk, ret, 0, a->nr_apic_ids, a->wake,
					    a->wake_opaque);
		if (rc && rc != -EINVAL)
			log_warn("cannot interrupt a vCPU for a finished call: %s", strerror(-rc));
		return;
	}

	__atomic_store_n(&j->blk->ret, ret, __ATOMIC_RELAXED);
	__atomic_store_n(&j->blk->flags, DSV_HC_F_DONE, __ATOMIC_RELEASE);
	rc = a->wake(a->wake_opaque, j->apic_id, j->vector);
	if (rc)
		log_warn("cannot interrupt vCPU %u for a finished call: %s", j->apic_id,
			 strerror(-rc));
}

void hc_async_run(struct hc_async *a)
{
	pthread_mutex_lock(&a->lock);
	a->idle++;
	for (;;) {
		while (!a->count && !a->stopping)
			pthread_cond_wait(&a->cond, &a->lock);
		if (a->stopping)
			break;
		struct hc_async_job j = a->queue[a->head];

		a->head = (a->head + 1) % DSV_HC_ASYNC_MAX;
		a->count--;
		a->idle--;
		pthread_mutex_unlock(&a->lock);
		complete(a, &j, fileio_call(a->fio, a->gm, j.call.nr, j.call.args));
		pthread_mutex_lock(&a->lock);
		a->idle++;
	}
	a->idle--;
	pthread_mutex_unlock(&a->lock);
}

void hc_async_stop(struct hc_async *a)
{
	pthread_mutex_lock(&a->lock);
	a->stopping = 1;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}
