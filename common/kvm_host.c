#include "kvm_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int module_loaded(const char *name)
{
	char path[96];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

enum kvm_host_kind kvm_host_probe(char *why, size_t whylen)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;
		/* A kvm_pvm that found itself inside another PVM guest loads but registers no
		 * device: name that, since "no such file" alone sends people looking for udev. */
		const char *hint = err == ENOENT && module_loaded("kvm_pvm") &&
					   !module_loaded("kvm_intel") && !module_loaded("kvm_amd")
				   ? " (kvm_pvm is loaded but registered no device: this host is "
				     "probably itself a PVM guest, where kvm_pvm does not bind)"
				   : "";
		if (why && whylen)
			snprintf(why, whylen, "cannot open /dev/kvm: %s%s", strerror(err), hint);
		return KVM_HOST_NONE;
	}
	close(fd);
	return kvm_host_backend();
}

enum kvm_host_kind kvm_host_backend(void)
{
	/* kvm_pvm is a module of its own; the hardware backends are kvm_intel / kvm_amd. */
	return module_loaded("kvm_pvm") ? KVM_HOST_PVM : KVM_HOST_HW;
}

const char *kvm_host_kind_name(enum kvm_host_kind kind)
{
	switch (kind) {
	case KVM_HOST_PVM:
		return "pvm";
	case KVM_HOST_HW:
		return "hw";
	default:
		return "none";
	}
}
