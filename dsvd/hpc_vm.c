#include "hpc_vm.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "console_log.h"
#include "dsv/hvmm_cli.h"
#include "exit_status_file.h"
#include "proc_info.h"
#include "vm_env.h"

extern char **environ;

void hpc_status_path(const struct vm *vm, char *out, size_t len)
{
	static const char suffix[] = ".console";
	size_t n = strlen(vm->console_path);
	if (n >= sizeof(suffix) - 1 &&
	    strcmp(vm->console_path + n - (sizeof(suffix) - 1), suffix) == 0)
		n -= sizeof(suffix) - 1;
	snprintf(out, len, "%.*s.status", (int)n, vm->console_path);
}

int hpc_build_argv(const struct hpc_launch *l, const struct vm *vm, int ready_fd,
		   char *argv[HPC_ARGV_MAX], char bufs[HPC_ARGV_BUFS][1024])
{
	int n = 0;
	snprintf(bufs[0], 1024, "%u", vm->spec.vcpus);
	if (cpu_bits_format_list(&vm->cpus, bufs[1], 1024) < 0 ||
	    cpu_bits_format_list(&l->housekeeping, bufs[2], 1024) < 0)
		return -1;
	snprintf(bufs[3], 1024, "%lluM", (unsigned long long)vm->spec.mem_mib);
	argv[n++] = (char *)l->hvmm_path;
	argv[n++] = "run";
	argv[n++] = "--vcpus";
	argv[n++] = bufs[0];
	argv[n++] = "--cpus";
	argv[n++] = bufs[1];
	if (bufs[2][0]) {
		argv[n++] = "--housekeeping-cpus";
		argv[n++] = bufs[2];
	}
	argv[n++] = "--mem";
	argv[n++] = bufs[3];
	argv[n++] = "--hugepages";
	argv[n++] = "on";
	if (l->partition && l->partition->active && l->partition->hugetlbfs.mounted) {
		/* the partition's own pages, which no other process can take (partition_hugetlbfs.c) */
		argv[n++] = "--hugetlbfs";
		argv[n++] = (char *)l->partition->hugetlbfs.path;
	}
	if (caller_is_other(&vm->owner)) {
		/* hvmm does its privileged setup, then becomes the owner for good */
		snprintf(bufs[4], 1024, "%u", (unsigned)vm->owner.uid);
		snprintf(bufs[5], 1024, "%u", (unsigned)vm->owner.gid);
		argv[n++] = "--uid";
		argv[n++] = bufs[4];
		argv[n++] = "--gid";
		argv[n++] = bufs[5];
		if (vm->owner.ngroups) {
			/* kept past argv: the groups list is longer than a small buffer */
			static char groups[CALLER_GROUPS_MAX * 11 + 1];
			if (caller_groups_list(&vm->owner, groups, sizeof(groups)) < 0)
				return -1;
			argv[n++] = "--groups";
			argv[n++] = groups;
		}
	}
	/* the exit status outlives a restart of dsvd, which is then no longer hvmm's parent */
	hpc_status_path(vm, bufs[6], 1024);
	argv[n++] = "--status-file";
	argv[n++] = bufs[6];
	if (l->partition && l->partition->active && strcmp(l->partition->cgroup_mode, "v1") == 0) {
		/* hvmm places its own threads, each before it runs: nothing to find afterwards */
		argv[n++] = "--vcpu-cgroup";
		argv[n++] = (char *)l->partition->hpc_cgroup;
		argv[n++] = "--housekeeping-cgroup";
		argv[n++] = (char *)l->partition->host_cgroup;
	}
	if (ready_fd >= 0) {
		/* whether the VM started, and why not, without guessing from the exit status */
		snprintf(bufs[7], 1024, "%d", ready_fd);
		argv[n++] = "--ready-fd";
		argv[n++] = bufs[7];
	}
	if (vm->spec.net_host) {
		argv[n++] = "--net";
		argv[n++] = "host";
	}
	if (vm->spec.share) {
		argv[n++] = "--share";
		argv[n++] = (char *)(vm->share_real[0] ? vm->share_real : vm->spec.share);
	}
	if (vm->shm_dir[0]) {
		/* the group's directory: its VMs share /dev/shm (shm_group.h) */
		argv[n++] = "--shm";
		argv[n++] = (char *)vm->shm_dir;
	}
	if (vm->spec.cmdline) {
		argv[n++] = "--cmdline";
		argv[n++] = vm->spec.cmdline;
	}
	if (vm->spec.kernel) {
		argv[n++] = "--kernel";
		argv[n++] = (char *)(vm->kernel_copy[0] ? vm->kernel_copy : vm->spec.kernel);
	}
	if (vm->spec.argc) {
		argv[n++] = "--";
		argv[n++] = (char *)(vm->program_copy[0] ? vm->program_copy : vm->spec.argv[0]);
		for (unsigned i = 1; i < vm->spec.argc; i++)
			argv[n++] = vm->spec.argv[i];
	}
	argv[n] = NULL;
	return n;
}

