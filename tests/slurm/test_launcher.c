/*
 * The launcher and the task's end, without Slurm: a stand-in for hvmm (a script with hvmm's
 * signal contract: SIGTERM ends it with 128+15) shows what the launcher execs, and the task
 * must end as a native task would: the same status, or killed by the same signal. As root,
 * the task switches to the job's user before it sends the request, as Slurm's task does,
 * while the stand-in stays root (hvmm before its own switch): the task's signals must still
 * reach it. The stand-in ends by itself after two minutes, far beyond any correct run.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "launcher.h"

static char dir[] = "/tmp/dsv-launcher.XXXXXX", stand_in[128], state[128], out[8192];

static const char stand_in_text[] =
	"#!/bin/sh\n"
	"echo \"argv: $*\"\n"
	"echo \"mode $MODE pwd $(pwd)\"\n"
	"case $MODE in\n"
	"exit3) exit 3 ;;\n"
	"exit143) exit 143 ;;\n"
	"term) trap 'exit 143' TERM; echo ready; i=0\n"
	"      while [ $i -lt 2400 ]; do sleep 0.05; i=$((i + 1)); done; echo unsignalled ;;\n"
	"esac\n";

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* Runs a task whose launcher execs the stand-in in MODE; sends SIGTERM once it says
 * "ready" when term is set. Returns the task's wait status; its stdout+stderr in out. */
static int run_task(const char *mode, const char *cpus, int term)
{
	struct launcher_identity id = { .uid = 1234, .gid = 5678, .groups = { 27 }, .ngroups = 1 };
	struct plugin_config cfg;
	char env_mode[64], *argv[] = { "./prog", "x y", NULL }, *env[] = { env_mode, NULL };
	int p[2], status;
	size_t n = 0;
	ssize_t r;
	pid_t task;

	snprintf(cfg.hvmm, sizeof(cfg.hvmm), "%s", stand_in);
	snprintf(cfg.partition_state, sizeof(cfg.partition_state), "%s", state);
	snprintf(env_mode, sizeof(env_mode), "MODE=%s", mode);
	assert_int_equal(pipe(p), 0);
	task = fork();
	assert_true(task >= 0);
	if (task == 0) {
		struct launcher l;
		struct launch_request req = { .cpus = cpus,
					      .cwd = dir,
					      .options = "mem=64M",
					      .argc = 2,
					      .argv = argv,
					      .envc = 1,
					      .env = env };
		char err[512];

		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		if (launcher_start(&l, &id, &cfg, NULL, err, sizeof(err)))
			fprintf(stderr, "launcher: %s\n", err);
		else if (geteuid() == 0 &&
			 (setresgid(id.gid, id.gid, id.gid) || setresuid(id.uid, id.uid, id.uid)))
			perror("the task's switch to the job's user");
		else if (launcher_run_task(&l, &req, -1, err, sizeof(err)))
			fprintf(stderr, "launcher: %s\n", err);
		_exit(99);
	}
	close(p[1]);
	while ((r = read(p[0], out + n, sizeof(out) - 1 - n)) > 0) {
		n += (size_t)r;
		out[n] = '\0';
		if (term && strstr(out, "ready\n")) {
			kill(task, SIGTERM);
			term = 0;
		}
	}
	out[n] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(task, &status, 0), task);
	return status;
}

static void execs_hvmm_with_the_task(void **state_)
{
	int st = run_task("exit3", "0", 0);
	char want[512];

	(void)state_;
	snprintf(want, sizeof(want),
		 "argv: run --cpus 0 --mem 64M --share %s --uid 1234 --gid 5678 "
		 "--groups 27 -- ./prog x y\nmode exit3 pwd %s\n",
		 dir, dir);
	assert_string_equal(out, want);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 3);
}

static void a_forwarded_signal_ends_the_task_by_that_signal(void **state_)
{
	int st = run_task("term", "0", 1);

	(void)state_;
	assert_non_null(strstr(out, "ready\n"));
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGTERM);
}

/* 143 from the program itself, with no signal: a status, not a signal. */
static void status_143_without_a_signal_stays_a_status(void **state_)
{
	int st = run_task("exit143", "0", 0);

	(void)state_;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 143);
}

static void cpu_outside_the_partition_is_refused(void **state_)
{
	int st = run_task("exit3", "1", 0);

	(void)state_;
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 125);
	assert_null(strstr(out, "argv:"));
	assert_non_null(strstr(out, "dsv: cannot start the HPC VM: Slurm gave this task CPU 1, "
				    "which is not in dsv's HPC partition (HPC CPUs 0)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(execs_hvmm_with_the_task),
		cmocka_unit_test(a_forwarded_signal_ends_the_task_by_that_signal),
		cmocka_unit_test(status_143_without_a_signal_stays_a_status),
		cmocka_unit_test(cpu_outside_the_partition_is_refused),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(stand_in, sizeof(stand_in), "%s/hvmm", dir);
	snprintf(state, sizeof(state), "%s/partition.json", dir);
	write_file(stand_in, stand_in_text, 0755);
	write_file(state, "{\"active\": true, \"spec\": {\"hpc_cpus\": \"0\"}}", 0644);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(stand_in);
	unlink(state);
	rmdir(dir);
	return rc;
}
