/* The partition steps: cpusets (v1 or v2), host tasks, IRQs, workqueues, hugepages. */
#include "partition_steps.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int write_new(const char *dir, const char *file, const char *value, char *err)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return hostfs_write(path, value, err, PARTITION_ERRLEN);
}

static int set_value(struct apply_run *r, const char *dir, const char *file, const char *value)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return journal_set(&r->st->journal, path, value, r->err, sizeof(r->err));
}

/* Removes the HPC CPUs from an existing cgroup tree, children first (a child must stay a
 * subset of its parent). */
static int narrow_tree(struct apply_run *r, const char *dir, int depth)
{
	if (depth > 16)
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		char child[1024];
		snprintf(child, sizeof(child), "%s/%s", dir, de->d_name);
		rc = narrow_tree(r, child, depth + 1);
	}
	closedir(d);
	if (rc < 0)
		return rc;
	char path[1024], buf[HOSTFS_VALUE_MAX], why[128];
	snprintf(path, sizeof(path), "%s/cpuset.cpus", dir);
	if (hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) < 0)
		return 0;
	struct cpu_bits cur;
	if (cpu_bits_parse_list(buf, &cur, why, sizeof(why)) < 0 ||
	    !cpu_bits_intersects(&cur, &r->st->spec.hpc_cpus))
		return 0;
	cpu_bits_andnot(&cur, &r->st->spec.hpc_cpus);
	if (cpu_bits_empty(&cur))
		cur = r->st->spec.housekeeping_cpus;
	cpu_bits_format_list(&cur, buf, sizeof(buf));
	return journal_set(&r->st->journal, path, buf, r->err, sizeof(r->err));
}

static int make_cpuset(struct apply_run *r, const char *dir, const struct cpu_bits *cpus,
		       const char *mems)
{
	char list[1024];
	cpu_bits_format_list(cpus, list, sizeof(list));
	if (journal_mkdir(&r->st->journal, dir, r->err, sizeof(r->err)) < 0 ||
	    write_new(dir, "cpuset.cpus", list, r->err) < 0 ||
	    write_new(dir, "cpuset.mems", mems, r->err) < 0)
		return -1;
	return 0;
}

/*
 * libvirt puts every QEMU under a top-level "machine" cpuset that it creates, on first use,
 * with all of the root's CPUs; once the HPC CPUs are exclusive that write fails and no
 * commodity VM can start. Made here beforehand, it is narrowed like any other cpuset and
 * widened again on release, and libvirt finds it in place.
 */
static int ensure_libvirt_cpuset(struct apply_run *r, const char *mems)
{
	char dir[1024], cpus[HOSTFS_VALUE_MAX];
	snprintf(dir, sizeof(dir), "%s/machine", r->st->root_cgroup);
	if (access(dir, F_OK) == 0)
		return 0;
	char path[1024];
	snprintf(path, sizeof(path), "%s/cpuset.cpus", r->st->root_cgroup);
	if (hostfs_read(path, cpus, sizeof(cpus), r->err, sizeof(r->err)) < 0)
		return -1;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(r->err, sizeof(r->err), "cannot create libvirt's cpuset %s: %s", dir,
			 strerror(errno));
		return -1;
	}
	return write_new(dir, "cpuset.cpus", cpus, r->err) < 0 ||
			       write_new(dir, "cpuset.mems", mems, r->err) < 0
		       ? -1
		       : 0;
}

static int step_cpusets_v1(struct apply_run *r)
{
	struct partition_state *st = r->st;
	const char *cs = st->root_cgroup;
	char all_mems[HOSTFS_VALUE_MAX], path[1024], hpc_mems[256];
	snprintf(path, sizeof(path), "%s/cpuset.mems", cs);
	if (hostfs_read(path, all_mems, sizeof(all_mems), r->err, sizeof(r->err)) < 0)
		return -1;
	cpu_bits_format_list(&st->hpc_nodes, hpc_mems, sizeof(hpc_mems));
	if (make_cpuset(r, st->host_cgroup, &st->spec.housekeeping_cpus, all_mems) < 0)
		return -1;
	if (!cpu_bits_empty(&st->spec.commodity_cpus) &&
	    make_cpuset(r, st->commodity_cgroup, &st->spec.commodity_cpus, all_mems) < 0)
		return -1;
	if (ensure_libvirt_cpuset(r, all_mems) < 0)
		return -1;
	DIR *d = opendir(cs);
	if (!d) {
		snprintf(r->err, sizeof(r->err), "cannot list %s: %s", cs, strerror(errno));
		return -1;
	}
	struct dirent *de;
	int rc = 0;
	st->preexisting[0] = '\0';
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    strncmp(de->d_name, "dsv-", 4) == 0)
			continue;
		size_t used = strlen(st->preexisting);
		snprintf(st->preexisting + used, sizeof(st->preexisting) - used, "%s\n",
			 de->d_name);
		char child[1024];
		snprintf(child, sizeof(child), "%s/%s", cs, de->d_name);
		rc = narrow_tree(r, child, 1);
	}
	closedir(d);
	if (rc < 0)
		return -1;
	if (make_cpuset(r, st->hpc_cgroup, &st->spec.hpc_cpus, hpc_mems) < 0 ||
	    write_new(st->hpc_cgroup, "cpuset.cpu_exclusive", "1", r->err) < 0 ||
	    write_new(st->hpc_cgroup, "cpuset.sched_load_balance", "0", r->err) < 0)
		return -1;
	return set_value(r, cs, "cpuset.sched_load_balance", "0");
}

