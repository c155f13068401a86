#include "partition.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "partition_steps.h"

void partition_propose(const struct host_topology *t, struct partition_spec *out)
{
	memset(out, 0, sizeof(*out));
	int first = cpu_bits_nth(&t->online, 0);
	out->hpc_cpus = t->online;
	cpu_bits_clear(&out->housekeeping_cpus);
	if (first >= 0) {
		cpu_bits_set(&out->housekeeping_cpus, (unsigned)first);
		cpu_bits_andnot(&out->hpc_cpus, &out->housekeeping_cpus);
	}
	out->commodity_cpus = out->housekeeping_cpus;
	struct cpu_bits nodes;
	host_topology_nodes_of(t, &out->hpc_cpus, &nodes);
	uint64_t kb = 0;
	for (unsigned i = 0; i < t->nr_nodes; i++)
		if (cpu_bits_has(&nodes, t->nodes[i].id))
			kb += t->nodes[i].mem_total_kb;
	out->hpc_mem_mib = (kb / 1024 / 4) & ~UINT64_C(1);
	if (out->hpc_mem_mib < 2)
		out->hpc_mem_mib = 2;
	out->has_hpc_cpus = out->has_housekeeping_cpus = out->has_commodity_cpus = true;
	out->has_hpc_mem = true;
}

static int check_exists(const struct host_topology *t, const struct cpu_bits *cpus,
			const char *field, struct api_error *err)
{
	if (cpu_bits_subset(cpus, &t->online))
		return 0;
	struct cpu_bits missing = *cpus;
	cpu_bits_andnot(&missing, &t->online);
	char m[256], on[256];
	cpu_bits_format_list(&missing, m, sizeof(m));
	cpu_bits_format_list(&t->online, on, sizeof(on));
	return api_fail(err, 400, field, "CPU(s) %s do not exist or are offline (online: %s)", m,
			on);
}

int partition_resolve(const struct host_topology *t, const struct partition_spec *req,
		      struct partition_spec *out, struct api_error *err)
{
	if (!req->has_hpc_cpus) {
		partition_propose(t, out);
		if (req->has_hpc_mem)
			out->hpc_mem_mib = req->hpc_mem_mib;
	} else {
		*out = *req;
	}
	if (check_exists(t, &out->hpc_cpus, "hpc_cpus", err) < 0)
		return -1;
	struct cpu_bits rest = t->online;
	cpu_bits_andnot(&rest, &out->hpc_cpus);
	if (!out->has_housekeeping_cpus) {
		out->housekeeping_cpus = rest;
		out->has_housekeeping_cpus = true;
	}
	if (!out->has_commodity_cpus) {
		out->commodity_cpus = rest;
		out->has_commodity_cpus = true;
	}
	if (check_exists(t, &out->housekeeping_cpus, "housekeeping_cpus", err) < 0 ||
	    check_exists(t, &out->commodity_cpus, "commodity_cpus", err) < 0)
		return -1;
	if (cpu_bits_empty(&out->hpc_cpus))
		return api_fail(err, 400, "hpc_cpus", "must not be empty");
	if (cpu_bits_empty(&out->housekeeping_cpus))
		return api_fail(
			err, 400, "housekeeping_cpus",
			"is empty: at least one CPU must stay outside hpc_cpus for the host");
	if (cpu_bits_intersects(&out->hpc_cpus, &out->housekeeping_cpus))
		return api_fail(err, 400, "housekeeping_cpus", "overlaps hpc_cpus");
	if (cpu_bits_intersects(&out->hpc_cpus, &out->commodity_cpus))
		return api_fail(err, 400, "commodity_cpus", "overlaps hpc_cpus");
	if (!out->has_hpc_mem || out->hpc_mem_mib == 0)
		return api_fail(err, 400, "hpc_mem_mib", "required field is missing");
	uint64_t page_mib = t->hugepage_kb / 1024;
	if (page_mib == 0 || out->hpc_mem_mib % page_mib)
		return api_fail(err, 400, "hpc_mem_mib",
				"must be a multiple of the hugepage size (%llu kB)",
				(unsigned long long)t->hugepage_kb);
	struct cpu_bits nodes;
	host_topology_nodes_of(t, &out->hpc_cpus, &nodes);
	uint64_t kb = 0;
	for (unsigned i = 0; i < t->nr_nodes; i++)
		if (cpu_bits_has(&nodes, t->nodes[i].id))
			kb += t->nodes[i].mem_total_kb;
	if (kb && out->hpc_mem_mib > kb / 1024)
		return api_fail(err, 400, "hpc_mem_mib",
				"%llu MiB is more than the %llu MiB the HPC CPUs' NUMA nodes have",
				(unsigned long long)out->hpc_mem_mib,
				(unsigned long long)(kb / 1024));
	return 0;
}

