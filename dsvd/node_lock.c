#include "node_lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

void node_lock_init(struct node_lock *l, const char *path)
{
	l->fd = -1;
	snprintf(l->path, sizeof(l->path), "%s", path);
}

bool node_lock_held(const struct node_lock *l)
{
	return l->fd >= 0;
}

static void make_parent(const char *path)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755); /* errors show up at open */
		*p = '/';
	}
}

/* "pid=N state_dir=DIR\n"; anything else reads as nothing recorded. */
static void read_record(int fd, struct node_lock_holder *h)
{
	char buf[700];
	memset(h, 0, sizeof(*h));
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	char *end;
	if (strncmp(buf, "pid=", 4) != 0)
		return;
	long pid = strtol(buf + 4, &end, 10);
	if (pid <= 0 || strncmp(end, " state_dir=", 11) != 0)
		return;
	h->pid = pid;
	snprintf(h->state_dir, sizeof(h->state_dir), "%s", end + 11);
}

int node_lock_try(struct node_lock *l, struct node_lock_holder *h, char *err, size_t errlen)
{
	memset(h, 0, sizeof(*h));
	if (l->fd >= 0) {
		read_record(l->fd, h);
		return 0;
	}
	make_parent(l->path);
	/* O_NOFOLLOW: the file lives in a directory others may write (/run); no symlink games */
	int fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open the partition lock %s: %s", l->path,
			 strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the partition lock %s is not a regular file", l->path);
		close(fd);
		return -1;
	}
	int rc;
	while ((rc = flock(fd, LOCK_EX | LOCK_NB)) < 0 && errno == EINTR)
		;
	if (rc < 0) {
		int e = errno;
		if (e == EWOULDBLOCK) {
			read_record(fd, h);
			close(fd);
			return 1;
		}
		snprintf(err, errlen, "cannot lock %s: %s", l->path, strerror(e));
		close(fd);
		return -1;
	}
	read_record(fd, h);
	l->fd = fd;
	return 0;
}

int node_lock_record(struct node_lock *l, const char *state_dir, char *err, size_t errlen)
{
	char buf[700];
	int n = snprintf(buf, sizeof(buf), "pid=%ld state_dir=%s\n", (long)getpid(), state_dir);
	if (l->fd < 0 || n < 0 || (size_t)n >= sizeof(buf)) {
		snprintf(err, errlen, "cannot record the partition lock's holder");
		return -1;
	}
	if (ftruncate(l->fd, 0) < 0 || pwrite(l->fd, buf, (size_t)n, 0) != n) {
		snprintf(err, errlen, "cannot write %s: %s", l->path, strerror(errno));
		return -1;
	}
	return 0;
}

void node_lock_release(struct node_lock *l, bool clear)
{
	if (l->fd < 0)
		return;
	if (clear && ftruncate(l->fd, 0) < 0) { /* a stale record only names a state directory */
	}
	close(l->fd); /* the last descriptor of the open file: the flock goes with it */
	l->fd = -1;
}
