/*
 * File offload: calls on an open descriptor. Each one takes a reference on the file for
 * its duration and drops the table lock before it blocks, so a read on stdin stalls only
 * its own vCPU. Errors come back in Linux's order: bad fd, then bad arguments, then memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>
#include "fileio_int.h"

_Static_assert(sizeof(struct stat) == 144, "struct stat must be the x86-64 kernel layout");
_Static_assert(sizeof(struct winsize) == 8, "struct winsize must be the kernel layout");

#define FIO_SETFL_OK (O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME) /* no O_ASYNC: SIGIO */

/* Host view of a guest buffer; zero-length transfers touch nothing, like Linux. */
static void *gbuf(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	static char none;
	return len ? gm_ptr(gm, gpa, len) : &none;
}

static int64_t put_guest(const struct guest_mem *gm, uint64_t gpa, const void *src, size_t len)
{
	void *dst = gbuf(gm, gpa, len);
	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

static int64_t res(long r)
{
	return r < 0 ? -errno : r;
}

static int64_t do_close(struct fileio *fio, uint64_t fd64)
{
	uint32_t fd = (uint32_t)fd64;
	if (fd >= DSV_MAX_FILES)
		return -EBADF;
	pthread_mutex_lock(&fio->lock);
	struct fio_file *f = fio->slots[fd].file;
	fio->slots[fd].file = NULL;
	fio->slots[fd].cloexec = 0;
	pthread_mutex_unlock(&fio->lock);
	if (!f)
		return -EBADF;
	fio_put(fio, f);
	return 0;
}

static int64_t do_dup3(struct fileio *fio, const uint64_t a[6])
{
	uint32_t oldfd = (uint32_t)a[0], newfd = (uint32_t)a[1], flags = (uint32_t)a[2];
	if (flags & ~(uint32_t)O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	if (newfd >= DSV_MAX_FILES)
		return -EBADF;
	int64_t r = newfd;
	struct fio_file *prev = NULL;
	pthread_mutex_lock(&fio->lock);
	struct fio_file *f = oldfd < DSV_MAX_FILES ? fio->slots[oldfd].file : NULL;
	if (!f) {
		r = -EBADF;
	} else if (fio->slots[newfd].reserved) {
		r = -EBUSY;  /* an open is filling it: Linux says EBUSY too */
	} else {
		prev = fio->slots[newfd].file;
		f->refs++;
		fio->slots[newfd].file = f;
		fio->slots[newfd].cloexec = (flags & O_CLOEXEC) != 0;
	}
	pthread_mutex_unlock(&fio->lock);
	fio_put(fio, prev);
	return r;
}

static int64_t do_dupfd(struct fileio *fio, struct fio_file *f, uint64_t min, int cloexec)
{
	if (min >= DSV_MAX_FILES)
		return -EINVAL;
	int64_t r = -EMFILE;
	pthread_mutex_lock(&fio->lock);
	for (uint64_t i = min; i < DSV_MAX_FILES; i++) {
		struct fio_slot *s = &fio->slots[i];
		if (!s->file && !s->reserved) {
			f->refs++;
			s->file = f;
			s->cloexec = cloexec != 0;
			r = (int64_t)i;
			break;
		}
	}
	pthread_mutex_unlock(&fio->lock);
	return r;
}

static int64_t do_fcntl(struct fileio *fio, struct fio_file *f, uint32_t fd, const uint64_t a[6])
{
	uint32_t cmd = (uint32_t)a[1];
	int64_t r;
	switch (cmd) {
	case F_GETFL:
		return res(fcntl(f->fd, F_GETFL));
	case F_SETFL:
		return res(fcntl(f->fd, F_SETFL, (int)((uint32_t)a[2] & FIO_SETFL_OK)));
	case F_GETFD:
		pthread_mutex_lock(&fio->lock);
		r = fio->slots[fd].cloexec ? FD_CLOEXEC : 0;
		pthread_mutex_unlock(&fio->lock);
		return r;
	case F_SETFD:
		pthread_mutex_lock(&fio->lock);
		if (fio->slots[fd].file == f)
			fio->slots[fd].cloexec = (a[2] & FD_CLOEXEC) != 0;
		pthread_mutex_unlock(&fio->lock);
		return 0;
	case F_DUPFD:
		return do_dupfd(fio, f, a[2], 0);
	case F_DUPFD_CLOEXEC:
		return do_dupfd(fio, f, a[2], 1);
	default:
		return -EINVAL;
	}
}

/* Reads and writes: len is bounded by the ABI's per-call limit, the lwk splits bigger ones. */
static int64_t do_rw(struct fio_file *f, const struct guest_mem *gm, uint32_t nr,
		     const uint64_t a[6])
{
	uint64_t len = a[2];
	if (nr == DSV_HC_GETDENTS64 && len > DSV_HC_MAX_IO)
		len = DSV_HC_MAX_IO;  /* fewer entries per call is still correct */
	if (len > DSV_HC_MAX_IO)
		return -EINVAL;
	void *buf = gbuf(gm, a[1], len);
	if (!buf)
		return -EFAULT;
	switch (nr) {
	case DSV_HC_READ:
		return res(read(f->fd, buf, len));
	case DSV_HC_WRITE:
		return res(write(f->fd, buf, len));
	case DSV_HC_PREAD:
		return res(pread(f->fd, buf, len, (off_t)a[3]));
	case DSV_HC_PWRITE:
		return res(pwrite(f->fd, buf, len, (off_t)a[3]));
	default:
		return res(syscall(SYS_getdents64, f->fd, buf, (unsigned)len));
	}
}

static int64_t do_one(struct fileio *fio, struct fio_file *f, const struct guest_mem *gm,
		      uint32_t nr, const uint64_t a[6])
{
	switch (nr) {
	case DSV_HC_LSEEK:
		if ((uint32_t)a[2] > SEEK_HOLE)
			return -EINVAL;
		return res(lseek(f->fd, (off_t)a[1], (int)(uint32_t)a[2]));
	case DSV_HC_FSTAT: {
		struct stat st;
		if (fstat(f->fd, &st) < 0)
			return -errno;
		return put_guest(gm, a[1], &st, sizeof(st));
	}
	case DSV_HC_FTRUNCATE:
		return res(ftruncate(f->fd, (off_t)a[1]));
	case DSV_HC_FSYNC:
		return res(fsync(f->fd));
	case DSV_HC_WINSIZE: {
		struct winsize ws;
		if (ioctl(f->fd, TIOCGWINSZ, &ws) < 0)
			return -errno;
		return put_guest(gm, a[1], &ws, sizeof(ws));
	}
	case DSV_HC_FCNTL:
		return do_fcntl(fio, f, (uint32_t)a[0], a);
	default:
		return do_rw(f, gm, nr, a);
	}
}

int64_t fio_do_fd(struct fileio *fio, const struct guest_mem *gm, uint32_t nr,
		  const uint64_t a[6])
{
	if (nr == DSV_HC_CLOSE)
		return do_close(fio, a[0]);
	if (nr == DSV_HC_DUP3)
		return do_dup3(fio, a);
	struct fio_file *f = fio_get(fio, a[0]);
	if (!f)
		return -EBADF;
	int64_t r = do_one(fio, f, gm, nr, a);
	fio_put(fio, f);
	return r;
}
