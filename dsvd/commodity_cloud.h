/* Ordinary cloud VMs on the commodity stack (docs/commodity.md): from a disk image with a
 * network and a cloud-init seed, or from an operator's domain XML; placed like every commodity
 * VM, with a lifecycle of their own (ACPI shutdown with a deadline, reboot, why they ended). */
#ifndef DSVD_COMMODITY_CLOUD_H
#define DSVD_COMMODITY_CLOUD_H

#include <stdbool.h>

#include "admission.h"
#include "caller.h"
#include "api_error.h"
#include "commodity_operator_xml.h"
#include "commodity_vm.h"
#include "vm_record.h"

#define CLOUD_SHUTDOWN_TIMEOUT_S 60
#define CLOUD_SHUTDOWN_TIMEOUT_MAX_S 3600

struct cloud_ctx {
	struct commodity_conn *virt;
	const char *state_dir;
	const char *host_root; /* "" for the real host (kvm_host.h) */
	const struct caller *caller;
	struct commodity_pool pool;
	const struct vm *vms;	       /* the VMs already placed */
	struct operator_limits limits; /* what an operator's XML must not touch */
};

bool commodity_is_cloud(const struct vm *vm);
/* "kvm" when HOST_ROOT/dev/kvm can be used, else "qemu" (TCG: software emulation). */
const char *commodity_virt_type(const char *host_root);
/* Admission, the VM's files (overlay, seed) and the domain XML (malloc'd), or NULL with err;
 * nothing is left behind on failure. Sets vm->cpus and vm->domain. */
char *commodity_cloud_prepare(const struct cloud_ctx *c, struct vm *vm, struct api_error *err);
/* Removes the VM's overlay, base link and seed (whichever exist). */
void commodity_cloud_remove_files(const char *state_dir, const struct vm *vm);
/* The domain is gone: state and exit reason from its lifecycle events. */
void commodity_cloud_ended(struct vm *vm);
/* ACPI power button, then destroy when the guest is still running after timeout_s (checked
 * whenever dsvd reconciles). */
int commodity_cloud_shutdown(struct commodity_conn *virt, struct vm *vm, unsigned timeout_s,
			     struct api_error *err);
int commodity_cloud_reboot(struct commodity_conn *virt, struct vm *vm, struct api_error *err);
/* Destroys a domain whose shutdown deadline passed. Returns 1 when it did. */
int commodity_cloud_tick(struct commodity_conn *virt, struct vm *vm);
/* Seconds until the shutdown deadline; -1 when none is pending. */
long commodity_cloud_shutdown_left(const struct vm *vm);

#endif
