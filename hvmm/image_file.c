#include "image_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_type(mode_t m)
{
	return S_ISDIR(m)    ? "a directory"
	       : S_ISFIFO(m) ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISSOCK(m) ? "a socket"
			     : "an unknown kind of file";
}

int image_file_read(const char *path, uint64_t max, struct image_file *out, char *err,
		    size_t errlen)
{
	struct stat st;
	size_t got = 0;
	int fd;

	out->data = NULL;
	out->len = 0;
	/* O_NONBLOCK: a FIFO or a device must not hang hvmm in open(); the type is then
	 * checked on the descriptor that is read, so nothing can be swapped in between. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st)) {
		snprintf(err, errlen, "fstat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s, not a regular file", file_type(st.st_mode));
		close(fd);
		return -1;
	}
	if ((uint64_t)st.st_size > max) {
		snprintf(err, errlen, "too large (%lld bytes, limit %llu)", (long long)st.st_size,
			 (unsigned long long)max);
		close(fd);
		return -1;
	}
	out->data = malloc(st.st_size ? (size_t)st.st_size : 1);
	if (!out->data) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, out->data + got, (size_t)st.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			snprintf(err, errlen, "read failed: %s",
				 r ? strerror(errno) : "short file");
			image_file_free(out);
			close(fd);
			return -1;
		}
		got += (size_t)r;
	}
	out->len = got;
	close(fd);
	return 0;
}

void image_file_free(struct image_file *f)
{
	free(f->data);
	f->data = NULL;
	f->len = 0;
}

static int canonical(const char *path, char *out, size_t outlen, char *err, size_t errlen)
{
	char buf[PATH_MAX];

	if (!realpath(path, buf)) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (strlen(buf) >= outlen) {
		snprintf(err, errlen, "path too long");
		return -1;
	}
	strcpy(out, buf);
	return 0;
}

int image_file_find(const char *name, char *out, size_t outlen, char *err, size_t errlen)
{
	const char *path = getenv("PATH");
	char cand[PATH_MAX];

	if (!*name) {
		snprintf(err, errlen, "empty program name");
		return -1;
	}
	if (strchr(name, '/'))
		return canonical(name, out, outlen, err, errlen);
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		int w = snprintf(cand, sizeof(cand), "%.*s/%s", (int)n, n ? path : ".", name);

		if (w > 0 && (size_t)w < sizeof(cand) &&
		    faccessat(AT_FDCWD, cand, X_OK, AT_EACCESS) == 0)
			return canonical(cand, out, outlen, err, errlen);
		path += n;
		if (*path == ':')
			path++;
	}
	snprintf(err, errlen, "not found in PATH");
	return -1;
}
