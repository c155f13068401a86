#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "options.h"
#include "size.h"

#define ARGV(...) ((char *[]){ "hvmm", __VA_ARGS__, NULL })
#define ARGC(...) ((int)(sizeof((char *[]){ "hvmm", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(o, err, ...) opts_parse(o, ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), err, sizeof(err))

static void defaults(void **state)
{
	struct hvmm_opts o;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "run"), OPTS_RUN);
	assert_int_equal(o.vcpus, 1);
	assert_int_equal(o.ncpus, 0);
	assert_int_equal(o.mem, HVMM_DEFAULT_MEM);
	assert_int_equal(o.hugepages, GM_HUGE_AUTO);
	assert_null(o.kernel);
	assert_null(o.prog_argv);
	assert_int_equal(o.stats, STATS_NONE);
}

/* The partition's mount implies hugepages on; it is checked as a mount when RAM is made. */
static void hugetlbfs_dir(void **state)
{
	struct hvmm_opts o;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "run", "--hugetlbfs", "/mnt/h"), OPTS_RUN);
	assert_string_equal(o.hugetlbfs, "/mnt/h");
	assert_int_equal(o.hugepages, GM_HUGE_ON);
	assert_int_equal(PARSE(&o, err, "run", "--hugepages", "on", "--hugetlbfs", "/mnt/h"),
			 OPTS_RUN);
	assert_int_equal(PARSE(&o, err, "run"), OPTS_RUN);
	assert_null(o.hugetlbfs);
}

static void full_command(void **state)
{
	struct hvmm_opts o;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "run", "--vcpus", "2", "--cpus", "2-3",
			       "--housekeeping-cpus", "0", "--mem", "1G", "--hugepages", "on",
			       "--share", "/tmp/x", "--cmdline", "a=b", "--stats=json", "--log",
			       "/tmp/log", "-v", "--kernel", "k.elf", "--", "./prog", "--vcpus",
			       "x"),
			 OPTS_RUN);
	assert_int_equal(o.vcpus, 2);
	assert_int_equal(o.ncpus, 2);
	assert_int_equal(o.cpus[0], 2);
	assert_int_equal(o.cpus[1], 3);
	assert_int_equal(o.nhk_cpus, 1);
	assert_int_equal(o.mem, 1ull << 30);
	assert_int_equal(o.hugepages, GM_HUGE_ON);
	assert_string_equal(o.share, "/tmp/x");
	assert_string_equal(o.cmdline, "a=b");
	assert_int_equal(o.stats, STATS_JSON);
	assert_string_equal(o.log, "/tmp/log");
	assert_int_equal(o.verbose, 1);
	assert_string_equal(o.kernel, "k.elf");
	/* Everything after "--" belongs to the program, options included. */
	assert_int_equal(o.prog_argc, 3);
	assert_string_equal(o.prog_argv[0], "./prog");
	assert_string_equal(o.prog_argv[1], "--vcpus");
}

static void cpus_imply_vcpus(void **state)
{
	struct hvmm_opts o;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "run", "--cpus", "0,1", "--stats"), OPTS_RUN);
	assert_int_equal(o.vcpus, 2);
	assert_int_equal(o.stats, STATS_TEXT);
}

static void help_and_version(void **state)
{
	struct hvmm_opts o;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "--help"), OPTS_HELP);
	assert_int_equal(PARSE(&o, err, "run", "--help"), OPTS_HELP);
	assert_int_equal(PARSE(&o, err, "--version"), OPTS_VERSION);
	assert_int_equal(PARSE(&o, err, "run", "-V"), OPTS_VERSION);
	assert_non_null(strstr(opts_usage(), "--hugepages"));
}

