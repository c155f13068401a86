/* The partition apply/release/rollback sequence against a fake host tree
 * (dsvd/partition.c, dsvd/partition_hugetlbfs.c, dsvd/journal.c, dsvd/host_topology.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fake_host.h"
#include "partition.h"

struct fixture {
	const char *root;
	struct hostfs fs;
	struct host_topology topo;
	char state_path[256];
	char *before;
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	f.root = fake_host_create();
	if (!f.root)
		return -1;
	hostfs_init(&f.fs, f.root);
	char err[256];
	if (host_topology_read(&f.fs, &f.topo, err, sizeof(err)) < 0)
		return -1;
	snprintf(f.state_path, sizeof(f.state_path), "%s.state.json", f.root);
	f.before = fake_host_snapshot(f.root);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	fake_host_remove(f->root);
	unlink(f->state_path);
	free(f->before);
	return 0;
}

static struct partition_spec spec_of(const struct fixture *f, const char *json)
{
	struct node_config cfg;
	struct api_error err;
	struct partition_spec out;
	if (node_config_parse(json, strlen(json), &cfg, &err) < 0)
		fail_msg("config: %s", err.message);
	if (partition_resolve(&f->topo, &cfg.partition, &out, &err) < 0)
		fail_msg("resolve: %s", err.message);
	return out;
}

/* A fresh state, and the partition of json applied to it through ctx: apply's result. */
static int apply_json(const struct fixture *f, const struct partition_ctx *ctx, const char *json,
		      struct partition_state *st, struct api_error *err)
{
	struct partition_spec spec = spec_of(f, json);
	partition_state_init(st, true);
	return partition_apply(ctx, &f->topo, &spec, st, err);
}

#define GET(rel) fake_host_get(f->root, rel, buf, sizeof(buf))

static void assert_unchanged(const struct fixture *f)
{
	char *now = fake_host_snapshot(f->root);
	if (strcmp(now, f->before) != 0)
		fail_msg("host tree differs from before:\n%s",
			 fake_host_first_difference(f->before, now));
	free(now);
}

static void test_topology(void **state)
{
	struct fixture *f = *state;
	char list[64];
	cpu_bits_format_list(&f->topo.online, list, sizeof(list));
	assert_string_equal(list, "0-3");
	assert_int_equal(f->topo.nr_nodes, 2);
	assert_int_equal(f->topo.nodes[1].mem_total_kb, 4194304);
	assert_int_equal(f->topo.hugepage_kb, 2048);
}

