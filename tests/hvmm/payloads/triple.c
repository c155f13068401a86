/* Loads an empty IDT and raises an exception: a triple fault, which hvmm must report. */
#include "payload.h"

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idt = { 0, 0 };

	(void)bi;
	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	put_str(vcpu, "about to triple-fault\n");
	__asm__ volatile("lidt %0; int3; ud2" : : "m"(idt));
	guest_exit(vcpu, 0); /* not reached */
}