/* The user hvmm becomes after setup: numeric ids, checked here, applied in credentials.c. */
static void run_as_user(void **state)
{
	struct hvmm_opts o;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "run"), OPTS_RUN);
	assert_int_equal(o.as_user, 0);
	assert_int_equal(PARSE(&o, err, "run", "--uid", "1000", "--gid", "100"), OPTS_RUN);
	assert_int_equal(o.as_user, 1);
	assert_int_equal(o.uid, 1000);
	assert_int_equal(o.gid, 100);
	assert_int_equal(o.ngroups, 0);
	assert_int_equal(PARSE(&o, err, "run", "--gid", "0", "--uid", "4294967294", "--groups",
			       "27,100,4294967294", "--", "./p"),
			 OPTS_RUN);
	assert_int_equal(o.as_user, 1);
	assert_int_equal(o.uid, 4294967294u);
	assert_int_equal(o.gid, 0);
	assert_int_equal(o.ngroups, 3);
	assert_int_equal(o.groups[0], 27);
	assert_int_equal(o.groups[1], 100);
	assert_int_equal(o.groups[2], 4294967294u);
	assert_int_equal(o.prog_argc, 1);
}

static void too_many_groups(void **state)
{
	static char list[(HVMM_MAX_GROUPS + 1) * 4];
	struct hvmm_opts o;
	char err[300];
	size_t n = 0;

	(void)state;
	for (int i = 0; i < HVMM_MAX_GROUPS; i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%d", i ? "," : "", i);
	assert_int_equal(PARSE(&o, err, "run", "--uid", "1", "--gid", "1", "--groups", list),
			 OPTS_RUN);
	assert_int_equal(o.ngroups, HVMM_MAX_GROUPS);
	assert_int_equal(o.groups[HVMM_MAX_GROUPS - 1], HVMM_MAX_GROUPS - 1);
	snprintf(list + n, sizeof(list) - n, ",7");
	assert_int_equal(PARSE(&o, err, "run", "--uid", "1", "--gid", "1", "--groups", list),
			 OPTS_ERROR);
	assert_non_null(strstr(err, "more than"));
}

static void jail_cgroups_and_limits(void **state)
{
	struct hvmm_opts o;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "run"), OPTS_RUN);
	assert_int_equal(o.ncgroups, 0);
	assert_int_equal(o.share_max_file_size, 0);
	assert_int_equal(PARSE(&o, err, "run", "--jail", "/srv/j", "--cgroup", "/sys/fs/cgroup/a",
			       "--cgroup", "/sys/fs/cgroup/memory/b", "--share", "/tmp/s",
			       "--share-max-file-size", "64M"),
			 OPTS_RUN);
	assert_string_equal(o.jail, "/srv/j");
	assert_int_equal(o.ncgroups, 2);
	assert_string_equal(o.cgroups[0], "/sys/fs/cgroup/a");
	assert_string_equal(o.cgroups[1], "/sys/fs/cgroup/memory/b");
	assert_int_equal(o.share_max_file_size, 64ull << 20);
	assert_int_equal(o.ready_fd, -1);
	assert_int_equal(PARSE(&o, err, "run", "--ready-fd", "3"), OPTS_RUN);
	assert_int_equal(o.ready_fd, 3);
	assert_null(o.vcpu_cgroup);
	assert_int_equal(PARSE(&o, err, "run", "--vcpu-cgroup", "/c/hpc", "--housekeeping-cgroup",
			       "/c/host"),
			 OPTS_RUN);
	assert_string_equal(o.vcpu_cgroup, "/c/hpc");
	assert_string_equal(o.hk_cgroup, "/c/host");
}

