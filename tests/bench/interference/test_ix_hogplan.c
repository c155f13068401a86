/* What the runner asks dsvd for (bench/interference/hogplan.c): the POST /vms body of each
 * hog kind, which hogs dsvd makes, and the user-data an image hog runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "interference.h"

static void cfg_for(struct ix_cfg *c, const char *mode, int quota)
{
	memset(c, 0, sizeof *c);
	c->hog_mode = mode;
	c->hog_arg = !strcmp(mode, "membw") ? "mem" : !strcmp(mode, "cpu") ? "spin" : mode;
	c->hog_mem_mib = 256;
	c->hog_image_mem_mib = 512;
	c->hog_quota_pct = quota;
	snprintf(c->hog_image, sizeof c->hog_image, "/srv/images/debian-12.qcow2");
}

static json_t *body_of(const struct ix_cfg *c, enum ix_scn sc, enum ix_hog_kind k, const char *vm)
{
	char err[256] = "";
	char *b = ix_hog_body(c, "/b/lwk/lwk.elf", "/b/bench/workloads/hog", sc, k, vm, err,
			      sizeof err);
	assert_non_null(b);
	json_t *j = json_loads(b, 0, NULL);
	free(b);
	assert_non_null(j);
	return j;
}

static const char *str(json_t *j, const char *key)
{
	return json_string_value(json_object_get(j, key));
}

static void image_hog_is_a_cloud_vm(void **state)
{
	struct ix_cfg c;
	(void)state;
	cfg_for(&c, "cpu", 0);
	json_t *j = body_of(&c, SCN_DUAL, HOG_IMAGE, "ix7-img0-1");
	assert_string_equal(str(j, "name"), "ix7-img0-1");
	assert_string_equal(str(j, "stack"), "commodity");
	assert_int_equal(json_integer_value(json_object_get(j, "vcpus")), 1);
	assert_int_equal(json_integer_value(json_object_get(j, "mem_mib")), 512);
	assert_string_equal(str(j, "image"), "/srv/images/debian-12.qcow2");
	/* dsvd refuses these beside an image; its own NAT network is the default */
	const char *absent[] = { "kernel",  "initrd",	     "cmdline",	  "program",
				 "network", "cpu_quota_pct", "domain_xml" };
	for (size_t i = 0; i < sizeof absent / sizeof absent[0]; i++)
		assert_null(json_object_get(j, absent[i]));
	json_t *ci = json_object_get(j, "cloud_init");
	assert_true(json_is_object(ci));
	assert_int_equal(json_object_size(ci), 1); /* dsvd writes the meta-data */
	const char *ud = str(ci, "user_data");
	assert_non_null(ud);
	assert_memory_equal(ud, "#!/bin/sh\n", 10);
	assert_non_null(strstr(ud, "dsv-hog: ix7-img0-1 running"));
	assert_non_null(strstr(ud, "while :; do :; done"));
	assert_true(strlen(ud) < 32 * 1024); /* dsvd's limit */
	json_decref(j);
}

static void lwk_hog_runs_hog_on_the_lwk(void **state)
{
	struct ix_cfg c;
	(void)state;
	cfg_for(&c, "membw", 0);
	json_t *j = body_of(&c, SCN_DUAL, HOG_LWK, "ix7-hog1-0");
	assert_string_equal(str(j, "kernel"), "/b/lwk/lwk.elf");
	assert_string_equal(str(j, "initrd"), "/b/bench/workloads/hog");
	assert_string_equal(str(j, "cmdline"), "dsv.platform=pvm");
	assert_int_equal(json_integer_value(json_object_get(j, "mem_mib")), 256);
	assert_null(json_object_get(j, "image"));
	const char *want[] = { "/b/bench/workloads/hog",
			       "--mode",
			       "mem",
			       "--seconds",
			       "1000000",
			       "--threads",
			       "1",
			       "--quiet" };
	json_t *p = json_object_get(j, "program");
	assert_int_equal(json_array_size(p), 8);
	for (size_t i = 0; i < 8; i++)
		assert_string_equal(json_string_value(json_array_get(p, i)), want[i]);
	json_decref(j);
}

