#include "console_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char data[1 << 16], moved[1 << 16];

/* The file becomes: marker, then the last (max/2 - marker) bytes it had. Returns the new end. */
static off_t drop_older_half(int fd, off_t end, uint64_t max, const char *marker, size_t mlen)
{
	off_t keep = (off_t)(max / 2 - mlen);
	off_t from = end - keep; /* > mlen since end > max/2: no chunk overwrites what is unread */
	for (off_t off = 0; off < keep;) {
		size_t want =
			keep - off < (off_t)sizeof(moved) ? (size_t)(keep - off) : sizeof(moved);
		ssize_t n = pread(fd, moved, want, from + off);
		if (n <= 0)
			break;
		if (pwrite(fd, moved, (size_t)n, (off_t)mlen + off) != n)
			break;
		off += n;
	}
	if (pwrite(fd, marker, mlen, 0) != (ssize_t)mlen) { /* nothing better to do */
	}
	if (ftruncate(fd, (off_t)(max / 2)) < 0) { /* the next write extends it anyway */
	}
	return (off_t)(max / 2);
}

/* The writer: stdin is the pipe, stdout the file. Only async-signal-safe calls (the agent is
 * multi-threaded and this is a forked copy of it). */
static void writer(uint64_t max, const char *marker, size_t mlen)
{
	off_t end = 0;
	for (;;) {
		ssize_t n = read(0, data, sizeof(data));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		const char *p = data;
		size_t room = (size_t)(max / 2) - mlen;
		if ((size_t)n > room) {
			/* a burst larger than what is kept: only its end stays, after the marker */
			p += (size_t)n - room;
			n = (ssize_t)room;
			if (pwrite(1, marker, mlen, 0) == (ssize_t)mlen &&
			    ftruncate(1, (off_t)mlen) == 0)
				end = (off_t)mlen;
		} else if ((uint64_t)(end + n) > max) {
			end = drop_older_half(1, end, max, marker, mlen);
		}
		ssize_t w = pwrite(1, p, (size_t)n, end);
		if (w > 0)
			end += w;
	}
	_exit(0);
}

int console_log_start(const char *path, uint64_t max_bytes, char *err, size_t errlen)
{
	char marker[160];
	int mlen =
		snprintf(marker, sizeof(marker),
			 "[dsvd: older console output dropped; the log keeps its last %llu KiB]\n",
			 (unsigned long long)(max_bytes / 2 / 1024));
	if (max_bytes < 4096 || mlen <= 0 || (uint64_t)mlen >= max_bytes / 4) {
		snprintf(err, errlen, "console cap of %llu bytes is too small",
			 (unsigned long long)max_bytes);
		return -1;
	}
	/* read-write: dropping the older half reads the kept tail back */
	int log = open(path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (log < 0) {
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		close(log);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		/* twice, so that init reaps the writer and it is in no group the agent signals */
		setsid();
		if (fork() != 0)
			_exit(0);
		if (dup2(p[0], 0) < 0 || dup2(log, 1) < 0)
			_exit(1);
		/* nothing else of the agent's: not its socket, not the node lock */
		syscall(SYS_close_range, 2u, ~0u, 0u);
		writer(max_bytes, marker, (size_t)mlen);
	}
	close(p[0]);
	close(log);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(p[1]);
		return -1;
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return p[1];
}
