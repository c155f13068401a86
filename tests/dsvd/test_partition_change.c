/* Live repartition against the fake host tree (dsvd/partition_change*.c): the new split, the
 * writes and their order, the refusals that protect running VMs, rollback, and release after
 * changes restoring the host as it was before the first apply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fake_host.h"
#include "partition_change.h"
#include "vm_fixture.h"

struct fixture {
	const char *root;
	struct hostfs fs;
	struct host_topology topo;
	char state_path[256], hugetlbfs_dir[300];
	struct partition_ctx ctx;
	struct partition_state st;
	char *before; /* the tree before the first apply */
};

static const char APPLY[] = "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}";

static struct node_config config_of(const char *json)
{
	struct node_config cfg;
	struct api_error err;
	if (node_config_parse(json, strlen(json), &cfg, &err) < 0)
		fail_msg("config %s: %s", json, err.message);
	return cfg;
}

static int setup_with(void **state, bool hugetlbfs, bool v2)
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
	snprintf(f.hugetlbfs_dir, sizeof(f.hugetlbfs_dir), "%s.hugepages", f.root);
	/* a cgroup the apply narrows (1-2 to 1) and the shrink gives its CPU back */
	fake_host_put(f.root, "sys/fs/cgroup/cpuset/spare/cpuset.cpus", "1-2\n");
	if (v2) { /* the cpuset controller on the unified hierarchy, already enabled */
		fake_host_put(f.root, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu memory\n");
		fake_host_put(f.root, "sys/fs/cgroup/cgroup.subtree_control",
			      "cpuset cpu memory\n");
	}
	f.before = fake_host_snapshot(f.root);
	f.ctx = (struct partition_ctx){ .fs = &f.fs,
					.state_path = f.state_path,
					.hugetlbfs_dir = hugetlbfs ? f.hugetlbfs_dir : NULL };
	struct node_config cfg = config_of(APPLY);
	struct partition_spec spec;
	struct api_error aerr;
	if (partition_resolve(&f.topo, &cfg.partition, &spec, &aerr) < 0)
		return -1;
	partition_state_init(&f.st, true);
	if (partition_apply(&f.ctx, &f.topo, &spec, &f.st, &aerr) < 0) {
		fprintf(stderr, "apply: %s\n", aerr.message);
		return -1;
	}
	*state = &f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, false, false);
}
static int setup_hugetlbfs(void **state)
{
	return setup_with(state, true, false);
}
static int setup_v2(void **state)
{
	return setup_with(state, false, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	partition_state_free(&f->st);
	fake_host_remove(f->root);
	unlink(f->state_path);
	rmdir(f->hugetlbfs_dir);
	free(f->before);
	return 0;
}

#define GET(rel) fake_host_get(f->root, rel, buf, sizeof(buf))
#define CS(rel) GET("sys/fs/cgroup/cpuset/" rel)

static struct partition_spec next_of(struct fixture *f, const char *json)
{
	struct node_config cfg = config_of(json);
	struct partition_spec next;
	struct api_error err;
	if (partition_change_resolve(&f->topo, &f->st, &cfg.partition, &next, &err) < 0)
		fail_msg("resolve %s: %s", json, err.message);
	return next;
}

static void change(struct fixture *f, const char *json)
{
	struct partition_spec next = next_of(f, json);
	struct api_error err;
	if (partition_change_apply(&f->ctx, &f->st, &next, &err) < 0)
		fail_msg("change %s: %s", json, err.message);
}

static void release_and_compare(struct fixture *f)
{
	struct api_error err;
	if (partition_release(&f->ctx, &f->st, &err) < 0)
		fail_msg("release: %s", err.message);
	char *now = fake_host_snapshot(f->root);
	if (strcmp(now, f->before) != 0)
		fail_msg("host tree differs from before the apply:\n%s",
			 fake_host_first_difference(f->before, now));
	free(now);
}

static void test_resolve(void **state)
{
	struct fixture *f = *state;
	char list[64];
	struct partition_spec next = next_of(f, "{\"hpc_cpus\":\"3\"}");
	cpu_bits_format_list(&next.housekeeping_cpus, list, sizeof(list));
	assert_string_equal(list, "0,2"); /* the CPU given back joins housekeeping */
	cpu_bits_format_list(&next.commodity_cpus, list, sizeof(list));
	assert_string_equal(list, "0-2");      /* and the commodity set */
	assert_int_equal(next.hpc_mem_mib, 8); /* not given: kept */
	next = next_of(f, "{\"hpc_cpus\":\"3\",\"commodity_cpus\":\"1-2\",\"hpc_mem_mib\":4}");
	cpu_bits_format_list(&next.commodity_cpus, list, sizeof(list));
	assert_string_equal(list, "1-2");
	assert_int_equal(next.hpc_mem_mib, 4);

	struct node_config cfg;
	struct api_error err;
	const struct {
		const char *json, *field;
	} bad[] = {
		{ "{\"hpc_cpus\":\"1-3\"}", "hpc_cpus" },	      /* reaches NUMA node 0 */
		{ "{\"commodity_cpus\":\"0-2\"}", "commodity_cpus" }, /* overlaps hpc */
		{ "{\"hpc_mem_mib\":8192}", "hpc_mem_mib" },	      /* more than node 1 has */
		{ "{\"hpc_cpus\":\"7\"}", "hpc_cpus" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg = config_of(bad[i].json);
		memset(&err, 0, sizeof(err));
		if (partition_change_resolve(&f->topo, &f->st, &cfg.partition, &next, &err) != -1 ||
		    err.status != 400 || strcmp(err.field, bad[i].field) != 0)
			fail_msg("%s: status %d field '%s': %s", bad[i].json, err.status, err.field,
				 err.message);
	}
}

/* Shrinking the HPC set gives CPU 2 back: every value becomes what an apply of the new split
 * would have made of the original, and the state file says so. */
static void test_shrink_hpc(void **state)
{
	struct fixture *f = *state;
	char buf[256];
	change(f, "{\"hpc_cpus\":\"3\",\"hpc_mem_mib\":4}");
	assert_string_equal(CS("dsv-hpc/cpuset.cpus"), "3");
	assert_string_equal(CS("dsv-host/cpuset.cpus"), "0,2");
	assert_string_equal(CS("dsv-commodity/cpuset.cpus"), "0-2");
	assert_string_equal(CS("machine/cpuset.cpus"), "0-2");		  /* original 0-3 */
	assert_string_equal(CS("machine/vm1/cpuset.cpus"), "2");	  /* original 2-3 */
	assert_string_equal(CS("spare/cpuset.cpus"), "1-2");		  /* original 1-2 */
	assert_string_equal(GET("proc/irq/10/smp_affinity_list"), "0-2"); /* original 0-3 */
	assert_string_equal(GET("proc/irq/11/smp_affinity_list"),
			    "0,2"); /* original 3: housekeeping */
	assert_string_equal(GET("proc/irq/default_smp_affinity"), "7");
	assert_string_equal(GET("sys/devices/virtual/workqueue/cpumask"), "7");
	/* node 1 had 5 pages before the apply; 4 MiB is 2 pages of 2 MiB */
	assert_string_equal(
		GET("sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"), "7");
	assert_int_equal(f->st.hugepages_reserved, 2);

	struct partition_state loaded;
	bool found;
	char why[256];
	partition_state_init(&loaded, true);
	assert_int_equal(partition_state_load(&loaded, f->state_path, &found, why, sizeof(why)), 0);
	assert_true(partition_spec_equal(&loaded.spec, &f->st.spec));
	assert_int_equal(loaded.hugepages_reserved, 2);
	assert_int_equal(loaded.journal.count, f->st.journal.count);
	partition_state_free(&loaded);
	release_and_compare(f);
}

/* Growing it back leaves the host exactly as the first apply did. A cgroup made while CPU 2
 * was free and then narrowed by the growth is journaled so that release restores it only once
 * the exclusive HPC cpuset is gone. */
static void test_change_and_back(void **state)
{
	struct fixture *f = *state;
	char buf[256], path[512];
	char *applied = fake_host_snapshot(f->root);
	change(f, "{\"hpc_cpus\":\"3\"}");
	change(f, "{\"hpc_cpus\":\"2-3\"}");
	char *now = fake_host_snapshot(f->root);
	if (strcmp(now, applied) != 0)
		fail_msg("differs from the first apply:\n%s",
			 fake_host_first_difference(applied, now));
	free(now);
	free(applied);

	change(f, "{\"hpc_cpus\":\"3\"}");
	fake_host_put(f->root, "sys/fs/cgroup/cpuset/late/cpuset.cpus", "1-2\n");
	change(f, "{\"hpc_cpus\":\"2-3\"}");
	assert_string_equal(CS("late/cpuset.cpus"), "1");
	snprintf(path, sizeof(path), "%s/late/cpuset.cpus", f->st.root_cgroup);
	size_t late = journal_index_of(&f->st.journal, path);
	assert_true(late < f->st.journal.count);
	assert_true(late < journal_index_of(&f->st.journal, f->st.hpc_cgroup));
	struct api_error err;
	if (partition_release(&f->ctx, &f->st, &err) < 0)
		fail_msg("release: %s", err.message);
	/* its own CPUs back, then the HPC ones, as release gives every late cgroup */
	assert_string_equal(CS("late/cpuset.cpus"), "1-3");
	snprintf(path, sizeof(path), "%s/sys/fs/cgroup/cpuset/late/cpuset.cpus", f->root);
	unlink(path);
	*strrchr(path, '/') = '\0';
	rmdir(path);
	now = fake_host_snapshot(f->root);
	if (strcmp(now, f->before) != 0)
		fail_msg("host tree differs from before the apply:\n%s",
			 fake_host_first_difference(f->before, now));
	free(now);
}

/* The cgroup writes keep the v1 rules at every step: a child within its parent, and no other
 * top-level cpuset sharing a CPU with the exclusive dsv-hpc. */
static void check_order(struct fixture *f, const char *json)
{
	struct partition_spec next = next_of(f, json);
	struct api_error err;
	json_t *plan = partition_change_plan(&f->ctx, &f->st, &next, &err);
	if (!plan)
		fail_msg("plan: %s", err.message);
	struct {
		char label[128];
		struct cpu_bits cpus;
	} cg[32];
	size_t n = 0, i;
	json_t *row;
	char buf[256], why[64];
	const char *known[] = { "dsv-hpc",     "dsv-host", "dsv-commodity", "machine",
				"machine/vm1", "other",	   "spare" };
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++, n++) {
		char rel[200];
		snprintf(cg[n].label, sizeof(cg[n].label), "%s", known[i]);
		snprintf(rel, sizeof(rel), "sys/fs/cgroup/cpuset/%s/cpuset.cpus", known[i]);
		assert_int_equal(cpu_bits_parse_list(GET(rel), &cg[n].cpus, why, sizeof(why)), 0);
	}
	assert_true(json_array_size(json_object_get(plan, "cgroups")) > 0);
	json_array_foreach(json_object_get(plan, "cgroups"), i, row)
	{
		const char *label = json_string_value(json_object_get(row, "cgroup"));
		size_t k;
		for (k = 0; k < n && strcmp(cg[k].label, label) != 0; k++)
			;
		assert_true(k < n);
		assert_int_equal(cpu_bits_parse_list(json_string_value(json_object_get(row, "to")),
						     &cg[k].cpus, why, sizeof(why)),
				 0);
		for (size_t c = 0; c < n; c++) {
			const char *slash = strchr(cg[c].label, '/');
			for (size_t p = 0; slash && p < n; p++)
				if (strlen(cg[p].label) == (size_t)(slash - cg[c].label) &&
				    strncmp(cg[p].label, cg[c].label,
					    (size_t)(slash - cg[c].label)) == 0 &&
				    !cpu_bits_subset(&cg[c].cpus, &cg[p].cpus))
					fail_msg("%s: after '%s' -> %s, %s is not within %s", json,
						 label,
						 json_string_value(json_object_get(row, "to")),
						 cg[c].label, cg[p].label);
			if (!slash && c != 0 && cpu_bits_intersects(&cg[c].cpus, &cg[0].cpus))
				fail_msg("%s: after '%s', %s shares a CPU with dsv-hpc", json,
					 label, cg[c].label);
		}
	}
	json_decref(plan);
}

static void test_write_order(void **state)
{
	struct fixture *f = *state;
	char *applied = fake_host_snapshot(f->root);
	check_order(f, "{\"hpc_cpus\":\"3\"}");
	char *now = fake_host_snapshot(f->root);
	assert_string_equal(now, applied); /* a plan changes nothing */
	free(now);
	change(f, "{\"hpc_cpus\":\"3\"}");
	check_order(f, "{\"hpc_cpus\":\"2-3\"}");
	free(applied);
}

/* The plan lists what the change then writes. */
static void test_plan(void **state)
{
	struct fixture *f = *state;
	struct partition_spec next = next_of(f, "{\"hpc_cpus\":\"3\",\"hpc_mem_mib\":4}");
	struct api_error err;
	json_t *plan = partition_change_plan(&f->ctx, &f->st, &next, &err);
	assert_non_null(plan);
	json_t *hpc = json_object_get(plan, "hpc_cpus");
	assert_string_equal(json_string_value(json_object_get(hpc, "remove")), "2");
	assert_string_equal(json_string_value(json_object_get(hpc, "add")), "");
	json_t *node =
		json_array_get(json_object_get(json_object_get(plan, "hugepages"), "nodes"), 0);
	assert_int_equal(json_integer_value(json_object_get(node, "node")), 1);
	assert_string_equal(json_string_value(json_object_get(node, "from")), "9");
	assert_string_equal(json_string_value(json_object_get(node, "to")), "7");
	json_t *irq = json_array_get(json_object_get(plan, "irqs"), 0);
	assert_non_null(irq);
	assert_true(json_is_null(json_object_get(plan, "hugetlbfs"))); /* none mounted here */
	json_decref(plan);
}

/* A failure after the last write puts every value back and keeps the applied split. */
static void test_rollback(void **state)
{
	struct fixture *f = *state;
	char *applied = fake_host_snapshot(f->root);
	struct partition_spec old = f->st.spec,
			      next = next_of(f, "{\"hpc_cpus\":\"3\",\"hpc_mem_mib\":4}");
	struct partition_ctx ctx = f->ctx;
	ctx.fail_after = "change";
	struct api_error err;
	assert_int_equal(partition_change_apply(&ctx, &f->st, &next, &err), -1);
	assert_non_null(strstr(err.message, "every value was put back"));
	assert_true(partition_spec_equal(&f->st.spec, &old));
	char *now = fake_host_snapshot(f->root);
	if (strcmp(now, applied) != 0)
		fail_msg("not put back:\n%s", fake_host_first_difference(applied, now));
	free(now);
	free(applied);
	release_and_compare(f);
}

/* A node that cannot give the pages (the write succeeds, the count stays): 409, put back. */
static void test_hugepage_shortage(void **state)
{
	struct fixture *f = *state;
	char path[512], buf[64];
	snprintf(path, sizeof(path),
		 "%s/sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages",
		 f->root);
	struct partition_spec next = next_of(f, "{\"hpc_mem_mib\":16}");
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("/dev/null", path), 0); /* reads back as 0 */
	struct api_error err;
	assert_int_equal(partition_change_apply(&f->ctx, &f->st, &next, &err), -1);
	assert_int_equal(err.status, 409);
	assert_string_equal(err.field, "hpc_mem_mib");
	assert_non_null(strstr(err.message, "could hold only 0 of the 13"));
	assert_int_equal(f->st.spec.hpc_mem_mib, 8);
	unlink(path);
	fake_host_put(f->root,
		      "sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages",
		      "9\n");
	(void)buf;
	release_and_compare(f);
}

