/* The REST API end to end below HTTP (dsvd/api.c, dsvd/agent.c) on a fake host tree, with a
 * stand-in for hvmm (a shell script that prints its arguments and sleeps). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "fake_host.h"
#include "http_server.h"

struct fixture {
	const char *root;
	char state_dir[256], fake_hvmm[256];
	char *before;
	struct agent agent;
};

static int setup(void **state)
{
	static struct fixture f;
	memset(&f, 0, sizeof(f));
	f.root = fake_host_create();
	if (!f.root)
		return -1;
	f.before = fake_host_snapshot(f.root);
	snprintf(f.state_dir, sizeof(f.state_dir), "%s.state", f.root);
	snprintf(f.fake_hvmm, sizeof(f.fake_hvmm), "%s.hvmm", f.root);
	FILE *h = fopen(f.fake_hvmm, "w");
	if (!h)
		return -1;
	/* sleeps far longer than any test takes: teardown deletes the VM, which kills it */
	fprintf(h, "#!/bin/sh\necho \"fake-hvmm $*\"\n"
		   /* the launch report, as hvmm gives it (dsv/hvmm_cli.h) */
		   "while [ $# -gt 1 ]; do [ \"$1\" = --ready-fd ] && eval \"echo ready >&$2\"; "
		   "shift; done\n"
		   "exec sleep 600\n");
	fclose(h);
	chmod(f.fake_hvmm, 0755);
	struct agent_options o = {
		.state_dir = f.state_dir,
		.socket_path = "/nonexistent.sock",
		.config_path = "/nonexistent/node.json",
		.hvmm_path = f.fake_hvmm,
		.default_kernel = "/nonexistent/lwk.elf",
		.libvirt_uri = "test:///default",
		.host_root = f.root,
	};
	char err[512];
	if (agent_init(&f.agent, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "agent_init: %s\n", err);
		return -1;
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct api_error err;
	while (f->agent.vms)
		if (agent_delete_vm(&f->agent, f->agent.vms->spec.name, &err) < 0)
			break;
	agent_fini(&f->agent);
	fake_host_remove(f->root);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", f->state_dir, f->fake_hvmm);
	if (system(cmd) != 0)
		return -1;
	free(f->before);
	return 0;
}

/* Sends a request and returns the status; *json gets the parsed body when it is JSON. */
static int call(struct fixture *f, const char *method, const char *path, const char *body,
		json_t **json, char **text)
{
	struct api_response r;
	api_handle(&f->agent, method, path, body ? body : "", body ? strlen(body) : 0, &r);
	if (json)
		*json = r.body ? json_loads(r.body, 0, NULL) : NULL;
	if (text)
		*text = r.body;
	else
		free(r.body);
	return r.status;
}

static void expect_error(struct fixture *f, const char *method, const char *path, const char *body,
			 int status, const char *field)
{
	json_t *j;
	int got = call(f, method, path, body, &j, NULL);
	const char *fld = json_string_value(json_object_get(j, "field"));
	const char *msg = json_string_value(json_object_get(j, "error"));
	if (got != status || !msg || (field && (!fld || strcmp(fld, field) != 0)))
		fail_msg("%s %s %s: got %d field '%s' msg '%s', want %d '%s'", method, path,
			 body ? body : "", got, fld ? fld : "", msg ? msg : "", status,
			 field ? field : "");
	json_decref(j);
}

static void test_node_and_errors(void **state)
{
	struct fixture *f = *state;
	json_t *j;
	assert_int_equal(call(f, "GET", "/node", NULL, &j, NULL), 200);
	assert_string_equal(json_string_value(json_object_get(j, "online_cpus")), "0-3");
	assert_true(json_is_null(json_object_get(j, "partition")));
	assert_non_null(json_object_get(json_object_get(j, "topology"), "pus"));
	json_decref(j);
	assert_int_equal(call(f, "GET", "/vms", NULL, &j, NULL), 200);
	assert_int_equal(json_array_size(j), 0);
	json_decref(j);
	expect_error(f, "GET", "/nothing", NULL, 404, NULL);
	expect_error(f, "PATCH", "/vms", NULL, 405, NULL);
	expect_error(f, "POST", "/node", NULL, 405, NULL);
	expect_error(f, "GET", "/vms/nope", NULL, 404, "name");
	expect_error(f, "DELETE", "/vms/nope", NULL, 404, "name");
	expect_error(f, "GET", "/vms/nope/console", NULL, 404, "name");
	expect_error(f, "GET", "/vms/../etc", NULL, 400, "name");
	expect_error(f, "POST", "/vms", "{oops", 400, "body");
	expect_error(f, "POST", "/vms", "{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"x\":1}",
		     400, "x");
	expect_error(f, "POST", "/vms", "{\"name\":\"a\",\"stack\":\"fpga\",\"mem_mib\":2}", 400,
		     "stack");
	expect_error(f, "POST", "/vms", "{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":-2}", 400,
		     "mem_mib");
	expect_error(f, "POST", "/vms", "{\"name\":\"a/b\",\"stack\":\"hpc\",\"mem_mib\":4}", 400,
		     "name");
	/* no partition: HPC VMs are refused */
	expect_error(f, "POST", "/vms",
		     "{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/bin/true\"]}",
		     409, "stack");
	expect_error(f, "PUT", "/node/partition", "{\"hpc_cpus\":\"9\",\"hpc_mem_mib\":2}", 400,
		     "hpc_cpus");
	expect_error(f, "DELETE", "/node/partition", NULL, 409, NULL);
	char *text;
	assert_int_equal(call(f, "GET", "/metrics", NULL, NULL, &text), 200);
	assert_non_null(strstr(text, "# TYPE dsv_vms gauge"));
	free(text);
}

