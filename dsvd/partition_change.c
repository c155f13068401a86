/* The plan and the apply of a live repartition (partition_change.h), both from one list of
 * writes (partition_change_ops.c). */
#include "partition_change.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "partition_change_ops.h"
#include "partition_steps.h"

static json_t *cpus_json(const struct cpu_bits *s)
{
	char buf[1024];
	cpu_bits_format_list(s, buf, sizeof(buf));
	return json_string(buf);
}

static bool resizes_hugetlbfs(const struct partition_state *st, const struct partition_spec *next)
{
	return st->hugetlbfs.mounted && next->hpc_mem_mib != st->spec.hpc_mem_mib;
}

int partition_change_check_remount(const struct partition_ctx *ctx,
				   const struct partition_state *st,
				   const struct partition_spec *next, struct api_error *err)
{
	char who[512];
	if (!resizes_hugetlbfs(st, next) ||
	    partition_hugetlbfs_copies(ctx, st, who, sizeof(who)) == 0)
		return 0;
	return api_fail(
		err, 409, "hpc_mem_mib",
		"the HPC hugetlbfs at %s is also mounted in the mount namespace of %s (a VM "
		"started since the apply): the kernel keeps it and its reservation until "
		"they end, so it cannot be mounted again at a new size; change the memory "
		"once they have ended",
		st->hugetlbfs.path, who);
}

static json_t *from_to(const struct change_op *op)
{
	return json_pack("{s:s, s:s}", "from", op->from, "to", op->to);
}

json_t *partition_change_plan(const struct partition_ctx *ctx, const struct partition_state *st,
			      const struct partition_spec *next, struct api_error *err)
{
	struct change_ops ops;
	char why[256];
	if (change_ops_build(ctx, st, next, &ops, why, sizeof(why)) < 0) {
		api_fail(err, 500, "", "cannot read the host: %s", why);
		return NULL;
	}
	struct cpu_bits add = next->hpc_cpus, remove = st->spec.hpc_cpus;
	cpu_bits_andnot(&add, &st->spec.hpc_cpus);
	cpu_bits_andnot(&remove, &next->hpc_cpus);
	json_t *cgroups = json_array(), *irqs = json_array(), *nodes = json_array();
	json_t *dflt = json_null(), *wq = json_null();
	for (size_t i = 0; i < ops.n; i++) {
		const struct change_op *op = &ops.v[i];
		json_t *row = from_to(op);
		switch (op->kind) {
		case CHANGE_CGROUP:
			json_object_set_new(row, "cgroup", json_string(op->label));
			if (op->mkdir)
				json_object_set_new(row, "create", json_true());
			json_array_append_new(cgroups, row);
			break;
		case CHANGE_IRQ:
			json_object_set_new(row, "irq", json_integer(op->id));
			json_array_append_new(irqs, row);
			break;
		case CHANGE_MASK:
			if (strcmp(op->label, "default_smp_affinity") == 0) {
				json_decref(dflt);
				dflt = row;
			} else {
				json_decref(wq);
				wq = row;
			}
			break;
		case CHANGE_HUGEPAGES:
			json_object_set_new(row, "node", json_integer(op->id));
			json_array_append_new(nodes, row);
			break;
		}
	}
	change_ops_free(&ops);
	json_t *fs = resizes_hugetlbfs(st, next)
			     ? json_pack("{s:s, s:{s:I, s:I}}", "path", st->hugetlbfs.path,
					 "size_mib", "from", (json_int_t)st->spec.hpc_mem_mib, "to",
					 (json_int_t)next->hpc_mem_mib)
			     : json_null();
	return json_pack("{s:{s:o, s:o}, s:{s:o, s:o}, s:o, s:o, s:o, s:o, s:{s:I, s:o}, s:o}",
			 "spec", "from", partition_spec_to_json(&st->spec), "to",
			 partition_spec_to_json(next), "hpc_cpus", "add", cpus_json(&add), "remove",
			 cpus_json(&remove), "cgroups", cgroups, "irqs", irqs,
			 "default_smp_affinity", dflt, "workqueue_cpumask", wq, "hugepages",
			 "page_kb", (json_int_t)st->hugepage_kb, "nodes", nodes, "hugetlbfs", fs);
}

