/*
 * --offload: whether the lwk's file and descriptor calls reach hvmm through the offload
 * ring (hc_ring.c, hc_proxy.c) or one exit each, and the ring's doorbell.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dsv/hcring.h"
#include "log.h"
#include "vm.h"
#include "vm_setup.h"

/* A housekeeping CPU that runs no vCPU: the proxy's polling then takes no vCPU's time. */
static int own_housekeeping_cpu(const struct vm *vm)
{
	for (int i = 0; i < vm->nhk_cpus; i++) {
		int shared = 0;

		for (int j = 0; j < vm->nvcpus; j++)
			shared |= vm->hk_cpus[i] == vm->cpus[j];
		if (!shared)
			return 1;
	}
	return 0;
}

/*
 * auto: the ring where an exit to hvmm is what dominates an offloaded call, kvm_pvm (24-33
 * us per exit on the AMD host, 68-73 us on the Intel one, docs/performance.md), and only
 * with a housekeeping CPU of its own for the proxy. On VT-x/SVM an exit costs a few us,
 * about what a sleeping proxy's wake-up costs, so the exit stays.
 */
static int choose_ring(const struct vm *vm)
{
	switch (vm->opts->offload) {
	case OFFLOAD_RING:
		return 1;
	case OFFLOAD_EXIT:
		return 0;
	default:
		return vm->plat->kind == DSV_PLATFORM_PVM && own_housekeeping_cpu(vm);
	}
}

int vm_offload_setup(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_ioeventfd ioe = { .addr = DSV_RING_DOORBELL_PORT,
				     .len = 0,
				     .flags = KVM_IOEVENTFD_FLAG_PIO };

	vm->offload_ring = choose_ring(vm);
	if (!vm->offload_ring)
		return 0;
	vm->doorbell_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vm->doorbell_efd < 0) {
		snprintf(err, errlen, "offload ring: eventfd: %s", strerror(errno));
		return -1;
	}
	ioe.fd = vm->doorbell_efd;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioe) < 0) {
		snprintf(err, errlen, "offload ring: KVM_IOEVENTFD on port 0x%x: %s",
			 DSV_RING_DOORBELL_PORT, strerror(errno));
		return -1;
	}
	if (vm->opts->offload == OFFLOAD_RING && !own_housekeeping_cpu(vm))
		log_info("--offload ring: the proxy shares CPUs with vCPUs while it polls");
	return 0;
}
