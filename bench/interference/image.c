/*
 * --hog-image is checked before anything starts: a path that is missing, unreadable or no
 * disk image is a usage error, not a failure of every run later. The check is the shape
 * dsvd's own probe accepts (a qcow2 header; a raw disk with a boot sector, GPT or an ext
 * file system); dsvd checks the rest (qcow2 version, backing files) when the VM is made.
 */
#include "interference.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int ix_image_check(const char *path, char *abs, size_t abslen, char *err, size_t errlen)
{
	if (!path || !*path) {
		snprintf(err, errlen, "an empty path");
		return -1;
	}
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "%s is not a regular file", path);
		return -1;
	}
	unsigned char h[2048];
	memset(h, 0, sizeof h);
	ssize_t n = pread(fd, h, sizeof h, 0);
	int e = errno;
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
		return -1;
	}
	bool qcow2 = n >= 4 && !memcmp(h, "QFI\xfb", 4);
	bool boot_sector = n >= 512 && h[510] == 0x55 && h[511] == 0xaa;
	bool gpt = n >= 520 && !memcmp(h + 512, "EFI PART", 8);
	bool ext = n >= 1082 && h[1080] == 0x53 && h[1081] == 0xef;
	if (!qcow2 && !boot_sector && !gpt && !ext) {
		snprintf(err, errlen,
			 "%s is neither a qcow2 image nor a raw disk image (no boot "
			 "sector, GPT or ext file system)",
			 path);
		return -1;
	}
	if (!qcow2 && st.st_size % 512) {
		snprintf(err, errlen,
			 "%s: a raw disk image is a whole number of 512-byte sectors "
			 "(%lld bytes)",
			 path, (long long)st.st_size);
		return -1;
	}
	/* dsvd takes absolute paths only */
	char real[PATH_MAX];
	if (!realpath(path, real) || snprintf(abs, abslen, "%s", real) >= (int)abslen) {
		snprintf(err, errlen, "cannot resolve %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