static void test_hpc_lifecycle(void **state)
{
	struct fixture *f = *state;
	json_t *j;
	const char *part = "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}";
	assert_int_equal(call(f, "PUT", "/node/partition", part, &j, NULL), 200);
	assert_true(json_is_true(json_object_get(j, "changed")));
	json_decref(j);
	assert_int_equal(call(f, "PUT", "/node/partition", part, &j, NULL), 200);
	assert_true(json_is_false(json_object_get(j, "changed"))); /* idempotent */
	json_decref(j);
	expect_error(f, "PUT", "/node/partition", "{\"hpc_cpus\":\"3\",\"hpc_mem_mib\":8}", 409,
		     NULL);

	const char *vm = "{\"name\":\"h1\",\"stack\":\"hpc\",\"vcpus\":2,\"mem_mib\":4,"
			 "\"program\":[\"/bin/true\",\"arg\"]}";
	assert_int_equal(call(f, "POST", "/vms", vm, &j, NULL), 201);
	assert_string_equal(json_string_value(json_object_get(j, "state")), "running");
	assert_string_equal(json_string_value(json_object_get(j, "cpus")), "2-3");
	json_decref(j);
	expect_error(f, "POST", "/vms", vm, 409, "name"); /* duplicate */
	expect_error(
		f, "POST", "/vms",
		"{\"name\":\"h2\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/bin/true\"]}",
		409, "vcpus");					       /* no HPC CPU left */
	expect_error(f, "DELETE", "/node/partition", NULL, 409, NULL); /* a VM still runs */
	char *text = NULL;
	/* the stand-in prints its command line once the shell has started: give a busy host
     * a minute before calling its absence a failure */
	for (int i = 0; i < 3000; i++) {
		free(text);
		assert_int_equal(call(f, "GET", "/vms/h1/console", NULL, NULL, &text), 200);
		if (strstr(text, "fake-hvmm"))
			break;
		usleep(20000);
	}
	char want[1000], tail[300];
	/* hvmm enters the partition's cpusets itself: vCPU threads dsv-hpc, the rest dsv-host */
	snprintf(want, sizeof(want),
		 "fake-hvmm run --vcpus 2 --cpus 2-3 --housekeeping-cpus 0 "
		 "--mem 4M --hugepages on --hugetlbfs %s/hugepages --status-file %s/vms/h1.status "
		 "--vcpu-cgroup %s/sys/fs/cgroup/cpuset/dsv-hpc --housekeeping-cgroup "
		 "%s/sys/fs/cgroup/cpuset/dsv-host --ready-fd ",
		 f->state_dir, f->state_dir, f->root, f->root);
	snprintf(tail, sizeof(tail), " -- %s/vms/h1.files/true arg", f->state_dir);
	if (!strstr(text, want) || !strstr(text, tail))
		fail_msg("console: %s\nwant: %s<N>%s", text, want, tail);
	free(text);
	/* hvmm gets a copy of the caller's program, byte for byte, removed with the VM */
	char copy[600], cmp[1400];
	snprintf(copy, sizeof(copy), "%s/vms/h1.files/true", f->state_dir);
	snprintf(cmp, sizeof(cmp), "cmp -s /bin/true '%s'", copy);
	assert_int_equal(system(cmp), 0);
	/* the partition's hugetlbfs, recorded in the fake host's mount table */
	char buf[512], line[700];
	snprintf(line, sizeof(line),
		 "hugetlbfs %s/hugepages hugetlbfs pagesize=2048K,size=8M,"
		 "min_size=8M,mode=0700,",
		 f->state_dir);
	if (!strstr(fake_host_get(f->root, "proc/mounts", buf, sizeof(buf)), line))
		fail_msg("mount table: %s\nwant: %s", buf, line);
	assert_int_equal(call(f, "GET", "/vms", NULL, &j, NULL), 200);
	assert_int_equal(json_array_size(j), 1);
	json_decref(j);
	assert_int_equal(call(f, "GET", "/metrics", NULL, NULL, &text), 200);
	assert_non_null(strstr(text, "dsv_vms{stack=\"hpc\",state=\"running\"} 1"));
	assert_non_null(strstr(text, "dsv_vm_memory_bytes{name=\"h1\",stack=\"hpc\"} 4194304"));
	free(text);
	assert_int_equal(call(f, "DELETE", "/vms/h1", NULL, NULL, NULL), 200);
	expect_error(f, "GET", "/vms/h1", NULL, 404, "name");
	assert_int_equal(access(copy, F_OK), -1);
	*strrchr(copy, '/') = '\0';
	assert_int_equal(access(copy, F_OK), -1);

	/* a caller that is not the agent's user: hvmm is told to become it, and its program is
     * copied with its rights (nobody may read /bin/true, not /etc/shadow) */
	if (geteuid() == 0) {
		struct caller nobody = {
			.uid = 65534, .gid = 65534, .groups = { 100, 65534 }, .ngroups = 2
		};
		f->agent.caller = nobody;
		expect_error(f, "POST", "/vms",
			     "{\"name\":\"h3\",\"stack\":\"hpc\",\"mem_mib\":4,"
			     "\"program\":[\"/etc/shadow\"]}",
			     403, "program[0]");
		assert_int_equal(call(f, "POST", "/vms",
				      "{\"name\":\"h3\",\"stack\":\"hpc\",\"mem_mib\":4,"
				      "\"program\":[\"/bin/true\"]}",
				      &j, NULL),
				 201);
		assert_int_equal(
			json_integer_value(json_object_get(json_object_get(j, "owner"), "uid")),
			65534);
		json_decref(j);
		/* another user in the group can neither stop it nor read its console */
		struct caller other = { .uid = 65533, .gid = 65533 };
		f->agent.caller = other;
		expect_error(f, "DELETE", "/vms/h3", NULL, 403, "name");
		expect_error(f, "GET", "/vms/h3/console", NULL, 403, "name");
		caller_self(&f->agent.caller);
		text = NULL;
		for (int i = 0; i < 100; i++) {
			free(text);
			assert_int_equal(call(f, "GET", "/vms/h3/console", NULL, NULL, &text), 200);
			if (strstr(text, "fake-hvmm"))
				break;
			usleep(20000);
		}
		snprintf(want, sizeof(want), " -- %s/vms/h3.files/true\n", f->state_dir);
		if (!strstr(text, " --uid 65534 --gid 65534 --groups 100,65534 ") ||
		    !strstr(text, want))
			fail_msg("console: %s\nwant: --uid 65534 --gid 65534 --groups 100,65534 "
				 "...%s",
				 text, want);
		free(text);
		assert_int_equal(call(f, "DELETE", "/vms/h3", NULL, NULL, NULL), 200);
	}
	assert_int_equal(call(f, "DELETE", "/node/partition", NULL, &j, NULL), 200);
	json_decref(j);
	char *now = fake_host_snapshot(f->root);
	if (strcmp(now, f->before) != 0)
		fail_msg("host tree differs:\n%s", fake_host_first_difference(f->before, now));
	free(now);
}

