/* Offloaded calls that may block, while other threads share the caller's vCPU: the
 * thread submits the call to an hvmm worker (DSV_HC_SUBMIT, docs/abi.md) and waits for
 * its completion interrupt, so the vCPU runs the others meanwhile. A thread alone on its
 * vCPU keeps the synchronous call: one exit, no interrupt. */
#include "host.h"
#include "apic.h"
#include "errno.h"
#include "sched.h"
#include "wait.h"
#include <dsv/hcring.h>

bool host_call_async(uint32_t nr, const uint64_t args[6], int64_t *ret)
{
	if (!percpu_mapped)
		return false;
	struct cpu *c = this_cpu();
	if (c->nr_threads < 2 || !c->current || !dsv_hc_may_block(nr, args))
		return false;
	struct dsv_hc *hc = &c->current->async_hc;
	hc->nr = nr;
	hc->flags = 0;
	hc->reserved = 0;
	for (int i = 0; i < 6; i++)
		hc->args[i] = args[i];
	hc->ret = -ENOSYS;
	const uint64_t submit[6] = { virt_to_phys(hc), c->apic_id, WAKE_VECTOR, 0, 0, 0 };
	if (hvmm_call(DSV_HC_SUBMIT, submit) != 0)
		return false; /* every worker busy (or an hvmm without them) */
	wait_for((volatile int *)&hc->flags, 0);
	*ret = __atomic_load_n(&hc->ret, __ATOMIC_ACQUIRE);
	return true;
}
