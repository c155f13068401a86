/* kvm_pvm: opt each vCPU in to native supervisor mode with the VIF MSR (docs/platform.md). */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "dsv/abi.h"
#include "platform.h"

static int pvm_vcpu_setup(int vcpu_fd, uint64_t vif_gpa, char *err, size_t errlen)
{
	/* struct kvm_msrs ends in a flexible array: build it in an aligned buffer. */
	union {
		struct kvm_msrs hdr;
		uint8_t bytes[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} buf;
	int n;

	memset(&buf, 0, sizeof(buf));
	buf.hdr.nmsrs = 1;
	buf.hdr.entries[0].index = DSV_PVM_MSR_VIF;
	buf.hdr.entries[0].data = vif_gpa | DSV_PVM_VIF_CR2_CELL | DSV_PVM_VIF_HOST_SET;
	n = ioctl(vcpu_fd, KVM_SET_MSRS, &buf.hdr);
	if (n != 1) {
		snprintf(err, errlen,
			 "kvm_pvm refused the VIF MSR 0x%x (%s): the guest kernel "
			 "would run emulated, thousands of times slower",
			 DSV_PVM_MSR_VIF, n < 0 ? strerror(errno) : "0 MSRs set");
		return -1;
	}
	return 0;
}

/*
 * kvm_pvm reports a baseline CPUID (no SSE3, AVX, XSAVE...), yet the guest's code runs
 * on the real CPU, user and (after the opt-in) supervisor mode alike. Without the host's
 * ISA extensions an HPC guest would run SSE2 code paths, or fault on AVX it was built
 * for. So expose the instruction-set bits the host has; nothing else (no system
 * features) is added.
 */
struct isa_bits {
	uint32_t leaf, subleaf;
	uint32_t ecx_mask, ebx_mask, edx_mask;
};

static const struct isa_bits isa[] = {
	/* SSE3 PCLMUL SSSE3 FMA CX16 SSE4.1 SSE4.2 MOVBE POPCNT AES XSAVE AVX F16C RDRAND */
	{ 1, 0, 0x7ec83203u, 0, 0 },
	/* FSGSBASE BMI1 AVX2 BMI2 ERMS AVX512F/DQ RDSEED ADX IFMA CLFLUSHOPT CLWB CD SHA BW VL */
	{ 7, 0, 0x00405f4au, 0xf1bf0329u, 0x00000010u },
	/* LZCNT PREFETCHW */
	{ 0x80000001u, 0, 0x00000120u, 0, 0 },
};

static void pvm_cpuid_fixup(struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		for (size_t k = 0; k < sizeof(isa) / sizeof(isa[0]); k++) {
			uint32_t a, b, cx, d;

			if (e->function != isa[k].leaf || e->index != isa[k].subleaf)
				continue;
			__asm__ volatile("cpuid"
					 : "=a"(a), "=b"(b), "=c"(cx), "=d"(d)
					 : "a"(isa[k].leaf), "c"(isa[k].subleaf));
			e->ecx |= cx & isa[k].ecx_mask;
			e->ebx |= b & isa[k].ebx_mask;
			e->edx |= d & isa[k].edx_mask;
		}
	}
}

const struct platform platform_pvm = {
	.name = "pvm",
	.kind = DSV_PLATFORM_PVM,
	.uses_vif = 1,
	.vcpu_setup = pvm_vcpu_setup,
	.cpuid_fixup = pvm_cpuid_fixup,
};