static int step_cpusets_v2(struct apply_run *r)
{
	struct partition_state *st = r->st;
	const char *cg = st->root_cgroup;
	char path[1024], buf[HOSTFS_VALUE_MAX], hpc_mems[256];
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", cg);
	if (hostfs_read(path, buf, sizeof(buf), r->err, sizeof(r->err)) < 0)
		return -1;
	if (!strstr(buf, "cpuset")) {
		/* subtree_control takes operations: the undo of "+cpuset" is "-cpuset" */
		if (hostfs_write(path, "+cpuset", r->err, sizeof(r->err)) < 0 ||
		    journal_record(&st->journal, path, "-cpuset", r->err, sizeof(r->err)) < 0)
			return -1;
	}
	cpu_bits_format_list(&st->hpc_nodes, hpc_mems, sizeof(hpc_mems));
	if (!cpu_bits_empty(&st->spec.commodity_cpus) &&
	    make_cpuset(r, st->commodity_cgroup, &st->spec.commodity_cpus, "") < 0)
		return -1;
	if (make_cpuset(r, st->hpc_cgroup, &st->spec.hpc_cpus, hpc_mems) < 0 ||
	    write_new(st->hpc_cgroup, "cpuset.cpus.partition", "isolated", r->err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/cpuset.cpus.partition", st->hpc_cgroup);
	if (hostfs_read(path, buf, sizeof(buf), r->err, sizeof(r->err)) < 0)
		return -1;
	if (strcmp(buf, "isolated") != 0) {
		snprintf(r->err, sizeof(r->err), "the kernel refused the isolated partition: %s",
			 buf);
		return -1;
	}
	return 0;
}

int step_cpusets(struct apply_run *r)
{
	return strcmp(r->st->cgroup_mode, "v2") == 0 ? step_cpusets_v2(r) : step_cpusets_v1(r);
}

int step_tasks(struct apply_run *r)
{
	struct partition_state *st = r->st;
	if (strcmp(st->cgroup_mode, "v1") != 0)
		return 0; /* a v2 isolated partition already keeps other tasks off its CPUs */
	char from[1024], to[1024];
	snprintf(from, sizeof(from), "%s/tasks", st->root_cgroup);
	snprintf(to, sizeof(to), "%s/tasks", st->host_cgroup);
	return journal_move_tasks(&st->journal, from, to,
				  hostfs_is_fake(r->ctx->fs) ? NULL : &r->t->online,
				  &st->tasks_moved, r->err, sizeof(r->err));
}

/* new = cur - hpc, or housekeeping when nothing else is left */
static void steer_away(const struct partition_state *st, struct cpu_bits *cur)
{
	cpu_bits_andnot(cur, &st->spec.hpc_cpus);
	if (cpu_bits_empty(cur))
		*cur = st->spec.housekeeping_cpus;
}

static int steer_mask_file(struct apply_run *r, const char *path)
{
	char buf[HOSTFS_VALUE_MAX], why[128];
	if (!hostfs_exists(path))
		return 0;
	if (hostfs_read(path, buf, sizeof(buf), r->err, sizeof(r->err)) < 0)
		return -1;
	struct cpu_bits cur;
	if (cpu_bits_parse_mask(buf, &cur, why, sizeof(why)) < 0) {
		snprintf(r->err, sizeof(r->err), "%s: %s", path, why);
		return -1;
	}
	if (!cpu_bits_intersects(&cur, &r->st->spec.hpc_cpus))
		return 0;
	steer_away(r->st, &cur);
	/* the kernel prints masks zero-padded to the CPU count; write ours and compare parsed */
	cpu_bits_format_mask(&cur, buf, sizeof(buf));
	return journal_set(&r->st->journal, path, buf, r->err, sizeof(r->err));
}

int partition_each_irq(const struct hostfs *fs, partition_irq_fn fn, void *arg)
{
	char dir[512];
	hostfs_path(fs, dir, sizeof(dir), "/proc/irq");
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int rc = 0;
	struct dirent *de;
	while (!rc && (de = readdir(d))) {
		char *end;
		long irq = strtol(de->d_name, &end, 10);
		if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end)
			continue;
		char path[1024], buf[HOSTFS_VALUE_MAX], why[128];
		snprintf(path, sizeof(path), "%s/%s/smp_affinity_list", dir, de->d_name);
		struct cpu_bits cpus;
		if (hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) == 0 &&
		    cpu_bits_parse_list(buf, &cpus, why, sizeof(why)) == 0)
			rc = fn(arg, irq, path, &cpus);
	}
	closedir(d);
	return rc;
}

