#include "commodity_cloud.h"

#include <errno.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "commodity_cloud_xml.h"
#include "commodity_events.h"
#include "commodity_image.h"
#include "commodity_network.h"
#include "commodity_seed.h"
#include "kvm_host.h"

bool commodity_is_cloud(const struct vm *vm)
{
	return vm->spec.stack == VM_STACK_COMMODITY && (vm->spec.image || vm->spec.domain_xml);
}

const char *commodity_virt_type(const char *host_root)
{
	return kvm_host_probe(host_root, NULL, 0) == KVM_HOST_NONE ? "qemu" : "kvm";
}

static const char *libvirt_message(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

void commodity_cloud_remove_files(const char *state_dir, const struct vm *vm)
{
	struct image_files f;
	image_files_of(state_dir, vm->spec.name, &f);
	image_files_remove(&f);
}

/* An operator's XML: root only (its disks and devices are host paths libvirt opens as root). */
static xmlDocPtr operator_domain(const struct cloud_ctx *c, struct vm *vm, struct api_error *err)
{
	if (c->caller->uid != 0) {
		api_fail(err, 403, "domain_xml",
			 "only root may give a domain XML: libvirt opens the "
			 "paths in it as root (use image for a VM of your own)");
		return NULL;
	}
	struct operator_domain d;
	if (operator_xml_read(vm->spec.domain_xml, &c->limits, &d, err) < 0)
		return NULL;
	vm->spec.vcpus = d.vcpus;
	vm->spec.mem_mib = d.mem_mib;
	xmlNodePtr dom = xmlDocGetRootElement(d.doc);
	xmlSetProp(dom, (const xmlChar *)"type",
		   (const xmlChar *)commodity_virt_type(c->host_root));
	/* the console endpoint reads a file: give one when the XML has no serial port */
	xmlNodePtr devices = xml_child_or_new(dom, "devices");
	if (!xml_child(devices, "serial")) {
		xmlNodePtr s = xmlNewChild(devices, NULL, (const xmlChar *)"serial", NULL);
		xmlNewProp(s, (const xmlChar *)"type", (const xmlChar *)"file");
		xmlNodePtr src = xmlNewChild(s, NULL, (const xmlChar *)"source", NULL);
		xmlNewProp(src, (const xmlChar *)"path", (const xmlChar *)vm->console_path);
	}
	return d.doc;
}

static xmlDocPtr image_domain(const struct cloud_ctx *c, struct vm *vm, struct api_error *err)
{
	virConnectPtr conn = commodity_connection(c->virt, err);
	if (!conn)
		return NULL;
	int fd = image_open_as_caller(vm->spec.image, c->caller, "image", err);
	if (fd < 0)
		return NULL;
	struct image_info info;
	char network[VM_NETWORK_MAX + 1];
	struct image_files f;
	image_files_of(c->state_dir, vm->spec.name, &f);
	xmlDocPtr doc = NULL;
	if (image_probe(fd, vm->spec.image, &info, "image", err) == 0 &&
	    network_resolve(conn, vm->spec.network, network, sizeof(network), err) == 0 &&
	    image_prepare(fd, &info, &f, err) == 0) {
		if (!vm->spec.user_data || seed_build(f.seed, vm->spec.name, vm->spec.user_data,
						      vm->spec.meta_data, err) == 0)
			doc = cloud_image_domain(vm, commodity_virt_type(c->host_root), &f, &info,
						 network, vm->spec.user_data != NULL);
		if (!doc)
			image_files_remove(&f);
	}
	close(fd);
	return doc;
}

char *commodity_cloud_prepare(const struct cloud_ctx *c, struct vm *vm, struct api_error *err)
{
	snprintf(vm->commodity.domain, sizeof(vm->commodity.domain), "dsv-%s", vm->spec.name);
	/* the XML says the size, so it is read before admission */
	xmlDocPtr doc = vm->spec.domain_xml ? operator_domain(c, vm, err) : NULL;
	if (vm->spec.domain_xml && !doc)
		return NULL;
	int pin[VM_VCPUS_MAX];
	if (admit_commodity(&c->pool, c->vms, &vm->spec, pin, err) < 0) {
		xmlFreeDoc(doc);
		return NULL;
	}
	vm->cpus = c->pool.cpus;
	if (!doc && !(doc = image_domain(c, vm, err)))
		return NULL;
	char *xml = cloud_place(doc, vm, pin) == 0 ? cloud_xml_string(doc) : NULL;
	xmlFreeDoc(doc);
	if (!xml) {
		commodity_cloud_remove_files(c->state_dir, vm);
		api_fail(err, 500, "", "out of memory building the domain XML");
		return NULL;
	}
	events_forget(vm->commodity.domain);
	return xml;
}

/* Pending graceful shutdowns, by domain: the deadline after which dsvd destroys. */
#define SHUTDOWNS_MAX 64
static struct {
	char domain[96];
	time_t deadline;
} shutdowns[SHUTDOWNS_MAX];

static int shutdown_slot(const char *domain, bool create)
{
	int free_slot = -1;
	for (int i = 0; i < SHUTDOWNS_MAX; i++) {
		if (strcmp(shutdowns[i].domain, domain) == 0)
			return i;
		if (!shutdowns[i].domain[0] && free_slot < 0)
			free_slot = i;
	}
	if (create && free_slot >= 0)
		snprintf(shutdowns[free_slot].domain, sizeof(shutdowns[free_slot].domain), "%s",
			 domain);
	return create ? free_slot : -1;
}

static void shutdown_clear(const char *domain)
{
	int i = shutdown_slot(domain, false);
	if (i >= 0)
		memset(&shutdowns[i], 0, sizeof(shutdowns[i]));
}

long commodity_cloud_shutdown_left(const struct vm *vm)
{
	int i = shutdown_slot(vm->commodity.domain, false);
	if (i < 0)
		return -1;
	long left = (long)(shutdowns[i].deadline - time(NULL));
	return left < 0 ? 0 : left;
}

void commodity_cloud_ended(struct vm *vm)
{
	int detail = -1;
	/* the event may trail the domain's end by a little */
	for (int i = 0; i < 20 && !events_stop_detail(vm->commodity.domain, &detail); i++) {
		struct timespec ts = { 0, 25 * 1000000L };
		nanosleep(&ts, NULL);
	}
	bool forced = shutdown_slot(vm->commodity.domain, false) >= 0 &&
		      commodity_cloud_shutdown_left(vm) == 0;
	shutdown_clear(vm->commodity.domain);
	vm->state = VM_EXITED;
	switch (detail) {
	case VIR_DOMAIN_EVENT_STOPPED_SHUTDOWN:
		vm->exit_code = 0;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason), "the guest shut down");
		break;
	case VIR_DOMAIN_EVENT_STOPPED_DESTROYED:
		snprintf(vm->exit_reason, sizeof(vm->exit_reason), "%s",
			 forced ? "destroyed: the guest did not shut down before the deadline"
				: "destroyed (virsh destroy, or QEMU was killed)");
		break;
	case VIR_DOMAIN_EVENT_STOPPED_CRASHED:
		vm->state = VM_FAILED;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason), "the guest crashed");
		break;
	case VIR_DOMAIN_EVENT_STOPPED_FAILED:
		vm->state = VM_FAILED;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason),
			 "QEMU failed (see libvirt's log of "
			 "%s)",
			 vm->commodity.domain);
		break;
	default:
		snprintf(vm->exit_reason, sizeof(vm->exit_reason),
			 "libvirt domain %s is no longer "
			 "running (it ended while dsvd was not watching)",
			 vm->commodity.domain);
	}
}

