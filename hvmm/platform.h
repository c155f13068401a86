/*
 * The one place that knows how this host virtualizes: hardware VT-x/SVM, or kvm_pvm
 * (software, shadow paging; docs/abi.md "PVM"). Everything else asks this interface.
 */
#ifndef HVMM_PLATFORM_H
#define HVMM_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

struct kvm_cpuid2;

struct platform {
	const char *name; /* "pvm", "vmx", "svm" */
	uint32_t kind;	  /* DSV_PLATFORM_* for the boot info */
	int uses_vif;	  /* each vCPU has a VIF page (its address goes in the boot info) */
	/* Per-vCPU setup before the first KVM_RUN. Returns 0 or -1 with err set. */
	int (*vcpu_setup)(int vcpu_fd, uint64_t vif_gpa, char *err, size_t errlen);
	/* Adjusts the CPUID the guest will see (NULL: KVM's supported set as is). */
	void (*cpuid_fixup)(struct kvm_cpuid2 *cpuid);
};

/* Detects the host's KVM backend. Never fails: unknown hosts are treated as hardware. */
const struct platform *platform_detect(void);

extern const struct platform platform_pvm;
extern const struct platform platform_vmx;
extern const struct platform platform_svm;

#endif