static const struct {
	const char *name;
	int (*run)(struct apply_run *r);
} steps[] = {
	{ "cpusets", step_cpusets },	 { "tasks", step_tasks },
	{ "irqs", step_irqs },		 { "workqueue", step_workqueue },
	{ "hugepages", step_hugepages }, { "hugetlbfs", step_hugetlbfs },
};

/* The mount first: while it holds its reservation, nr_hugepages cannot go back down. When it
 * cannot be unmounted the journal is left whole, for a retry. */
static int undo_all(const struct partition_ctx *ctx, struct partition_state *st, char *err,
		    size_t errlen)
{
	if (partition_hugetlbfs_undo(ctx, st, err, errlen) < 0)
		return -1;
	return journal_undo(&st->journal, err, errlen);
}

static int detect_cgroup(const struct partition_ctx *ctx, struct partition_state *st, char *err)
{
	char path[512], buf[HOSTFS_VALUE_MAX], why[PARTITION_ERRLEN];
	hostfs_path(ctx->fs, path, sizeof(path), "/sys/fs/cgroup/cgroup.controllers");
	if (hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) == 0 && strstr(buf, "cpuset")) {
		snprintf(st->cgroup_mode, sizeof(st->cgroup_mode), "v2");
		hostfs_path(ctx->fs, st->root_cgroup, sizeof(st->root_cgroup), "/sys/fs/cgroup");
	} else {
		hostfs_path(ctx->fs, path, sizeof(path), "/sys/fs/cgroup/cpuset/cpuset.cpus");
		if (!hostfs_exists(path)) {
			snprintf(err, PARTITION_ERRLEN,
				 "no cpuset controller: neither cgroup v2 with cpuset nor a v1 "
				 "cpuset hierarchy at /sys/fs/cgroup/cpuset");
			return -1;
		}
		snprintf(st->cgroup_mode, sizeof(st->cgroup_mode), "v1");
		hostfs_path(ctx->fs, st->root_cgroup, sizeof(st->root_cgroup),
			    "/sys/fs/cgroup/cpuset");
	}
	snprintf(st->hpc_cgroup, sizeof(st->hpc_cgroup), "%s/dsv-hpc", st->root_cgroup);
	snprintf(st->host_cgroup, sizeof(st->host_cgroup), "%s/dsv-host", st->root_cgroup);
	snprintf(st->commodity_cgroup, sizeof(st->commodity_cgroup), "%s/dsv-commodity",
		 st->root_cgroup);
	return 0;
}

static void save_progress(const struct partition_ctx *ctx, const struct partition_state *st)
{
	char err[PARTITION_ERRLEN];
	if (ctx->state_path)
		partition_state_save(st, ctx->state_path, err, sizeof(err));
}