static int steer_irq(void *arg, long irq, const char *path, const struct cpu_bits *now)
{
	struct partition_state *st = arg;
	if (!cpu_bits_intersects(now, &st->spec.hpc_cpus))
		return 0;
	struct cpu_bits cur = *now;
	char buf[HOSTFS_VALUE_MAX], why[PARTITION_ERRLEN];
	steer_away(st, &cur);
	cpu_bits_format_list(&cur, buf, sizeof(buf));
	/* some interrupts cannot be moved (EIO, or EPERM for kernel-managed affinity, which
     * only isolcpus=managed_irq at boot avoids): they are recorded, not fatal */
	if (journal_set(&st->journal, path, buf, why, sizeof(why)) < 0) {
		size_t l = strlen(st->irqs_unmovable);
		if (l + 24 < sizeof(st->irqs_unmovable))
			snprintf(st->irqs_unmovable + l, sizeof(st->irqs_unmovable) - l, "%s%ld",
				 l ? "," : "", irq);
		st->irqs_skipped++;
	} else
		st->irqs_moved++;
	return 0;
}

int step_irqs(struct apply_run *r)
{
	partition_each_irq(r->ctx->fs, steer_irq, r->st);
	char path[1024];
	hostfs_path(r->ctx->fs, path, sizeof(path), "/proc/irq/default_smp_affinity");
	return steer_mask_file(r, path);
}

int step_workqueue(struct apply_run *r)
{
	char path[512];
	hostfs_path(r->ctx->fs, path, sizeof(path), "/sys/devices/virtual/workqueue/cpumask");
	return steer_mask_file(r, path);
}

int partition_hugepage_path(const struct partition_ctx *ctx, const struct partition_state *st,
			    unsigned node, char *out, size_t len)
{
	char nodedir[512];
	hostfs_path(ctx->fs, nodedir, sizeof(nodedir), "/sys/devices/system/node/node%u", node);
	if (hostfs_exists(nodedir))
		return hostfs_path(
			ctx->fs, out, len,
			"/sys/devices/system/node/node%u/hugepages/hugepages-%llukB/nr_hugepages",
			node, (unsigned long long)st->hugepage_kb);
	return hostfs_path(ctx->fs, out, len,
			   "/sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
			   (unsigned long long)st->hugepage_kb);
}

int step_hugepages(struct apply_run *r)
{
	struct partition_state *st = r->st;
	uint64_t pages = st->spec.hpc_mem_mib * 1024 / st->hugepage_kb;
	unsigned nnodes = cpu_bits_count(&st->hpc_nodes);
	if (nnodes == 0) {
		snprintf(r->err, sizeof(r->err), "hugepages: the HPC CPUs belong to no NUMA node");
		return -1;
	}
	for (unsigned i = 0; i < nnodes; i++) {
		unsigned node = (unsigned)cpu_bits_nth(&st->hpc_nodes, i);
		uint64_t share = pages / nnodes + (i == 0 ? pages % nnodes : 0);
		char path[1024], buf[64];
		if (partition_hugepage_path(r->ctx, st, node, path, sizeof(path)) < 0 ||
		    hostfs_read(path, buf, sizeof(buf), r->err, sizeof(r->err)) < 0)
			return -1;
		uint64_t before = strtoull(buf, NULL, 10), want = before + share;
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)want);
		if (journal_set(&st->journal, path, buf, r->err, sizeof(r->err)) < 0)
			return -1;
		if (hostfs_read(path, buf, sizeof(buf), r->err, sizeof(r->err)) < 0)
			return -1;
		uint64_t got = strtoull(buf, NULL, 10);
		if (got < want) {
			snprintf(r->err, sizeof(r->err),
				 "hpc_mem_mib: node %u could reserve only %llu of %llu hugepages "
				 "of %llu kB "
				 "(%llu MiB of %llu MiB)",
				 node, (unsigned long long)(got - (got > before ? before : got)),
				 (unsigned long long)share, (unsigned long long)st->hugepage_kb,
				 (unsigned long long)((got > before ? got - before : 0) *
						      st->hugepage_kb / 1024),
				 (unsigned long long)(share * st->hugepage_kb / 1024));
			return -1;
		}
		st->hugepages_reserved += share;
	}
	return 0;
}
