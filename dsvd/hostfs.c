#include "hostfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void hostfs_init(struct hostfs *fs, const char *root)
{
	if (!root)
		root = getenv("DSV_HOST_ROOT");
	if (!root || strcmp(root, "/") == 0)
		root = "";
	snprintf(fs->root, sizeof(fs->root), "%s", root);
	size_t n = strlen(fs->root);
	while (n > 0 && fs->root[n - 1] == '/')
		fs->root[--n] = '\0';
	fs->mnt = fs->root[0] ? &hostfs_mount_fake : &hostfs_mount_real;
}

bool hostfs_is_fake(const struct hostfs *fs)
{
	return fs->root[0] != '\0';
}

int hostfs_path(const struct hostfs *fs, char *out, size_t outlen, const char *fmt, ...)
{
	int n = snprintf(out, outlen, "%s", fs->root);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(out + n, outlen - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= outlen - (size_t)n)
		return -1;
	return 0;
}

int hostfs_read(const char *path, char *buf, size_t len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	size_t used = 0;
	for (;;) {
		if (used + 1 >= len) {
			close(fd);
			snprintf(err, errlen, "%s: value longer than %zu bytes", path, len - 1);
			return -1;
		}
		ssize_t r = read(fd, buf + used, len - 1 - used);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	close(fd);
	while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
		used--;
	buf[used] = '\0';
	return 0;
}

int hostfs_write(const char *path, const char *value, char *err, size_t errlen)
{
	/* O_CREAT only matters in a fake tree: sysfs, procfs and cgroupfs refuse to create files. */
	int fd = open(path, O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s for writing: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(value);
	ssize_t w = write(fd, value, len);
	int saved = errno;
	if (close(fd) < 0 && w >= 0) {
		w = -1;
		saved = errno;
	}
	if (w < 0 || (size_t)w != len) {
		snprintf(err, errlen, "cannot write '%s' to %s: %s", value, path,
			 w < 0 ? strerror(saved) : "short write");
		return -1;
	}
	return 0;
}

bool hostfs_exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0;
}
