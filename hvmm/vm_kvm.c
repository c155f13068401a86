/* The KVM side of a VM: /dev/kvm, the VM, irqchip, CPUID, memory slots, ioeventfd. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "dsv/hypercall.h"
#include "vm_setup.h"

int vm_kvm_open(struct vm *vm, char *err, size_t errlen)
{
	int version, nent = 256;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		snprintf(err, errlen, "cannot open /dev/kvm: %s%s", strerror(errno),
			 errno == EACCES ? " (run as root or join the kvm group)" : "");
		return -1;
	}
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(err, errlen, "KVM API version %d, expected %d", version, KVM_API_VERSION);
		return -1;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0) {
		snprintf(err, errlen,
			 "this KVM lacks immediate_exit, ioeventfd or an in-kernel irqchip");
		return -1;
	}
	vm->run_size = (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		vm->cpuid = calloc(1, sizeof(*vm->cpuid) +
					      (size_t)nent * sizeof(vm->cpuid->entries[0]));
		if (!vm->cpuid) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		vm->cpuid->nent = (uint32_t)nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid) == 0)
			break;
		free(vm->cpuid);
		vm->cpuid = NULL;
		if (errno != E2BIG || nent > 4096) {
			snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			return -1;
		}
		nent *= 2;
	}
	if (vm->plat->cpuid_fixup)
		vm->plat->cpuid_fixup(vm->cpuid);
	for (uint32_t i = 0; i < vm->cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &vm->cpuid->entries[i];

		if (e->function == 1 && (e->ecx & (1u << 26)))
			vm->xsave = 1;
		if (e->function == 0xd && e->index == 0)
			vm->xcr0 =
				((uint64_t)e->edx << 32 | e->eax) & 0xe7; /* x87 SSE AVX AVX-512 */
	}
	if (!vm->xsave || ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0)
		vm->xcr0 = 0;
	return 0;
}

int vm_kvm_add_memory(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region low = {
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = vm->mem.low_size,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	struct kvm_userspace_memory_region high = {
		.slot = 1,
		.guest_phys_addr = GM_HIGH_BASE,
		.memory_size = vm->mem.size - vm->mem.low_size,
		.userspace_addr = (uintptr_t)vm->mem.host + vm->mem.low_size,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &low) < 0 ||
	    (high.memory_size && ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &high) < 0)) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int vm_kvm_set_slot(void *ctx, uint32_t slot, uint64_t gpa, uint64_t len, void *host, int readonly)
{
	struct vm *vm = ctx;
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = len,
		.userspace_addr = (uintptr_t)host,
	};

	if (!len) /* deletion: KVM wants the flags of no particular kind, and no address */
		r.flags = 0, r.userspace_addr = 0;
	return ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0 ? -errno : 0;
}

int vm_kvm_add_notify(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_ioeventfd ioe = { .addr = DSV_NOTIFY_PORT,
				     .len = 0,
				     .flags = KVM_IOEVENTFD_FLAG_PIO };

	vm->notify_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vm->exit_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vm->notify_efd < 0 || vm->exit_efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	ioe.fd = vm->notify_efd;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioe) < 0) {
		snprintf(err, errlen, "KVM_IOEVENTFD on port 0x%x: %s", DSV_NOTIFY_PORT,
			 strerror(errno));
		return -1;
	}
	return 0;
}
