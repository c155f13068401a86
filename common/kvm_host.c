#include "kvm_host.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int module_loaded(const char *root, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/sys/module/%s", root, name);
	return access(path, F_OK) == 0;
}

static enum kvm_host_kind backend_in(const char *root)
{
	/* kvm_pvm is a module of its own; the hardware backends are kvm_intel / kvm_amd. */
	return module_loaded(root, "kvm_pvm") ? KVM_HOST_PVM : KVM_HOST_HW;
}

enum kvm_host_kind kvm_host_probe(const char *root, char *why, size_t whylen)
{
	char dev[512];

	snprintf(dev, sizeof(dev), "%s/dev/kvm", root);
	int fd = open(dev, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;
		/* A kvm_pvm that found itself inside another PVM guest loads but registers no
		 * device: name that, since "no such file" alone sends people looking for udev. */
		const char *hint =
			err == ENOENT && module_loaded(root, "kvm_pvm") &&
					!module_loaded(root, "kvm_intel") &&
					!module_loaded(root, "kvm_amd")
				? " (kvm_pvm is loaded but registered no device: this host is "
				  "probably itself a PVM guest, where kvm_pvm does not bind)"
				: "";
		if (why && whylen)
			snprintf(why, whylen, "cannot open %s: %s%s", dev, strerror(err), hint);
		return KVM_HOST_NONE;
	}
	close(fd);
	return backend_in(root);
}

enum kvm_host_kind kvm_host_backend(void)
{
	return backend_in("");
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
