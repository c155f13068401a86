/* The setup steps of a VM, one concern per file (vm_cpus.c, vm_kvm.c, vm_images.c). */
#ifndef HVMM_VM_SETUP_H
#define HVMM_VM_SETUP_H

#include <stddef.h>

#include "guest_boot.h"
#include "vm.h"

/* vm_cpus.c: --cpus and --housekeeping-cpus against what this process may use. */
int vm_choose_cpus(struct vm *vm, char *err, size_t errlen);
int vm_numa_node(const struct vm *vm); /* node of the vCPU CPUs, -1 if they span */
int vm_pin_self(const int *cpus, int n);

/* vm_kvm.c: /dev/kvm, the VM, its irqchip and CPUID, memory slots, the notify port. */
int vm_kvm_open(struct vm *vm, char *err, size_t errlen);
int vm_kvm_add_memory(struct vm *vm, char *err, size_t errlen);
int vm_kvm_add_notify(struct vm *vm, char *err, size_t errlen);
/* A shared file mapping's slot (shm_slots.h's callback; ctx is the struct vm). */
int vm_kvm_set_slot(void *ctx, uint32_t slot, uint64_t gpa, uint64_t len, void *host, int readonly);

/* vm_offload.c: resolves --offload; for the ring, its doorbell's ioeventfd. */
int vm_offload_setup(struct vm *vm, char *err, size_t errlen);

/* vm_images.c: read both files, then place the program (top of RAM) and the kernel
 * (checked, then copied). */
int vm_read_images(struct vm *vm, char *err, size_t errlen);
int vm_load_program(struct vm *vm, struct boot_program *prog, char *err, size_t errlen);
int vm_load_kernel(struct vm *vm, const struct boot_program *prog, char *err, size_t errlen);

#endif
