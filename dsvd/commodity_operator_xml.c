#include "commodity_operator_xml.h"

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commodity_cloud_xml.h"
#include "vm_spec.h"

#define X(s) ((const xmlChar *)(s))
#define FIELD "domain_xml"

static const char *const pin_elements[] = { "vcpupin", "emulatorpin", "iothreadpin", NULL };

/* A cpuset attribute naming an HPC CPU: the operator asked for what the partition forbids. */
static int check_cpuset(xmlNodePtr n, const char *where, const struct operator_limits *lim,
			struct api_error *err)
{
	xmlChar *v = xmlGetProp(n, X("cpuset"));
	if (!v)
		return 0;
	struct cpu_bits set;
	char why[128], hpc[256];
	int rc = 0;
	if (cpu_bits_parse_list((const char *)v, &set, why, sizeof(why)) < 0)
		rc = api_fail(err, 400, FIELD, "%s cpuset '%.64s': %s", where, (const char *)v,
			      why);
	else if (cpu_bits_intersects(&set, &lim->hpc_cpus)) {
		cpu_bits_format_list(&lim->hpc_cpus, hpc, sizeof(hpc));
		rc = api_fail(err, 400, FIELD,
			      "%s cpuset '%.64s' reaches into the HPC partition "
			      "(CPUs %s)",
			      where, (const char *)v, hpc);
	}
	xmlFree(v);
	return rc;
}

/* <memory unit='...'>N</memory> in MiB, rounded up. */
static int read_memory(xmlNodePtr dom, uint64_t *mib, struct api_error *err)
{
	xmlNodePtr m = xml_child(dom, "memory");
	if (!m)
		return api_fail(err, 400, FIELD, "has no <memory>");
	xmlChar *text = xmlNodeGetContent(m), *unit = xmlGetProp(m, X("unit"));
	char *end;
	unsigned long long v = strtoull(text ? (const char *)text : "", &end, 10);
	bool bad_number = !text || end == (const char *)text || *end;
	static const struct {
		const char *unit;
		unsigned long long bytes;
	} units[] = { { "b", 1 },
		      { "bytes", 1 },
		      { "KB", 1000ULL },
		      { "k", 1024ULL },
		      { "KiB", 1024ULL },
		      { "MB", 1000000ULL },
		      { "M", 1048576ULL },
		      { "MiB", 1048576ULL },
		      { "GB", 1000000000ULL },
		      { "G", 1073741824ULL },
		      { "GiB", 1073741824ULL },
		      { "TB", 1000000000000ULL },
		      { "T", 1099511627776ULL },
		      { "TiB", 1099511627776ULL } };
	unsigned long long per = unit ? 0 : 1024; /* libvirt's default is KiB */
	for (size_t i = 0; unit && i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp((const char *)unit, units[i].unit) == 0)
			per = units[i].bytes;
	int rc = 0;
	if (bad_number)
		rc = api_fail(err, 400, FIELD, "<memory> is not a number");
	else if (!per)
		rc = api_fail(err, 400, FIELD, "<memory> has an unknown unit '%.16s'",
			      (const char *)unit);
	else if (v == 0 || v > (unsigned long long)VM_MEM_MIB_MAX * 1048576ULL / per)
		rc = api_fail(err, 400, FIELD, "<memory> must be between 1 MiB and %d MiB",
			      VM_MEM_MIB_MAX);
	else
		*mib = (v * per + 1048575ULL) / 1048576ULL;
	xmlFree(text);
	xmlFree(unit);
	return rc;
}

static int read_vcpus(xmlNodePtr dom, unsigned *vcpus, struct api_error *err)
{
	xmlNodePtr n = xml_child(dom, "vcpu");
	*vcpus = 1;
	if (!n)
		return 0;
	xmlChar *text = xmlNodeGetContent(n);
	char *end;
	long v = strtol(text ? (const char *)text : "", &end, 10);
	bool ok = text && end != (const char *)text && !*end && v >= 1 && v <= VM_VCPUS_MAX;
	xmlFree(text);
	if (!ok)
		return api_fail(err, 400, FIELD, "<vcpu> must be a number from 1 to %d",
				VM_VCPUS_MAX);
	*vcpus = (unsigned)v;
	return 0;
}

