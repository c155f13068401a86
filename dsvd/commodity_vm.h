/* Commodity VMs: transient libvirt domains (QEMU/KVM) through the libvirt C API, with a
 * host-passthrough CPU minus arch-capabilities (docs/platform.md), direct kernel
 * boot, vcpupin/emulatorpin inside the commodity CPUs, and the serial console in a file. */
#ifndef DSVD_COMMODITY_VM_H
#define DSVD_COMMODITY_VM_H

#include <libvirt/libvirt.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_error.h"
#include "kvm_host.h"
#include "vm_record.h"

struct commodity_conn;

/* Builds the domain XML. pin[i] is vCPU i's host CPU. host picks the accelerator: KVM, or
 * QEMU's TCG where /dev/kvm is missing (slow, but a commodity VM still runs); on a PVM host
 * dsv.platform=pvm goes on the
 * command line. Returns a malloc'd string or NULL. */
char *commodity_domain_xml(const struct vm *vm, const char *kernel, const int *pin,
			   enum kvm_host_kind host);

/* Opens (or reopens after a failure) the libvirt connection lazily. */
struct commodity_conn *commodity_conn_new(const char *uri);
void commodity_conn_free(struct commodity_conn *c);
/* The open connection (reconnecting when it dropped); NULL with a 503 when libvirtd is not
 * reachable. */
virConnectPtr commodity_connection(struct commodity_conn *c, struct api_error *err);

int commodity_start(struct commodity_conn *c, struct vm *vm, const char *xml,
		    struct api_error *err);
/* Updates vm->state from libvirt. Returns 1 if it changed. Leaves the state alone when libvirt
 * cannot be reached. */
int commodity_refresh(struct commodity_conn *c, struct vm *vm);
int commodity_stop(struct commodity_conn *c, struct vm *vm, struct api_error *err);
/* CPU time (ns) and current memory (KiB); -1 when unknown. */
int commodity_stats(struct commodity_conn *c, const struct vm *vm, uint64_t *cpu_ns,
		    uint64_t *mem_kib);

/* CPU time (ns) of each vCPU, at most max of them; returns how many, or -1. */
int commodity_vcpu_times(struct commodity_conn *c, const struct vm *vm, uint64_t *ns, int max);

#endif
