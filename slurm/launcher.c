#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "task_cgroups.h"
#include "dsv/hvmm_cli.h"
#include "hpc_partition.h"
#include "hvmm_argv.h"

#define MAX_FDS 4

struct msg_head {
	uint64_t len;
	int32_t nfds;
	int32_t pmi_fd; /* the number the 4th descriptor had in the task, or -1 */
};

/* All of len bytes through a stream socket, resuming after signals: 0, or -1 when the peer
 * went away. */
static int transfer_all(int sock, char *buf, size_t len, int sending)
{
	while (len) {
		ssize_t n = sending ? send(sock, buf, len, MSG_NOSIGNAL) : recv(sock, buf, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_head(int sock, const struct msg_head *h, const int *fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)h, .iov_len = sizeof(*h) };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)h->nfds) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);

	memset(u.buf, 0, sizeof(u.buf));
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)h->nfds);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)h->nfds);
	return sendmsg(sock, &m, MSG_NOSIGNAL) == (ssize_t)sizeof(*h) ? 0 : -1;
}

static int recv_head(int sock, struct msg_head *h, int *fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * MAX_FDS)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = h, .iov_len = sizeof(*h) };
	struct msghdr m = { .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;

	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	c = CMSG_FIRSTHDR(&m);
	if (n != (ssize_t)sizeof(*h) || !c || c->cmsg_type != SCM_RIGHTS || h->nfds < 3 ||
	    h->nfds > MAX_FDS || c->cmsg_len != CMSG_LEN(sizeof(int) * (size_t)h->nfds))
		return -1;
	memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)h->nfds);
	return 0;
}

/* The launcher's failures go to the task's stderr (once it has it) and end it with 125. */
static _Noreturn void fail(const char *fmt, const char *detail)
{
	dprintf(STDERR_FILENO, fmt, detail);
	_exit(HVMM_EXIT_SETUP);
}

/* Puts the task's descriptors where the task had them; everything else is closed. Returns
 * the socket's descriptor, moved if the PMI descriptor's number was its own. */
static int adopt_fds(const int *fds, const struct msg_head *h, int sock)
{
	int keep_pmi = h->nfds == 4 && h->pmi_fd > 2 ? h->pmi_fd : -1;

	if (sock == keep_pmi) {
		int moved = fcntl(sock, F_DUPFD_CLOEXEC, keep_pmi + 1);

		if (moved < 0)
			_exit(HVMM_EXIT_SETUP);
		close(sock);
		sock = moved;
	}
	for (int i = 0; i < 3; i++)
		if (dup2(fds[i], i) < 0)
			_exit(HVMM_EXIT_SETUP);
	if (keep_pmi >= 0 && dup2(fds[3], keep_pmi) < 0)
		fail("dsv: cannot pass the task's PMI descriptor: %s\n", strerror(errno));
	for (int fd = 3; fd < 65536; fd++)
		if (fd != keep_pmi && fd != sock)
			close(fd);
	return sock;
}

static void reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static volatile sig_atomic_t received[NSIG];
static volatile pid_t hvmm_pid;

static void forward(int sig)
{
	received[sig] = 1;
	if (hvmm_pid > 0)
		kill(hvmm_pid, sig);
}

static void end_like(int sig)
{
	sigset_t set;

	signal(sig, SIG_DFL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(sig);
}

static const int forwarded[] = { SIGTERM, SIGINT,  SIGHUP,  SIGQUIT,
				 SIGUSR1, SIGUSR2, SIGCONT, SIGALRM };
#define NFORWARDED (sizeof(forwarded) / sizeof(forwarded[0]))

/* The signals a task passes on to hvmm (through the launcher), as hvmm's parent. */
static void forward_signals_to(pid_t pid)
{
	struct sigaction sa = { .sa_handler = forward };

	hvmm_pid = pid;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaction(forwarded[i], &sa, NULL);
}

/* Ends this process as its child ended: the same status, or the same signal when the child
 * was stopped by a signal this process received too (hvmm reports a caught one as 128+N). */
_Noreturn static void wait_and_end(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(HVMM_EXIT_SETUP);
	if (WIFSIGNALED(status))
		end_like(WTERMSIG(status));
	if (WEXITSTATUS(status) > HVMM_EXIT_SIGNAL &&
	    WEXITSTATUS(status) - HVMM_EXIT_SIGNAL < NSIG &&
	    received[WEXITSTATUS(status) - HVMM_EXIT_SIGNAL])
		end_like(WEXITSTATUS(status) - HVMM_EXIT_SIGNAL);
	_exit(WEXITSTATUS(status));
}

/*
 * hvmm as the launcher's child. The launcher has the job's user as its real uid (serve), so
 * that the task, which runs as that user, may signal it; it passes each signal on to hvmm,
 * which is root until it switches to the user and would refuse the task's own kill(). hvmm
 * gets its real uid 0 back before the exec: an exec with the real uid not the effective one
 * is a secure exec, where glibc drops TMPDIR, LD_LIBRARY_PATH and others from the
 * environment that hvmm passes on to the program.
 */
_Noreturn static void run_hvmm(char **argv, char **env)
{
	sigset_t set, old;
	pid_t pid;

	sigemptyset(&set);
	for (size_t i = 0; i < NFORWARDED; i++)
		sigaddset(&set, forwarded[i]);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid < 0)
		fail("dsv: cannot fork hvmm: %s\n", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		reset_signals();
		if (geteuid() == 0 && setresuid(0, (uid_t)-1, (uid_t)-1))
			fail("dsv: cannot restore root's real uid for hvmm: %s\n", strerror(errno));
		execve(argv[0], argv, env);
		dprintf(STDERR_FILENO, "dsv: cannot run hvmm (%s): %s\n", argv[0], strerror(errno));
		_exit(HVMM_EXIT_SETUP);
	}
	forward_signals_to(pid); /* what arrived while blocked is delivered now, to hvmm */
	sigprocmask(SIG_SETMASK, &old, NULL);
	wait_and_end(pid);
}

