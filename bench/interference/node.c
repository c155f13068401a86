/* Node modes: partitioned through dsvd, or shared (released), and other tools on the node. */
#include "interference.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "bench_json.h"
#include "bench_proc.h"

/* ---- node modes ---- */

static bool foreign_partition(const struct ix_ctx *x)
{
	struct stat st;
	return !x->dsvd.partitioned && stat("/sys/fs/cgroup/cpuset/dsv-hpc", &st) == 0;
}

static bool cpus_allowed(const struct ix_cfg *c)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set))
		return false;
	for (int i = 0; i < c->nall; i++)
		if (!CPU_ISSET(c->all[i], &set))
			return false;
	return true;
}

/* Waits while another tool holds the node partitioned. */
static int wait_for_node(struct ix_ctx *x, char *err, size_t errlen)
{
	double t0 = ix_now();
	bool said = false;
	while (foreign_partition(x) || (!x->dsvd.partitioned && !cpus_allowed(x->cfg))) {
		if (ix_now() - t0 > x->cfg->wait_s) {
			snprintf(err, errlen,
				 "the node is partitioned by another tool (a dsv-hpc "
				 "cpuset exists or CPUs are withheld) for more than %.0f s",
				 x->cfg->wait_s);
			return -1;
		}
		if (!said)
			ix_progress("waiting: the node is partitioned by another tool...\n");
		said = true;
		if (!ix_sleep(0.5)) {
			snprintf(err, errlen, "stopped");
			return -1;
		}
	}
	return 0;
}

int ix_node_mode(struct ix_ctx *x, bool partitioned, char *err, size_t errlen)
{
	if (!partitioned) {
		x->dsvd.hpc_tasks[0] = 0;
		if (x->dsvd.partitioned) {
			double t0 = ix_now();
			if (ix_dsvd_release(&x->dsvd, err, errlen) < 0)
				return -1;
			ix_progress("released the node partition (%.1f s)\n", ix_now() - t0);
		}
		return wait_for_node(x, err, errlen);
	}
	if (x->dsvd.partitioned)
		return 0;
	if (x->dsvd.pid == 0) { /* an existing dsvd: use its partition when it has one */
		int p = ix_dsvd_partitioned(&x->dsvd, err, errlen);
		if (p < 0)
			return -1;
		if (p == 1) {
			ix_note(x,
				"the node was already partitioned by the dsvd at %s; it was used "
				"as it is and left applied",
				x->dsvd.sock);
			return ix_dsvd_hpc_cgroup(&x->dsvd, err, errlen);
		}
	}
	if (wait_for_node(x, err, errlen) < 0)
		return -1;
	double t0 = ix_now();
	if (ix_dsvd_partition(&x->dsvd, x->cfg, err, errlen) < 0)
		return -1;
	if (ix_dsvd_hpc_cgroup(&x->dsvd, err, errlen) < 0)
		return -1;
	ix_progress("partitioned the node: HPC CPUs %s, housekeeping %s, commodity %s, %d MiB "
		    "hugepages (%.1f s)\n",
		    x->cfg->hpc_list, x->cfg->hk_list, x->cfg->comm_list, x->cfg->part_mem_mib,
		    ix_now() - t0);
	return 0;
}

/*
 * Other dsvd instances on the host (other test suites, a system agent) partition with the
 * same cgroup names (dsv-hpc, dsv-host, ...) and move every task of the root cpuset when they
 * apply: a run during which one was alive is flagged. Returns how many there are.
 */
int ix_foreign_dsvds(const struct ix_ctx *x, char *which, size_t cap)
{
	DIR *d = opendir("/proc");
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		int pid = atoi(de->d_name);
		if (pid <= 0 || pid == x->dsvd.pid)
			continue;
		char path[64], comm[64] = "";
		snprintf(path, sizeof path, "/proc/%d/comm", pid);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof comm, f) && !strcmp(comm, "dsvd\n")) {
			if (!n)
				snprintf(which, cap, "pid %d", pid);
			n++;
		}
		fclose(f);
	}
	if (d)
		closedir(d);
	return n;
}