/* Where a cgroup first changed now goes in the journal: before its closest journaled
 * ancestor's entry and before the HPC cpuset's creation, so a release gives it its old CPUs
 * back only once they are free again. */
static size_t cgroup_journal_pos(const struct partition_state *st, const char *path)
{
	char hpc[600];
	snprintf(hpc, sizeof(hpc), "%s", st->hpc_cgroup);
	size_t pos = journal_index_of(&st->journal, hpc);
	char dir[1024];
	snprintf(dir, sizeof(dir), "%s", path);
	size_t rootlen = strlen(st->root_cgroup);
	for (;;) {
		char *slash = strrchr(dir, '/');
		if (!slash)
			break;
		*slash =
			'\0'; /* first the cgroup itself (path ends in /cpuset.cpus), then parents */
		if (strlen(dir) <= rootlen)
			break;
		char cpus[1100];
		snprintf(cpus, sizeof(cpus), "%s/cpuset.cpus", dir);
		size_t at = journal_index_of(&st->journal, cpus);
		if (at < pos && strcmp(cpus, path) != 0)
			pos = at;
	}
	return pos;
}

static void save(const struct partition_ctx *ctx, const struct partition_state *st)
{
	char why[PARTITION_ERRLEN];
	if (ctx->state_path)
		partition_state_save(st, ctx->state_path, why, sizeof(why));
}

static int write_op(struct partition_state *st, const struct change_op *op, char *err,
		    size_t errlen)
{
	if (op->kind == CHANGE_CGROUP && op->ours) {
		if (op->mkdir) {
			char dir[600], mems[600], all[HOSTFS_VALUE_MAX] = "";
			snprintf(dir, sizeof(dir), "%s", op->path);
			*strrchr(dir, '/') = '\0';
			snprintf(mems, sizeof(mems), "%s/cpuset.mems", st->root_cgroup);
			if (strcmp(st->cgroup_mode, "v1") == 0 &&
			    hostfs_read(mems, all, sizeof(all), err, errlen) < 0)
				return -1;
			snprintf(mems, sizeof(mems), "%s/cpuset.mems", dir);
			if (journal_mkdir(&st->journal, dir, err, errlen) < 0 ||
			    hostfs_write(mems, all, err, errlen) < 0)
				return -1;
		}
		return hostfs_write(op->path, op->to, err, errlen);
	}
	size_t pos =
		op->kind == CHANGE_CGROUP ? cgroup_journal_pos(st, op->path) : st->journal.count;
	return journal_set_at(&st->journal, pos, op->path, op->to, err, errlen);
}

/* An IRQ whose affinity the kernel would not change, listed once in the state. */
static void note_unmovable(struct partition_state *st, long irq)
{
	char list[sizeof(st->irqs_unmovable) + 2], one[32];
	snprintf(list, sizeof(list), ",%s,", st->irqs_unmovable);
	snprintf(one, sizeof(one), ",%ld,", irq);
	size_t l = strlen(st->irqs_unmovable);
	if (strstr(list, one) || l + strlen(one) >= sizeof(st->irqs_unmovable))
		return;
	snprintf(st->irqs_unmovable + l, sizeof(st->irqs_unmovable) - l, "%s%ld", l ? "," : "",
		 irq);
	st->irqs_skipped++;
}

/* Puts back what ops[0..n) wrote, last first. */
static void undo_ops(const struct change_ops *ops, size_t n)
{
	char why[PARTITION_ERRLEN];
	while (n-- > 0)
		if (!ops->v[n].mkdir)
			hostfs_write(ops->v[n].path, ops->v[n].from, why, sizeof(why));
}

static int check_pages(const struct change_op *op, uint64_t page_kb, char *err, size_t errlen)
{
	char buf[64];
	if (hostfs_read(op->path, buf, sizeof(buf), err, errlen) < 0)
		return -1;
	unsigned long long got = strtoull(buf, NULL, 10), want = strtoull(op->to, NULL, 10);
	if (got == want)
		return 0;
	if (got > want) /* fewer asked: the kernel keeps pages in use or reserved */
		snprintf(err, errlen,
			 "node %ld kept %llu hugepages of %llu kB, more than the %llu "
			 "asked (in use or reserved)",
			 op->id, got, (unsigned long long)page_kb, want);
	else
		snprintf(err, errlen,
			 "node %ld could hold only %llu of the %llu hugepages of %llu kB "
			 "asked",
			 op->id, got, want, (unsigned long long)page_kb);
	return -1;
}