int partition_apply(const struct partition_ctx *ctx, const struct host_topology *t,
		    const struct partition_spec *spec, struct partition_state *st,
		    struct api_error *err)
{
	partition_state_free(st);
	partition_state_init(st, hostfs_is_fake(ctx->fs));
	st->spec = *spec;
	st->hugepage_kb = t->hugepage_kb;
	host_topology_nodes_of(t, &spec->hpc_cpus, &st->hpc_nodes);
	struct apply_run r = { .ctx = ctx, .t = t, .st = st };
	if (detect_cgroup(ctx, st, r.err) < 0)
		return api_fail(err, 500, "", "%s", r.err);
	st->applying = true;
	save_progress(ctx, st);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		int rc = steps[i].run(&r);
		if (rc == 0 && ctx->fail_after && strcmp(ctx->fail_after, steps[i].name) == 0) {
			snprintf(r.err, sizeof(r.err), "injected failure after step '%s'",
				 steps[i].name);
			rc = -1;
		}
		save_progress(ctx, st);
		if (rc < 0) {
			char undo_err[PARTITION_ERRLEN] = "";
			int urc = undo_all(ctx, st, undo_err, sizeof(undo_err));
			if (urc == 0 && ctx->state_path)
				unlink(ctx->state_path);
			else
				save_progress(
					ctx,
					st); /* still "applying": the next start rolls back the rest */
			st->applying = false;
			bool memory = strncmp(r.err, "hpc_mem_mib", 11) == 0;
			return api_fail(
				err, memory ? 409 : 500, "",
				"partition failed at step '%s': %s; %s%s", steps[i].name, r.err,
				urc == 0 ? "every change was rolled back" : "rollback incomplete: ",
				urc == 0 ? "" : undo_err);
		}
	}
	st->applying = false;
	st->active = true;
	save_progress(ctx, st);
	return 0;
}

static bool was_preexisting(const struct partition_state *st, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = st->preexisting; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (nl ? 1 : 0);
	}
	return false;
}

/* A top-level cpuset created while the partition held its CPUs exclusively (libvirt's
 * "machine", say) could not include them; once released it gets them back. */
static void widen_newcomers(struct partition_state *st)
{
	if (strcmp(st->cgroup_mode, "v1") != 0)
		return;
	DIR *d = opendir(st->root_cgroup);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    strncmp(de->d_name, "dsv-", 4) == 0 || was_preexisting(st, de->d_name))
			continue;
		char path[1024], buf[HOSTFS_VALUE_MAX], why[PARTITION_ERRLEN];
		snprintf(path, sizeof(path), "%s/%s/cpuset.cpus", st->root_cgroup, de->d_name);
		struct cpu_bits cur;
		if (hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) < 0 ||
		    cpu_bits_parse_list(buf, &cur, why, sizeof(why)) < 0 || cpu_bits_empty(&cur) ||
		    cpu_bits_subset(&st->spec.hpc_cpus, &cur))
			continue;
		cpu_bits_or(&cur, &st->spec.hpc_cpus);
		cpu_bits_format_list(&cur, buf, sizeof(buf));
		hostfs_write(path, buf, why, sizeof(why));
	}
	closedir(d);
}

int partition_release(const struct partition_ctx *ctx, struct partition_state *st,
		      struct api_error *err)
{
	char why[PARTITION_ERRLEN] = "";
	int rc = undo_all(ctx, st, why, sizeof(why));
	if (rc == 0)
		widen_newcomers(st);
	st->applying = false;
	if (rc < 0) {
		/* still partitioned: what is left in the journal is retried by the next release */
		st->active = true;
		save_progress(ctx, st);
		return api_fail(err, 500, "", "release incomplete (%zu value(s)%s left, retry): %s",
				st->journal.count,
				st->hugetlbfs.mounted ? " and the hugetlbfs mount" : "", why);
	}
	st->active = false;
	if (ctx->state_path && unlink(ctx->state_path) < 0 && errno != ENOENT)
		return api_fail(err, 500, "", "cannot remove %s: %s", ctx->state_path,
				strerror(errno));
	return 0;
}