/* In the child, between fork and exec: only async-signal-safe calls. */
static void child_exec(const struct hpc_launch *l, char **argv, char **envp, int log, int errpipe,
		       int ready_fd, const cpu_set_t *all_cpus)
{
	setsid();
	fcntl(ready_fd, F_SETFD, 0); /* hvmm's to keep across exec */
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull < 0)
		goto fail;
	dup2(devnull, 0);
	dup2(log, 1);
	dup2(log, 2);
	if (l->partition && l->partition->active) {
		/* Leave the housekeeping cpuset dsvd runs in: hvmm must be able to pin its vCPU
         * threads to HPC CPUs. The root cpuset holds every CPU; the agent then moves each
         * thread to its final cpuset. */
		char path[600];
		const char *file =
			strcmp(l->partition->cgroup_mode, "v1") == 0 ? "tasks" : "cgroup.procs";
		size_t len = strlen(l->partition->root_cgroup);
		if (len + 16 < sizeof(path)) {
			memcpy(path, l->partition->root_cgroup, len);
			path[len] = '/';
			memcpy(path + len + 1, file, strlen(file) + 1);
			int fd = open(path, O_WRONLY);
			if (fd >= 0) {
				if (write(fd, "0", 1) <
				    0) { /* not fatal: placement retries later */
				}
				close(fd);
			}
		}
		/* the agent pins itself to housekeeping; the kernel would keep that mask as the
         * child's requested affinity across the cpuset move, so widen it explicitly */
		sched_setaffinity(0, sizeof(*all_cpus), all_cpus);
	}
	execve(argv[0], argv, envp);
fail:;
	int e = errno;
	if (write(errpipe, &e, sizeof(e)) < 0) { /* nothing left to do */
	}
	_exit(127);
}

/* A pipe for hvmm's launch report whose write end is above stdio (dsvd may run with
 * 0-2 closed, and the child puts its console there). */
static int launch_pipe(int p[2])
{
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	if (p[1] > 2)
		return 0;
	int high = fcntl(p[1], F_DUPFD_CLOEXEC, 3);
	close(p[1]);
	p[1] = high;
	if (high < 0) {
		close(p[0]);
		return -1;
	}
	return 0;
}

