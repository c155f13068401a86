#include "partition.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERRLEN 512

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
    return api_fail(err, 400, field, "CPU(s) %s do not exist or are offline (online: %s)", m, on);
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
        return api_fail(err, 400, "housekeeping_cpus",
                        "is empty: at least one CPU must stay outside hpc_cpus for the host");
    if (cpu_bits_intersects(&out->hpc_cpus, &out->housekeeping_cpus))
        return api_fail(err, 400, "housekeeping_cpus", "overlaps hpc_cpus");
    if (cpu_bits_intersects(&out->hpc_cpus, &out->commodity_cpus))
        return api_fail(err, 400, "commodity_cpus", "overlaps hpc_cpus");
    if (!out->has_hpc_mem || out->hpc_mem_mib == 0)
        return api_fail(err, 400, "hpc_mem_mib", "required field is missing");
    uint64_t page_mib = t->hugepage_kb / 1024;
    if (page_mib == 0 || out->hpc_mem_mib % page_mib)
        return api_fail(err, 400, "hpc_mem_mib", "must be a multiple of the hugepage size (%llu kB)",
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
                        (unsigned long long)out->hpc_mem_mib, (unsigned long long)(kb / 1024));
    return 0;
}

/* ---- steps ---------------------------------------------------------------------------- */

struct apply_run {
    const struct partition_ctx *ctx;
    const struct host_topology *t;
    struct partition_state *st;
    char err[ERRLEN];
};

static int write_new(const char *dir, const char *file, const char *value, char *err)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, file);
    return hostfs_write(path, value, err, ERRLEN);
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
    DIR *d = opendir(cs);
    if (!d) {
        snprintf(r->err, sizeof(r->err), "cannot list %s: %s", cs, strerror(errno));
        return -1;
    }
    struct dirent *de;
    int rc = 0;
    st->preexisting[0] = '\0';
    while (rc == 0 && (de = readdir(d))) {
        if (de->d_type != DT_DIR || de->d_name[0] == '.' || strncmp(de->d_name, "dsv-", 4) == 0)
            continue;
        size_t used = strlen(st->preexisting);
        snprintf(st->preexisting + used, sizeof(st->preexisting) - used, "%s\n", de->d_name);
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
        snprintf(r->err, sizeof(r->err), "the kernel refused the isolated partition: %s", buf);
        return -1;
    }
    return 0;
}

static int step_cpusets(struct apply_run *r)
{
    return strcmp(r->st->cgroup_mode, "v2") == 0 ? step_cpusets_v2(r) : step_cpusets_v1(r);
}

static int step_tasks(struct apply_run *r)
{
    struct partition_state *st = r->st;
    if (strcmp(st->cgroup_mode, "v1") != 0)
        return 0; /* a v2 isolated partition already keeps other tasks off its CPUs */
    char from[1024], to[1024];
    snprintf(from, sizeof(from), "%s/tasks", st->root_cgroup);
    snprintf(to, sizeof(to), "%s/tasks", st->host_cgroup);
    return journal_move_tasks(&st->journal, from, to,
                              hostfs_is_fake(r->ctx->fs) ? NULL : &r->t->online, &st->tasks_moved,
                              r->err, sizeof(r->err));
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

static int step_irqs(struct apply_run *r)
{
    struct partition_state *st = r->st;
    char dir[512];
    hostfs_path(r->ctx->fs, dir, sizeof(dir), "/proc/irq");
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        char *end;
        strtoul(de->d_name, &end, 10);
        if (de->d_name[0] < '0' || de->d_name[0] > '9' || *end)
            continue;
        char path[1024], buf[HOSTFS_VALUE_MAX], why[ERRLEN];
        snprintf(path, sizeof(path), "%s/%s/smp_affinity_list", dir, de->d_name);
        struct cpu_bits cur;
        if (hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) < 0 ||
            cpu_bits_parse_list(buf, &cur, why, sizeof(why)) < 0 ||
            !cpu_bits_intersects(&cur, &st->spec.hpc_cpus))
            continue;
        steer_away(st, &cur);
        cpu_bits_format_list(&cur, buf, sizeof(buf));
        /* some interrupts cannot be moved (EIO): they are counted, not fatal */
        if (journal_set(&st->journal, path, buf, why, sizeof(why)) < 0)
            st->irqs_skipped++;
        else
            st->irqs_moved++;
    }
    closedir(d);
    char path[1024];
    snprintf(path, sizeof(path), "%s/default_smp_affinity", dir);
    return steer_mask_file(r, path);
}

static int step_workqueue(struct apply_run *r)
{
    char path[512];
    hostfs_path(r->ctx->fs, path, sizeof(path), "/sys/devices/virtual/workqueue/cpumask");
    return steer_mask_file(r, path);
}

