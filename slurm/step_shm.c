#include "step_shm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm_mount.h"

/* The missing components of path, made 0711: root passes through, the job's user too (to
 * its own step's directory), nobody lists them. */
static int make_dirs(const char *path)
{
	char buf[4096];

	if (snprintf(buf, sizeof(buf), "%s", path) >= (int)sizeof(buf)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	for (char *p = buf + 1;; p++) {
		if (*p != '/' && *p)
			continue;
		char c = *p;
		*p = '\0';
		if (mkdir(buf, 0711) < 0 && errno != EEXIST)
			return -1;
		if (!c)
			return 0;
		*p = c;
	}
}

/* SHM_ROOT, opened without following a link; it must be this user's and nobody else's to
 * write, or another user could swap a step's directory for one of theirs. */
static int open_root(const char *shm_root, char *err, size_t errlen)
{
	struct stat st;
	int fd = open(shm_root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		snprintf(err, errlen, "shm_root %s: %s", shm_root, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid() || (st.st_mode & 022)) {
		snprintf(err, errlen,
			 "shm_root %s must be a directory of uid %u that no one else may write",
			 shm_root, (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

/* ids: job, step, node */
static void step_name(char *out, size_t len, const uint32_t ids[3])
{
	snprintf(out, len, "%u.%u.%u", (unsigned)ids[0], (unsigned)ids[1], (unsigned)ids[2]);
}

int step_shm_create(const char *shm_root, const uint32_t ids[3], uint64_t mib, uid_t uid, gid_t gid,
		    char *dir, size_t dirlen, char *err, size_t errlen)
{
	char name[40];
	int fd;

	if (make_dirs(shm_root) < 0) {
		snprintf(err, errlen, "cannot create shm_root %s: %s", shm_root, strerror(errno));
		return -1;
	}
	if ((fd = open_root(shm_root, err, errlen)) < 0)
		return -1;
	step_name(name, sizeof(name), ids);
	if (snprintf(dir, dirlen, "%s/%s", shm_root, name) >= (int)dirlen) {
		snprintf(err, errlen, "shm_root %s: path too long", shm_root);
		close(fd);
		return -1;
	}
	/* a step with the same ids that ended without its exit hook (slurmstepd killed); the
	 * directory under the mount stays root's and 0700 */
	if (shm_mount_remove_at(fd, name) < 0 || mkdirat(fd, name, 0700) < 0) {
		snprintf(err, errlen, "cannot create the step's /dev/shm %s: %s", dir,
			 strerror(errno));
		close(fd);
		return -1;
	}
	if (shm_mount_at(fd, name, mib, uid, gid) < 0) {
		int e = errno;
		snprintf(err, errlen,
			 "cannot mount a tmpfs of %llu MiB on the step's /dev/shm %s: %s%s",
			 (unsigned long long)mib, dir, strerror(e),
			 e == EPERM ? " (the plugin must run in slurmstepd as root)" : "");
		shm_mount_remove_at(fd, name);
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int step_shm_remove(const char *shm_root, const uint32_t ids[3], char *err, size_t errlen)
{
	char name[40];
	int fd = open_root(shm_root, err, errlen), rc;

	if (fd < 0)
		return -1;
	step_name(name, sizeof(name), ids);
	rc = shm_mount_remove_at(fd, name);
	if (rc < 0)
		snprintf(err, errlen, "cannot remove the step's /dev/shm %s/%s: %s", shm_root, name,
			 strerror(errno));
	close(fd);
	return rc;
}
