/* The hvmm command line built for a task: compared with what hvmm's own parser accepts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "hvmm_argv.h"
#include "options.h" /* hvmm's parser */

static char err[512];

static void assert_argv(char **got, const char *const *want)
{
	int i;

	for (i = 0; want[i]; i++) {
		if (!got[i])
			fail_msg("argv ends at %d, expected '%s'", i, want[i]);
		if (strcmp(got[i], want[i]))
			fail_msg("argv[%d] is '%s', expected '%s'", i, got[i], want[i]);
	}
	if (got[i])
		fail_msg("argv has more than %d entries: '%s'", i, got[i]);
}

/* hvmm's own parser must read argv back as what the launch asked for. */
static struct hvmm_opts *as_hvmm_sees_it(char **argv)
{
	static struct hvmm_opts ho;
	int argc = 0;

	while (argv[argc])
		argc++;
	if (opts_parse(&ho, argc, argv, err, sizeof(err)) != OPTS_RUN)
		fail_msg("hvmm refuses the command line: %s", err);
	return &ho;
}

static void defaults(void **state)
{
	struct hpc_options o = { 0 };
	int cpus[] = { 3 };
	char *prog[] = { "./a.out", "--size", "10 20", NULL };
	struct hvmm_launch l = {
		.hvmm = "/usr/local/bin/hvmm",
		.opts = &o,
		.cpus = cpus,
		.ncpus = 1,
		.cwd = "/home/alice/run",
		.uid = 1001,
		.gid = 1002,
		.prog_argc = 3,
		.prog_argv = prog,
	};
	const char *want[] = { "/usr/local/bin/hvmm",
			       "run",
			       "--cpus",
			       "3",
			       "--share",
			       "/home/alice/run",
			       "--uid",
			       "1001",
			       "--gid",
			       "1002",
			       "--",
			       "./a.out",
			       "--size",
			       "10 20",
			       NULL };
	char **argv = hvmm_argv_build(&l, err, sizeof(err));

	(void)state;
	assert_non_null(argv);
	assert_argv(argv, want);
	struct hvmm_opts *ho = as_hvmm_sees_it(argv);
	assert_int_equal(ho->ncpus, 1);
	assert_int_equal(ho->cpus[0], 3);
	assert_int_equal(ho->uid, 1001);
	assert_int_equal(ho->gid, 1002);
	assert_int_equal(ho->ngroups, 0);
	assert_string_equal(ho->share, "/home/alice/run");
	assert_int_equal(ho->prog_argc, 3);
	assert_string_equal(ho->prog_argv[2], "10 20");
	hvmm_argv_free(argv);
}

static void every_option(void **state)
{
	struct hpc_options o = { .mem_mib = 2048, .share = "/scratch", .hugepages = HPC_HUGE_ON };
	int cpus[] = { 2, 3, 4, 5, 7 };
	gid_t groups[] = { 27, 4294967294u };
	char *prog[] = { "/bin/prog", NULL };
	struct hvmm_launch l = {
		.hvmm = "hvmm",
		.opts = &o,
		.cpus = cpus,
		.ncpus = 5,
		.cwd = "/home/alice",
		.shm = "/run/dsv/slurm-shm/42.0",
		.uid = 0,
		.gid = 0,
		.groups = groups,
		.ngroups = 2,
		.prog_argc = 1,
		.prog_argv = prog,
	};
	const char *want[] = { "hvmm",	      "run",
			       "--cpus",      "2-5,7",
			       "--mem",	      "2048M",
			       "--hugepages", "on",
			       "--share",     "/scratch",
			       "--uid",	      "0",
			       "--gid",	      "0",
			       "--groups",    "27,4294967294",
			       "--shm",	      "/run/dsv/slurm-shm/42.0",
			       "--",	      "/bin/prog",
			       NULL };
	char **argv = hvmm_argv_build(&l, err, sizeof(err));

	(void)state;
	assert_non_null(argv);
	assert_argv(argv, want);
	struct hvmm_opts *ho = as_hvmm_sees_it(argv);
	assert_int_equal(ho->vcpus, 5);
	assert_int_equal(ho->cpus[4], 7);
	assert_int_equal(ho->mem, 2048ull << 20);
	assert_int_equal(ho->hugepages, GM_HUGE_ON);
	assert_int_equal(ho->ngroups, 2);
	assert_int_equal(ho->groups[1], 4294967294u);
	assert_string_equal(ho->shm, "/run/dsv/slurm-shm/42.0");
	assert_true(ho->as_user);
	hvmm_argv_free(argv);
}