/* The HPC hugetlbfs is mounted again at the new size (the kernel cannot resize one). */
static void test_hugetlbfs_resize(void **state)
{
	struct fixture *f = *state;
	char buf[512], want[600];
	change(f, "{\"hpc_mem_mib\":4}");
	snprintf(want, sizeof(want),
		 "hugetlbfs %s hugetlbfs pagesize=2048K,size=4M,min_size=4M,"
		 "mode=0700,uid=%u,gid=%u 0 0",
		 f->hugetlbfs_dir, (unsigned)getuid(), (unsigned)getgid());
	assert_string_equal(GET("proc/mounts"), want);
	assert_string_equal(
		GET("sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages"), "7");
	release_and_compare(f);
}

/* cgroup v2: the isolated dsv-hpc and dsv-commodity change; other cgroups are left alone, as
 * apply leaves them. */
static void test_cgroup_v2(void **state)
{
	struct fixture *f = *state;
	char buf[256];
	assert_string_equal(f->st.cgroup_mode, "v2");
	change(f, "{\"hpc_cpus\":\"3\"}");
	assert_string_equal(GET("sys/fs/cgroup/dsv-hpc/cpuset.cpus"), "3");
	assert_string_equal(GET("sys/fs/cgroup/dsv-commodity/cpuset.cpus"), "0-2");
	assert_string_equal(GET("proc/irq/10/smp_affinity_list"), "0-2");
	assert_string_equal(CS("machine/cpuset.cpus"), "0-3"); /* v1 tree: not ours to touch */
	release_and_compare(f);
}

