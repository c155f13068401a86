/*
 * n= no-op hypercalls (default 1000); prints the mean round trip in ns from the TSC.
 * ring=1: through the offload ring (docs/abi.md "The offload ring") when hvmm offers one,
 * spinning on the completion and ringing the doorbell only while the proxy sleeps; the
 * last word of the output says which path the calls took ("via ring" or "via exit").
 */
#include "dsv/hcring.h"
#include "payload.h"

#define SLOTS 16u

/* The header and its slots in one block (a struct cannot hold the flexible array's room). */
static uint8_t ring_mem[sizeof(struct dsv_hc_ring) + SLOTS * sizeof(uint64_t)]
	__attribute__((aligned(DSV_HC_ALIGN)));
static struct dsv_hc_ring *const ring = (struct dsv_hc_ring *)ring_mem;
static struct dsv_hc blk __attribute__((aligned(DSV_HC_ALIGN)));

static int64_t ring_nop(void)
{
	blk.nr = DSV_HC_NOP;
	blk.reserved = 0;
	blk.ret = 1;
	__atomic_store_n(&blk.flags, 0, __ATOMIC_RELEASE);
	ring->slot[ring->head % SLOTS] = (uint64_t)(uintptr_t)&blk;
	__atomic_store_n(&ring->head, ring->head + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ring->sleeping)
		hport_out8(DSV_RING_DOORBELL_PORT, 0);
	while (!__atomic_load_n(&blk.flags, __ATOMIC_ACQUIRE))
		__asm__ volatile("pause");
	return blk.ret;
}

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	uint64_t n = cmdline_u64(bi, "n", 1000), t0, t1;
	int use_ring = cmdline_u64(bi, "ring", 0) != 0;
	int64_t bad = 0;

	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	if (use_ring)
		use_ring = hcall(vcpu, DSV_HC_RING, (uint64_t)(uintptr_t)ring, SLOTS, 0) == 0;
	t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		bad |= use_ring ? ring_nop() : hcall(vcpu, DSV_HC_NOP, 0, 0, 0);
	t1 = rdtsc();
	put_str(vcpu, "noop calls ");
	put_u64(vcpu, n);
	put_str(vcpu, " ns_per_call ");
	put_u64(vcpu, bi->tsc_khz && n ? (t1 - t0) * 1000000 / bi->tsc_khz / n : 0);
	put_str(vcpu, use_ring ? " via ring\n" : " via exit\n");
	guest_exit(vcpu, bad ? 1 : 0);
}
