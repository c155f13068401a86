/* The offload ring (docs/abi.md "The offload ring"): file and descriptor calls go to hvmm's
 * proxy thread through shared memory instead of one exit each. The thread fills its own
 * block, queues its address, rings the doorbell only when the proxy sleeps, and spins on
 * the completion flag; when the call takes longer, or could wait for another party while
 * other threads share the vCPU, it asks for the completion interrupt and waits like any
 * other wait (wait_for), so the vCPU halts or runs the others. */
#include "host.h"
#include "apic.h"
#include "errno.h"
#include "sched.h"
#include "time.h"
#include "wait.h"
#include "x86.h"
#include <dsv/hcring.h>

/* More slots than threads and vCPUs together: each has at most one call queued, so the
 * ring is never full in practice (a full one falls back to the exit). */
#define RING_SLOTS 256
/* How long a thread spins before it asks for the interrupt. Alone on its vCPU nothing else
 * could use the time, and an interrupt costs 20-43 us on PVM: spin long. With others
 * runnable, spin about one short call's worth, then let them run. */
#define RING_SPIN_ALONE_US 1000
#define RING_SPIN_SHARED_US 20

/* The header and its slots in one block (a struct cannot hold the flexible array's room). */
static uint8_t ring_mem[sizeof(struct dsv_hc_ring) + RING_SLOTS * sizeof(uint64_t)]
	__attribute__((aligned(DSV_HC_ALIGN)));
static struct dsv_hc_ring *const ring = (struct dsv_hc_ring *)ring_mem;
static bool ring_on;
static spinlock_t ring_lock; /* producers: every vCPU */

void host_ring_init(void)
{
	const uint64_t args[6] = { virt_to_phys(ring_mem), RING_SLOTS, 0, 0, 0, 0 };
	if (host_kind != HOST_HVMM)
		return;
	int64_t rc = hvmm_call(DSV_HC_RING, args);
	ring_on = rc == 0;
	if (rc && rc != -ENOSYS)
		klog("lwk: offload ring refused (%ld): calls exit to hvmm", (long)rc);
}

/* Queues blk; false when the ring is full. */
static bool enqueue(struct dsv_hc *blk)
{
	spin_lock(&ring_lock);
	uint32_t head = ring->head;
	if (head - __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) >= RING_SLOTS) {
		spin_unlock(&ring_lock);
		return false;
	}
	ring->slot[head % RING_SLOTS] = virt_to_phys(blk);
	__atomic_store_n(&ring->head, head + 1, __ATOMIC_RELEASE);
	spin_unlock(&ring_lock);
	/* head before sleeping is read, as hvmm's sleeping before head (hcring.h) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&ring->sleeping, __ATOMIC_RELAXED))
		outb(DSV_RING_DOORBELL_PORT, 0);
	return true;
}

static void wait_done(struct cpu *c, struct dsv_hc *blk, bool park_now)
{
	volatile int *flags = (volatile int *)&blk->flags;
	uint64_t spin_us = c->nr_threads > 1 ? RING_SPIN_SHARED_US : RING_SPIN_ALONE_US;
	uint64_t end = park_now ? 0 : rdtsc() + spin_us * tsc_khz / 1000;
	while (!__atomic_load_n(flags, __ATOMIC_ACQUIRE)) {
		if (rdtsc() >= end) {
			/* the wake word before DONE is read again, as hvmm's DONE before the wake
			 * word: one side sees the other (hcring.h) */
			__atomic_store_n(&blk->reserved, DSV_HC_WAKE(c->apic_id, WAKE_VECTOR),
					 __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			wait_for(flags, 0);
			return;
		}
		cpu_relax();
	}
}

bool host_call_ring(uint32_t nr, const uint64_t args[6], int64_t *ret)
{
	if (!ring_on || nr < DSV_HC_FILE_BASE || !percpu_mapped)
		return false;
	struct cpu *c = this_cpu();
	if (!c->current)
		return false; /* no thread of its own to wait in */
	struct dsv_hc *blk = &c->current->async_hc;
	blk->nr = nr;
	blk->reserved = 0;
	for (int i = 0; i < 6; i++)
		blk->args[i] = args[i];
	blk->ret = -ENOSYS;
	__atomic_store_n(&blk->flags, 0, __ATOMIC_RELEASE);
	if (!enqueue(blk))
		return false;
	wait_done(c, blk, c->nr_threads > 1 && dsv_hc_may_block(nr, args));
	if (__atomic_load_n(&blk->flags, __ATOMIC_ACQUIRE) & DSV_HC_F_RETRY)
		return false; /* every hvmm worker busy: the caller makes it with an exit */
	*ret = __atomic_load_n(&blk->ret, __ATOMIC_ACQUIRE);
	return true;
}