int hpc_start(const struct hpc_launch *l, struct vm *vm, struct api_error *err)
{
	if (access(l->hvmm_path, X_OK) < 0)
		return api_fail(err, 503, "stack", "hvmm is not available at %s: %s", l->hvmm_path,
				strerror(errno));
	int ready[2];
	if (launch_pipe(ready) < 0)
		return api_fail(err, 500, "", "pipe: %s", strerror(errno));
	char *argv[HPC_ARGV_MAX];
	char bufs[HPC_ARGV_BUFS][1024];
	if (hpc_build_argv(l, vm, ready[1], argv, bufs) < 0) {
		close(ready[0]);
		close(ready[1]);
		return api_fail(err, 500, "", "cannot build the hvmm command line");
	}
	cpu_set_t all_cpus;
	CPU_ZERO(&all_cpus);
	for (unsigned c = 0; c < CPU_SETSIZE && c < CPUSET_MAX_CPUS; c++)
		if (cpu_bits_has(&vm->cpus, c) || cpu_bits_has(&l->housekeeping, c))
			CPU_SET(c, &all_cpus);
	char why[300];
	int log = console_log_start(vm->console_path, l->console_max_bytes, why, sizeof(why));
	int p[2] = { -1, -1 };
	if (log < 0 || pipe2(p, O_CLOEXEC) < 0) {
		if (log >= 0)
			snprintf(why, sizeof(why), "pipe: %s", strerror(errno));
		close(ready[0]);
		close(ready[1]);
		if (log >= 0)
			close(log);
		return api_fail(err, 500, "", "%s%s", log < 0 ? "console: " : "", why);
	}
	/* the program's environment is the VM's, not dsvd's (vm_env.h) */
	char **envp = vm_env_for_hvmm(&vm->spec.env, environ);
	pid_t pid = envp ? fork() : -1;
	if (pid < 0) {
		int e = envp ? errno : ENOMEM;
		free(envp);
		close(p[0]);
		close(p[1]);
		close(log);
		close(ready[0]);
		close(ready[1]);
		return api_fail(err, 500, "", "fork: %s", strerror(e));
	}
	if (pid == 0) {
		close(p[0]);
		close(ready[0]);
		child_exec(l, argv, envp, log, p[1], ready[1], &all_cpus);
	}
	free(envp);
	close(log);
	close(p[1]);
	close(ready[1]);
	int child_errno = 0;
	ssize_t r = read(p[0], &child_errno, sizeof(child_errno));
	close(p[0]);
	if (r == (ssize_t)sizeof(child_errno)) {
		close(ready[0]);
		waitpid(pid, NULL, 0);
		return api_fail(err, 500, "", "cannot start %s: %s", l->hvmm_path,
				strerror(child_errno));
	}
	struct proc_stat ps;
	vm->hpc.pid = pid;
	vm->hpc.is_child = true;
	vm->hpc.start_time = proc_read_stat(pid, &ps) == 0 ? ps.start_time : 0;
	vm->state = VM_RUNNING;
	vm->exit_code = -1;
	vm->hpc.launch_fd = ready[0];
	vm->hpc.launch_pending = true;
	vm->hpc.launch_failed = false;
	return 0;
}

/* The last non-empty line of the console: hvmm's message when it ended without a report. */
static void last_console_line(const struct vm *vm, char *out, size_t len)
{
	snprintf(out, len, "(no output)");
	FILE *f = fopen(vm->console_path, "re");
	if (!f)
		return;
	char line[512];
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0])
			snprintf(out, len, "%s", line);
	}
	fclose(f);
}

static int launch_done(struct vm *vm, int result)
{
	close(vm->hpc.launch_fd);
	vm->hpc.launch_fd = -1;
	vm->hpc.launch_pending = false;
	vm->hpc.launch_failed = result < 0;
	return result;
}

