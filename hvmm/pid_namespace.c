/* --jail's PID namespace: see pid_namespace.h. */
#include "pid_namespace.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

/* Waits for the child, passing on what would have stopped hvmm; returns its status. */
static int relay(pid_t child, const sigset_t *sigs)
{
	for (;;) {
		siginfo_t si;
		int st;

		if (sigwaitinfo(sigs, &si) < 0) {
			if (errno == EINTR)
				continue;
			return 125;
		}
		if (si.si_signo != SIGCHLD) {
			kill(child, si.si_signo);
			continue;
		}
		pid_t r = waitpid(child, &st, WNOHANG);

		if (r == child)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	}
}

int pidns_enter(int *status, char *err, size_t errlen)
{
	sigset_t sigs, old;
	pid_t child;

	if (unshare(CLONE_NEWPID)) {
		snprintf(err, errlen, "unshare(CLONE_NEWPID): %s (needs CAP_SYS_ADMIN)",
			 strerror(errno));
		return -1;
	}
	/* Blocked before the fork: nothing sent to the first process in between is lost. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGCHLD);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	sigprocmask(SIG_BLOCK, &sigs, &old);
	child = fork();
	if (child < 0) {
		snprintf(err, errlen, "fork into the new PID namespace: %s", strerror(errno));
		sigprocmask(SIG_SETMASK, &old, NULL);
		return -1;
	}
	if (child == 0) {
		/* A VM whose first process is gone (killed) must not live on unseen. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		/* PID 1 drops the signals it neither handles nor blocks: SIGINT, SIGTERM and
		 * SIGHUP stay blocked (queued) until vm_run reads them from its signalfd. */
		sigdelset(&sigs, SIGCHLD);
		sigorset(&sigs, &sigs, &old);
		sigprocmask(SIG_SETMASK, &sigs, NULL);
		return 0;
	}
	*status = relay(child, &sigs);
	return 1;
}
