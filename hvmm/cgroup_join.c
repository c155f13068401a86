/* --cgroup: see cgroup_join.h. */
#include "cgroup_join.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

/* Opens dir's membership file for writing: cgroup.procs for a process, or for a thread
 * tasks (v1) or cgroup.threads (v2). A plain directory is refused, never written into. */
static int open_member_file(const char *dir, int thread, char *err, size_t errlen)
{
	struct statfs sf;
	const char *file;
	int dfd, fd;

	dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstatfs(dfd, &sf) ||
	    (sf.f_type != CGROUP_SUPER_MAGIC && sf.f_type != CGROUP2_SUPER_MAGIC)) {
		snprintf(err, errlen, "not a cgroup directory (no cgroup file system there)");
		close(dfd);
		return -1;
	}
	file = !thread				 ? "cgroup.procs"
	       : sf.f_type == CGROUP_SUPER_MAGIC ? "tasks"
						 : "cgroup.threads";
	fd = openat(dfd, file, O_WRONLY | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
	return fd;
}

int cgroup_open_for_threads(const char *dir, char *err, size_t errlen)
{
	return open_member_file(dir, 1, err, errlen);
}

int cgroup_enter_thread(int fd)
{
	char tid[24];
	int n = snprintf(tid, sizeof(tid), "%d\n", (int)gettid());

	return write(fd, tid, (size_t)n) == n ? 0 : -1;
}

int cgroup_join(const char *dir, char *err, size_t errlen)
{
	char pid[24];
	int fd, n;

	fd = open_member_file(dir, 0, err, errlen);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (write(fd, pid, (size_t)n) != n) {
		snprintf(err, errlen, "joining (write to cgroup.procs): %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
