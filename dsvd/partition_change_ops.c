/* What a live repartition writes (partition_change_ops.h). Each value's target is what an
 * apply of the new split would have made of its value before the first apply: the journal's
 * copy when the partition changed it, the present one otherwise. */
#include "partition_change_ops.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition_steps.h"

struct build {
	const struct partition_ctx *ctx;
	const struct partition_state *st;
	const struct partition_spec *next;
	struct change_ops narrow, widen; /* the cgroup writes before and after the HPC cpuset's */
	char err[256];
};

static struct change_op *push(struct change_ops *ops, enum change_kind kind, const char *path)
{
	if (ops->n == ops->cap) {
		size_t cap = ops->cap ? ops->cap * 2 : 16;
		struct change_op *v = realloc(ops->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		ops->v = v;
		ops->cap = cap;
	}
	struct change_op *op = &ops->v[ops->n++];
	memset(op, 0, sizeof(*op));
	op->kind = kind;
	snprintf(op->path, sizeof(op->path), "%s", path);
	return op;
}

static int append_all(struct change_ops *dst, const struct change_ops *src)
{
	for (size_t i = 0; i < src->n; i++) {
		struct change_op *op = push(dst, src->v[i].kind, src->v[i].path);
		if (!op)
			return -1;
		*op = src->v[i];
	}
	return 0;
}

void change_ops_free(struct change_ops *ops)
{
	free(ops->v);
	memset(ops, 0, sizeof(*ops));
}

/* What apply makes of a CPU set: off the HPC CPUs, housekeeping if nothing is left; a set
 * that holds no HPC CPU stays as it is. */
static void steer(const struct partition_spec *next, struct cpu_bits *s)
{
	if (!cpu_bits_intersects(s, &next->hpc_cpus))
		return;
	cpu_bits_andnot(s, &next->hpc_cpus);
	if (cpu_bits_empty(s))
		*s = next->housekeeping_cpus;
}

/* The value before the first apply (journal), else the present one. */
static int original_of(const struct partition_state *st, const char *path, const char *now,
		       bool mask, struct cpu_bits *out, bool *journaled)
{
	const char *old = journal_original(&st->journal, path);
	char why[128];
	*journaled = old != NULL;
	const char *text = old ? old : now;
	return mask ? cpu_bits_parse_mask(text, out, why, sizeof(why))
		    : cpu_bits_parse_list(text, out, why, sizeof(why));
}

static int add_cgroup_op(struct build *b, struct change_ops *list, const char *path,
			 const char *label, const struct cpu_bits *from, const struct cpu_bits *to,
			 bool ours)
{
	struct change_op *op = push(list, CHANGE_CGROUP, path);
	if (!op) {
		snprintf(b->err, sizeof(b->err), "out of memory");
		return -1;
	}
	op->ours = ours;
	snprintf(op->label, sizeof(op->label), "%s", label);
	cpu_bits_format_list(from, op->from, sizeof(op->from));
	cpu_bits_format_list(to, op->to, sizeof(op->to));
	return 0;
}

/* Narrowing keeps what the cgroup has of its target, else what it has outside the new HPC
 * CPUs (all of the target when that is nothing too); widening then gives it the rest, once
 * its parent holds it. */
static int plan_cgroup(struct build *b, const char *path, const char *label,
		       const struct cpu_bits *now, const struct cpu_bits *target, bool ours)
{
	struct cpu_bits mid = *now;
	cpu_bits_and(&mid, target);
	if (cpu_bits_empty(&mid)) {
		mid = *now;
		cpu_bits_andnot(&mid, &b->next->hpc_cpus);
	}
	if (cpu_bits_empty(&mid))
		mid = *target;
	if (!cpu_bits_equal(&mid, now) &&
	    add_cgroup_op(b, &b->narrow, path, label, now, &mid, ours) < 0)
		return -1;
	if (!cpu_bits_equal(&mid, target) &&
	    add_cgroup_op(b, &b->widen, path, label, &mid, target, ours) < 0)
		return -1;
	return 0;
}

/* A cgroup and its children. A child the partition never changed that holds exactly its
 * parent's CPUs (libvirt's cgroup of a VM, made from "machine") follows its parent. Children
 * are narrowed before and widened after their parent: the narrow list is built children first
 * (post-order), the widen list parents first. */
static int walk(struct build *b, const char *dir, const char *label, const struct cpu_bits *pnow,
		const struct cpu_bits *ptarget, int depth)
{
	char path[1024], buf[HOSTFS_VALUE_MAX], why[128];
	snprintf(path, sizeof(path), "%s/cpuset.cpus", dir);
	struct cpu_bits now, target;
	bool journaled;
	if (depth > 16 || hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) < 0 ||
	    cpu_bits_parse_list(buf, &now, why, sizeof(why)) < 0 ||
	    original_of(b->st, path, buf, false, &target, &journaled) < 0)
		return 0;
	if (!journaled && pnow && cpu_bits_equal(&now, pnow) && !cpu_bits_equal(pnow, ptarget))
		target = *ptarget;
	else
		steer(b->next, &target);
	size_t narrow_at = b->narrow.n;
	if (plan_cgroup(b, path, label, &now, &target, false) < 0)
		return -1;
	/* this cgroup's narrowing goes after its children's, which the walk below adds */
	struct change_op held;
	bool has_narrow = b->narrow.n > narrow_at;
	if (has_narrow)
		held = b->narrow.v[--b->narrow.n];
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;
	while (d && rc == 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		char child[1024], clabel[512];
		snprintf(child, sizeof(child), "%s/%s", dir, de->d_name);
		snprintf(clabel, sizeof(clabel), "%s/%s", label, de->d_name);
		rc = walk(b, child, clabel, &now, &target, depth + 1);
	}
	if (d)
		closedir(d);
	if (rc == 0 && has_narrow) {
		struct change_op *op = push(&b->narrow, held.kind, held.path);
		if (!op)
			return -1;
		*op = held;
	}
	return rc;
}