static int hugepage_path(const struct partition_ctx *ctx, const struct partition_state *st,
                         unsigned node, char *out, size_t len)
{
    char nodedir[512];
    hostfs_path(ctx->fs, nodedir, sizeof(nodedir), "/sys/devices/system/node/node%u", node);
    if (hostfs_exists(nodedir))
        return hostfs_path(ctx->fs, out, len,
                           "/sys/devices/system/node/node%u/hugepages/hugepages-%llukB/nr_hugepages",
                           node, (unsigned long long)st->hugepage_kb);
    return hostfs_path(ctx->fs, out, len, "/sys/kernel/mm/hugepages/hugepages-%llukB/nr_hugepages",
                       (unsigned long long)st->hugepage_kb);
}

static int step_hugepages(struct apply_run *r)
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
        if (hugepage_path(r->ctx, st, node, path, sizeof(path)) < 0 ||
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
                     "hpc_mem_mib: node %u could reserve only %llu of %llu hugepages of %llu kB "
                     "(%llu MiB of %llu MiB)",
                     node, (unsigned long long)(got - (got > before ? before : got)),
                     (unsigned long long)share, (unsigned long long)st->hugepage_kb,
                     (unsigned long long)((got > before ? got - before : 0) * st->hugepage_kb / 1024),
                     (unsigned long long)(share * st->hugepage_kb / 1024));
            return -1;
        }
        st->hugepages_reserved += share;
    }
    return 0;
}

static const struct {
    const char *name;
    int (*run)(struct apply_run *r);
} steps[] = {
    {"cpusets", step_cpusets},
    {"tasks", step_tasks},
    {"irqs", step_irqs},
    {"workqueue", step_workqueue},
    {"hugepages", step_hugepages},
};

static int detect_cgroup(const struct partition_ctx *ctx, struct partition_state *st, char *err)
{
    char path[512], buf[HOSTFS_VALUE_MAX], why[ERRLEN];
    hostfs_path(ctx->fs, path, sizeof(path), "/sys/fs/cgroup/cgroup.controllers");
    if (hostfs_read(path, buf, sizeof(buf), why, sizeof(why)) == 0 && strstr(buf, "cpuset")) {
        snprintf(st->cgroup_mode, sizeof(st->cgroup_mode), "v2");
        hostfs_path(ctx->fs, st->root_cgroup, sizeof(st->root_cgroup), "/sys/fs/cgroup");
    } else {
        hostfs_path(ctx->fs, path, sizeof(path), "/sys/fs/cgroup/cpuset/cpuset.cpus");
        if (!hostfs_exists(path)) {
            snprintf(err, ERRLEN, "no cpuset controller: neither cgroup v2 with cpuset nor a v1 "
                                  "cpuset hierarchy at /sys/fs/cgroup/cpuset");
            return -1;
        }
        snprintf(st->cgroup_mode, sizeof(st->cgroup_mode), "v1");
        hostfs_path(ctx->fs, st->root_cgroup, sizeof(st->root_cgroup), "/sys/fs/cgroup/cpuset");
    }
    snprintf(st->hpc_cgroup, sizeof(st->hpc_cgroup), "%s/dsv-hpc", st->root_cgroup);
    snprintf(st->host_cgroup, sizeof(st->host_cgroup), "%s/dsv-host", st->root_cgroup);
    snprintf(st->commodity_cgroup, sizeof(st->commodity_cgroup), "%s/dsv-commodity", st->root_cgroup);
    return 0;
}

