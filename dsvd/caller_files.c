#include "caller_files.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* A caller's file on a stuck filesystem (FUSE, NFS) must not hold the agent for long. */
#define CHILD_TIMEOUT_MS 20000

enum stage {
	ST_OK,
	ST_CREDS,
	ST_OPEN,
	ST_STAT,
	ST_TYPE,
	ST_SIZE,
	ST_READ,
	ST_WRITE,
	ST_RESOLVE
};

struct report {
	int stage;
	int err;
	unsigned mode;
	long long size;
	char path[PATH_MAX];
};

struct job {
	const char *path;
	int dest_fd; /* copy: where to */
	uint64_t max;
	bool dir; /* resolve a directory instead of copying a file */
};

/* In the child of a multi-threaded agent: raw system calls only, they change this thread's
 * (the only thread's) credentials. Leaving root drops every capability. */
static int become(const struct caller *who)
{
	if (!caller_is_other(who))
		return 0;
	if (syscall(SYS_setgroups, who->ngroups, who->groups) < 0 ||
	    syscall(SYS_setresgid, who->gid, who->gid, who->gid) < 0 ||
	    syscall(SYS_setresuid, who->uid, who->uid, who->uid) < 0)
		return -1;
	return 0;
}

static char copy_buf[1 << 16];

static void copy_in_child(const struct job *j, struct report *r)
{
	int fd = open(j->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	if (fd < 0) {
		r->stage = ST_OPEN;
		r->err = errno;
		return;
	}
	if (fstat(fd, &st) < 0) {
		r->stage = ST_STAT;
		r->err = errno;
		return;
	}
	r->mode = st.st_mode;
	r->size = st.st_size;
	if (!S_ISREG(st.st_mode)) {
		r->stage = ST_TYPE;
		return;
	}
	if ((uint64_t)st.st_size > j->max) {
		r->stage = ST_SIZE;
		return;
	}
	/* at most the size fstat gave: a file that grows while it is read is cut there */
	long long left = st.st_size;
	while (left > 0) {
		ssize_t n =
			read(fd, copy_buf,
			     left < (long long)sizeof(copy_buf) ? (size_t)left : sizeof(copy_buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			r->stage = ST_READ;
			r->err = n < 0 ? errno : 0;
			return;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(j->dest_fd, copy_buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				r->stage = ST_WRITE;
				r->err = w < 0 ? errno : ENOSPC;
				return;
			}
			done += w;
		}
		left -= n;
	}
	r->stage = ST_OK;
}

static void resolve_in_child(const struct job *j, struct report *r)
{
	int fd = open(j->path, O_RDONLY | O_DIRECTORY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		r->stage = ST_OPEN;
		r->err = errno;
		return;
	}
	char link[64] = "/proc/self/fd/";
	int n = 14, v = fd, digits = 1;
	for (int t = v; t >= 10; t /= 10)
		digits++;
	for (int i = digits - 1; i >= 0; i--, v /= 10)
		link[n + i] = (char)('0' + v % 10);
	link[n + digits] = '\0';
	ssize_t len = readlink(link, r->path, sizeof(r->path) - 1);
	if (len < 0 || (size_t)len >= sizeof(r->path) - 1) {
		r->stage = ST_RESOLVE;
		r->err = len < 0 ? errno : ENAMETOOLONG;
		return;
	}
	r->path[len] = '\0';
	r->stage = ST_OK;
}

static int read_report(int fd, struct report *r)
{
	size_t got = 0;
	struct timespec start;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (got < sizeof(*r)) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long spent = (now.tv_sec - start.tv_sec) * 1000 +
			     (now.tv_nsec - start.tv_nsec) / 1000000;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int rc = spent >= CHILD_TIMEOUT_MS ? 0
						   : poll(&p, 1, (int)(CHILD_TIMEOUT_MS - spent));
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc <= 0)
			return -1;
		ssize_t n = read(fd, (char *)r + got, sizeof(*r) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

static int run_as(const struct caller *who, const struct job *j, struct report *r,
		  const char *field, struct api_error *err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return api_fail(err, 500, field, "pipe: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return api_fail(err, 500, field, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		static struct report rep;
		close(p[0]);
		if (become(who) < 0) {
			rep.stage = ST_CREDS;
			rep.err = errno;
		} else if (j->dir) {
			resolve_in_child(j, &rep);
		} else {
			copy_in_child(j, &rep);
		}
		for (size_t done = 0; done < sizeof(rep);) {
			ssize_t n = write(p[1], (const char *)&rep + done, sizeof(rep) - done);
			if (n <= 0)
				break;
			done += (size_t)n;
		}
		_exit(0);
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	int rc = read_report(p[0], r);
	close(p[0]);
	if (rc < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return api_fail(err, 504, field, "opening %.300s took longer than %d s; gave up",
				j->path, CHILD_TIMEOUT_MS / 1000);
	return 0;
}

static const char *type_name(unsigned mode)
{
	switch (mode & S_IFMT) {
	case S_IFDIR:
		return "a directory";
	case S_IFIFO:
		return "a FIFO";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFSOCK:
		return "a socket";
	case S_IFLNK:
		return "a symbolic link";
	}
	return "not a regular file";
}

/* The child's report as the caller's error. */
static int report_error(const struct caller *who, const struct job *j, const struct report *r,
			const char *field, struct api_error *err)
{
	const char *path = j->path;
	switch (r->stage) {
	case ST_OK:
		return 0;
	case ST_CREDS:
		return api_fail(err, 500, field,
				"dsvd cannot act as uid %u gid %u: %s (is it root?)",
				(unsigned)who->uid, (unsigned)who->gid, strerror(r->err));
	case ST_OPEN:
		if (r->err == EACCES || r->err == EPERM)
			return api_fail(err, 403, field, "uid %u may not open %.300s: %s",
					(unsigned)who->uid, path, strerror(r->err));
		if (r->err == ENOTDIR && j->dir)
			return api_fail(err, 400, field, "%.300s is not a directory", path);
		return api_fail(err, 400, field, "cannot open %.300s: %s", path, strerror(r->err));
	case ST_TYPE:
		return api_fail(err, 400, field, "%.300s is %s, not a regular file", path,
				type_name(r->mode));
	case ST_SIZE:
		return api_fail(err, 400, field, "%.300s is larger than %llu bytes (%lld)", path,
				(unsigned long long)j->max, r->size);
	case ST_WRITE:
		return api_fail(err, 507, field, "cannot copy %.300s into the state directory: %s",
				path, strerror(r->err));
	default:
		return api_fail(err, 400, field, "cannot read %.300s: %s", path,
				r->err ? strerror(r->err) : "it shrank while being read");
	}
}

int caller_copy_file(const struct caller *who, const char *path, int dest_fd, uint64_t max,
		     const char *field, struct api_error *err)
{
	struct job j = { .path = path, .dest_fd = dest_fd, .max = max };
	static struct report r;
	if (run_as(who, &j, &r, field, err) < 0)
		return -1;
	return report_error(who, &j, &r, field, err) < 0 ? -1 : 0;
}

int caller_resolve_dir(const struct caller *who, const char *path, char *out, size_t outlen,
		       const char *field, struct api_error *err)
{
	struct job j = { .path = path, .dir = true };
	static struct report r;
	if (run_as(who, &j, &r, field, err) < 0 || report_error(who, &j, &r, field, err) < 0)
		return -1;
	if (strlen(r.path) >= outlen)
		return api_fail(err, 400, field, "%.300s resolves to a path that is too long",
				path);
	snprintf(out, outlen, "%s", r.path);
	return 0;
}
