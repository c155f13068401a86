/* The node-wide partition lock (dsvd/node_lock.c), and two agents on one (fake) node: the
 * second is refused with 409 naming the first while the first's partition is applied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"
#include "fake_host.h"
#include "node_lock.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/dsv-lock-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void test_lock_basics(void **state)
{
	(void)state;
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/run/dsv/partition.lock", dir);
	struct node_lock a, b;
	struct node_lock_holder h;
	node_lock_init(&a, path);
	node_lock_init(&b, path);
	assert_int_equal(node_lock_try(&a, &h, err, sizeof(err)), 0); /* creates the directory */
	assert_int_equal(h.pid, 0);
	assert_true(node_lock_held(&a));
	assert_int_equal(node_lock_try(&a, &h, err, sizeof(err)), 0); /* again: still ours */
	assert_int_equal(node_lock_record(&a, "/var/lib/dsv-a", err, sizeof(err)), 0);
	/* another open of the file (another agent) sees who holds it */
	assert_int_equal(node_lock_try(&b, &h, err, sizeof(err)), 1);
	assert_false(node_lock_held(&b));
	assert_int_equal(h.pid, getpid());
	assert_string_equal(h.state_dir, "/var/lib/dsv-a");
	/* a clean release erases the record */
	node_lock_release(&a, true);
	assert_int_equal(node_lock_try(&b, &h, err, sizeof(err)), 0);
	assert_int_equal(h.pid, 0);
	assert_int_equal(node_lock_record(&b, "/var/lib/dsv-b", err, sizeof(err)), 0);
	/* stopping with the partition applied keeps it: the next one finds it */
	node_lock_release(&b, false);
	assert_int_equal(node_lock_try(&a, &h, err, sizeof(err)), 0);
	assert_string_equal(h.state_dir, "/var/lib/dsv-b");
	node_lock_release(&a, true);
}

/* flock goes with its process: a holder that dies (SIGKILL) blocks no one. */
static void test_dead_holder(void **state)
{
	(void)state;
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/partition.lock", dir);
	int go[2];
	assert_int_equal(pipe(go), 0);
	pid_t child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		struct node_lock l;
		struct node_lock_holder h;
		node_lock_init(&l, path);
		if (node_lock_try(&l, &h, err, sizeof(err)) != 0 ||
		    node_lock_record(&l, "/state/of/child", err, sizeof(err)) != 0)
			_exit(1);
		if (write(go[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(go[1]);
	char c;
	assert_int_equal(read(go[0], &c, 1), 1);
	close(go[0]);
	struct node_lock l;
	struct node_lock_holder h;
	node_lock_init(&l, path);
	assert_int_equal(node_lock_try(&l, &h, err, sizeof(err)), 1);
	assert_int_equal(h.pid, child);
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	assert_int_equal(node_lock_try(&l, &h, err, sizeof(err)), 0);
	assert_int_equal(h.pid, child); /* its record is left: it died with whatever it held */
	assert_string_equal(h.state_dir, "/state/of/child");
	node_lock_release(&l, true);
}

static void test_bad_lock_file(void **state)
{
	(void)state;
	char path[128], err[256];
	struct node_lock l;
	struct node_lock_holder h;
	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	node_lock_init(&l, path);
	assert_int_equal(node_lock_try(&l, &h, err, sizeof(err)), -1); /* never follows a link */
	assert_non_null(strstr(err, path));
	snprintf(path, sizeof(path), "%s/adir", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	node_lock_init(&l, path);
	assert_int_equal(node_lock_try(&l, &h, err, sizeof(err)), -1);
}

static int init_agent(struct agent *a, const char *root, const char *name)
{
	static char state[4][256]; /* the agent keeps the pointer */
	static int n;
	char *sd = state[n++ % 4];
	snprintf(sd, sizeof(state[0]), "%s.%s", root, name);
	struct agent_options o = {
		.state_dir = sd,
		.socket_path = "/nonexistent.sock",
		.config_path = "/nonexistent/node.json",
		.hvmm_path = "/nonexistent/hvmm",
		.default_kernel = "/nonexistent/lwk.elf",
		.libvirt_uri = "test:///default",
		.host_root = root,
	};
	char err[512];
	if (agent_init(a, &o, err, sizeof(err)) < 0)
		fail_msg("agent_init: %s", err);
	return 0;
}

static int apply(struct agent *a, struct api_error *err)
{
	const char *json = "{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":8}";
	struct node_config cfg;
	if (node_config_parse(json, strlen(json), &cfg, err) < 0)
		fail_msg("config: %s", err->message);
	bool changed;
	return agent_partition(a, &cfg, &changed, err);
}

/* Two agents, two state directories, one node. */
static void test_two_agents(void **state)
{
	(void)state;
	const char *root = fake_host_create();
	assert_non_null(root);
	char *before = fake_host_snapshot(root);
	struct agent a, b;
	struct api_error err;
	init_agent(&a, root, "a");
	init_agent(&b, root, "b");
	if (apply(&a, &err) < 0)
		fail_msg("a: %s", err.message);
	assert_int_equal(apply(&b, &err), -1);
	assert_int_equal(err.status, 409);
	char want[600];
	snprintf(want, sizeof(want), "another dsvd (pid %ld, state dir %s;", (long)getpid(),
		 a.state_dir);
	if (!strstr(err.message, want))
		fail_msg("message: %s\nwant: %s", err.message, want);
	assert_false(b.partition.active);
	assert_true(a.partition.active); /* untouched */
	assert_true(hostfs_exists(a.partition_path));
	assert_false(hostfs_exists(b.partition_path));
	if (agent_release(&a, &err) < 0)
		fail_msg("release a: %s", err.message);
	if (apply(&b, &err) < 0) /* now b may */
		fail_msg("b after a released: %s", err.message);
	/* b stops with its partition applied: a is told whose it is, not "busy" */
	agent_fini(&b);
	assert_int_equal(apply(&a, &err), -1);
	assert_int_equal(err.status, 409);
	assert_non_null(strstr(err.message, "no longer running"));
	assert_non_null(strstr(err.message, b.state_dir));
	/* b restarts on its state directory, retakes the lock and releases */
	struct agent b2;
	init_agent(&b2, root, "b");
	assert_true(b2.partition.active);
	assert_true(node_lock_held(&b2.lock));
	assert_int_equal(apply(&a, &err), -1);
	assert_non_null(strstr(err.message, "partitioned by another dsvd"));
	if (agent_release(&b2, &err) < 0)
		fail_msg("release b: %s", err.message);
	agent_fini(&b2);
	agent_fini(&a);
	char *now = fake_host_snapshot(root);
	if (strcmp(now, before) != 0)
		fail_msg("host tree differs:\n%s", fake_host_first_difference(before, now));
	free(now);
	free(before);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s.a' '%s.b'", root, root);
	assert_int_equal(system(cmd), 0);
	fake_host_remove(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lock_basics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_holder, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_lock_file, setup, teardown),
		cmocka_unit_test(test_two_agents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