static int check_devices(xmlNodePtr dom, const struct operator_limits *lim, struct api_error *err)
{
	xmlNodePtr devices = xml_child(dom, "devices");
	bool partitioned = !cpu_bits_empty(&lim->hpc_cpus);
	for (xmlNodePtr n = devices ? devices->children : NULL; partitioned && n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		xmlChar *type = xmlGetProp(n, X("type"));
		bool passthrough = xmlStrcmp(n->name, X("hostdev")) == 0 ||
				   (xmlStrcmp(n->name, X("interface")) == 0 && type &&
				    xmlStrcmp(type, X("hostdev")) == 0);
		xmlFree(type);
		if (passthrough)
			return api_fail(err, 400, FIELD,
					"host device passthrough (<%s>) is refused while the "
					"node is partitioned: its interrupts and DMA are not "
					"confined to the "
					"commodity CPUs",
					(const char *)n->name);
	}
	return 0;
}

static int check_domain(xmlNodePtr dom, const struct operator_limits *lim, struct api_error *err)
{
	if (!dom || xmlStrcmp(dom->name, X("domain")) != 0)
		return api_fail(err, 400, FIELD, "the root element must be <domain>");
	for (xmlNodePtr n = dom->children; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
		    strstr((const char *)n->ns->href, "libvirt.org/schemas/domain/qemu"))
			return api_fail(err, 400, FIELD,
					"<qemu:%s> passes arguments to QEMU that dsvd cannot "
					"check: refused",
					(const char *)n->name);
	xmlNodePtr vcpu = xml_child(dom, "vcpu");
	if (vcpu && check_cpuset(vcpu, "<vcpu>", lim, err) < 0)
		return -1;
	xmlNodePtr tune = xml_child(dom, "cputune");
	for (xmlNodePtr n = tune ? tune->children : NULL; n; n = n->next)
		for (const char *const *e = pin_elements; n->type == XML_ELEMENT_NODE && *e; e++)
			if (xmlStrcmp(n->name, X(*e)) == 0) {
				char where[32];
				snprintf(where, sizeof(where), "<%s>", *e);
				if (check_cpuset(n, where, lim, err) < 0)
					return -1;
			}
	xmlNodePtr backing = xml_child(dom, "memoryBacking");
	if (lim->hpc_hugepages && xml_child(backing, "hugepages"))
		return api_fail(err, 400, FIELD,
				"<memoryBacking><hugepages> would draw on the hugepages "
				"the HPC partition holds: refused while the node is partitioned");
	if (xml_child(dom, "numatune") && !cpu_bits_empty(&lim->hpc_cpus)) {
		xmlNodePtr m = xml_child(xml_child(dom, "numatune"), "memory");
		xmlChar *mode = m ? xmlGetProp(m, X("placement")) : NULL;
		bool automatic = mode && xmlStrcmp(mode, X("auto")) == 0;
		xmlFree(mode);
		if (automatic)
			return api_fail(err, 400, FIELD,
					"<numatune placement='auto'> lets numad move the "
					"domain onto any CPU: give a nodeset");
	}
	return check_devices(dom, lim, err);
}

int operator_xml_read(const char *xml, const struct operator_limits *lim, struct operator_domain *d,
		      struct api_error *err)
{
	memset(d, 0, sizeof(*d));
	/* no XML_PARSE_NOENT (entities stay unexpanded), no DTD loading, no network */
	xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), "domain.xml", NULL,
				      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc) {
		const xmlError *e = xmlGetLastError();
		return api_fail(err, 400, FIELD, "not well-formed XML%s%.200s",
				e && e->message ? ": " : "", e && e->message ? e->message : "");
	}
	int rc = 0;
	if (doc->intSubset)
		rc = api_fail(err, 400, FIELD, "a <!DOCTYPE> is not accepted");
	xmlNodePtr dom = xmlDocGetRootElement(doc);
	if (rc == 0)
		rc = check_domain(dom, lim, err);
	if (rc == 0)
		rc = read_vcpus(dom, &d->vcpus, err);
	if (rc == 0)
		rc = read_memory(dom, &d->mem_mib, err);
	if (rc < 0) {
		xmlFreeDoc(doc);
		return -1;
	}
	d->doc = doc;
	return 0;
}
