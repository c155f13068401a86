/* Console output: a few lines, including an empty one and a long one, then exit 0. */
#include "payload.h"

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	static char line[201];

	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	put_str(vcpu, "hello from the guest\n\n");
	for (int i = 0; i < 200; i++)
		line[i] = (char)('a' + i % 26);
	line[200] = '\0';
	put_str(vcpu, line);
	put_str(vcpu, "\nvcpus ");
	put_u64(vcpu, bi->nr_vcpus);
	put_str(vcpu, " abi ");
	put_u64(vcpu, bi->abi_version);
	put_str(vcpu, bi->platform == DSV_PLATFORM_PVM ? " platform pvm\n" : " platform hw\n");
	guest_exit(vcpu, 0);
}
