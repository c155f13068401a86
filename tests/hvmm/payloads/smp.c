/*
 * Every vCPU runs the compute loop, then proves it runs at the same time as the others:
 * it announces itself and spins until every vCPU has announced, then vCPU 0 plays a
 * ping-pong with each other vCPU. Spinning needs the peer to make progress while we spin,
 * so a VMM that serialises vCPUs (one KVM_RUN at a time) never finishes a round and the
 * generous timeout reports "concurrent no". Timing of a busy host (another task delaying
 * one vCPU) only slows the rounds; it cannot fail them.
 */
#include "compute.h"
#include "payload.h"

#define PING_ROUNDS 200
#define TIMEOUT_S 120 /* ends a serialised run; never reached by a slow one */

static volatile uint64_t result[DSV_MAX_VCPUS];
static volatile uint32_t apic_id[DSV_MAX_VCPUS];
static volatile uint32_t ball[DSV_MAX_VCPUS];
static uint32_t arrived, done;

static uint32_t cpuid_apic_id(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b >> 24;
}

/* Spins until *p == want; false once the deadline (in TSC ticks) passes. */
static int spin_until(volatile uint32_t *p, uint32_t want, uint64_t deadline)
{
	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != want) {
		if (rdtsc() > deadline)
			return 0;
		__asm__ volatile("pause");
	}
	return 1;
}

/* vCPU 0 serves odd values, the peer answers with the next even one. */
static int ping_pong(uint32_t peer, int serve, uint64_t deadline)
{
	for (uint32_t r = 0; r < PING_ROUNDS; r++) {
		if (serve) {
			__atomic_store_n(&ball[peer], 2 * r + 1, __ATOMIC_RELEASE);
			if (!spin_until(&ball[peer], 2 * r + 2, deadline))
				return 0;
		} else {
			if (!spin_until(&ball[peer], 2 * r + 1, deadline))
				return 0;
			__atomic_store_n(&ball[peer], 2 * r + 2, __ATOMIC_RELEASE);
		}
	}
	return 1;
}

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	uint64_t n = cmdline_u64(bi, "n", 50000000);
	uint64_t khz = bi->tsc_khz ? bi->tsc_khz : 3000000;
	uint32_t nr = bi->nr_vcpus;
	int bad = 0, concurrent = 1;
	uint64_t deadline;

	apic_id[vcpu] = cpuid_apic_id();
	result[vcpu] = compute_loop(n, 42);
	deadline = rdtsc() + khz * 1000 * TIMEOUT_S;
	__atomic_fetch_add(&arrived, 1, __ATOMIC_ACQ_REL);
	concurrent = spin_until(&arrived, nr, deadline);
	if (vcpu != 0) {
		if (concurrent)
			ping_pong((uint32_t)vcpu, 0, deadline);
		__atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
		for (;;)
			__asm__ volatile("hlt");
	}
	for (uint32_t i = 1; i < nr && concurrent; i++)
		concurrent = ping_pong(i, 1, deadline);
	/* Peers that timed out still count themselves done; wait for them within the deadline. */
	spin_until(&done, nr - 1, deadline + khz * 1000);
	for (uint32_t i = 0; i < nr; i++) {
		put_str(vcpu, "vcpu ");
		put_u64(vcpu, i);
		put_str(vcpu, " apic ");
		put_u64(vcpu, apic_id[i]);
		put_str(vcpu, " host_cpu ");
		put_u64(vcpu, bi->host_cpu[i]);
		put_str(vcpu, " result ");
		put_hex(vcpu, result[i]);
		put_str(vcpu, "\n");
		bad |= result[i] != result[0] || apic_id[i] != i;
	}
	put_str(vcpu, concurrent ? "concurrent yes\n" : "concurrent no\n");
	guest_exit(vcpu, bad || !concurrent);
}
