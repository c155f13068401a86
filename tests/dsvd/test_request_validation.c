/* POST /vms request parsing and validation (dsvd/vm_spec.c): every bad request names its field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "vm_spec.h"

static void expect_bad(const char *body, const char *field)
{
	struct vm_spec spec;
	struct api_error err;
	memset(&err, 0, sizeof(err));
	int rc = vm_spec_parse(body, strlen(body), &spec, &err);
	if (rc != -1 || err.status != 400 || strcmp(err.field, field) != 0)
		fail_msg("body %s: rc %d status %d field '%s' (want '%s'): %s", body, rc,
			 err.status, err.field, field, err.message);
	assert_non_null(strstr(err.message, field));
}

static void test_good_requests(void **state)
{
	(void)state;
	struct vm_spec spec;
	struct api_error err;
	const char *hpc =
		"{\"name\":\"a-1.x_y\",\"stack\":\"hpc\",\"vcpus\":2,\"mem_mib\":64,"
		"\"program\":[\"/bin/true\",\"x\"],\"cmdline\":\"quiet\",\"share\":\"/tmp\"}";
	assert_int_equal(vm_spec_parse(hpc, strlen(hpc), &spec, &err), 0);
	assert_string_equal(spec.name, "a-1.x_y");
	assert_int_equal(spec.stack, VM_STACK_HPC);
	assert_int_equal(spec.vcpus, 2);
	assert_int_equal(spec.mem_mib, 64);
	assert_int_equal(spec.argc, 2);
	assert_string_equal(spec.argv[1], "x");
	assert_null(spec.argv[2]);
	json_t *back = vm_spec_to_json(&spec);
	struct vm_spec again;
	assert_int_equal(vm_spec_from_json(back, &again, &err), 0);
	assert_string_equal(again.share, "/tmp");
	assert_false(again.net_host); /* the default: no IP sockets */
	json_decref(back);
	vm_spec_free(&again);
	vm_spec_free(&spec);
	const char *com =
		"{\"name\":\"c\",\"stack\":\"commodity\",\"mem_mib\":33,\"kernel\":\"/k\","
		"\"initrd\":\"/i\"}";
	assert_int_equal(vm_spec_parse(com, strlen(com), &spec, &err), 0);
	assert_int_equal(spec.vcpus, 1); /* default */
	vm_spec_free(&spec);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_bad("", "body");
	expect_bad("{", "body");
	expect_bad("{\"name\":\"a\",}", "body");
	expect_bad("[1,2]", "body");
	expect_bad("{\"name\":\"a\\u0000b\",\"stack\":\"hpc\",\"mem_mib\":4}", "body");
	expect_bad("\"str\"", "body");
	expect_bad("{\"name\":\"a\",\"name\":\"b\",\"stack\":\"hpc\",\"mem_mib\":4}", "body");
}

static void test_unknown_fields(void **state)
{
	(void)state;
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"memory\":5}", "memory");
	expect_bad("{\"nmae\":\"a\"}", "nmae");
	expect_bad("{\"\":1,\"name\":\"a\"}", "\"\""); /* found by fuzz_dsvd_config */
}

static void test_sizes(void **state)
{
	(void)state;
	const char *t = "{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":%s,\"vcpus\":%s}";
	char body[256];
	const char *bad_mem[] = { "0", "-1", "1099511627776", "2.5", "\"64\"", "null" };
	for (size_t i = 0; i < sizeof(bad_mem) / sizeof(bad_mem[0]); i++) {
		snprintf(body, sizeof(body), t, bad_mem[i], "1");
		expect_bad(body, "mem_mib");
	}
	const char *bad_vcpus[] = { "0", "-3", "257", "100000", "true" };
	for (size_t i = 0; i < sizeof(bad_vcpus) / sizeof(bad_vcpus[0]); i++) {
		snprintf(body, sizeof(body), t, "64", bad_vcpus[i]);
		expect_bad(body, "vcpus");
	}
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\"}", "mem_mib");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":3,\"kernel\":\"/k\"}", "mem_mib");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":2,\"kernel\":\"/k\"}", "mem_mib");
}

