#include "exit_status_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int exit_status_file_open(const char *path, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO there must not hang hvmm in open() (refused below instead) */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK,
		      0640);
	if (fd < 0) {
		snprintf(err, errlen, "--status-file %s: %s", path,
			 errno == ELOOP	  ? "a symbolic link (refused)"
			 : errno == ENXIO ? "not a regular file" /* a FIFO nobody reads */
					  : strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "--status-file %s: not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

int exit_status_file_record(int fd, int status)
{
	if (status < 0 || status > 255) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	char buf[8];
	int n = snprintf(buf, sizeof(buf), "%d\n", status);
	/* write, not pwrite: the fd is fresh (offset 0), and hvmm's housekeeping thread, which
     * records the status, runs under a seccomp filter that allows write only */
	ssize_t w = write(fd, buf, (size_t)n);
	int saved = errno;
	close(fd);
	if (w != n) {
		errno = w < 0 ? saved : EIO;
		return -1;
	}
	return 0;
}

int exit_status_file_read(const char *path, int *status)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	struct stat st;
	char buf[8];
	ssize_t n = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		n = pread(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n == 0)
		return 0;
	if (n < 2 || n > 4 || buf[n - 1] != '\n')
		return -1;
	int v = 0;
	for (ssize_t i = 0; i < n - 1; i++) {
		if (buf[i] < '0' || buf[i] > '9' || (i == 0 && buf[i] == '0' && n > 2))
			return -1;
		v = v * 10 + (buf[i] - '0');
	}
	if (v > 255)
		return -1;
	*status = v;
	return 1;
}
