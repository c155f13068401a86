/* Re-confining a running commodity VM to a new set of commodity CPUs (a live repartition):
 * through libvirt, so the domain's live vcpupin/emulatorpin and its cgroups agree. */
#ifndef DSVD_COMMODITY_REPIN_H
#define DSVD_COMMODITY_REPIN_H

#include "api_error.h"
#include "commodity_vm.h"
#include "cpuset_bits.h"
#include "vm_record.h"

/* The emulator threads get all of cpus; a vCPU keeps the part of its pinning inside cpus, and
 * one pinned only outside them moves to a CPU of cpus (spread by vCPU number). Sets vm->cpus. */
int commodity_repin(struct commodity_conn *c, struct vm *vm, const struct cpu_bits *cpus,
		    struct api_error *err);

#endif
