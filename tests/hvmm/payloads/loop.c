/* Runs the compute loop n times (cmdline n=, default 1e8), prints the result, exits with it. */
#include "compute.h"
#include "payload.h"

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	uint64_t n = cmdline_u64(bi, "n", 100000000), t0, t1, r;

	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	t0 = rdtsc();
	r = compute_loop(n, cmdline_u64(bi, "seed", 42));
	t1 = rdtsc();
	put_str(vcpu, "result ");
	put_hex(vcpu, r);
	put_str(vcpu, "\ncycles ");
	put_u64(vcpu, t1 - t0);
	put_str(vcpu, "\n");
	guest_exit(vcpu, (int)(r & 0x7f));
}
