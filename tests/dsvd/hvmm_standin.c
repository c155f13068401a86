/* A stand-in for hvmm where no guest can run (no /dev/kvm): takes hvmm's command line, runs
 * the program after "--" natively, and ends the way hvmm does: its exit status is the
 * program's (128+N when killed by signal N, 143 when itself told to stop with SIGTERM),
 * written to --status-file with hvmm's own code (common/exit_status_file.c), and the launch
 * reported on --ready-fd as hvmm does (dsv/hvmm_cli.h). It tests dsvd, not hvmm. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dsv/hvmm_cli.h"
#include "exit_status_file.h"

static volatile sig_atomic_t stop;
static int ready_fd = -1;

static void report(const char *line)
{
	if (ready_fd < 0)
		return;
	dprintf(ready_fd, "%s\n", line);
	close(ready_fd);
	ready_fd = -1;
}

static int fail(const char *what, const char *why)
{
	char line[HVMM_READY_LINE_MAX - 2];
	snprintf(line, sizeof(line), HVMM_READY_ERROR "%s%s", what, why);
	fprintf(stderr, "hvmm-standin: %s%s\n", what, why);
	report(line);
	return 125;
}
static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const char *status_file = NULL;
	int prog = 0;
	printf("hvmm-standin");
	for (int i = 1; i < argc; i++) {
		printf(" %s", argv[i]);
		if (strcmp(argv[i], "--status-file") == 0 && i + 1 < argc)
			status_file = argv[i + 1];
		if (strcmp(argv[i], "--ready-fd") == 0 && i + 1 < argc && !prog) {
			ready_fd = atoi(argv[i + 1]);
			fcntl(ready_fd, F_SETFD, FD_CLOEXEC); /* not the program's */
		}
		if (strcmp(argv[i], "--") == 0 && !prog)
			prog = i + 1;
	}
	printf("\n");
	fflush(stdout);
	if (!prog || prog >= argc)
		return fail("no program after --", "");
	if (access(argv[prog], X_OK) < 0)
		return fail(argv[prog], ": not executable");
	char err[256];
	int fd = status_file ? exit_status_file_open(status_file, err, sizeof(err)) : -1;
	if (status_file && fd < 0)
		return fail(err, "");
	struct sigaction sa = { .sa_handler = on_term };
	sigaction(SIGTERM, &sa, NULL);
	pid_t child = fork();
	if (child == 0) {
		signal(SIGTERM, SIG_DFL);
		execv(argv[prog], argv + prog);
		fprintf(stderr, "hvmm-standin: %s: %s\n", argv[prog], strerror(errno));
		_exit(125);
	}
	report(HVMM_READY_LINE);
	int ws, status;
	while (waitpid(child, &ws, 0) < 0) {
		if (errno != EINTR || stop) {
			kill(child, SIGKILL);
			waitpid(child, &ws, 0);
			ws = -1;
			break;
		}
	}
	status = ws == -1 ? 128 + SIGTERM : WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	if (fd >= 0 && exit_status_file_record(fd, status) < 0)
		fprintf(stderr, "hvmm-standin: --status-file %s: %s\n", status_file,
			strerror(errno));
	return status;
}
