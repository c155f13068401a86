/*
 * Hostile guest, 2+ vCPUs: vCPU 1 computes while vCPU 0 triple-faults (empty IDT, then an
 * exception). hvmm must end the whole VM with 126 and name vCPU 0.
 */
#include "payload.h"

static volatile uint64_t progress;

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idt = { 0, 0 };

	(void)bi;
	if (vcpu) {
		for (;;)
			__atomic_fetch_add(&progress, 1, __ATOMIC_RELAXED);
	}
	while (__atomic_load_n(&progress, __ATOMIC_RELAXED) < 1000000)
		__asm__ volatile("pause");
	put_str(vcpu, "vCPU 1 is running; vCPU 0 triple-faults now\n");
	__asm__ volatile("lidt %0; int3; ud2" : : "m"(idt));
	guest_exit(vcpu, 0); /* not reached */
}
