/* Hardware virtualization (VT-x, SVM): the guest runs its kernel natively; nothing to do. */
#include "dsv/abi.h"
#include "platform.h"

static int hw_vcpu_setup(int vcpu_fd, uint64_t vif_gpa, char *err, size_t errlen)
{
	(void)vcpu_fd;
	(void)vif_gpa;
	(void)err;
	(void)errlen;
	return 0;
}

const struct platform platform_vmx = {
	.name = "vmx",
	.kind = DSV_PLATFORM_HW,
	.vcpu_setup = hw_vcpu_setup,
};

const struct platform platform_svm = {
	.name = "svm",
	.kind = DSV_PLATFORM_HW,
	.vcpu_setup = hw_vcpu_setup,
};