static void hugetlbfs_options(const struct partition_state *st, uint64_t mib, char *out, size_t len)
{
	/* the options step_hugetlbfs mounts with, at the new size */
	const char *uid = strstr(st->hugetlbfs.options, ",mode=");
	snprintf(out, len, "pagesize=%lluK,size=%lluM,min_size=%lluM%s",
		 (unsigned long long)st->hugepage_kb, (unsigned long long)mib,
		 (unsigned long long)mib, uid ? uid : "");
}

int partition_change_apply(const struct partition_ctx *ctx, struct partition_state *st,
			   const struct partition_spec *next, struct api_error *err)
{
	struct change_ops ops;
	char why[PARTITION_ERRLEN];
	if (change_ops_build(ctx, st, next, &ops, why, sizeof(why)) < 0)
		return api_fail(err, 500, "", "cannot read the host: %s", why);
	bool resize = resizes_hugetlbfs(st, next), unmounted = false;
	char old_options[sizeof(st->hugetlbfs.options)];
	snprintf(old_options, sizeof(old_options), "%s", st->hugetlbfs.options);
	size_t done = 0;
	int status = 500;
	const char *failed_at = st->hugetlbfs.path;
	for (; done < ops.n; done++) {
		const struct change_op *op = &ops.v[done];
		failed_at = op->path;
		if (op->kind == CHANGE_HUGEPAGES && resize && !unmounted) {
			/* its reservation would keep the pages: off while the counts change */
			if (hostfs_umount(ctx->fs, st->hugetlbfs.path, why, sizeof(why)) < 0)
				goto fail;
			unmounted = true;
		}
		if (write_op(st, op, why, sizeof(why)) < 0) {
			if (op->kind ==
			    CHANGE_IRQ) { /* as in apply: an unmovable IRQ is not fatal */
				note_unmovable(st, op->id);
				continue;
			}
			goto fail;
		}
		if (op->kind == CHANGE_HUGEPAGES &&
		    check_pages(op, st->hugepage_kb, why, sizeof(why)) < 0) {
			status = 409;
			done++;
			goto fail;
		}
		save(ctx, st);
	}
	failed_at = st->hugetlbfs.path;
	if (ctx->fail_after && strcmp(ctx->fail_after, "change") == 0) {
		snprintf(why, sizeof(why), "injected failure after the last write");
		goto fail;
	}
	if (resize) {
		char options[sizeof(st->hugetlbfs.options)];
		hugetlbfs_options(st, next->hpc_mem_mib, options, sizeof(options));
		if (!unmounted && hostfs_umount(ctx->fs, st->hugetlbfs.path, why, sizeof(why)) < 0)
			goto fail;
		unmounted = true;
		if (hostfs_mount(ctx->fs, "hugetlbfs", st->hugetlbfs.path, options, why,
				 sizeof(why)) < 0) {
			status =
				409; /* someone took the free pages between the counts and the mount */
			goto fail;
		}
		snprintf(st->hugetlbfs.options, sizeof(st->hugetlbfs.options), "%s", options);
	}
	change_ops_free(&ops);
	st->spec = *next;
	st->hugepages_reserved = st->hugepage_kb ? next->hpc_mem_mib * 1024 / st->hugepage_kb : 0;
	save(ctx, st);
	return 0;
fail:;
	char what[512];
	snprintf(what, sizeof(what), "%s", failed_at);
	undo_ops(&ops, done);
	char again[PARTITION_ERRLEN] = "";
	if (unmounted && hostfs_mount(ctx->fs, "hugetlbfs", st->hugetlbfs.path, old_options, again,
				      sizeof(again)) < 0)
		st->hugetlbfs.mounted =
			false; /* its pages stay counted; release restores the counts */
	change_ops_free(&ops);
	save(ctx, st);
	return api_fail(err, status, status == 409 ? "hpc_mem_mib" : "",
			"repartition failed at %s: %s; every value was put back%s%s", what, why,
			again[0] ? ", but the hugetlbfs could not be mounted again: " : "", again);
}