/* --hog-quota is dsvd's dual-stack lever; the single-stack baselines have none. */
static void quota_in_dual_stack_only(void **state)
{
	struct ix_cfg c;
	(void)state;
	cfg_for(&c, "cpu", 30);
	for (int k = 0; k < NHOGKIND; k++) {
		json_t *j = body_of(&c, SCN_DUAL, k, "v");
		assert_int_equal(json_integer_value(json_object_get(j, "cpu_quota_pct")), 30);
		json_decref(j);
	}
	json_t *j = body_of(&c, SCN_SINGLE, HOG_IMAGE, "v");
	assert_null(json_object_get(j, "cpu_quota_pct"));
	json_decref(j);
}

static void who_makes_each_hog(void **state)
{
	(void)state;
	assert_true(ix_hog_via_dsvd(SCN_DUAL, HOG_LWK));
	assert_false(ix_hog_via_dsvd(SCN_SINGLE, HOG_LWK));
	assert_false(ix_hog_via_dsvd(SCN_SINGLE_PINNED, HOG_LWK));
	/* an image VM needs dsvd's overlay and seed in every scenario */
	assert_true(ix_hog_via_dsvd(SCN_SINGLE, HOG_IMAGE));
	assert_true(ix_hog_via_dsvd(SCN_SINGLE_PINNED, HOG_IMAGE));
	assert_true(ix_hog_via_dsvd(SCN_DUAL, HOG_IMAGE));
}

static void user_data_per_mode(void **state)
{
	char ud[2048];
	(void)state;
	assert_int_equal(ix_hog_user_data("membw", "vm1", ud, sizeof ud), 0);
	assert_non_null(strstr(ud, "dd if=/dev/zero of=/dev/null bs=16M"));
	assert_int_equal(ix_hog_user_data("syscall", "vm1", ud, sizeof ud), 0);
	assert_non_null(strstr(ud, "bs=1 "));
	/* the load runs in the background: cloud-init and the test image's init go on */
	assert_non_null(strstr(ud, "hog </dev/null >/dev/null 2>&1 &\n"));
	/* "running" once the load lasted, "stopped" when it did not */
	assert_non_null(strstr(ud, "if kill -0 $pid 2>/dev/null; then say \"dsv-hog: vm1 running"));
	assert_non_null(strstr(ud, "else say \"dsv-hog: vm1 stopped: the syscall hog exited"));
	assert_int_equal(ix_hog_user_data("pagefault", "vm1", ud, sizeof ud), -1);
	assert_int_equal(ix_hog_user_data("cpu", "vm1", ud, 40), -1); /* does not fit */
	struct ix_cfg c;
	cfg_for(&c, "pagefault", 0);
	char err[256] = "";
	assert_null(ix_hog_body(&c, "/k", "/h", SCN_DUAL, HOG_IMAGE, "v", err, sizeof err));
	assert_non_null(strstr(err, "pagefault"));
}

/* Every mode's script is valid sh (sh -n parses it without running it). */
static void user_data_parses_as_sh(void **state)
{
	const char *modes[] = { "cpu", "membw", "syscall" };
	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char ud[2048], path[] = "/tmp/ix-user-data.XXXXXX", cmd[128];
		assert_int_equal(ix_hog_user_data(modes[i], "vm1", ud, sizeof ud), 0);
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		assert_int_equal(write(fd, ud, strlen(ud)), (ssize_t)strlen(ud));
		close(fd);
		snprintf(cmd, sizeof cmd, "sh -n %s", path);
		int r = system(cmd);
		unlink(path);
		assert_int_equal(r, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(image_hog_is_a_cloud_vm),
		cmocka_unit_test(lwk_hog_runs_hog_on_the_lwk),
		cmocka_unit_test(quota_in_dual_stack_only),
		cmocka_unit_test(who_makes_each_hog),
		cmocka_unit_test(user_data_per_mode),
		cmocka_unit_test(user_data_parses_as_sh),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
