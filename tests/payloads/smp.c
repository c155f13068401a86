/*
 * Every vCPU runs the compute loop at once. vCPU 0 collects the results, checks that
 * all of them agree and that the runs overlapped in time, and prints what it saw.
 */
#include "compute.h"
#include "payload.h"

static volatile uint64_t t_start[DSV_MAX_VCPUS], t_end[DSV_MAX_VCPUS], result[DSV_MAX_VCPUS];
static volatile uint32_t apic_id[DSV_MAX_VCPUS];
static uint32_t done;

static uint32_t cpuid_apic_id(void)
{
	uint32_t a = 1, b, c = 0, d;

	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return b >> 24;
}

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	uint64_t n = cmdline_u64(bi, "n", 50000000), latest_start = 0, earliest_end = ~0ull;
	uint32_t nr = bi->nr_vcpus;
	int bad = 0;

	apic_id[vcpu] = cpuid_apic_id();
	t_start[vcpu] = rdtsc();
	result[vcpu] = compute_loop(n, 42);
	t_end[vcpu] = rdtsc();
	__atomic_fetch_add(&done, 1, __ATOMIC_RELEASE);
	if (vcpu != 0)
		for (;;)
			__asm__ volatile("hlt");
	while (__atomic_load_n(&done, __ATOMIC_ACQUIRE) < nr)
		__asm__ volatile("pause");
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
		if (t_start[i] > latest_start)
			latest_start = t_start[i];
		if (t_end[i] < earliest_end)
			earliest_end = t_end[i];
	}
	put_str(vcpu, latest_start < earliest_end ? "concurrent yes\n" : "concurrent no\n");
	guest_exit(vcpu, bad || latest_start >= earliest_end);
}