static void serve(int sock, const struct launcher_identity *id, const struct plugin_config *cfg,
		  const char *shm)
{
	static struct hpc_partition part;
	static int cpus[CPULIST_MAX_CPU + 1];
	struct launch_request r;
	struct hpc_options opts;
	struct msg_head h;
	int fds[MAX_FDS], ncpus;
	char err[1024], *buf;
	char **argv;
	int ruid_errno = 0;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	/* First: from now on the task (the job's user) may signal the launcher (run_hvmm). */
	if (geteuid() == 0 && setresuid(id->uid, (uid_t)-1, (uid_t)-1))
		ruid_errno = errno;
	/* 0-2 open, so that no received descriptor lands there and is overwritten by another. */
	for (int fd = open("/dev/null", O_RDWR); fd >= 0 && fd < 3; fd = open("/dev/null", O_RDWR))
		;
	if (getppid() == 1 || recv_head(sock, &h, fds))
		_exit(HVMM_EXIT_SETUP); /* the task went away before asking */
	sock = adopt_fds(fds, &h, sock);
	reset_signals();
	if (ruid_errno)
		fail("dsv: cannot make the job's user the launcher's real uid: %s\n",
		     strerror(ruid_errno));
	if (h.len == 0 || h.len > LAUNCH_MSG_MAX || !(buf = malloc(h.len)) ||
	    transfer_all(sock, buf, h.len, 0))
		fail("dsv: %s\n", "the task's launch request did not arrive");
	if (launch_msg_decode(buf, h.len, &r, err, sizeof(err)))
		fail("dsv: %s\n", err);
	if (hpc_options_parse(r.options, &opts, err, sizeof(err)))
		fail("dsv: %s\n", err);
	ncpus = cpulist_parse(r.cpus, cpus, CPULIST_MAX_CPU + 1, err, sizeof(err));
	if (ncpus < 0)
		fail("dsv: the task's CPUs: %s\n", err);
	if (hpc_partition_load(cfg->partition_state, &part, err, sizeof(err)) ||
	    hpc_partition_check(&part, cpus, ncpus, err, sizeof(err)))
		fail("dsv: cannot start the HPC VM: %s\n", err);
	if (task_cgroups_join(getppid(), "/sys/fs/cgroup", err, sizeof(err)))
		fail("dsv: %s\n", err);
	setpgid(0, getpgid(getppid())); /* signals to the task's process group reach hvmm */
	if (chdir(r.cwd))
		fail("dsv: cannot enter the task's directory: %s\n", strerror(errno));
	struct hvmm_launch l = {
		.hvmm = cfg->hvmm,
		.opts = &opts,
		.cpus = cpus,
		.ncpus = ncpus,
		.cwd = r.cwd,
		.shm = shm,
		.uid = id->uid,
		.gid = id->gid,
		.groups = id->groups,
		.ngroups = id->ngroups,
		.pmi_fd = h.nfds == 4 ? h.pmi_fd : -1,
		.prog_argc = r.argc,
		.prog_argv = r.argv,
	};
	argv = hvmm_argv_build(&l, err, sizeof(err));
	if (!argv)
		fail("dsv: %s\n", err);
	close(sock);
	run_hvmm(argv, r.env);
}

int launcher_start(struct launcher *l, const struct launcher_identity *id,
		   const struct plugin_config *cfg, const char *shm, char *err, size_t errlen)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	l->pid = fork();
	if (l->pid < 0) {
		snprintf(err, errlen, "cannot fork the hvmm launcher: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (l->pid == 0) {
		close(sv[0]);
		serve(sv[1], id, cfg, shm);
	}
	close(sv[1]);
	l->sock = sv[0];
	return 0;
}

int launcher_run_task(struct launcher *l, const struct launch_request *r, int pmi_fd, char *err,
		      size_t errlen)
{
	int fds[MAX_FDS] = { 0, 1, 2, pmi_fd };
	struct msg_head h = { .nfds = pmi_fd > 2 ? 4 : 3, .pmi_fd = pmi_fd > 2 ? pmi_fd : -1 };
	size_t len = 0;
	char *buf = launch_msg_encode(r, &len);

	if (!buf) {
		snprintf(err, errlen, "the task's command and environment are too large");
		return -1;
	}
	h.len = len;
	forward_signals_to(l->pid);
	if (send_head(l->sock, &h, fds) || transfer_all(l->sock, buf, len, 1)) {
		snprintf(err, errlen, "cannot reach the hvmm launcher: %s", strerror(errno));
		free(buf);
		return -1;
	}
	free(buf);
	close(l->sock);
	wait_and_end(l->pid);
}