/* The cgroups apply did not create: narrowed in v1 only, as apply does. */
static int plan_other_cgroups(struct build *b)
{
	if (strcmp(b->st->cgroup_mode, "v1") != 0)
		return 0;
	DIR *d = opendir(b->st->root_cgroup);
	if (!d)
		return 0;
	struct dirent *de;
	int rc = 0;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.' ||
		    strncmp(de->d_name, "dsv-", 4) == 0)
			continue;
		char dir[1024];
		snprintf(dir, sizeof(dir), "%s/%s", b->st->root_cgroup, de->d_name);
		rc = walk(b, dir, de->d_name, NULL, NULL, 1);
	}
	closedir(d);
	return rc;
}

/* One of apply's own cpusets (dsv-host, dsv-commodity): its set from the new split. */
static int plan_ours(struct build *b, const char *dir, const struct cpu_bits *target)
{
	char path[1024], buf[HOSTFS_VALUE_MAX], why[128];
	const char *label = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	snprintf(path, sizeof(path), "%s/cpuset.cpus", dir);
	if (!hostfs_exists(dir)) {
		if (cpu_bits_empty(target))
			return 0;
		struct cpu_bits none;
		cpu_bits_clear(&none);
		if (add_cgroup_op(b, &b->widen, path, label, &none, target, true) < 0)
			return -1;
		b->widen.v[b->widen.n - 1].mkdir = true;
		return 0;
	}
	struct cpu_bits now;
	if (hostfs_read(path, buf, sizeof(buf), b->err, sizeof(b->err)) < 0 ||
	    cpu_bits_parse_list(buf, &now, why, sizeof(why)) < 0)
		return -1;
	if (cpu_bits_empty(target)) /* an emptied set is narrowed to nothing, never "widened" */
		return cpu_bits_equal(&now, target)
			       ? 0
			       : add_cgroup_op(b, &b->narrow, path, label, &now, target, true);
	return plan_cgroup(b, path, label, &now, target, true);
}

struct irq_plan {
	struct build *b;
	struct change_ops *ops;
};

static int plan_irq(void *arg, long irq, const char *path, const struct cpu_bits *now)
{
	struct irq_plan *p = arg;
	char buf[HOSTFS_VALUE_MAX];
	struct cpu_bits target;
	bool journaled;
	cpu_bits_format_list(now, buf, sizeof(buf));
	if (original_of(p->b->st, path, buf, false, &target, &journaled) < 0)
		return 0;
	steer(p->b->next, &target);
	if (cpu_bits_equal(now, &target))
		return 0;
	struct change_op *op = push(p->ops, CHANGE_IRQ, path);
	if (!op)
		return -1;
	op->id = irq;
	cpu_bits_format_list(now, op->from, sizeof(op->from));
	cpu_bits_format_list(&target, op->to, sizeof(op->to));
	return 0;
}

static int plan_irqs(struct build *b, struct change_ops *ops)
{
	struct irq_plan p = { .b = b, .ops = ops };
	return partition_each_irq(b->ctx->fs, plan_irq, &p);
}

