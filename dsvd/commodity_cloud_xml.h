/* libvirt domain XML for cloud VMs (libxml2, no string pasting): the domain of an image VM
 * (q35, virtio disk and NIC, the NoCloud seed, serial console in a file) and the placement
 * dsvd adds to every cloud VM, its own or an operator's. */
#ifndef DSVD_COMMODITY_CLOUD_XML_H
#define DSVD_COMMODITY_CLOUD_XML_H

#include <libxml/tree.h>
#include <stdbool.h>

#include "commodity_image.h"
#include "vm_record.h"

/* The domain of an image VM, without placement. network NULL: no NIC; with_seed: the seed. */
xmlDocPtr cloud_image_domain(const struct vm *vm, const char *virt_type,
			     const struct image_files *f, const struct image_info *info,
			     const char *network, bool with_seed);
/* Sets what placement needs and replaces what the XML said about it: the name (vm->domain),
 * the vCPU count, <vcpu cpuset>, vcpupin/emulatorpin within vm->cpus (pin[i] for vCPU i), the
 * CPU quota and the memory size. Returns 0, or -1 when out of memory. */
int cloud_place(xmlDocPtr doc, const struct vm *vm, const int *pin);
/* The document as a malloc'd string (NULL when out of memory). */
char *cloud_xml_string(xmlDocPtr doc);

/* Small helpers the operator XML check shares. */
xmlNodePtr xml_child(xmlNodePtr parent, const char *name);
xmlNodePtr xml_child_or_new(xmlNodePtr parent, const char *name);
void xml_remove_children(xmlNodePtr parent, const char *name);

#endif
