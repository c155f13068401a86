#include "commodity_cloud_xml.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define X(s) ((const xmlChar *)(s))

xmlNodePtr xml_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, X(name)) == 0)
			return n;
	return NULL;
}

xmlNodePtr xml_child_or_new(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = xml_child(parent, name);
	return n ? n : xmlNewChild(parent, NULL, X(name), NULL);
}

void xml_remove_children(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n = parent ? parent->children : NULL;
	while (n) {
		xmlNodePtr next = n->next;
		if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, X(name)) == 0) {
			xmlUnlinkNode(n);
			xmlFreeNode(n);
		}
		n = next;
	}
}

static xmlNodePtr text_child(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, X(name), X(text));
}

static xmlNodePtr elem(xmlNodePtr parent, const char *name, const char *attr, const char *value)
{
	xmlNodePtr n = xmlNewChild(parent, NULL, X(name), NULL);
	if (n && attr)
		xmlNewProp(n, X(attr), X(value));
	return n;
}

/* libvirt's DAC driver would chown image files to QEMU's user and leave backing files so:
 * the base may be the caller's own inode (a hard link), which must keep its owner */
static void no_relabel(xmlNodePtr source)
{
	xmlNodePtr l = elem(source, "seclabel", "model", "dac");
	xmlNewProp(l, X("relabel"), X("no"));
}

static void add_disk(xmlNodePtr devices, const char *format, const char *path, const char *dev,
		     bool readonly)
{
	xmlNodePtr d = elem(devices, "disk", "type", "file");
	xmlNewProp(d, X("device"), X("disk"));
	xmlNodePtr drv = elem(d, "driver", "name", "qemu");
	xmlNewProp(drv, X("type"), X(format));
	xmlNodePtr src = elem(d, "source", "file", path);
	no_relabel(src);
	xmlNewProp(elem(d, "target", "dev", dev), X("bus"), X("virtio"));
	if (readonly)
		elem(d, "readonly", NULL, NULL);
}

xmlDocPtr cloud_image_domain(const struct vm *vm, const char *virt_type,
			     const struct image_files *f, const struct image_info *info,
			     const char *network, bool with_seed)
{
	xmlDocPtr doc = xmlNewDoc(X("1.0"));
	xmlNodePtr dom = xmlNewNode(NULL, X("domain"));
	xmlDocSetRootElement(doc, dom);
	xmlNewProp(dom, X("type"), X(virt_type));
	text_child(dom, "name", vm->commodity.domain);
	xmlNodePtr os = xmlNewChild(dom, NULL, X("os"), NULL);
	/* an ordinary PC (firmware, PCI, ACPI) boots an ordinary image; microvm stays the lwk's */
	xmlNewProp(text_child(os, "type", "hvm"), X("machine"), X("q35"));
	xmlNewProp(xmlGetLastChild(os), X("arch"), X("x86_64"));
	elem(os, "boot", "dev", "hd");
	xmlNodePtr features = xmlNewChild(dom, NULL, X("features"), NULL);
	elem(features, "acpi", NULL, NULL);
	elem(features, "apic", NULL, NULL);
	if (strcmp(virt_type, "kvm") == 0) {
		/* as for the lwk: the host CPU minus arch-capabilities (shared/platform/KVM.md) */
		xmlNodePtr cpu = elem(dom, "cpu", "mode", "host-passthrough");
		xmlNewProp(cpu, X("check"), X("none"));
		xmlNewProp(cpu, X("migratable"), X("off"));
		xmlNodePtr feat = elem(cpu, "feature", "policy", "disable");
		xmlNewProp(feat, X("name"), X("arch-capabilities"));
	}
	elem(dom, "clock", "offset", "utc");
	text_child(dom, "on_poweroff", "destroy");
	text_child(dom, "on_reboot", "restart");
	text_child(dom, "on_crash", "destroy");
	xmlNodePtr devices = xmlNewChild(dom, NULL, X("devices"), NULL);
	/* the overlay, then the base with the chain ending there: QEMU follows no path it finds
     * in an image header */
	add_disk(devices, "qcow2", f->overlay, "vda", false);
	xmlNodePtr disk = xmlGetLastChild(devices);
	xmlNodePtr bs = elem(disk, "backingStore", "type", "file");
	elem(bs, "format", "type", image_format_name(info->format));
	no_relabel(elem(bs, "source", "file", f->base));
	elem(bs, "backingStore", NULL, NULL);
	if (with_seed)
		add_disk(devices, "raw", f->seed, "vdb", true);
	if (network) {
		xmlNodePtr nic = elem(devices, "interface", "type", "network");
		elem(nic, "source", "network", network);
		elem(nic, "model", "type", "virtio");
	}
	xmlNodePtr serial = elem(devices, "serial", "type", "file");
	elem(serial, "source", "path", vm->console_path);
	elem(serial, "target", "port", "0");
	elem(devices, "controller", "type", "usb");
	xmlNewProp(xmlGetLastChild(devices), X("model"), X("none"));
	elem(devices, "memballoon", "model", "none");
	return doc;
}

int cloud_place(xmlDocPtr doc, const struct vm *vm, const int *pin)
{
	xmlNodePtr dom = xmlDocGetRootElement(doc);
	char buf[1024], n[32];
	xmlNodePtr name = xml_child_or_new(dom, "name");
	xmlNodeSetContent(name, NULL);
	xmlNodeAddContent(name, X(vm->commodity.domain));
	xml_remove_children(dom, "uuid"); /* libvirt picks one: the operator's may be in use */
	xml_remove_children(dom, "currentMemory");
	xmlNodePtr mem = xml_child_or_new(dom, "memory");
	snprintf(n, sizeof(n), "%llu", (unsigned long long)vm->spec.mem_mib);
	xmlNodeSetContent(mem, X(n));
	xmlSetProp(mem, X("unit"), X("MiB"));
	xmlNodePtr vcpu = xml_child_or_new(dom, "vcpu");
	snprintf(n, sizeof(n), "%u", vm->spec.vcpus);
	xmlNodeSetContent(vcpu, X(n));
	xmlUnsetProp(vcpu, X("current"));
	xmlSetProp(vcpu, X("placement"), X("static"));
	cpu_bits_format_list(&vm->cpus, buf, sizeof(buf));
	xmlSetProp(vcpu, X("cpuset"), X(buf));
	xml_remove_children(dom, "cputune");
	xmlNodePtr tune = xmlNewChild(dom, NULL, X("cputune"), NULL);
	if (!tune)
		return -1;
	for (unsigned i = 0; i < vm->spec.vcpus; i++) {
		xmlNodePtr p = xmlNewChild(tune, NULL, X("vcpupin"), NULL);
		snprintf(n, sizeof(n), "%u", i);
		xmlNewProp(p, X("vcpu"), X(n));
		snprintf(n, sizeof(n), "%d", pin[i]);
		xmlNewProp(p, X("cpuset"), X(n));
	}
	elem(tune, "emulatorpin", "cpuset", buf);
	if (vm->spec.cpu_quota_pct) {
		snprintf(n, sizeof(n), "%u", vm->spec.cpu_quota_pct * 1000);
		text_child(tune, "period", "100000");
		text_child(tune, "quota", n);
	}
	return 0;
}

char *cloud_xml_string(xmlDocPtr doc)
{
	xmlChar *mem = NULL;
	int len = 0;
	xmlDocDumpFormatMemory(doc, &mem, &len, 1);
	if (!mem)
		return NULL;
	char *s = strdup((const char *)mem);
	xmlFree(mem);
	return s;
}
