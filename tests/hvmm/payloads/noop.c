/* n= no-op hypercalls (default 1000); prints the mean round trip in ns from the TSC. */
#include "payload.h"

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	uint64_t n = cmdline_u64(bi, "n", 1000), t0, t1;
	int64_t bad = 0;

	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	t0 = rdtsc();
	for (uint64_t i = 0; i < n; i++)
		bad |= hcall(vcpu, DSV_HC_NOP, 0, 0, 0);
	t1 = rdtsc();
	put_str(vcpu, "noop calls ");
	put_u64(vcpu, n);
	put_str(vcpu, " ns_per_call ");
	put_u64(vcpu, bi->tsc_khz && n ? (t1 - t0) * 1000000 / bi->tsc_khz / n : 0);
	put_str(vcpu, "\n");
	guest_exit(vcpu, bad ? 1 : 0);
}
