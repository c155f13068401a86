/* An operator's own libvirt domain XML on the commodity stack: read with libxml2 (no DTD, no
 * entities, no network), refused when it would reach into the HPC partition, otherwise kept as
 * it is apart from the placement dsvd sets (commodity_cloud_xml.h). */
#ifndef DSVD_COMMODITY_OPERATOR_XML_H
#define DSVD_COMMODITY_OPERATOR_XML_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_error.h"
#include "cpuset_bits.h"

struct operator_limits {
	struct cpu_bits hpc_cpus; /* empty when the node is not partitioned */
	bool hpc_hugepages;	  /* the HPC partition holds a hugepage pool */
};

struct operator_domain {
	xmlDocPtr doc;
	unsigned vcpus;
	uint64_t mem_mib;
};

/* 400 on field domain_xml naming what is wrong; on success d->doc is the caller's to free. */
int operator_xml_read(const char *xml, const struct operator_limits *lim, struct operator_domain *d,
		      struct api_error *err);

#endif
