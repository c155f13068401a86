/*
 * File offload: the guest's /dev/shm (--shm DIR). The VMs of one job pass the same host
 * DIR, so a file one rank creates under /dev/shm is the file the others open, and a
 * MAP_SHARED mapping of it (fileio_mmap.c, shm_slots.c) is the same host pages in each VM.
 * Lookups below it use the share's rules: openat2 RESOLVE_BENEATH from DIR's descriptor,
 * so neither ".." nor a symlink leads out of DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fileio_int.h"

int fileio_set_shm(struct fileio *fio, const char *dir, char *err, size_t errlen)
{
	char *real = realpath(dir, NULL);
	if (!real) {
		int e = errno;
		snprintf(err, errlen, "--shm %s: %s", dir, strerror(e));
		return -e;
	}
	int root = !strcmp(real, "/");
	free(real);
	if (root) {
		snprintf(err, errlen, "--shm %s: cannot be / (it would expose the host's files)",
			 dir);
		return -EPERM;
	}
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "--shm %s: %s", dir, strerror(e));
		return -e;
	}
	/* The program creates and removes its segments there: it must be writable too. */
	if (syscall(SYS_faccessat2, fd, "", R_OK | W_OK | X_OK, AT_EMPTY_PATH | AT_EACCESS)) {
		int e = errno;
		close(fd);
		snprintf(err, errlen,
			 "--shm %s: %s (it must be readable, writable and searchable by the "
			 "user the VM runs as)",
			 dir, strerror(e));
		return -e;
	}
	if (fio->shm_fd >= 0)
		close(fio->shm_fd);
	fio->shm_fd = fd;
	return 0;
}

/* "/dev/shm" and anything below it, component by component ("/dev//shm/./x" too). */
int fio_in_shm(const struct fileio *fio, const char *path, const char **rel)
{
	static const char *const want[] = { "dev", "shm" };
	const char *p = path;
	if (fio->shm_fd < 0 || path[0] != '/')
		return 0;
	for (int i = 0; i < 2; i++) {
		while (*p == '/' || (p[0] == '.' && (p[1] == '/' || !p[1])))
			p++;
		size_t n = strcspn(p, "/");
		if (n != strlen(want[i]) || memcmp(p, want[i], n))
			return 0;
		p += n;
	}
	if (*p && *p != '/')
		return 0;
	while (*p == '/')
		p++;
	if (rel)
		*rel = *p ? p : ".";
	return 1;
}

int fio_shm_open(struct fileio *fio, const char *path, uint64_t flags, uint64_t mode)
{
	const char *rel;
	if (!fio_in_shm(fio, path, &rel))
		return -EACCES;
	int r = fio_openat2(fio->shm_fd, rel, flags, mode);
	return r == -EXDEV ? -EACCES : r; /* ".." or a symlink out of DIR */
}
