/* kvm_pvm: opt each vCPU in to native supervisor mode with the VIF MSR (KVM.md). */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "dsv/abi.h"
#include "platform.h"

static int pvm_vcpu_setup(int vcpu_fd, uint64_t vif_gpa, char *err, size_t errlen)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msr;
	int n;

	memset(&msr, 0, sizeof(msr));
	msr.hdr.nmsrs = 1;
	msr.e.index = DSV_PVM_MSR_VIF;
	msr.e.data = vif_gpa | DSV_PVM_VIF_CR2_CELL | DSV_PVM_VIF_HOST_SET;
	n = ioctl(vcpu_fd, KVM_SET_MSRS, &msr);
	if (n != 1) {
		snprintf(err, errlen, "kvm_pvm refused the VIF MSR 0x%x (%s): the guest kernel "
			 "would run emulated, thousands of times slower", DSV_PVM_MSR_VIF,
			 n < 0 ? strerror(errno) : "0 MSRs set");
		return -1;
	}
	return 0;
}

const struct platform platform_pvm = {
	.name = "pvm",
	.kind = DSV_PLATFORM_PVM,
	.vcpu_setup = pvm_vcpu_setup,
};