/* A program whose arguments look like hvmm options stays after "--", untouched. */
static void program_arguments_are_not_options(void **state)
{
	struct hpc_options o = { 0 };
	int cpus[] = { 1 };
	char *prog[] = { "--uid", "0", "--", NULL };
	struct hvmm_launch l = {
		.hvmm = "hvmm",
		.opts = &o,
		.cpus = cpus,
		.ncpus = 1,
		.cwd = "/w",
		.uid = 5,
		.gid = 6,
		.prog_argc = 3,
		.prog_argv = prog,
	};
	const char *want[] = { "hvmm",	"run", "--cpus", "1",	  "--share", "/w", "--uid", "5",
			       "--gid", "6",   "--",	 "--uid", "0",	     "--", NULL };
	char **argv = hvmm_argv_build(&l, err, sizeof(err));

	(void)state;
	assert_non_null(argv);
	assert_argv(argv, want);
	struct hvmm_opts *ho = as_hvmm_sees_it(argv);
	assert_int_equal(ho->uid, 5);
	assert_int_equal(ho->prog_argc, 3);
	assert_string_equal(ho->prog_argv[0], "--uid");
	hvmm_argv_free(argv);
}

/* An MPI rank (the task has a PMI descriptor) keeps it under its number and gets the
 * network, unless the job said net=none. */
static void mpi_rank(void **state)
{
	struct hpc_options o = { 0 };
	int cpus[] = { 2 };
	char *prog[] = { "./ring", NULL };
	struct hvmm_launch l = {
		.hvmm = "hvmm",
		.opts = &o,
		.cpus = cpus,
		.ncpus = 1,
		.cwd = "/w",
		.uid = 5,
		.gid = 6,
		.pmi_fd = 9,
		.prog_argc = 1,
		.prog_argv = prog,
	};
	const char *want[] = { "hvmm",	       "run", "--cpus",	 "2",	   "--net", "host",
			       "--inherit-fd", "9",   "--share", "/w",	   "--uid", "5",
			       "--gid",	       "6",   "--",	 "./ring", NULL };
	char **argv = hvmm_argv_build(&l, err, sizeof(err));

	(void)state;
	assert_non_null(argv);
	assert_argv(argv, want);
	struct hvmm_opts *ho = as_hvmm_sees_it(argv);
	assert_int_equal(ho->net_host, 1);
	assert_int_equal(ho->ninherit, 1);
	assert_int_equal(ho->inherit_fds[0], 9);
	hvmm_argv_free(argv);
	o.net = HPC_NET_NONE;
	const char *no_net[] = { "hvmm",  "run",     "--cpus", "2",	 "--inherit-fd",
				 "9",	  "--share", "/w",     "--uid",	 "5",
				 "--gid", "6",	     "--",     "./ring", NULL };
	argv = hvmm_argv_build(&l, err, sizeof(err));
	assert_non_null(argv);
	assert_argv(argv, no_net);
	hvmm_argv_free(argv);
	o.net = HPC_NET_HOST; /* a plain task may ask for the network */
	l.pmi_fd = -1;
	const char *plain[] = { "hvmm",	 "run", "--cpus", "2", "--net", "host",	  "--share", "/w",
				"--uid", "5",	"--gid",  "6", "--",	"./ring", NULL };
	argv = hvmm_argv_build(&l, err, sizeof(err));
	assert_non_null(argv);
	assert_argv(argv, plain);
	hvmm_argv_free(argv);
}

static void refuses_empty_task(void **state)
{
	struct hpc_options o = { 0 };
	int cpus[] = { 1 };
	char *prog[] = { "", NULL };
	struct hvmm_launch l = { .hvmm = "hvmm",
				 .opts = &o,
				 .cpus = cpus,
				 .ncpus = 0,
				 .cwd = "/w",
				 .prog_argc = 1,
				 .prog_argv = prog };

	(void)state;
	assert_null(hvmm_argv_build(&l, err, sizeof(err)));
	assert_string_equal(err, "the task has no CPU to run a vCPU on");
	l.ncpus = 1;
	assert_null(hvmm_argv_build(&l, err, sizeof(err)));
	assert_string_equal(err, "the task has no program to run");
	l.prog_argc = 0;
	assert_null(hvmm_argv_build(&l, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_option),
		cmocka_unit_test(program_arguments_are_not_options),
		cmocka_unit_test(mpi_rank),
		cmocka_unit_test(refuses_empty_task),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
