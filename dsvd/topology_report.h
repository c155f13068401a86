/* The node's topology as hwloc sees it (packages, NUMA nodes with memory, cores, PUs,
 * caches), as JSON for GET /node. */
#ifndef DSVD_TOPOLOGY_REPORT_H
#define DSVD_TOPOLOGY_REPORT_H

#include <jansson.h>

/* Returns a new JSON object, or an object with an "error" member when hwloc fails. */
json_t *topology_report(void);

#endif
