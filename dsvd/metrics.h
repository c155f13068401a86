/* GET /metrics: Prometheus text exposition (version 0.0.4) of per-VM and per-partition CPU
 * time, memory and VM counts. */
#ifndef DSVD_METRICS_H
#define DSVD_METRICS_H

#include "agent.h"

/* Returns a malloc'd text, or NULL when out of memory. */
char *metrics_render(struct agent *a);

#endif
