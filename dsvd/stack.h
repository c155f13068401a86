/* dsvd's two stacks behind one interface, as hvmm hides PVM and VT-x behind struct
 * platform: the agent creates, watches, stops and measures a VM without asking which stack
 * it is on. stack_hpc.c runs hvmm (hpc_vm.c), stack_commodity.c libvirt domains
 * (commodity_vm.c, commodity_cloud.c). */
#ifndef DSVD_STACK_H
#define DSVD_STACK_H

#include <jansson.h>

#include "agent.h"

struct stack_ops {
	const char *name;
	/* Admits the VM into the stack's partition, stages its files and starts it; on success
     * it holds its resources (state starting or running). */
	int (*start)(struct agent *a, struct vm *vm, struct api_error *err);
	/* Notices an end (exit status and reason). 1 when the state changed. */
	int (*refresh)(struct agent *a, struct vm *vm);
	/* Ends the VM and waits until it is gone. */
	int (*stop)(struct agent *a, struct vm *vm, struct api_error *err);
	/* What a running VM uses now (vm_stats.h); NULL when it cannot be read. */
	json_t *(*stats)(struct agent *a, const struct vm *vm);
	/* CPU seconds a running VM has used, for the metrics; -1 when unknown. */
	double (*cpu_seconds)(struct agent *a, const struct vm *vm);
};

extern const struct stack_ops stack_hpc, stack_commodity;

static inline const struct stack_ops *stack_of(const struct vm *vm)
{
	return vm->spec.stack == VM_STACK_HPC ? &stack_hpc : &stack_commodity;
}

#endif
