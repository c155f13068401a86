/*
 * What /dev/kvm is on this host: missing, a software PVM backend (kvm_pvm: guest
 * supervisor code must opt in to run natively), or hardware virtualization (VT-x/SVM).
 * The one probe hvmm, dsvd and the tools share, so they never disagree about the host.
 */
#ifndef DSV_KVM_HOST_H
#define DSV_KVM_HOST_H

#include <stddef.h>

enum kvm_host_kind {
	KVM_HOST_NONE, /* no usable /dev/kvm: nothing can run on the HPC stack */
	KVM_HOST_PVM,  /* kvm_pvm: shadow paging, guest CPL0 emulated unless it opts in */
	KVM_HOST_HW,   /* kvm_intel / kvm_amd */
};

/*
 * Opens ROOT/dev/kvm read-write to see whether this process can use it, and names the
 * backend from ROOT/sys/module. root is "" for the real host (a test's fake tree otherwise).
 * KVM_HOST_NONE fills why with the reason (the open's error, and what sysfs tells of it).
 */
enum kvm_host_kind kvm_host_probe(const char *root, char *why, size_t whylen);

/* The backend /dev/kvm has when it opens, without opening it (hvmm already has it open). */
enum kvm_host_kind kvm_host_backend(void);

/* "none", "pvm" or "hw". */
const char *kvm_host_kind_name(enum kvm_host_kind kind);

#endif