static void expect_refused(struct fixture *f, const char *json, const struct vm *vms,
			   const struct commodity_pool *pool, const char *field, const char *text)
{
	struct partition_spec next = next_of(f, json);
	struct api_error err;
	memset(&err, 0, sizeof(err));
	if (partition_change_check(&f->st, &next, vms, pool, &err) != -1 || err.status != 409 ||
	    strcmp(err.field, field) != 0 || !strstr(err.message, text))
		fail_msg("%s: status %d field '%s': %s (want 409 %s '%s')", json, err.status,
			 err.field, err.message, field, text);
}

static void expect_allowed(struct fixture *f, const char *json, const struct vm *vms,
			   const struct commodity_pool *pool)
{
	struct partition_spec next = next_of(f, json);
	struct api_error err;
	if (partition_change_check(&f->st, &next, vms, pool, &err) < 0)
		fail_msg("%s refused: %s", json, err.message);
}

static void test_refusals(void **state)
{
	struct fixture *f = *state;
	struct commodity_pool pool = { .overcommit_ratio = 1, .mem_mib = 1024 };
	char why[64];
	cpu_bits_parse_list("0-1", &pool.cpus, why, sizeof(why));
	struct vm hpc = fixture_vm(VM_STACK_HPC, "solver", 1, 6, "2", VM_RUNNING);
	struct vm done = fixture_vm(VM_STACK_HPC, "finished", 1, 6, "3", VM_EXITED);
	hpc.next = &done;
	expect_refused(f, "{\"hpc_cpus\":\"3\"}", &hpc, &pool, "hpc_cpus",
		       "CPU(s) 2 would leave the HPC partition, but running HPC VMs are pinned to "
		       "them: 'solver' (CPUs 2, 6 MiB)");
	expect_allowed(f, "{\"hpc_cpus\":\"2\"}", &hpc, &pool); /* CPU 3's VM has exited */
	expect_refused(f, "{\"hpc_mem_mib\":4}", &hpc, &pool, "hpc_mem_mib",
		       "4 MiB is less than the 6 MiB running HPC VMs hold: 'solver'");
	expect_allowed(f, "{\"hpc_mem_mib\":6}", &hpc, &pool); /* no hugetlbfs: resizable */
	f->st.hugetlbfs.mounted = true;
	snprintf(f->st.hugetlbfs.path, sizeof(f->st.hugetlbfs.path), "/run/dsv/hugepages");
	expect_refused(f, "{\"hpc_mem_mib\":16}", &hpc, &pool, "hpc_mem_mib",
		       "cannot resize while mounted, and running HPC VMs map it: 'solver'");
	expect_allowed(f, "{\"hpc_cpus\":\"2\"}", &hpc, &pool);	 /* CPUs alone still move */
	expect_allowed(f, "{\"hpc_mem_mib\":16}", &done, &pool); /* no HPC VM running */
	f->st.hugetlbfs.mounted = false;

	struct vm web = fixture_vm(VM_STACK_COMMODITY, "web", 2, 512, "0-1", VM_RUNNING);
	cpu_bits_parse_list("0", &pool.cpus, why, sizeof(why));
	expect_refused(f, "{\"commodity_cpus\":\"0\"}", &web, &pool, "commodity_cpus",
		       "running commodity VMs have 2 vCPUs, more than the 1 that CPUs 0 hold");
	pool.overcommit_ratio = 2;
	expect_allowed(f, "{\"commodity_cpus\":\"0\"}", &web, &pool);
	cpu_bits_parse_list("3", &pool.cpus, why, sizeof(why));
	expect_refused(f, "{\"hpc_cpus\":\"2\",\"commodity_cpus\":\"3\"}", &web, &pool,
		       "commodity_cpus", "would keep none of the commodity CPUs 0-1");
	cpu_bits_parse_list("0-1", &pool.cpus, why, sizeof(why));
	pool.mem_mib = 256;
	expect_refused(f, "{\"hpc_mem_mib\":16}", &web, &pool, "hpc_mem_mib",
		       "less than the 512 MiB running ones hold: 'web'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shrink_hpc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_change_and_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hugepage_shortage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hugetlbfs_resize, setup_hugetlbfs, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_v2, setup_v2, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
