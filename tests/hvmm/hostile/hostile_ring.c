/*
 * A hostile guest against the offload ring (docs/abi.md "The offload ring"): bad
 * registrations, entries naming blocks outside RAM or misaligned, core calls and unknown
 * numbers through the ring, flags set, bad wake words, a head run far ahead and behind,
 * completions never read, a doorbell rung without end, and a call that blocks for ever on a
 * worker when the VM ends. Each must be refused or survived; the ring must keep serving
 * (a pipe round trip through it at the end) and hvmm must end cleanly. Run with
 * --offload ring. Exits with the number of unexpected answers.
 */
#include "dsv/hcring.h"
#include "expect.h"
#include "payload.h"

#define EINVAL 22
#define EFAULT 14
#define EBUSY 16
#define ENOSYS 38
#define O_NONBLOCK 04000
#define SLOTS 16u

/* The header and its slots in one block (a struct cannot hold the flexible array's room). */
static uint8_t ring_mem[sizeof(struct dsv_hc_ring) + SLOTS * sizeof(uint64_t)]
	__attribute__((aligned(DSV_HC_ALIGN)));
static struct dsv_hc_ring *const ring = (struct dsv_hc_ring *)ring_mem;
static struct dsv_hc blk[SLOTS + 2] __attribute__((aligned(DSV_HC_ALIGN)));
static int32_t fds[2], bfds[2];
static char buf[64];

#define G(p) ((uint64_t)(uintptr_t)(p))

