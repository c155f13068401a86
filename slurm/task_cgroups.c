#include "task_cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The path of hierarchy id in a /proc/PID/cgroup file, or NULL. */
static char *path_in(FILE *f, const char *id, char *buf, size_t len)
{
	char line[4096];

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c1 = '\0';
		if (strcmp(line, id))
			continue;
		c2[strcspn(c2, "\n")] = '\0';
		snprintf(buf, len, "%s", c2 + 1);
		return buf;
	}
	return NULL;
}

/* Where a hierarchy is mounted: v2 at the root (or root/unified), v1 under its controllers. */
static void mount_dir(const char *root, const char *controllers, char *dir, size_t len)
{
	char probe[4096];

	if (!controllers[0]) {
		snprintf(probe, sizeof(probe), "%s/cgroup.controllers", root);
		if (access(probe, F_OK) == 0)
			snprintf(dir, len, "%s", root);
		else
			snprintf(dir, len, "%s/unified", root);
		return;
	}
	if (!strncmp(controllers, "name=", 5))
		controllers += 5;
	snprintf(dir, len, "%s/%s", root, controllers);
}

static int write_pid(const char *dir, const char *path, char *err, size_t errlen)
{
	char file[4096], pid[24];
	int fd, n;

	if ((size_t)snprintf(file, sizeof(file), "%s%s/cgroup.procs", dir, path) >= sizeof(file)) {
		snprintf(err, errlen, "the task's cgroup path %.200s... is too long", path);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, pid, (size_t)n) != n) {
		snprintf(err, errlen, "cannot join the task's cgroup %s%s: %s", dir, path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int task_cgroups_join(pid_t pid, const char *cgroup_root, char *err, size_t errlen)
{
	char theirs_path[64], line[4096], mine[4096], dir[4096];
	FILE *theirs, *self;
	int rc = 0;

	snprintf(theirs_path, sizeof(theirs_path), "/proc/%d/cgroup", (int)pid);
	theirs = fopen(theirs_path, "re");
	self = fopen("/proc/self/cgroup", "re");
	if (!theirs || !self) {
		snprintf(err, errlen, "cannot read %s: %s",
			 theirs ? "/proc/self/cgroup" : theirs_path, strerror(errno));
		if (theirs)
			fclose(theirs);
		if (self)
			fclose(self);
		return -1;
	}
	while (!rc && fgets(line, sizeof(line), theirs)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;

		if (!c2)
			continue;
		*c1 = *c2 = '\0';
		c2[1 + strcspn(c2 + 1, "\n")] = '\0';
		if (path_in(self, line, mine, sizeof(mine)) && !strcmp(mine, c2 + 1))
			continue;
		mount_dir(cgroup_root, c1 + 1, dir, sizeof(dir));
		rc = write_pid(dir, c2 + 1, err, errlen);
	}
	fclose(theirs);
	fclose(self);
	return rc;
}
