/* hvmm hypercalls: one `outl` of a per-vCPU struct dsv_hc's GPA to DSV_HC_PORT. */
#include "host.h"
#include "cpu.h"
#include "x86.h"
#include <dsv/hypercall.h>

/* In the kernel image, so below 4 GiB and usable before the per-vCPU areas exist. */
static struct dsv_hc hc_blocks[DSV_MAX_VCPUS] __attribute__((aligned(DSV_HC_ALIGN)));

int64_t hvmm_call(uint32_t nr, const uint64_t args[6])
{
	struct dsv_hc *hc = &hc_blocks[cpu_index()];
	hc->nr = nr;
	hc->flags = 0;
	hc->reserved = 0;
	for (int i = 0; i < 6; i++)
		hc->args[i] = args[i];
	hc->ret = -38; /* ENOSYS, should hvmm not answer */
	outl(DSV_HC_PORT, (uint32_t)virt_to_phys(hc));
	return *(volatile int64_t *)&hc->ret;
}
