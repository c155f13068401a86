/*
 * open("/proc/self/fd/N") (or /proc/1/fd/N: the program is PID 1 of its VM): a new
 * descriptor for the program's own regular file N. UCX attaches its POSIX shared-memory
 * segments this way, its own included (an unlinked /dev/shm file). The synthetic /proc has
 * no fd directory, so the lwk answers it: the new descriptor is a duplicate of N (Linux
 * opens a new file description; only the shared offset and status flags tell them apart),
 * and it may not grant more access than N has.
 */
#include "sys_procfd.h"
#include "errno.h"
#include "host.h"
#include "uaccess.h"
#include <dsv/fileio.h>

#define O_ACCMODE 3
#define O_WRONLY 1
#define O_RDWR 2
#define O_NONBLOCK 04000
#define O_LARGEFILE 0100000
#define O_NOCTTY 0400
#define O_CLOEXEC 02000000
#define F_DUPFD 0
#define F_GETFL 3
#define F_DUPFD_CLOEXEC 1030
#define S_IFMT 0170000
#define S_IFREG 0100000
#define STAT_SIZE 144

/* N if path is exactly /proc/self/fd/N or /proc/1/fd/N, else -1. */
static int64_t fd_of(const char *path)
{
	static const char *const pre[] = { "/proc/self/fd/", "/proc/1/fd/" };
	for (unsigned i = 0; i < 2; i++) {
		uint64_t n = strlen(pre[i]);
		if (memcmp(path, pre[i], n))
			continue;
		const char *d = path + n;
		int64_t fd = 0;
		unsigned digits = 0;
		for (; *d >= '0' && *d <= '9' && digits < 10; d++, digits++)
			fd = fd * 10 + (*d - '0');
		return digits && !*d && fd <= 0x7fffffff ? fd : -1;
	}
	return -1;
}

bool procfd_open(uint64_t path, uint64_t flags, int64_t *ret)
{
	char k[32];
	int64_t n = user_strlen(path, sizeof(k) - 1);
	if (n <= 0 || n >= (int64_t)sizeof(k))
		return false; /* not ours: longer than any such path, or a bad pointer */
	memcpy(k, (const void *)path, (size_t)n);
	k[n] = '\0';
	int64_t fd = fd_of(k);
	if (fd < 0)
		return false;
	if (flags & ~(uint64_t)(O_ACCMODE | O_NONBLOCK | O_LARGEFILE | O_NOCTTY | O_CLOEXEC)) {
		*ret = -EINVAL; /* O_CREAT, O_TRUNC, O_PATH...: not supported here (docs/lwk.md) */
		return true;
	}
	int64_t have = host_call(DSV_HC_FCNTL, (uint64_t)fd, F_GETFL, 0, 0, 0, 0);
	uint64_t st[STAT_SIZE / 8] = { 0 };
	int64_t e = have < 0 ? have
			     : host_call(DSV_HC_FSTAT, (uint64_t)fd, virt_to_phys(st), 0, 0, 0, 0);
	uint64_t want = flags & O_ACCMODE, got = (uint64_t)have & O_ACCMODE;
	if (e < 0)
		*ret = e == -EBADF ? -ENOENT : e; /* no such entry in the fd directory */
	else if (((uint32_t)st[3] & S_IFMT) != S_IFREG)
		*ret = -ENXIO; /* sockets and the like: Linux cannot reopen them either */
	else if (want == O_ACCMODE || (want != got && got != O_RDWR))
		*ret = -EACCES;
	else
		*ret = host_call(DSV_HC_FCNTL, (uint64_t)fd,
				 flags & O_CLOEXEC ? F_DUPFD_CLOEXEC : F_DUPFD, 0, 0, 0, 0);
	return true;
}
