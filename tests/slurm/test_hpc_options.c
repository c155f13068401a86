/* --dsv-hpc's value and the plugin's plugstack.conf arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "hpc_options.h"

static struct hpc_options o;
static char err[512];

static void defaults_when_empty(void **state)
{
	(void)state;
	assert_int_equal(hpc_options_parse(NULL, &o, err, sizeof(err)), 0);
	assert_int_equal(o.mem_mib, 0);
	assert_string_equal(o.share, "");
	assert_int_equal(o.hugepages, HPC_HUGE_DEFAULT);
	assert_int_equal(hpc_options_parse("", &o, err, sizeof(err)), 0);
	assert_int_equal(o.mem_mib, 0);
}

static void every_option(void **state)
{
	(void)state;
	assert_int_equal(
		hpc_options_parse("mem=2G,share=/scratch/run 1,hugepages=on", &o, err, sizeof(err)),
		0);
	assert_int_equal(o.mem_mib, 2048);
	assert_string_equal(o.share, "/scratch/run 1");
	assert_int_equal(o.hugepages, HPC_HUGE_ON);
	assert_int_equal(hpc_options_parse("hugepages=off,mem=512", &o, err, sizeof(err)), 0);
	assert_int_equal(o.mem_mib, 512); /* a bare number is MiB, as Slurm's --mem */
	assert_int_equal(o.hugepages, HPC_HUGE_OFF);
	assert_int_equal(o.net, HPC_NET_DEFAULT);
	assert_int_equal(hpc_options_parse("net=host", &o, err, sizeof(err)), 0);
	assert_int_equal(o.net, HPC_NET_HOST);
	assert_int_equal(hpc_options_parse("net=none,mem=64M", &o, err, sizeof(err)), 0);
	assert_int_equal(o.net, HPC_NET_NONE);
	assert_int_equal(hpc_options_parse("mem=1048576K", &o, err, sizeof(err)), 0);
	assert_int_equal(o.mem_mib, 1024);
	assert_int_equal(hpc_options_parse("mem=64MiB", &o, err, sizeof(err)), 0);
	assert_int_equal(o.mem_mib, 64);
	assert_int_equal(hpc_options_parse("mem=1T", &o, err, sizeof(err)), 0);
	assert_int_equal(o.mem_mib, 1024 * 1024);
}

static void refuses(const char *text, const char *expect)
{
	assert_int_equal(hpc_options_parse(text, &o, err, sizeof(err)), -1);
	if (!strstr(err, expect))
		fail_msg("'%s': error '%s' lacks '%s'", text, err, expect);
}

static void bad_values_are_named(void **state)
{
	(void)state;
	refuses("mem=3M", "mem='3M': expected a size in whole MiB from 4M");
	refuses("mem=2T", "mem='2T'");
	refuses("mem=1536K", "mem='1536K'"); /* not whole MiB */
	refuses("mem=", "mem=''");
	refuses("mem=-5M", "mem='-5M'");
	refuses("mem=12Q", "mem='12Q'");
	refuses("mem=99999999999999999999", "mem='99999999999999999999'");
	refuses("share=relative/dir", "share='relative/dir': expected an absolute directory");
	refuses("share=", "share=''");
	refuses("hugepages=yes", "hugepages='yes': expected auto, on or off");
	refuses("net=bridge", "net='bridge': expected none or host");
	refuses("net=", "net=''");
	refuses("cpus=4", "unknown option 'cpus'");
	refuses("mem", "'mem' is not KEY=VALUE");
	refuses("mem=64M,", "'' is not KEY=VALUE");
	refuses(",mem=64M", "'' is not KEY=VALUE");
}

static void plugin_arguments(void **state)
{
	struct plugin_config c;
	char *good[] = { "hvmm=/opt/dsv/bin/hvmm", "partition_state=/run/dsv/partition.json" };
	char *rel[] = { "hvmm=bin/hvmm" };
	char *unknown[] = { "debug=1" };

	(void)state;
	assert_int_equal(plugin_config_parse(0, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.hvmm, PLUGIN_DEFAULT_HVMM);
	assert_string_equal(c.partition_state, PLUGIN_DEFAULT_STATE);
	assert_int_equal(plugin_config_parse(2, good, &c, err, sizeof(err)), 0);
	assert_string_equal(c.hvmm, "/opt/dsv/bin/hvmm");
	assert_string_equal(c.partition_state, "/run/dsv/partition.json");
	assert_int_equal(plugin_config_parse(1, rel, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hvmm=bin/hvmm: expected an absolute path"));
	assert_int_equal(plugin_config_parse(1, unknown, &c, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unknown argument 'debug=1'"));
}

/* shm_root: where each step's /dev/shm is made; absolute, and never / itself */
static void plugin_shm_root(void **state)
{
	struct plugin_config c;
	char *good[] = { "shm_root=/dev/shm/dsv" };
	char *bad[][1] = {
		{ "shm_root=run/shm" }, { "shm_root=" }, { "shm_root=/" }, { "shm_root=//" }
	};

	(void)state;
	assert_int_equal(plugin_config_parse(0, NULL, &c, err, sizeof(err)), 0);
	assert_string_equal(c.shm_root, PLUGIN_DEFAULT_SHM_ROOT);
	assert_int_equal(plugin_config_parse(1, good, &c, err, sizeof(err)), 0);
	assert_string_equal(c.shm_root, "/dev/shm/dsv");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (plugin_config_parse(1, bad[i], &c, err, sizeof(err)) != -1)
			fail_msg("%s accepted", bad[i][0]);
		assert_non_null(strstr(err, bad[i][0]));
	}
}

/* shm_mib: each step's /dev/shm cap, whole MiB from 1 to 1 TiB; anything else is named */
static void plugin_shm_mib(void **state)
{
	struct plugin_config c;
	char *good[] = { "shm_mib=64" }, *max[] = { "shm_mib=1048576" }, *one[] = { "shm_mib=1" };
	char *bad[][1] = { { "shm_mib=" },	  { "shm_mib=0" },
			   { "shm_mib=-1" },	  { "shm_mib=1x" },
			   { "shm_mib=1G" },	  { "shm_mib= 5" },
			   { "shm_mib=1048577" }, { "shm_mib=99999999999999999999999" },
			   { "shm_mib=0x10" } };

	(void)state;
	assert_int_equal(plugin_config_parse(0, NULL, &c, err, sizeof(err)), 0);
	assert_int_equal(c.shm_mib, 1024);
	assert_int_equal(plugin_config_parse(1, good, &c, err, sizeof(err)), 0);
	assert_int_equal(c.shm_mib, 64);
	assert_int_equal(plugin_config_parse(1, one, &c, err, sizeof(err)), 0);
	assert_int_equal(c.shm_mib, 1);
	assert_int_equal(plugin_config_parse(1, max, &c, err, sizeof(err)), 0);
	assert_int_equal(c.shm_mib, 1048576);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (plugin_config_parse(1, bad[i], &c, err, sizeof(err)) != -1)
			fail_msg("%s accepted", bad[i][0]);
		assert_non_null(strstr(err, bad[i][0]));
		assert_non_null(strstr(err, "in MiB, 1 to 1048576"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults_when_empty),	cmocka_unit_test(every_option),
		cmocka_unit_test(bad_values_are_named), cmocka_unit_test(plugin_arguments),
		cmocka_unit_test(plugin_shm_root),	cmocka_unit_test(plugin_shm_mib),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
