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

int64_t fio_close(const struct fio_call *c)
{
	uint32_t fd = (uint32_t)c->a[0];
	if (fd >= DSV_MAX_FILES)
		return -EBADF;
	struct fio_file *f = fio_file_detach(c->fio, (int)fd);
	if (!f)
		return -EBADF;
	fio_put(c->fio, f);
	return 0;
}

int64_t fio_dup3(const struct fio_call *c)
{
	struct fileio *fio = c->fio;
	const uint64_t *a = c->a;
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
		r = -EBUSY; /* an open is filling it: Linux says EBUSY too */
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

int64_t fio_fcntl(const struct fio_call *c)
{
	struct fileio *fio = c->fio;
	struct fio_file *f = c->file;
	const uint64_t *a = c->a;
	uint32_t fd = (uint32_t)a[0], cmd = (uint32_t)a[1];
	int64_t r;
	switch (cmd) {
	case F_GETFL:
		return fio_res(fcntl(f->fd, F_GETFL));
	case F_SETFL:
		return fio_res(fcntl(f->fd, F_SETFL, (int)((uint32_t)a[2] & FIO_SETFL_OK)));
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

/* Reads and writes: len is bounded by the ABI's per-call limit, the lwk splits bigger ones.
 * NULL: a bad length or buffer, with the errno in *err. */
static void *io_buf(const struct fio_call *c, uint64_t len, int64_t *err)
{
	void *buf;
	if (len > DSV_HC_MAX_IO) {
		*err = -EINVAL;
		return NULL;
	}
	if (!(buf = fio_gbuf(c->gm, c->a[1], len)))
		*err = -EFAULT;
	return buf;
}

int64_t fio_read(const struct fio_call *c)
{
	int64_t err;
	void *buf = io_buf(c, c->a[2], &err);
	return buf ? fio_res(read(c->file->fd, buf, c->a[2])) : err;
}

int64_t fio_write(const struct fio_call *c)
{
	int64_t err;
	void *buf = io_buf(c, c->a[2], &err);
	return buf ? fio_res(write(c->file->fd, buf, c->a[2])) : err;
}

int64_t fio_pread(const struct fio_call *c)
{
	int64_t err;
	void *buf = io_buf(c, c->a[2], &err);
	return buf ? fio_res(pread(c->file->fd, buf, c->a[2], (off_t)c->a[3])) : err;
}

int64_t fio_pwrite(const struct fio_call *c)
{
	int64_t err;
	void *buf = io_buf(c, c->a[2], &err);
	return buf ? fio_res(pwrite(c->file->fd, buf, c->a[2], (off_t)c->a[3])) : err;
}

int64_t fio_getdents64(const struct fio_call *c)
{
	/* fewer entries per call is still correct */
	uint64_t len = c->a[2] > DSV_HC_MAX_IO ? DSV_HC_MAX_IO : c->a[2];
	int64_t err;
	void *buf = io_buf(c, len, &err);
	return buf ? fio_res(syscall(SYS_getdents64, c->file->fd, buf, (unsigned)len)) : err;
}

int64_t fio_lseek(const struct fio_call *c)
{
	if ((uint32_t)c->a[2] > SEEK_HOLE)
		return -EINVAL;
	return fio_res(lseek(c->file->fd, (off_t)c->a[1], (int)(uint32_t)c->a[2]));
}

int64_t fio_fstat(const struct fio_call *c)
{
	struct stat st;
	if (fstat(c->file->fd, &st) < 0)
		return -errno;
	fio_view_fix_stat(c->fio, &st);
	return fio_put_guest(c->gm, c->a[1], &st, sizeof(st));
}

int64_t fio_ftruncate(const struct fio_call *c)
{
	return fio_res(ftruncate(c->file->fd, (off_t)c->a[1]));
}

int64_t fio_fsync(const struct fio_call *c)
{
	return fio_res(fsync(c->file->fd));
}

int64_t fio_winsize(const struct fio_call *c)
{
	struct winsize ws;
	if (ioctl(c->file->fd, TIOCGWINSZ, &ws) < 0)
		return -errno;
	return fio_put_guest(c->gm, c->a[1], &ws, sizeof(ws));
}
