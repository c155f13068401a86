/* --cgroup: see cgroup_join.h. */
#include "cgroup_join.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

int cgroup_join(const char *dir, char *err, size_t errlen)
{
	struct statfs sf;
	char pid[24];
	int dfd, fd, n;

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
	fd = openat(dfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	close(dfd);
	if (fd < 0) {
		snprintf(err, errlen, "cgroup.procs: %s", strerror(errno));
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (write(fd, pid, (size_t)n) != n) {
		snprintf(err, errlen, "joining (write to cgroup.procs): %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
