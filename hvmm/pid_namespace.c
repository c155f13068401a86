/* --jail's PID namespace: see pid_namespace.h. */
#include "pid_namespace.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dsv/hvmm_cli.h"
#include "launch_report.h"

/* Waits for the child, passing on what would have stopped hvmm; returns its status. */
static int relay(pid_t child, const sigset_t *sigs)
{
	for (;;) {
		siginfo_t si;
		int st;

		if (sigwaitinfo(sigs, &si) < 0) {
			if (errno == EINTR)
				continue;
			return HVMM_EXIT_SETUP;
		}
		if (si.si_signo != SIGCHLD) {
			kill(child, si.si_signo);
			continue;
		}
		pid_t r = waitpid(child, &st, WNOHANG);

		if (r == child)
			return WIFEXITED(st) ? WEXITSTATUS(st) : HVMM_EXIT_SIGNAL + WTERMSIG(st);
	}
}

/* The first process only waits and signals (a child that may run as another user: CAP_KILL). */
static void keep_only_kill(void)
{
	cap_value_t kill_cap = CAP_KILL;
	cap_t c = cap_init();

	if (!c || cap_set_flag(c, CAP_PERMITTED, 1, &kill_cap, CAP_SET) ||
	    cap_set_flag(c, CAP_EFFECTIVE, 1, &kill_cap, CAP_SET) || cap_set_proc(c) ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		fprintf(stderr,
			"hvmm: warning: --jail: the waiting process keeps its "
			"privileges: %s\n",
			strerror(errno));
	cap_free(c);
}

int pidns_enter(int keep_net, int *status, char *err, size_t errlen)
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
		/* No System V IPC to reach, and no network unless the VM was given the host's
		 * (--net host): under --net none seccomp forbids IP sockets anyway. */
		if (unshare(CLONE_NEWIPC | (keep_net ? 0 : CLONE_NEWNET))) {
			char why[160];

			snprintf(why, sizeof(why), "--jail: unshare(CLONE_NEWIPC%s): %s",
				 keep_net ? "" : " | CLONE_NEWNET", strerror(errno));
			fprintf(stderr, "hvmm: error: %s\n", why);
			launch_report_failed(why);
			_exit(HVMM_EXIT_SETUP);
		}
		/* PID 1 drops the signals it neither handles nor blocks: SIGINT, SIGTERM and
		 * SIGHUP stay blocked (queued) until vm_run reads them from its signalfd. */
		sigdelset(&sigs, SIGCHLD);
		sigorset(&sigs, &sigs, &old);
		sigprocmask(SIG_SETMASK, &sigs, NULL);
		return 0;
	}
	/* the child reports the launch; its end closes the launcher's pipe */
	launch_report_detach();
	keep_only_kill();
	*status = relay(child, &sigs);
	return 1;
}
