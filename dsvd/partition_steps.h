/* The steps of a partition apply (internal to partition.c): each one journals the values it
 * replaces before writing, so a rollback or release can restore them. */
#ifndef DSVD_PARTITION_STEPS_H
#define DSVD_PARTITION_STEPS_H

#include "partition.h"

#define PARTITION_ERRLEN 512

struct apply_run {
    const struct partition_ctx *ctx;
    const struct host_topology *t;
    struct partition_state *st;
    char err[PARTITION_ERRLEN];
};

int step_cpusets(struct apply_run *r);
int step_tasks(struct apply_run *r);
int step_irqs(struct apply_run *r);
int step_workqueue(struct apply_run *r);
int step_hugepages(struct apply_run *r);

#endif