static void test_stack(void **state)
{
	(void)state;
	expect_bad("{\"name\":\"a\",\"stack\":\"gpu\",\"mem_mib\":2}", "stack");
	expect_bad("{\"name\":\"a\",\"stack\":\"HPC\",\"mem_mib\":2}", "stack");
	expect_bad("{\"name\":\"a\",\"stack\":1,\"mem_mib\":2}", "stack");
	expect_bad("{\"name\":\"a\",\"mem_mib\":2}", "stack");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4}", "program");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\"],"
		   "\"initrd\":\"/i\"}",
		   "initrd");
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":2,\"share\":\"/s\"}",
		   "share");
	/* a CPU cap: commodity only, 1-100 % */
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\"],"
		   "\"cpu_quota_pct\":50}",
		   "cpu_quota_pct");
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":2,\"cpu_quota_pct\":0}",
		   "cpu_quota_pct");
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":2,\"cpu_quota_pct\":101}",
		   "cpu_quota_pct");
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":2,\"cpu_quota_pct\":\"5\"}",
		   "cpu_quota_pct");
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":2,"
		   "\"program\":[\"/bin/sh\",\"a b\"]}",
		   "program[1]");
	/* the network policy: hpc only, none or host */
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":2,\"net\":\"host\"}",
		   "net");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\"],"
		   "\"net\":\"bridge\"}",
		   "net");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\"],"
		   "\"net\":true}",
		   "net");
	struct vm_spec spec;
	struct api_error err;
	const char *host = "{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\"],"
			   "\"net\":\"host\"}";
	assert_int_equal(vm_spec_parse(host, strlen(host), &spec, &err), 0);
	assert_true(spec.net_host);
	json_t *back = vm_spec_to_json(&spec);
	assert_string_equal(json_string_value(json_object_get(back, "net")), "host");
	json_decref(back);
	vm_spec_free(&spec);
}

/* shm_group: HPC only; a name that is safe as one directory under STATE_DIR/shm/ */
static void test_shm_group(void **state)
{
	(void)state;
	const char *t = "{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\"],"
			"\"shm_group\":%s}";
	char body[512];
	const char *bad[] = { "\"\"",	  "\".\"",     "\"..\"",    "\"a/b\"",	   "\"/\"",
			      "\"../x\"", "\"a b\"",   "\"a\\nb\"", "\"\\u00e9\"", "\"a\\tb\"",
			      "\"x*\"",	  "\"$(id)\"", "1",	    "true",	   "null",
			      "[\"a\"]",  "{}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), t, bad[i]);
		expect_bad(body, "shm_group");
	}
	/* VM_SHM_GROUP_MAX characters are accepted, one more is not */
	char name[VM_SHM_GROUP_MAX + 4];
	memset(name, 'g', sizeof(name));
	name[0] = '"';
	name[VM_SHM_GROUP_MAX + 1] = '"';
	name[VM_SHM_GROUP_MAX + 2] = '\0';
	struct vm_spec spec;
	struct api_error err;
	snprintf(body, sizeof(body), t, name);
	assert_int_equal(vm_spec_parse(body, strlen(body), &spec, &err), 0);
	vm_spec_free(&spec);
	name[VM_SHM_GROUP_MAX + 1] = 'g';
	name[VM_SHM_GROUP_MAX + 2] = '"';
	name[VM_SHM_GROUP_MAX + 3] = '\0';
	snprintf(body, sizeof(body), t, name);
	expect_bad(body, "shm_group");
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":2,\"shm_group\":\"g\"}",
		   "shm_group");
	/* accepted, kept through the record (vm_spec_to_json and back) */
	snprintf(body, sizeof(body), t, "\"job-42.step_0\"");
	assert_int_equal(vm_spec_parse(body, strlen(body), &spec, &err), 0);
	assert_string_equal(spec.shm_group, "job-42.step_0");
	json_t *back = vm_spec_to_json(&spec);
	assert_string_equal(json_string_value(json_object_get(back, "shm_group")), "job-42.step_0");
	struct vm_spec again;
	assert_int_equal(vm_spec_from_json(back, &again, &err), 0);
	assert_string_equal(again.shm_group, "job-42.step_0");
	json_decref(back);
	vm_spec_free(&again);
	vm_spec_free(&spec);
	/* without one: no group, and none in the record */
	const char *none = "{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\"]}";
	assert_int_equal(vm_spec_parse(none, strlen(none), &spec, &err), 0);
	assert_string_equal(spec.shm_group, "");
	back = vm_spec_to_json(&spec);
	assert_null(json_object_get(back, "shm_group"));
	json_decref(back);
	vm_spec_free(&spec);
}