static virDomainPtr running_domain(struct commodity_conn *virt, const struct vm *vm,
				   struct api_error *err)
{
	virConnectPtr conn = commodity_connection(virt, err);
	if (!conn)
		return NULL;
	virDomainPtr dom = virDomainLookupByName(conn, vm->commodity.domain);
	if (!dom || virDomainIsActive(dom) != 1) {
		if (dom)
			virDomainFree(dom);
		api_fail(err, 409, "name", "VM '%s' is not running", vm->spec.name);
		return NULL;
	}
	return dom;
}

int commodity_cloud_shutdown(struct commodity_conn *virt, struct vm *vm, unsigned timeout_s,
			     struct api_error *err)
{
	virDomainPtr dom = running_domain(virt, vm, err);
	if (!dom)
		return -1;
	int rc = virDomainShutdownFlags(dom, VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN);
	virDomainFree(dom);
	if (rc < 0)
		return api_fail(err, 500, "", "libvirt could not send %s the ACPI power button: %s",
				vm->commodity.domain, libvirt_message());
	int i = shutdown_slot(vm->commodity.domain, true);
	if (i < 0)
		return api_fail(err, 503, "", "too many shutdowns pending");
	shutdowns[i].deadline = time(NULL) + (time_t)timeout_s;
	return 0;
}

int commodity_cloud_reboot(struct commodity_conn *virt, struct vm *vm, struct api_error *err)
{
	virDomainPtr dom = running_domain(virt, vm, err);
	if (!dom)
		return -1;
	int rc = virDomainReboot(dom, VIR_DOMAIN_REBOOT_ACPI_POWER_BTN);
	if (rc < 0) /* a guest without ACPI handling: a hard reset */
		rc = virDomainReset(dom, 0);
	virDomainFree(dom);
	if (rc < 0)
		return api_fail(err, 500, "", "libvirt could not reboot %s: %s",
				vm->commodity.domain, libvirt_message());
	return 0;
}

int commodity_cloud_tick(struct commodity_conn *virt, struct vm *vm)
{
	int i = shutdown_slot(vm->commodity.domain, false);
	if (i < 0 || time(NULL) < shutdowns[i].deadline)
		return 0;
	virConnectPtr conn = commodity_connection(virt, NULL);
	virDomainPtr dom = conn ? virDomainLookupByName(conn, vm->commodity.domain) : NULL;
	if (!dom)
		return 0;
	int rc = virDomainIsActive(dom) == 1 && virDomainDestroy(dom) == 0;
	virDomainFree(dom);
	return rc;
}
