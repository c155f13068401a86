/* A VM record as admission and partition changes see it, for the unit tests. */
#ifndef DSVD_TEST_VM_FIXTURE_H
#define DSVD_TEST_VM_FIXTURE_H

#include <stdio.h>
#include <string.h>

#include "vm_record.h"

static inline struct vm fixture_vm(enum vm_stack stack, const char *name, unsigned vcpus,
				   uint64_t mem_mib, const char *cpus, enum vm_state state)
{
	struct vm vm;
	memset(&vm, 0, sizeof(vm));
	vm.spec.stack = stack;
	snprintf(vm.spec.name, sizeof(vm.spec.name), "%s", name);
	vm.spec.vcpus = vcpus;
	vm.spec.mem_mib = mem_mib;
	vm.state = state;
	char err[64];
	cpu_bits_parse_list(cpus, &vm.cpus, err, sizeof(err));
	return vm;
}

#endif