int hpc_launch_check(struct vm *vm, int wait_ms)
{
	if (!vm->hpc.launch_pending)
		return vm->hpc.launch_failed ? -1 : 1;
	struct pollfd pfd = { .fd = vm->hpc.launch_fd, .events = POLLIN };
	int n = poll(&pfd, 1, wait_ms);
	if (n == 0 || (n < 0 && errno == EINTR))
		return 0;
	char line[HVMM_READY_LINE_MAX + 1];
	ssize_t got = n < 0 ? -1 : read(vm->hpc.launch_fd, line, sizeof(line) - 1);
	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	line[got > 0 ? got : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	if (strcmp(line, HVMM_READY_LINE) == 0)
		return launch_done(vm, 1);
	size_t elen = strlen(HVMM_READY_ERROR);
	if (strncmp(line, HVMM_READY_ERROR, elen) == 0) {
		snprintf(vm->exit_reason, sizeof(vm->exit_reason),
			 "hvmm could not start the VM: %s", line + elen);
	} else {
		/* hvmm went before it could tell (killed, or it refused its command line) */
		char last[300];
		last_console_line(vm, last, sizeof(last));
		snprintf(vm->exit_reason, sizeof(vm->exit_reason),
			 "hvmm ended before it started the VM: %s", last);
	}
	return launch_done(vm, -1);
}

/* A launch failure keeps hvmm's own reason; the status is still recorded. */
static void describe_status(struct vm *vm, int status)
{
	if (WIFEXITED(status)) {
		vm->exit_code = WEXITSTATUS(status);
		if (!vm->hpc.launch_failed)
			snprintf(vm->exit_reason, sizeof(vm->exit_reason),
				 "hvmm exited with status %d", vm->exit_code);
	} else if (WIFSIGNALED(status)) {
		vm->exit_code = 128 + WTERMSIG(status);
		if (!vm->hpc.launch_failed)
			snprintf(vm->exit_reason, sizeof(vm->exit_reason),
				 "hvmm killed by signal %d (%s)", WTERMSIG(status),
				 strsignal(WTERMSIG(status)));
	}
}

int hpc_refresh(struct vm *vm)
{
	if (vm->state != VM_RUNNING && vm->state != VM_STARTING)
		return 0;
	if (vm->hpc.is_child) {
		int status;
		hpc_launch_check(vm, 0);
		pid_t r = waitpid(vm->hpc.pid, &status, WNOHANG);
		if (r == 0)
			return 0;
		hpc_launch_check(vm, 0); /* a report sent before the exit is in the pipe */
		if (r == vm->hpc.pid)
			describe_status(vm, status);
		else if (!vm->hpc.launch_failed)
			snprintf(vm->exit_reason, sizeof(vm->exit_reason), "hvmm is gone");
		vm->state = vm->hpc.launch_failed ? VM_FAILED : VM_EXITED;
		return 1;
	}
	if (proc_is_same_running(vm->hpc.pid, vm->hpc.start_time))
		return 0;
	vm->state = VM_EXITED;
	char path[600];
	hpc_status_path(vm, path, sizeof(path));
	int status;
	switch (exit_status_file_read(path, &status)) {
	case 1:
		vm->exit_code = status;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason), "hvmm exited with status %d",
			 status);
		break;
	case 0: /* killed before it could write it (SIGKILL), or an hvmm without --status-file */
		vm->state = VM_FAILED; /* an end nobody can vouch for is not a success */
		snprintf(vm->exit_reason, sizeof(vm->exit_reason),
			 "hvmm exited while the agent was not its parent, leaving no status in %s "
			 "(killed?)",
			 path);
		break;
	default:
		vm->state = VM_FAILED;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason),
			 "hvmm exited while the agent was not its parent; %s holds no exit status",
			 path);
		break;
	}
	return 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

int hpc_stop(struct vm *vm, struct api_error *err)
{
	if (hpc_refresh(vm) || (vm->state != VM_RUNNING && vm->state != VM_STARTING))
		return 0;
	if (!vm->hpc.is_child && !proc_is_same_running(vm->hpc.pid, vm->hpc.start_time))
		return 0;
	kill(-vm->hpc.pid, SIGTERM);
	kill(vm->hpc.pid, SIGTERM);
	for (int i = 0; i < 100; i++) { /* 2 s grace */
		if (hpc_refresh(vm))
			return 0;
		sleep_ms(20);
	}
	kill(-vm->hpc.pid, SIGKILL);
	kill(vm->hpc.pid, SIGKILL);
	for (int i = 0; i < 250; i++) {
		if (hpc_refresh(vm))
			return 0;
		sleep_ms(20);
	}
	return api_fail(err, 500, "", "hvmm (pid %d) did not exit after SIGKILL", (int)vm->hpc.pid);
}
