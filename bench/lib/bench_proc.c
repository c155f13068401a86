/* Child processes for the runner (see proc.h). */
#include "bench_proc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct buf {
	char *p;
	size_t len, cap;
};

static int slurp(int fd, struct buf *b)
{
	if (b->cap - b->len < 4097) {
		size_t cap = b->cap ? b->cap * 2 : 65536;
		char *p = realloc(b->p, cap);
		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	ssize_t n = read(fd, b->p + b->len, b->cap - b->len - 1);
	if (n > 0)
		b->len += (size_t)n;
	b->p[b->len] = 0;
	return n > 0 ? 1 : (n == 0 || errno != EINTR) ? 0 : 1;
}

int bench_run(char *const argv[], const int *cpus, int ncpus, double timeout_s,
	      struct bench_proc *p)
{
	int po[2], pe[2];
	memset(p, 0, sizeof *p);
	p->status = -1;
	if (pipe2(po, O_CLOEXEC))
		return -1;
	if (pipe2(pe, O_CLOEXEC)) {
		close(po[0]);
		close(po[1]);
		return -1;
	}
	double t0 = now();
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		if (devnull >= 0)
			dup2(devnull, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (ncpus > 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			for (int i = 0; i < ncpus; i++)
				CPU_SET(cpus[i], &set);
			/* Linux narrows a mask to the allowed CPUs silently: check them all. */
			cpu_set_t got;
			if (sched_setaffinity(0, sizeof set, &set) ||
			    sched_getaffinity(0, sizeof got, &got) || !CPU_EQUAL(&set, &got)) {
				fprintf(stderr,
					"overhead: cannot pin to the CPU list: a CPU is not "
					"allowed to this process now\n");
				_exit(124);
			}
		}
		execvp(argv[0], argv); /* a bare name is looked up in PATH */
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	struct buf bo = { 0 }, be = { 0 };
	struct pollfd fds[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
	int open_fds = 2;
	while (open_fds) {
		double left = timeout_s - (now() - t0);
		if (left <= 0) {
			kill(pid, SIGKILL); /* our own child only */
			p->timed_out = true;
			break;
		}
		int r = poll(fds, 2, (int)(left * 1000) + 1);
		if (r < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (!slurp(fds[i].fd, i ? &be : &bo)) {
				close(fds[i].fd);
				fds[i].fd = -1;
				open_fds--;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (fds[i].fd >= 0)
			close(fds[i].fd);
	int st;
	struct rusage ru;
	while (wait4(pid, &st, 0, &ru) < 0 && errno == EINTR)
		;
	p->wall_s = now() - t0;
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	p->maxrss_kb = ru.ru_maxrss;
	p->out = bo.p ? bo.p : strdup("");
	p->err = be.p ? be.p : strdup("");
	p->out_len = bo.len;
	p->err_len = be.len;
	return 0;
}

void bench_proc_free(struct bench_proc *p)
{
	free(p->out);
	free(p->err);
	p->out = p->err = NULL;
}

char *bench_last_line(const char *text, char *buf, size_t len)
{
	const char *end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	const char *start = end;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(buf, len, "%.*s", (int)(end - start), start);
	return buf;
}

char *bench_cmdline(char *const argv[])
{
	size_t cap = 16;
	for (int i = 0; argv[i]; i++)
		cap += strlen(argv[i]) * 4 + 3;
	char *s = malloc(cap), *q = s;
	if (!s)
		return NULL;
	for (int i = 0; argv[i]; i++) {
		const char *a = argv[i];
		bool plain = *a != 0;
		for (const char *c = a; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				    "-_./=:,+@%",
				    *c))
				plain = false;
		if (i)
			*q++ = ' ';
		if (plain) {
			q += sprintf(q, "%s", a);
			continue;
		}
		*q++ = '\'';
		for (const char *c = a; *c; c++) {
			if (*c == '\'')
				q += sprintf(q, "'\\''");
			else
				*q++ = *c;
		}
		*q++ = '\'';
	}
	*q = 0;
	return s;
}
