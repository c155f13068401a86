/* Prints one line, then every vCPU spins until hvmm is stopped (agent and signal tests). */
#include "payload.h"

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	(void)bi;
	if (vcpu == 0)
		put_str(vcpu, "spinning\n");
	for (;;)
		__asm__ volatile("pause");
}
