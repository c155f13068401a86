/* Exits at once with status= from the command line (default 0): the launch benchmark. */
#include "payload.h"

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	guest_exit(vcpu, (int)cmdline_u64(bi, "status", 0));
}