static void net_policy(void **state)
{
	struct hvmm_opts o;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "run"), OPTS_RUN);
	assert_int_equal(o.net_host, 0); /* none unless asked */
	assert_int_equal(PARSE(&o, err, "run", "--net", "host"), OPTS_RUN);
	assert_int_equal(o.net_host, 1);
	assert_int_equal(PARSE(&o, err, "run", "--net", "host", "--net", "none"), OPTS_RUN);
	assert_int_equal(o.net_host, 0);
	assert_int_equal(PARSE(&o, err, "run", "--net", "bridge"), OPTS_ERROR);
	assert_non_null(strstr(err, "--net 'bridge': expected none or host"));
	assert_non_null(strstr(opts_usage(), "--net none|host"));
	assert_int_equal(PARSE(&o, err, "run", "--inherit-fd", "3", "--inherit-fd", "1023"),
			 OPTS_RUN);
	assert_int_equal(o.ninherit, 2);
	assert_int_equal(o.inherit_fds[1], 1023);
	assert_int_equal(PARSE(&o, err, "run", "--inherit-fd", "2"), OPTS_ERROR);
	assert_non_null(strstr(err, "from 3 to 1023"));
	assert_int_equal(PARSE(&o, err, "run", "--inherit-fd", "1024"), OPTS_ERROR);
	assert_int_equal(PARSE(&o, err, "run", "--ready-fd", "5", "--inherit-fd", "5"), OPTS_ERROR);
	assert_non_null(strstr(err, "is the --ready-fd"));
	/* A variable's name: the descriptor number it holds, checked as a number is. */
	setenv("DSV_TEST_PMI_FD", "7", 1);
	assert_int_equal(PARSE(&o, err, "run", "--inherit-fd", "DSV_TEST_PMI_FD"), OPTS_RUN);
	assert_int_equal(o.ninherit, 1);
	assert_int_equal(o.inherit_fds[0], 7);
	setenv("DSV_TEST_PMI_FD", "1", 1);
	assert_int_equal(PARSE(&o, err, "run", "--inherit-fd", "DSV_TEST_PMI_FD"), OPTS_ERROR);
	assert_non_null(strstr(err, "(= '1')"));
	unsetenv("DSV_TEST_PMI_FD");
	assert_int_equal(PARSE(&o, err, "run", "--inherit-fd", "DSV_TEST_PMI_FD"), OPTS_ERROR);
	assert_non_null(strstr(err, "no such environment variable"));
}

struct bad_case {
	int argc;
	char **argv;
	const char *needle;
};

static void offload_mode(void **state)
{
	struct hvmm_opts o;
	enum offload_mode m;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "run"), OPTS_RUN);
	assert_int_equal(o.offload, OFFLOAD_AUTO);
	assert_int_equal(o.offload_given, 0); /* $HVMM_OFFLOAD may decide */
	assert_int_equal(PARSE(&o, err, "run", "--offload", "ring"), OPTS_RUN);
	assert_int_equal(o.offload, OFFLOAD_RING);
	assert_int_equal(o.offload_given, 1);
	assert_int_equal(PARSE(&o, err, "run", "--offload", "ring", "--offload", "exit"), OPTS_RUN);
	assert_int_equal(o.offload, OFFLOAD_EXIT);
	assert_int_equal(PARSE(&o, err, "run", "--offload", "fast"), OPTS_ERROR);
	assert_non_null(strstr(err, "--offload 'fast': expected auto, ring or exit"));
	assert_int_equal(opts_parse_offload("auto", &m), 0);
	assert_int_equal(m, OFFLOAD_AUTO);
	assert_int_equal(opts_parse_offload("", &m), -1);
	assert_non_null(strstr(opts_usage(), "--offload auto|ring|exit"));
}

static void fastpath_mode(void **state)
{
	struct hvmm_opts o;
	enum fastpath_mode m;
	char err[300];

	(void)state;
	assert_int_equal(PARSE(&o, err, "run"), OPTS_RUN);
	assert_int_equal(o.fastpath, FASTPATH_AUTO);
	assert_int_equal(o.fastpath_given, 0); /* $HVMM_FASTPATH may decide */
	assert_int_equal(PARSE(&o, err, "run", "--fastpath", "on"), OPTS_RUN);
	assert_int_equal(o.fastpath, FASTPATH_ON);
	assert_int_equal(o.fastpath_given, 1);
	assert_int_equal(PARSE(&o, err, "run", "--fastpath", "on", "--fastpath", "off"), OPTS_RUN);
	assert_int_equal(o.fastpath, FASTPATH_OFF);
	assert_int_equal(PARSE(&o, err, "run", "--fastpath", "yes"), OPTS_ERROR);
	assert_non_null(strstr(err, "--fastpath 'yes': expected auto, on or off"));
	assert_int_equal(opts_parse_fastpath("auto", &m), 0);
	assert_int_equal(m, FASTPATH_AUTO);
	assert_int_equal(opts_parse_fastpath("ON", &m), -1);
	assert_int_equal(opts_parse_fastpath("", &m), -1);
	assert_non_null(strstr(opts_usage(), "--fastpath auto|on|off"));
}

