/* Node config / partition request parsing (dsvd/node_config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "node_config.h"

static void expect_bad(const char *text, const char *field)
{
	struct node_config cfg;
	struct api_error err;
	memset(&err, 0, sizeof(err));
	int rc = node_config_parse(text, strlen(text), &cfg, &err);
	if (rc != -1 || err.status != 400 || strcmp(err.field, field) != 0)
		fail_msg("%s: rc %d status %d field '%s' (want '%s'): %s", text, rc, err.status,
			 err.field, field, err.message);
}

static void test_good(void **state)
{
	(void)state;
	struct node_config cfg;
	struct api_error err;
	const char *t = "{\"hpc_cpus\":\"1-3\",\"housekeeping_cpus\":\"0\",\"hpc_mem_mib\":512,"
			"\"overcommit_ratio\":2}";
	assert_int_equal(node_config_parse(t, strlen(t), &cfg, &err), 0);
	assert_true(cfg.partition.has_hpc_cpus);
	assert_int_equal(cpu_bits_count(&cfg.partition.hpc_cpus), 3);
	assert_false(cfg.partition.has_commodity_cpus);
	assert_int_equal(cfg.partition.hpc_mem_mib, 512);
	assert_int_equal(cfg.overcommit_ratio, 2);
	assert_int_equal(node_config_parse("{}", 2, &cfg, &err), 0);
	assert_int_equal(cfg.overcommit_ratio, NODE_OVERCOMMIT_DEFAULT);
	assert_false(cfg.partition.has_hpc_cpus);
}

static void test_bad(void **state)
{
	(void)state;
	expect_bad("{", "body");
	expect_bad("{\"hpc_cpus\":\"1\",\"extra\":1}", "extra");
	expect_bad("{\"hpc_cpus\":\"x\"}", "hpc_cpus");
	expect_bad("{\"hpc_cpus\":\"\"}", "hpc_cpus");
	expect_bad("{\"hpc_cpus\":1}", "hpc_cpus");
	expect_bad("{\"hpc_mem_mib\":0}", "hpc_mem_mib");
	expect_bad("{\"hpc_mem_mib\":-2}", "hpc_mem_mib");
	expect_bad("{\"hpc_mem_mib\":3}", "hpc_mem_mib");
	expect_bad("{\"hpc_mem_mib\":999999999999}", "hpc_mem_mib");
	expect_bad("{\"overcommit_ratio\":0}", "overcommit_ratio");
	expect_bad("{\"overcommit_ratio\":65}", "overcommit_ratio");
	expect_bad("{\"hpc_cpus\":\"1\",\"housekeeping_cpus\":\"0-1\"}", "housekeeping_cpus");
	expect_bad("{\"hpc_cpus\":\"1\",\"commodity_cpus\":\"1\"}", "commodity_cpus");
}

static void test_file(void **state)
{
	(void)state;
	char path[] = "/tmp/dsv-node-config-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	const char *t = "{\"hpc_cpus\":\"1\",\"hpc_mem_mib\":64}\n";
	assert_int_equal(write(fd, t, strlen(t)), (int)strlen(t));
	close(fd);
	struct node_config cfg;
	struct api_error err;
	bool found;
	assert_int_equal(node_config_load(path, &cfg, &found, &err), 0);
	assert_true(found);
	assert_int_equal(cfg.partition.hpc_mem_mib, 64);
	unlink(path);
	assert_int_equal(node_config_load(path, &cfg, &found, &err), 0);
	assert_false(found);
}

static void test_spec_json_roundtrip(void **state)
{
	(void)state;
	struct node_config cfg, back;
	struct api_error err;
	const char *t =
		"{\"hpc_cpus\":\"2-3\",\"housekeeping_cpus\":\"0\",\"commodity_cpus\":\"0-1\","
		"\"hpc_mem_mib\":128}";
	assert_int_equal(node_config_parse(t, strlen(t), &cfg, &err), 0);
	json_t *j = partition_spec_to_json(&cfg.partition);
	assert_int_equal(node_config_from_json(j, &back, &err), 0);
	json_decref(j);
	assert_true(partition_spec_equal(&cfg.partition, &back.partition));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_file),
		cmocka_unit_test(test_spec_json_roundtrip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