/* env: HPC only; an object of C-identifier names (not HVMM_*) to strings without NUL */
static void test_env(void **state)
{
	(void)state;
	const char *t = "{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\"],"
			"\"env\":%s}";
	char body[8192];
	const char *bad[] = { "[]",
			      "\"A=1\"",
			      "1",
			      "null",
			      "{\"\":\"x\"}",
			      "{\"1A\":\"x\"}",
			      "{\"A-B\":\"x\"}",
			      "{\"A B\":\"x\"}",
			      "{\"A=B\":\"x\"}",
			      "{\"\\u00e9\":\"x\"}",
			      "{\"HVMM_X\":\"x\"}",
			      "{\"A\\nB\":\"x\"}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body), t, bad[i]);
		expect_bad(body, "env");
	}
	const char *bad_value[] = { "{\"A\":1}", "{\"A\":null}", "{\"A\":[\"x\"]}", "{\"A\":{}}" };
	for (size_t i = 0; i < sizeof(bad_value) / sizeof(bad_value[0]); i++) {
		snprintf(body, sizeof(body), t, bad_value[i]);
		expect_bad(body, "env.A");
	}
	/* VM_ENV_VALUE_MAX bytes of value and VM_ENV_NAME_MAX of name pass, one more does not */
	char value[VM_ENV_VALUE_MAX + 2], name[VM_ENV_NAME_MAX + 2], obj[VM_ENV_VALUE_MAX + 64];
	memset(value, 'v', sizeof(value) - 1);
	value[VM_ENV_VALUE_MAX] = '\0';
	struct vm_spec spec;
	struct api_error err;
	snprintf(obj, sizeof(obj), "{\"A\":\"%s\"}", value);
	snprintf(body, sizeof(body), t, obj);
	assert_int_equal(vm_spec_parse(body, strlen(body), &spec, &err), 0);
	vm_spec_free(&spec);
	value[VM_ENV_VALUE_MAX] = 'v';
	value[VM_ENV_VALUE_MAX + 1] = '\0';
	snprintf(obj, sizeof(obj), "{\"A\":\"%s\"}", value);
	snprintf(body, sizeof(body), t, obj);
	expect_bad(body, "env.A");
	memset(name, 'N', sizeof(name) - 1);
	name[VM_ENV_NAME_MAX] = '\0';
	snprintf(obj, sizeof(obj), "{\"%s\":\"x\"}", name);
	snprintf(body, sizeof(body), t, obj);
	assert_int_equal(vm_spec_parse(body, strlen(body), &spec, &err), 0);
	vm_spec_free(&spec);
	name[VM_ENV_NAME_MAX] = 'N';
	name[VM_ENV_NAME_MAX + 1] = '\0';
	snprintf(obj, sizeof(obj), "{\"%s\":\"x\"}", name);
	snprintf(body, sizeof(body), t, obj);
	expect_bad(body, "env");
	/* VM_ENV_MAX variables pass, one more does not */
	size_t n = 0;
	n += (size_t)snprintf(obj + n, sizeof(obj) - n, "{");
	for (int i = 0; i <= VM_ENV_MAX; i++)
		n += (size_t)snprintf(obj + n, sizeof(obj) - n, "%s\"V%d\":\"x\"", i ? "," : "", i);
	snprintf(obj + n, sizeof(obj) - n, "}");
	snprintf(body, sizeof(body), t, obj);
	expect_bad(body, "env");
	char *last = strrchr(obj, ',');
	strcpy(last, "}");
	snprintf(body, sizeof(body), t, obj);
	assert_int_equal(vm_spec_parse(body, strlen(body), &spec, &err), 0);
	assert_int_equal(spec.env.count, VM_ENV_MAX);
	vm_spec_free(&spec);
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":2,\"env\":{\"A\":\"1\"}}",
		   "env");
	/* accepted in order, kept through the record (vm_spec_to_json and back) */
	snprintf(body, sizeof(body), t, "{\"OMP_NUM_THREADS\":\"4\",\"_x1\":\"a b=c\",\"E\":\"\"}");
	assert_int_equal(vm_spec_parse(body, strlen(body), &spec, &err), 0);
	assert_int_equal(spec.env.count, 3);
	assert_string_equal(spec.env.vars[0], "OMP_NUM_THREADS=4");
	assert_string_equal(spec.env.vars[1], "_x1=a b=c");
	assert_string_equal(spec.env.vars[2], "E=");
	assert_null(spec.env.vars[3]);
	json_t *back = vm_spec_to_json(&spec);
	struct vm_spec again;
	assert_int_equal(vm_spec_from_json(back, &again, &err), 0);
	assert_int_equal(again.env.count, 3);
	for (int i = 0; i < 3; i++)
		assert_string_equal(again.env.vars[i], spec.env.vars[i]);
	json_decref(back);
	vm_spec_free(&again);
	/* hvmm's environment: the node's HVMM_* settings, then the VM's; nothing else of dsvd's */
	char *host[] = { "PATH=/usr/bin", "HVMM_FASTPATH=off", "SECRET=1", "HVMM=x", NULL };
	char **envp = vm_env_for_hvmm(&spec.env, host);
	assert_non_null(envp);
	assert_string_equal(envp[0], "HVMM_FASTPATH=off");
	assert_string_equal(envp[1], VM_ENV_DEFAULT_PATH);
	assert_string_equal(envp[2], "OMP_NUM_THREADS=4");
	assert_string_equal(envp[3], "_x1=a b=c");
	assert_string_equal(envp[4], "E=");
	assert_null(envp[5]);
	free(envp);
	vm_spec_free(&spec);
	/* a PATH of the VM's replaces the default */
	snprintf(body, sizeof(body), t, "{\"PATH\":\"/opt/bin\"}");
	assert_int_equal(vm_spec_parse(body, strlen(body), &spec, &err), 0);
	envp = vm_env_for_hvmm(&spec.env, NULL);
	assert_non_null(envp);
	assert_string_equal(envp[0], "PATH=/opt/bin");
	assert_null(envp[1]);
	free(envp);
	vm_spec_free(&spec);
	/* without env: none in the record */
	const char *none = "{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\"]}";
	assert_int_equal(vm_spec_parse(none, strlen(none), &spec, &err), 0);
	back = vm_spec_to_json(&spec);
	assert_null(json_object_get(back, "env"));
	json_decref(back);
	vm_spec_free(&spec);
}

static void test_names(void **state)
{
	(void)state;
	const char *bad[] = { "\"\"",
			      "\"../x\"",
			      "\"a/b\"",
			      "\".hidden\"",
			      "\"-rf\"",
			      "\"a..b\"",
			      "\"a b\"",
			      "\"\\u00e9\"",
			      "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
			      "5" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char body[256];
		snprintf(body, sizeof(body), "{\"name\":%s,\"stack\":\"hpc\",\"mem_mib\":4}",
			 bad[i]);
		expect_bad(body, "name");
	}
	char why[128];
	assert_int_equal(vm_name_check("ok-Name_1.2", why, sizeof(why)), 0);
}

static void test_paths(void **state)
{
	(void)state;
	expect_bad("{\"name\":\"a\",\"stack\":\"commodity\",\"mem_mib\":2,\"kernel\":\"rel/k\"}",
		   "kernel");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"prog\"]}",
		   "program[0]");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[]}", "program");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":[\"/p\",3]}",
		   "program[1]");
	expect_bad("{\"name\":\"a\",\"stack\":\"hpc\",\"mem_mib\":4,\"program\":\"/p\"}",
		   "program");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_requests),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_shm_group),
		cmocka_unit_test(test_env),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