static void test_resolve_errors(void **state)
{
	struct fixture *f = *state;
	struct node_config cfg;
	struct api_error err;
	struct partition_spec out;
	const struct {
		const char *json, *field;
	} bad[] = {
		{ "{\"hpc_cpus\":\"4\",\"hpc_mem_mib\":8}", "hpc_cpus" },
		{ "{\"hpc_cpus\":\"0-3\",\"hpc_mem_mib\":8}", "housekeeping_cpus" },
		{ "{\"hpc_cpus\":\"2\",\"housekeeping_cpus\":\"7\",\"hpc_mem_mib\":8}",
		  "housekeeping_cpus" },
		{ "{\"hpc_cpus\":\"2-3\",\"hpc_mem_mib\":8192}", "hpc_mem_mib" },
		{ "{\"hpc_cpus\":\"2-3\"}", "hpc_mem_mib" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(node_config_parse(bad[i].json, strlen(bad[i].json), &cfg, &err),
				 0);
		memset(&err, 0, sizeof(err));
		if (partition_resolve(&f->topo, &cfg.partition, &out, &err) != -1 ||
		    strcmp(err.field, bad[i].field) != 0 || err.status != 400)
			fail_msg("%s: field '%s' status %d: %s", bad[i].json, err.field, err.status,
				 err.message);
	}
	/* no flags: the proposal, first CPU for housekeeping */
	assert_int_equal(node_config_parse("{}", 2, &cfg, &err), 0);
	assert_int_equal(partition_resolve(&f->topo, &cfg.partition, &out, &err), 0);
	char list[64];
	cpu_bits_format_list(&out.hpc_cpus, list, sizeof(list));
	assert_string_equal(list, "1-3");
	cpu_bits_format_list(&out.housekeeping_cpus, list, sizeof(list));
	assert_string_equal(list, "0");
	assert_true(out.hpc_mem_mib > 0 && out.hpc_mem_mib % 2 == 0);
}

static void test_apply_release(void **state)
{
	struct fixture *f = *state;
	char buf[256];
	struct partition_ctx ctx = { .fs = &f->fs, .state_path = f->state_path };
	struct partition_state st;
	struct api_error err;
	if (apply_json(f, &ctx,
		       "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}", &st,
		       &err) < 0)
		fail_msg("apply: %s", err.message);
	assert_true(st.active);
	assert_string_equal(st.cgroup_mode, "v1");
	const char *cs = "sys/fs/cgroup/cpuset/";
	char rel[256];
#define CS(file) (snprintf(rel, sizeof(rel), "%s%s", cs, file), GET(rel))
	assert_string_equal(CS("dsv-hpc/cpuset.cpus"), "2-3");
	assert_string_equal(CS("dsv-hpc/cpuset.mems"), "1");
	assert_string_equal(CS("dsv-hpc/cpuset.cpu_exclusive"), "1");
	assert_string_equal(CS("dsv-hpc/cpuset.sched_load_balance"), "0");
	assert_string_equal(CS("dsv-host/cpuset.cpus"), "0");
	assert_string_equal(CS("dsv-commodity/cpuset.cpus"), "0-1");
	assert_string_equal(CS("cpuset.sched_load_balance"), "0");
	assert_string_equal(CS("machine/cpuset.cpus"), "0-1");
	assert_string_equal(CS("machine/vm1/cpuset.cpus"), "0"); /* only HPC CPUs: housekeeping */
	assert_string_equal(CS("other/cpuset.cpus"), "0");
	assert_string_equal(GET("proc/irq/10/smp_affinity_list"), "0-1");
	assert_string_equal(GET("proc/irq/11/smp_affinity_list"), "0");
	assert_string_equal(GET("proc/irq/12/smp_affinity_list"), "0");
	assert_int_equal(st.irqs_moved, 2);
	assert_string_equal(GET("proc/irq/default_smp_affinity"), "3");
	assert_string_equal(GET("sys/devices/virtual/workqueue/cpumask"), "3");
	assert_string_equal(
		GET("sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"), "9");
	assert_string_equal(
		GET("sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages"), "5");
	assert_int_equal(st.hugepages_reserved, 4);

	/* a cgroup created while the HPC CPUs were exclusive (libvirt's "machine", say) */
	fake_host_put(f->root, "sys/fs/cgroup/cpuset/late/cpuset.cpus", "0-1\n");

	/* the saved state releases exactly, as a restarted agent would */
	struct partition_state loaded;
	bool found;
	char why[256];
	partition_state_init(&loaded, true);
	assert_int_equal(partition_state_load(&loaded, f->state_path, &found, why, sizeof(why)), 0);
	assert_true(found);
	assert_true(loaded.active);
	assert_true(partition_spec_equal(&loaded.spec, &st.spec));
	assert_int_equal(loaded.journal.count, st.journal.count);
	if (partition_release(&ctx, &loaded, &err) < 0)
		fail_msg("release: %s", err.message);
	assert_false(hostfs_exists(f->state_path));
	assert_string_equal(GET("sys/fs/cgroup/cpuset/late/cpuset.cpus"), "0-3"); /* widened */
	unlink(strcat(strcpy(buf, f->root), "/sys/fs/cgroup/cpuset/late/cpuset.cpus"));
	rmdir(strcat(strcpy(buf, f->root), "/sys/fs/cgroup/cpuset/late"));
	assert_unchanged(f);
	partition_state_free(&loaded);
	partition_state_free(&st);
}

static void test_rollback_injected(void **state)
{
	struct fixture *f = *state;
	struct partition_spec spec =
		spec_of(f, "{\"hpc_cpus\":\"1-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}");
	const char *steps[] = { "cpusets", "tasks", "irqs", "workqueue", "hugepages", "hugetlbfs" };
	char dir[300];
	snprintf(dir, sizeof(dir), "%s.hugepages", f->root);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct partition_ctx ctx = { .fs = &f->fs,
					     .state_path = f->state_path,
					     .fail_after = steps[i],
					     .hugetlbfs_dir = dir };
		struct partition_state st;
		struct api_error err;
		partition_state_init(&st, true);
		assert_int_equal(partition_apply(&ctx, &f->topo, &spec, &st, &err), -1);
		assert_non_null(strstr(err.message, steps[i]));
		assert_non_null(strstr(err.message, "rolled back"));
		assert_false(st.active);
		assert_false(hostfs_exists(f->state_path));
		assert_false(
			hostfs_exists(dir)); /* unmounted (the table is in the tree) and removed */
		assert_unchanged(f);
		partition_state_free(&st);
	}
}