static void push(uint64_t gpa)
{
	ring->slot[ring->head % SLOTS] = gpa;
	__atomic_store_n(&ring->head, ring->head + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (ring->sleeping)
		hport_out8(DSV_RING_DOORBELL_PORT, 0);
}

static struct dsv_hc *fill(unsigned i, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct dsv_hc *b = &blk[i];

	b->nr = nr;
	b->flags = 0;
	b->reserved = 0;
	b->args[0] = a0, b->args[1] = a1, b->args[2] = a2;
	b->args[3] = b->args[4] = b->args[5] = 0;
	b->ret = 12345;
	return b;
}

/* Waits for the block to complete (spinning: the ring's whole point) and returns ret. */
static int64_t done(struct dsv_hc *b)
{
	while (!__atomic_load_n(&b->flags, __ATOMIC_ACQUIRE)) {
		if (ring->sleeping) /* a sleeping proxy saw the entry already or will */
			hport_out8(DSV_RING_DOORBELL_PORT, 0);
		__asm__ volatile("pause");
	}
	return b->ret;
}

static int64_t rcall(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct dsv_hc *b = fill(SLOTS, nr, a0, a1, a2);

	push(G(b));
	return done(b);
}

/* The ring is still there and answers: a NOP. */
static void alive(const char *name)
{
	expect(name, rcall(DSV_HC_NOP, 0, 0, 0), 0);
}

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	(void)bi;
	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	expect("ring: 12 slots", hcall(0, DSV_HC_RING, G(ring), 12, 0), -EINVAL);
	expect("ring: 4 slots", hcall(0, DSV_HC_RING, G(ring), 4, 0), -EINVAL);
	expect("ring: 2^32+16 slots", hcall(0, DSV_HC_RING, G(ring), (1ull << 32) | 16, 0),
	       -EINVAL);
	expect("ring: misaligned", hcall(0, DSV_HC_RING, G(ring) + 8, SLOTS, 0), -EINVAL);
	expect("ring: outside RAM", hcall(0, DSV_HC_RING, 1ull << 40, SLOTS, 0), -EFAULT);
	expect("ring: wrapping", hcall(0, DSV_HC_RING, ~0ull - 63, SLOTS, 0), -EFAULT);
	expect("ring: good", hcall(0, DSV_HC_RING, G(ring), SLOTS, 0), 0);
	expect("ring: again", hcall(0, DSV_HC_RING, G(ring), SLOTS, 0), -EBUSY);
	alive("nop through the ring");

	/* Entries naming no block: skipped (nothing to answer through). */
	push(1ull << 40);
	push(G(&blk[0]) + 8);
	push(~0ull - 63);
	alive("ring serves after blocks outside RAM and misaligned");

	/* Calls that are not ring calls. */
	expect("DSV_HC_EXIT through the ring", rcall(DSV_HC_EXIT, 3, 0, 0), -EINVAL);
	expect("DSV_HC_RING through the ring", rcall(DSV_HC_RING, G(ring), SLOTS, 0), -EINVAL);
	expect("unknown number", rcall(DSV_HC_FILE_LAST + 1, 0, 0, 0), -EINVAL);
	{
		struct dsv_hc *b = fill(SLOTS, DSV_HC_NOP, 0, 0, 0);

		b->flags = 0x80000000u; /* flags must be 0 */
		push(G(b));
		while (__atomic_load_n(&b->flags, __ATOMIC_ACQUIRE) != DSV_HC_F_DONE)
			__asm__ volatile("pause");
		expect("flags set", b->ret, -EINVAL);
	}
	/* Bad wake words: answered, no interrupt (this payload has no IDT: one would crash). */
	{
		const uint64_t bad[] = { DSV_HC_WAKE(7, 0xf0), DSV_HC_WAKE(0, 3),
					 DSV_HC_WAKE(0xffffffffu, 0xff),
					 DSV_HC_WAKE_ON | 1ull << 45 };
		for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			struct dsv_hc *b = fill(SLOTS, DSV_HC_NOP, 0, 0, 0);

			b->reserved = bad[i];
			push(G(b));
			expect("bad wake word", done(b), 0);
		}
	}

	/* head far ahead, then behind: the ring is skipped whole and serves on. */
	__atomic_store_n(&ring->head, ring->head + 1000000, __ATOMIC_RELEASE);
	hport_out8(DSV_RING_DOORBELL_PORT, 0);
	while (ring->tail != ring->head)
		__asm__ volatile("pause");
	alive("ring serves after head ran 10^6 ahead");
	__atomic_store_n(&ring->head, ring->head - 5, __ATOMIC_RELEASE);
	hport_out8(DSV_RING_DOORBELL_PORT, 0);
	while (ring->tail != ring->head)
		__asm__ volatile("pause");
	alive("ring serves after head went back");
	/* tail is hvmm's: rewriting it changes nothing hvmm does. */
	ring->tail = 7;
	alive("ring serves after tail was rewritten");

	/* A full ring whose completions are never read, many times over; the same block
	 * queued in every slot at once. */
	for (unsigned round = 0; round < 64; round++) {
		while (ring->head - ring->tail >= SLOTS)
			__asm__ volatile("pause");
		fill(0, DSV_HC_NOP, 0, 0, 0);
		push(G(&blk[0]));
	}
	/* The doorbell without end (an ioeventfd: no exit to hvmm, only wake-ups). */
	for (unsigned i = 0; i < 20000; i++)
		hport_out8(DSV_RING_DOORBELL_PORT, (uint8_t)i);
	alive("ring serves after a flood and 20000 doorbells");

	/* Real calls through the ring: a non-blocking pipe (on workers: the proxy never runs
	 * pipe I/O, as another vCPU could make the pipe blocking under it). */
	expect("pipe2", rcall(DSV_HC_PIPE2, G(fds), O_NONBLOCK, 0), 0);
	expect("write", rcall(DSV_HC_WRITE, (uint64_t)fds[1], G("ring"), 4), 4);
	expect("read", rcall(DSV_HC_READ, (uint64_t)fds[0], G(buf), sizeof(buf)), 4);
	expect("read bytes", buf[0] == 'r' && buf[3] == 'g', 1);
	expect("bad buffer", rcall(DSV_HC_WRITE, (uint64_t)fds[1], 1ull << 40, 4), -EFAULT);

	/* A read that never completes, on a worker, when the VM ends: hvmm must still end. */
	expect("blocking pipe2", rcall(DSV_HC_PIPE2, G(bfds), 0, 0), 0);
	push(G(fill(SLOTS + 1, DSV_HC_READ, (uint64_t)bfds[0], G(buf), sizeof(buf))));
	for (volatile int i = 0; i < 1000000; i++)
		;
	expect("blocked read still pending",
	       __atomic_load_n(&blk[SLOTS + 1].flags, __ATOMIC_ACQUIRE), 0);
	alive("ring serves while a worker waits");

	put_str(0, "failures ");
	put_u64(0, (uint64_t)failures);
	put_str(0, "\n");
	guest_exit(0, failures);
}