static void test_readopt(void **state)
{
	struct fixture *f = *state;
	json_t *j;
	const char *part = "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}";
	assert_int_equal(call(f, "PUT", "/node/partition", part, NULL, NULL), 200);
	const char *vm =
		"{\"name\":\"keep\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/bin/true\"]}";
	assert_int_equal(call(f, "POST", "/vms", vm, &j, NULL), 201);
	json_int_t pid = json_integer_value(json_object_get(j, "pid"));
	json_decref(j);
	/* a second agent on the same state directory: what a restart after SIGKILL sees */
	struct agent again;
	char err[512];
	assert_int_equal(agent_init(&again, &f->agent.opts, err, sizeof(err)), 0);
	assert_int_equal(again.adopted, 1);
	assert_true(again.partition.active);
	struct vm *v = agent_find(&again, "keep");
	assert_non_null(v);
	assert_int_equal(v->hpc.pid, pid);
	assert_int_equal(v->state, VM_RUNNING);
	assert_null(v->next); /* not duplicated */
	agent_fini(&again);
}

/* SO_PEERCRED rule: root, the agent's own user, or a member of the configured group. */
static void test_peer_allowed(void **state)
{
	(void)state;
	gid_t groups[] = { 10, 20 };
	assert_true(peer_allowed(0, 0, NULL, 0, 1000, false, 0));	 /* root */
	assert_true(peer_allowed(1000, 1000, NULL, 0, 1000, false, 0));	 /* dsvd's own user */
	assert_false(peer_allowed(1001, 1001, NULL, 0, 1000, false, 0)); /* anyone else */
	assert_false(peer_allowed(1001, 1001, groups, 2, 0, false, 20)); /* no group configured */
	assert_true(peer_allowed(1001, 30, NULL, 0, 0, true, 30));	 /* primary group */
	assert_true(peer_allowed(1001, 1001, groups, 2, 0, true, 20));	 /* supplementary group */
	assert_false(peer_allowed(1001, 1001, groups, 2, 0, true, 30));	 /* not a member */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_node_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hpc_lifecycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readopt, setup, teardown),
		cmocka_unit_test(test_peer_allowed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