static void errors(void **state)
{
	const struct bad_case cases[] = {
		{ ARGC("start"), ARGV("start"), "unknown command" },
		{ ARGC("run", "--vcpus", "0"), ARGV("run", "--vcpus", "0"), "--vcpus" },
		{ ARGC("run", "--vcpus", "65"), ARGV("run", "--vcpus", "65"), "--vcpus" },
		{ ARGC("run", "--vcpus", "2x"), ARGV("run", "--vcpus", "2x"), "--vcpus" },
		{ ARGC("run", "--vcpus", "3", "--cpus", "0,1"),
		  ARGV("run", "--vcpus", "3", "--cpus", "0,1"), "one host CPU per vCPU" },
		{ ARGC("run", "--cpus", "1,1"), ARGV("run", "--cpus", "1,1"), "named twice" },
		{ ARGC("run", "--cpus", "1", "--housekeeping-cpus", "0-1"),
		  ARGV("run", "--cpus", "1", "--housekeeping-cpus", "0-1"), "dedicated" },
		{ ARGC("run", "--mem", "12Q"), ARGV("run", "--mem", "12Q"), "unknown unit" },
		{ ARGC("run", "--mem", "1M"), ARGV("run", "--mem", "1M"), "between" },
		{ ARGC("run", "--mem", "-5G"), ARGV("run", "--mem", "-5G"), "--mem" },
		{ ARGC("run", "--mem", "99999999999999999999G"),
		  ARGV("run", "--mem", "99999999999999999999G"), "--mem" },
		{ ARGC("run", "--hugepages", "maybe"), ARGV("run", "--hugepages", "maybe"),
		  "auto, on or off" },
		{ ARGC("run", "--hugetlbfs", ""), ARGV("run", "--hugetlbfs", ""),
		  "expected a directory" },
		{ ARGC("run", "--hugetlbfs", "/mnt/h", "--hugepages", "off"),
		  ARGV("run", "--hugetlbfs", "/mnt/h", "--hugepages", "off"), "--hugepages off" },
		{ ARGC("run", "--hugepages", "auto", "--hugetlbfs", "/mnt/h"),
		  ARGV("run", "--hugepages", "auto", "--hugetlbfs", "/mnt/h"), "--hugepages auto" },
		{ ARGC("run", "--stats=xml"), ARGV("run", "--stats=xml"), "--stats" },
		{ ARGC("run", "--bogus"), ARGV("run", "--bogus"), "--bogus" },
		{ ARGC("run", "-q"), ARGV("run", "-q"), "-q" },
		{ ARGC("run", "--mem"), ARGV("run", "--mem"), "--mem" },
		{ ARGC("run", "prog"), ARGV("run", "prog"), "after '--'" },
		{ ARGC("run", "--vcpu-cgroup", "hpc"), ARGV("run", "--vcpu-cgroup", "hpc"),
		  "--vcpu-cgroup 'hpc': expected an absolute path" },
		{ ARGC("run", "--housekeeping-cgroup", ""),
		  ARGV("run", "--housekeeping-cgroup", ""),
		  "--housekeeping-cgroup '': expected an absolute path" },
		{ ARGC("run", "--ready-fd", "2"), ARGV("run", "--ready-fd", "2"),
		  "--ready-fd '2': expected a descriptor number, 3 or above" },
		{ ARGC("run", "--ready-fd", "3x"), ARGV("run", "--ready-fd", "3x"),
		  "--ready-fd '3x'" },
		{ ARGC("run", "--cgroup", "sys/fs/cgroup/a"),
		  ARGV("run", "--cgroup", "sys/fs/cgroup/a"),
		  "--cgroup 'sys/fs/cgroup/a': expected an absolute path" },
		{ ARGC("run", "--share", "/s", "--share-max-file-size", "0"),
		  ARGV("run", "--share", "/s", "--share-max-file-size", "0"), "more than 0" },
		{ ARGC("run", "--share", "/s", "--share-max-file-size", "1X"),
		  ARGV("run", "--share", "/s", "--share-max-file-size", "1X"),
		  "--share-max-file-size" },
		{ ARGC("run", "--share-max-file-size", "1M"),
		  ARGV("run", "--share-max-file-size", "1M"), "without --share" },
		{ ARGC("run", "--uid", "1000"), ARGV("run", "--uid", "1000"),
		  "--uid without --gid" },
		{ ARGC("run", "--gid", "1000"), ARGV("run", "--gid", "1000"),
		  "--gid without --uid" },
		{ ARGC("run", "--groups", "5"), ARGV("run", "--groups", "5"), "--groups without" },
		{ ARGC("run", "--uid", "root", "--gid", "0"),
		  ARGV("run", "--uid", "root", "--gid", "0"),
		  "--uid 'root': expected a numeric id" },
		{ ARGC("run", "--uid", "-1", "--gid", "0"),
		  ARGV("run", "--uid", "-1", "--gid", "0"), "--uid '-1'" },
		{ ARGC("run", "--uid", "4294967295", "--gid", "0"),
		  ARGV("run", "--uid", "4294967295", "--gid", "0"), "--uid '4294967295'" },
		{ ARGC("run", "--uid", "1", "--gid", "99999999999"),
		  ARGV("run", "--uid", "1", "--gid", "99999999999"), "--gid '99999999999'" },
		{ ARGC("run", "--uid", "", "--gid", "1"), ARGV("run", "--uid", "", "--gid", "1"),
		  "--uid ''" },
		{ ARGC("run", "--uid", " 1", "--gid", "1"),
		  ARGV("run", "--uid", " 1", "--gid", "1"), "--uid ' 1'" },
		{ ARGC("run", "--uid", "1", "--gid", "1", "--groups", "1,,2"),
		  ARGV("run", "--uid", "1", "--gid", "1", "--groups", "1,,2"), "--groups '1,,2'" },
		{ ARGC("run", "--uid", "1", "--gid", "1", "--groups", ""),
		  ARGV("run", "--uid", "1", "--gid", "1", "--groups", ""), "--groups ''" },
		{ ARGC("run", "--uid", "1", "--gid", "1", "--groups", "5,"),
		  ARGV("run", "--uid", "1", "--gid", "1", "--groups", "5,"), "--groups '5,'" },
		{ ARGC("run", "--uid", "1", "--gid", "1", "--groups", "wheel"),
		  ARGV("run", "--uid", "1", "--gid", "1", "--groups", "wheel"),
		  "--groups 'wheel'" },
	};
	struct hvmm_opts o;
	char err[300];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(opts_parse(&o, cases[i].argc, cases[i].argv, err, sizeof(err)),
				 OPTS_ERROR);
		if (!strstr(err, cases[i].needle))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err, cases[i].needle);
	}
	{
		char *argv[] = { "hvmm", NULL };

		assert_int_equal(opts_parse(&o, 1, argv, err, sizeof(err)), OPTS_ERROR);
	}
}