static void save_progress(const struct partition_ctx *ctx, const struct partition_state *st)
{
    char err[ERRLEN];
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
    struct apply_run r = {.ctx = ctx, .t = t, .st = st};
    if (detect_cgroup(ctx, st, r.err) < 0)
        return api_fail(err, 500, "", "%s", r.err);
    st->applying = true;
    save_progress(ctx, st);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        int rc = steps[i].run(&r);
        if (rc == 0 && ctx->fail_after && strcmp(ctx->fail_after, steps[i].name) == 0) {
            snprintf(r.err, sizeof(r.err), "injected failure after step '%s'", steps[i].name);
            rc = -1;
        }
        save_progress(ctx, st);
        if (rc < 0) {
            char undo_err[ERRLEN] = "";
            int urc = journal_undo(&st->journal, undo_err, sizeof(undo_err));
            if (urc == 0 && ctx->state_path)
                unlink(ctx->state_path);
            else
                save_progress(ctx, st); /* still "applying": the next start rolls back the rest */
            st->applying = false;
            bool memory = strncmp(r.err, "hpc_mem_mib", 11) == 0;
            return api_fail(err, memory ? 409 : 500, "", "partition failed at step '%s': %s; %s%s",
                            steps[i].name, r.err,
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
        if (de->d_type != DT_DIR || de->d_name[0] == '.' || strncmp(de->d_name, "dsv-", 4) == 0 ||
            was_preexisting(st, de->d_name))
            continue;
        char path[1024], buf[HOSTFS_VALUE_MAX], why[ERRLEN];
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
    char why[ERRLEN] = "";
    int rc = journal_undo(&st->journal, why, sizeof(why));
    if (rc == 0)
        widen_newcomers(st);
    st->applying = false;
    if (rc < 0) {
        /* still partitioned: what is left in the journal is retried by the next release */
        st->active = true;
        save_progress(ctx, st);
        return api_fail(err, 500, "", "release incomplete (%zu value(s) left, retry): %s",
                        st->journal.count, why);
    }
    st->active = false;
    if (ctx->state_path && unlink(ctx->state_path) < 0 && errno != ENOENT)
        return api_fail(err, 500, "", "cannot remove %s: %s", ctx->state_path, strerror(errno));
    return 0;
}

void partition_state_init(struct partition_state *st, bool fake)
{
    memset(st, 0, sizeof(*st));
    journal_init(&st->journal, fake);
}

void partition_state_free(struct partition_state *st)
{
    journal_free(&st->journal);
}

json_t *partition_state_to_json(const struct partition_state *st)
{
    char nodes[256];
    cpu_bits_format_list(&st->hpc_nodes, nodes, sizeof(nodes));
    json_t *o = json_pack(
        "{s:b, s:b, s:o, s:s, s:{s:s, s:s, s:s, s:s}, s:s, s:{s:I, s:I, s:I}, s:{s:i, s:i}, "
        "s:i, s:o}",
        "active", st->active, "applying", st->applying, "spec", partition_spec_to_json(&st->spec),
        "cgroup_mode", st->cgroup_mode, "cgroups", "root", st->root_cgroup, "hpc", st->hpc_cgroup,
        "host", st->host_cgroup, "commodity", st->commodity_cgroup, "hpc_nodes", nodes,
        "hugepages", "page_kb", (json_int_t)st->hugepage_kb, "pages",
        (json_int_t)st->hugepages_reserved, "reserved_mib",
        (json_int_t)(st->hugepages_reserved * st->hugepage_kb / 1024), "irqs", "moved",
        (int)st->irqs_moved, "skipped", (int)st->irqs_skipped, "tasks_moved", (int)st->tasks_moved,
        "journal", journal_to_json(&st->journal));
    if (o)
        json_object_set_new(o, "preexisting_cgroups", json_string(st->preexisting));
    return o;
}

int partition_state_save(const struct partition_state *st, const char *path, char *err, size_t errlen)
{
    json_t *o = partition_state_to_json(st);
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int rc = o ? json_dump_file(o, tmp, JSON_INDENT(2)) : -1;
    json_decref(o);
    if (rc < 0 || rename(tmp, path) < 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

static int copy_str(const json_t *o, const char *key, char *dst, size_t len)
{
    const char *s = json_string_value(json_object_get(o, key));
    if (!s)
        return -1;
    snprintf(dst, len, "%s", s);
    return 0;
}

int partition_state_load(struct partition_state *st, const char *path, bool *found, char *err,
                         size_t errlen)
{
    *found = false;
    if (!hostfs_exists(path))
        return 0;
    *found = true;
    json_error_t jerr;
    json_t *o = json_load_file(path, 0, &jerr);
    if (!o) {
        snprintf(err, errlen, "%s: %s (line %d)", path, jerr.text, jerr.line);
        return -1;
    }
    struct api_error aerr;
    struct node_config cfg;
    json_t *cg = json_object_get(o, "cgroups"), *hp = json_object_get(o, "hugepages");
    json_t *irqs = json_object_get(o, "irqs");
    char nodes[256], why[128];
    int rc = -1;
    if (node_config_from_json(json_object_get(o, "spec"), &cfg, &aerr) < 0) {
        snprintf(err, errlen, "%s: spec: %s", path, aerr.message);
        goto out;
    }
    st->spec = cfg.partition;
    st->active = json_is_true(json_object_get(o, "active"));
    st->applying = json_is_true(json_object_get(o, "applying"));
    if (copy_str(o, "cgroup_mode", st->cgroup_mode, sizeof(st->cgroup_mode)) < 0 ||
        copy_str(cg, "root", st->root_cgroup, sizeof(st->root_cgroup)) < 0 ||
        copy_str(cg, "hpc", st->hpc_cgroup, sizeof(st->hpc_cgroup)) < 0 ||
        copy_str(cg, "host", st->host_cgroup, sizeof(st->host_cgroup)) < 0 ||
        copy_str(cg, "commodity", st->commodity_cgroup, sizeof(st->commodity_cgroup)) < 0 ||
        copy_str(o, "hpc_nodes", nodes, sizeof(nodes)) < 0 ||
        cpu_bits_parse_list(nodes, &st->hpc_nodes, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "%s: missing or bad cgroup fields", path);
        goto out;
    }
    st->hugepage_kb = (uint64_t)json_integer_value(json_object_get(hp, "page_kb"));
    st->hugepages_reserved = (uint64_t)json_integer_value(json_object_get(hp, "pages"));
    st->irqs_moved = (unsigned)json_integer_value(json_object_get(irqs, "moved"));
    st->irqs_skipped = (unsigned)json_integer_value(json_object_get(irqs, "skipped"));
    st->tasks_moved = (unsigned)json_integer_value(json_object_get(o, "tasks_moved"));
    copy_str(o, "preexisting_cgroups", st->preexisting, sizeof(st->preexisting));
    rc = journal_from_json(&st->journal, json_object_get(o, "journal"), err, errlen);
out:
    json_decref(o);
    return rc;
}