static void test_rollback_real_failure(void **state)
{
	struct fixture *f = *state;
	char path[512];
	/* the workqueue mask becomes unreadable (a directory): the 4th step fails for real */
	snprintf(path, sizeof(path), "%s/sys/devices/virtual/workqueue/cpumask", f->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkdir(path, 0755), 0);
	char *before = fake_host_snapshot(f->root);
	struct partition_ctx ctx = { .fs = &f->fs, .state_path = f->state_path };
	struct partition_state st;
	struct api_error err;
	assert_int_equal(
		apply_json(f, &ctx,
			   "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0-1\",\"hpc_mem_mib\":8}",
			   &st, &err),
		-1);
	assert_non_null(strstr(err.message, "workqueue"));
	char *after = fake_host_snapshot(f->root);
	if (strcmp(after, before) != 0)
		fail_msg("host tree differs:\n%s", fake_host_first_difference(before, after));
	free(after);
	free(before);
	partition_state_free(&st);
	rmdir(path);
	fake_host_put(f->root, "sys/devices/virtual/workqueue/cpumask", "f\n");
}

static void test_hugepage_shortage(void **state)
{
	struct fixture *f = *state;
	/* A kernel short of free memory reserves fewer pages than written. /dev/null behaves
     * like that: the write succeeds, the read back shows nothing reserved. */
	char path[512];
	snprintf(path, sizeof(path),
		 "%s/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages",
		 f->root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/dev/null", path), 0);
	char *before = fake_host_snapshot(f->root);
	struct partition_ctx ctx = { .fs = &f->fs, .state_path = f->state_path };
	struct partition_state st;
	struct api_error err;
	assert_int_equal(
		apply_json(f, &ctx,
			   "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}",
			   &st, &err),
		-1);
	assert_int_equal(err.status, 409);
	assert_non_null(strstr(err.message, "could reserve only 0 of 4"));
	assert_non_null(strstr(err.message, "rolled back"));
	char *after = fake_host_snapshot(f->root);
	if (strcmp(after, before) != 0)
		fail_msg("host tree differs:\n%s", fake_host_first_difference(before, after));
	free(after);
	free(before);
	partition_state_free(&st);
	unlink(path);
	fake_host_put(f->root,
		      "sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages",
		      "5\n");
}

/* The HPC hugetlbfs (partition_hugetlbfs.c): mounted last with the partition's size as both
 * reservation and cap, recorded in the state, unmounted first on release. The fake host's
 * mount table is ROOT/proc/mounts (dsvd/hostfs_mount.c). */
static void test_hugetlbfs_mount(void **state)
{
	struct fixture *f = *state;
	char buf[512], dir[300], want[600];
	snprintf(dir, sizeof(dir), "%s.hugepages", f->root);
	struct partition_ctx ctx = { .fs = &f->fs,
				     .state_path = f->state_path,
				     .hugetlbfs_dir = dir };
	struct partition_state st;
	struct api_error err;
	if (apply_json(f, &ctx,
		       "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}", &st,
		       &err) < 0)
		fail_msg("apply: %s", err.message);
	snprintf(want, sizeof(want),
		 "hugetlbfs %s hugetlbfs pagesize=2048K,size=8M,min_size=8M,"
		 "mode=0700,uid=%u,gid=%u 0 0",
		 dir, (unsigned)getuid(), (unsigned)getgid());
	assert_string_equal(GET("proc/mounts"), want);
	assert_true(st.hugetlbfs.mounted);
	struct stat sb;
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* the pages were added before the mount reserves them */
	assert_string_equal(
		GET("sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"), "9");

	/* a restarted agent finds the mount in the state file and unmounts it */
	struct partition_state loaded;
	bool found;
	char why[256];
	partition_state_init(&loaded, true);
	assert_int_equal(partition_state_load(&loaded, f->state_path, &found, why, sizeof(why)), 0);
	assert_true(loaded.hugetlbfs.mounted);
	assert_string_equal(loaded.hugetlbfs.path, dir);
	if (partition_release(&ctx, &loaded, &err) < 0)
		fail_msg("release: %s", err.message);
	assert_false(hostfs_exists(dir));
	assert_unchanged(f); /* proc/mounts gone with its last line, nr_hugepages back */
	partition_state_free(&loaded);
	partition_state_free(&st);
}

static int fail_mount(const struct hostfs *fs, const char *fstype, const char *target,
		      const char *options, char *err, size_t errlen)
{
	(void)fs;
	(void)options;
	snprintf(err, errlen, "cannot mount %s at %s: %s", fstype, target, strerror(ENOMEM));
	errno = ENOMEM;
	return -1;
}

static int busy_umount(const struct hostfs *fs, const char *target, char *err, size_t errlen)
{
	(void)fs;
	snprintf(err, errlen, "cannot unmount %s: %s", target, strerror(EBUSY));
	return -1;
}

/* The kernel cannot reserve min_size (someone took the pages after nr_hugepages rose): 409,
 * rolled back. An unmount that fails keeps the partition, journal whole, for a retry. */
static void test_hugetlbfs_failures(void **state)
{
	struct fixture *f = *state;
	char buf[512], dir[300];
	snprintf(dir, sizeof(dir), "%s.hugepages", f->root);
	struct partition_spec spec =
		spec_of(f, "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}");
	struct hostfs fs = f->fs;
	const struct hostfs_mount_ops no_memory = { fail_mount, hostfs_mount_fake.umount };
	fs.mnt = &no_memory;
	struct partition_ctx ctx = { .fs = &fs, .state_path = f->state_path, .hugetlbfs_dir = dir };
	struct partition_state st;
	struct api_error err;
	partition_state_init(&st, true);
	assert_int_equal(partition_apply(&ctx, &f->topo, &spec, &st, &err), -1);
	assert_int_equal(err.status, 409);
	assert_non_null(strstr(err.message, "failed at step 'hugetlbfs'"));
	assert_non_null(strstr(err.message, "rolled back"));
	assert_false(st.hugetlbfs.mounted);
	assert_false(hostfs_exists(f->state_path));
	assert_false(hostfs_exists(dir));
	assert_unchanged(f);
	partition_state_free(&st);

	const struct hostfs_mount_ops busy = { hostfs_mount_fake.mount, busy_umount };
	fs.mnt = &busy;
	partition_state_init(&st, true);
	if (partition_apply(&ctx, &f->topo, &spec, &st, &err) < 0)
		fail_msg("apply: %s", err.message);
	size_t entries = st.journal.count;
	assert_int_equal(partition_release(&ctx, &st, &err), -1);
	assert_int_equal(err.status, 500);
	assert_non_null(strstr(err.message, "and the hugetlbfs mount"));
	assert_true(st.active);
	assert_true(st.hugetlbfs.mounted);
	assert_int_equal(st.journal.count, entries); /* nothing restored under a live mount */
	assert_string_equal(
		GET("sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"), "9");
	fs.mnt = &hostfs_mount_fake; /* no longer busy: the retry releases everything */
	if (partition_release(&ctx, &st, &err) < 0)
		fail_msg("release: %s", err.message);
	assert_unchanged(f);
	partition_state_free(&st);
}

/* cgroup v2: an isolated partition instead of v1's exclusive cpuset; no task moves. */
static void test_cgroup_v2(void **state)
{
	struct fixture *f = *state;
	char buf[256];
	fake_host_put(f->root, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu memory\n");
	fake_host_put(f->root, "sys/fs/cgroup/cgroup.subtree_control", "cpu memory\n");
	char *before = fake_host_snapshot(f->root);
	struct partition_ctx ctx = { .fs = &f->fs, .state_path = f->state_path };
	struct partition_state st;
	struct api_error err;
	if (apply_json(f, &ctx,
		       "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}", &st,
		       &err) < 0)
		fail_msg("apply: %s", err.message);
	assert_string_equal(st.cgroup_mode, "v2");
	assert_string_equal(GET("sys/fs/cgroup/dsv-hpc/cpuset.cpus"), "2-3");
	assert_string_equal(GET("sys/fs/cgroup/dsv-hpc/cpuset.mems"), "1");
	assert_string_equal(GET("sys/fs/cgroup/dsv-hpc/cpuset.cpus.partition"), "isolated");
	assert_string_equal(GET("sys/fs/cgroup/dsv-commodity/cpuset.cpus"), "0-1");
	assert_string_equal(GET("proc/irq/10/smp_affinity_list"), "0-1");
	assert_int_equal(st.tasks_moved, 0);
	/* the undo of enabling the controller is the operation "-cpuset" */
	bool found = false;
	for (size_t i = 0; i < st.journal.count; i++)
		if (strstr(st.journal.entries[i].path, "cgroup.subtree_control") &&
		    strcmp(st.journal.entries[i].old, "-cpuset") == 0)
			found = true;
	assert_true(found);
	if (partition_release(&ctx, &st, &err) < 0)
		fail_msg("release: %s", err.message);
	/* a fake file cannot apply "-cpuset" as an operation: put back what the kernel would show */
	assert_string_equal(GET("sys/fs/cgroup/cgroup.subtree_control"), "-cpuset");
	fake_host_put(f->root, "sys/fs/cgroup/cgroup.subtree_control", "cpu memory\n");
	char *after = fake_host_snapshot(f->root);
	if (strcmp(after, before) != 0)
		fail_msg("host tree differs:\n%s", fake_host_first_difference(before, after));
	free(after);
	free(before);
	partition_state_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_topology, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_injected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback_real_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hugepage_shortage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hugetlbfs_mount, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hugetlbfs_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_v2, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
