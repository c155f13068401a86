/*
 * Hostile guest: floods the console. mb MiB through DSV_HC_CONSOLE_WRITE in 1 MiB calls,
 * logmb MiB through DSV_HC_LOG, then a console ring whose head claims far more bytes than
 * the ring holds, rung notifies times. Prints "flood done" and exits 0 if every call was
 * answered as docs/abi.md says.
 */
#include "payload.h"

#define CHUNK (1u << 20)
#define RING 4096u

static char buf[CHUNK];
static uint8_t ring_mem[sizeof(struct dsv_ring) + RING] __attribute__((aligned(64)));

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	uint64_t mb = cmdline_u64(bi, "mb", 64), logmb = cmdline_u64(bi, "logmb", 1);
	uint64_t notifies = cmdline_u64(bi, "notifies", 20000), bad = 0;
	struct dsv_ring *ring = (struct dsv_ring *)ring_mem;

	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	for (uint32_t i = 0; i < CHUNK; i++)
		buf[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
	for (uint64_t i = 0; i < mb; i++)
		bad += hcall(vcpu, DSV_HC_CONSOLE_WRITE, (uint64_t)(uintptr_t)buf, CHUNK, 0) !=
		       CHUNK;
	for (uint64_t i = 0; i < logmb; i++)
		bad += hcall(vcpu, DSV_HC_LOG, (uint64_t)(uintptr_t)buf, CHUNK, 0) != CHUNK;
	/* Over the limit: refused, nothing written. */
	bad += hcall(vcpu, DSV_HC_CONSOLE_WRITE, (uint64_t)(uintptr_t)buf, CHUNK + 1, 0) != -22;
	bad += hcall(vcpu, DSV_HC_CONSOLE_RING, (uint64_t)(uintptr_t)ring, RING, 0) != 0;
	for (uint64_t i = 0; i < notifies; i++) {
		ring->head += 0x7fffffffu; /* lies: claims ~2 GiB each time */
		hport_out8(DSV_NOTIFY_PORT, 1);
	}
	/* hvmm drains on its own thread, after the notifies: wait until it has caught up with
	 * the last lie, so that setting head = tail leaves nothing for the final drain (a tail
	 * read earlier could be overtaken, and the drain would print garbage after our line). */
	uint64_t khz = bi->tsc_khz ? bi->tsc_khz : 3000000, deadline = rdtsc() + khz * 30000;
	while (__atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE) != ring->head && rdtsc() < deadline)
		__asm__ volatile("pause");
	ring->head = ring->tail;
	put_str(vcpu, "\nflood done bad ");
	put_u64(vcpu, bad);
	put_str(vcpu, "\n");
	guest_exit(vcpu, bad != 0);
}