static int plan_mask(struct build *b, struct change_ops *ops, const char *rel, const char *label)
{
	char path[512], buf[HOSTFS_VALUE_MAX], why[128];
	hostfs_path(b->ctx->fs, path, sizeof(path), "%s", rel);
	struct cpu_bits now, target;
	bool journaled;
	if (!hostfs_exists(path) || hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) < 0 ||
	    cpu_bits_parse_mask(buf, &now, why, sizeof(why)) < 0 ||
	    original_of(b->st, path, buf, true, &target, &journaled) < 0)
		return 0;
	steer(b->next, &target);
	if (cpu_bits_equal(&now, &target))
		return 0;
	struct change_op *op = push(ops, CHANGE_MASK, path);
	if (!op)
		return -1;
	snprintf(op->label, sizeof(op->label), "%s", label);
	cpu_bits_format_mask(&now, op->from, sizeof(op->from));
	cpu_bits_format_mask(&target, op->to, sizeof(op->to));
	return 0;
}

/* Each HPC node gets its share of the new pool on top of what it had before the first apply,
 * split as step_hugepages splits it. */
static int plan_hugepages(struct build *b, struct change_ops *ops)
{
	const struct partition_state *st = b->st;
	uint64_t pages = st->hugepage_kb ? b->next->hpc_mem_mib * 1024 / st->hugepage_kb : 0;
	unsigned nnodes = cpu_bits_count(&st->hpc_nodes);
	for (unsigned i = 0; i < nnodes; i++) {
		unsigned node = (unsigned)cpu_bits_nth(&st->hpc_nodes, i);
		uint64_t share = pages / nnodes + (i == 0 ? pages % nnodes : 0);
		char path[1024], buf[64];
		if (partition_hugepage_path(b->ctx, st, node, path, sizeof(path)) < 0 ||
		    hostfs_read(path, buf, sizeof(buf), b->err, sizeof(b->err)) < 0)
			return -1;
		const char *old = journal_original(&st->journal, path);
		uint64_t now = strtoull(buf, NULL, 10),
			 want = strtoull(old ? old : buf, NULL, 10) + share;
		if (!old) /* untouched by apply (no share then): its present count is the base */
			want = now + share;
		if (now == want)
			continue;
		struct change_op *op = push(ops, CHANGE_HUGEPAGES, path);
		if (!op)
			return -1;
		op->id = node;
		snprintf(op->from, sizeof(op->from), "%llu", (unsigned long long)now);
		snprintf(op->to, sizeof(op->to), "%llu", (unsigned long long)want);
	}
	return 0;
}

int change_ops_build(const struct partition_ctx *ctx, const struct partition_state *st,
		     const struct partition_spec *next, struct change_ops *ops, char *err,
		     size_t errlen)
{
	struct build b = { .ctx = ctx, .st = st, .next = next };
	memset(ops, 0, sizeof(*ops));
	int rc = plan_other_cgroups(&b);
	if (rc == 0 && strcmp(st->cgroup_mode, "v1") == 0)
		rc = plan_ours(&b, st->host_cgroup, &next->housekeeping_cpus);
	if (rc == 0)
		rc = plan_ours(&b, st->commodity_cgroup, &next->commodity_cpus);
	if (rc == 0)
		rc = append_all(ops, &b.narrow);
	if (rc == 0 && !cpu_bits_equal(&st->spec.hpc_cpus, &next->hpc_cpus)) {
		char path[1024];
		snprintf(path, sizeof(path), "%s/cpuset.cpus", st->hpc_cgroup);
		struct change_ops one = { 0 };
		rc = add_cgroup_op(&b, &one, path, "dsv-hpc", &st->spec.hpc_cpus, &next->hpc_cpus,
				   true);
		if (rc == 0)
			rc = append_all(ops, &one);
		change_ops_free(&one);
	}
	if (rc == 0)
		rc = append_all(ops, &b.widen);
	if (rc == 0)
		rc = plan_irqs(&b, ops);
	if (rc == 0)
		rc = plan_mask(&b, ops, "/proc/irq/default_smp_affinity", "default_smp_affinity");
	if (rc == 0)
		rc = plan_mask(&b, ops, "/sys/devices/virtual/workqueue/cpumask",
			       "workqueue_cpumask");
	if (rc == 0)
		rc = plan_hugepages(&b, ops);
	change_ops_free(&b.narrow);
	change_ops_free(&b.widen);
	if (rc < 0) {
		snprintf(err, errlen, "%s", b.err[0] ? b.err : "out of memory");
		change_ops_free(ops);
	}
	return rc;
}