static void long_cmdline(void **state)
{
	static char big[DSV_CMDLINE_MAX + 10];
	struct hvmm_opts o;
	char err[300];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	assert_int_equal(PARSE(&o, err, "run", "--cmdline", big), OPTS_ERROR);
	assert_non_null(strstr(err, "--cmdline"));
}

static void sizes(void **state)
{
	uint64_t v;
	char err[200];

	(void)state;
	assert_int_equal(size_parse("4096", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(size_parse("64M", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(size_parse("2GiB", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 2ull << 30);
	assert_int_equal(size_parse("3gb", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 3ull << 30);
	assert_int_equal(size_parse("1T", &v, err, sizeof(err)), 0);
	assert_int_equal(v, 1ull << 40);
	assert_int_equal(size_parse("", &v, err, sizeof(err)), -1);
	assert_int_equal(size_parse("M", &v, err, sizeof(err)), -1);
	assert_int_equal(size_parse("1.5G", &v, err, sizeof(err)), -1);
	assert_int_equal(size_parse("20000000T", &v, err, sizeof(err)), -1);
	assert_int_equal(size_parse(" 1G", &v, err, sizeof(err)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),	    cmocka_unit_test(full_command),
		cmocka_unit_test(hugetlbfs_dir),    cmocka_unit_test(cpus_imply_vcpus),
		cmocka_unit_test(help_and_version), cmocka_unit_test(run_as_user),
		cmocka_unit_test(too_many_groups),  cmocka_unit_test(jail_cgroups_and_limits),
		cmocka_unit_test(errors),	    cmocka_unit_test(net_policy),
		cmocka_unit_test(long_cmdline),	    cmocka_unit_test(sizes),
		cmocka_unit_test(offload_mode),	    cmocka_unit_test(fastpath_mode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
