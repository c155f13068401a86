/*
 * File offload: calls that take a path. Lookups go through fio_open_beneath (whole path)
 * or fio_open_parent (parent directory, then the last component relative to its fd), so
 * the host kernel never resolves a guest path from anywhere but a directory in the share.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fileio_int.h"

_Static_assert(sizeof(struct statx) == 256, "struct statx must be the kernel layout");

/* Open flags a guest may pass; anything else is dropped, as Linux's openat drops it. */
#define FIO_OPEN_OK (O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | \
		     O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | \
		     O_NOFOLLOW | O_NOATIME | O_CLOEXEC | O_PATH | O_TMPFILE)
#define FIO_PATH_OK (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define FIO_O_LARGEFILE 0100000  /* the kernel's x86-64 value; glibc's header says 0, musl passes it */

static int64_t put_guest(const struct guest_mem *gm, uint64_t gpa, const void *src, size_t len)
{
	void *dst = gm_ptr(gm, gpa, len);
	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

static int64_t res(long r)
{
	return r < 0 ? -errno : r;
}

static int64_t do_openat(struct fileio *fio, struct fio_file *dir, const char *path,
			 uint32_t gflags, uint32_t gmode)
{
	uint64_t flags = gflags & (FIO_OPEN_OK | FIO_O_LARGEFILE);
	if (flags & O_PATH)
		flags &= FIO_PATH_OK;  /* Linux ignores the rest with O_PATH; openat2 would not */
	int cloexec = (flags & O_CLOEXEC) != 0;
	int creat = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	uint64_t mode = creat ? (gmode & FIO_MODE_OK) : 0;  /* openat2 refuses a stray mode */
	int slot = fio_reserve(fio, 0);
	if (slot < 0)
		return slot;
	int fd = fio_open_beneath(fio, dir, path, flags, mode);
	if (fd < 0) {
		fio_unreserve(fio, slot);
		return fd;
	}
	struct stat st;
	char *rel = NULL;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		rel = fio_join_rel(fio, dir ? dir->rel : NULL, path); /* NULL: /proc knows */
	struct fio_file *f = fio_file_new(fd, rel, 1);
	if (!f) {
		close(fd);
		fio_unreserve(fio, slot);
		return -ENOMEM;
	}
	fio_install(fio, slot, f, cloexec);
	return slot;
}

/* Whole path to an O_PATH fd: stat-like calls then act on the fd, never on a name. */
static int open_obj(struct fileio *fio, struct fio_file *dir, const char *path, int nofollow)
{
	return fio_open_beneath(fio, dir, path, O_PATH | (nofollow ? O_NOFOLLOW : 0), 0);
}

static int64_t do_fstatat(struct fileio *fio, const struct guest_mem *gm, struct fio_file *dir,
			  const char *path, uint64_t buf, uint32_t flags)
{
	struct stat st;
	int r;
	if (!*path && (flags & AT_EMPTY_PATH)) {
		r = fstat(dir->fd, &st);
	} else {
		int fd = open_obj(fio, dir, path, flags & AT_SYMLINK_NOFOLLOW);
		if (fd < 0)
			return fd;
		r = fstat(fd, &st);
		close(fd);
	}
	if (r < 0)
		return -errno;
	return put_guest(gm, buf, &st, sizeof(st));
}

static int64_t do_statx(struct fileio *fio, const struct guest_mem *gm, struct fio_file *dir,
			const char *path, uint32_t flags, uint32_t mask, uint64_t buf)
{
	struct statx stx;
	int sync = (int)(flags & AT_STATX_SYNC_TYPE);
	int r;
	if (!*path && (flags & AT_EMPTY_PATH)) {
		r = statx(dir->fd, "", AT_EMPTY_PATH | sync, mask, &stx);
	} else {
		int fd = open_obj(fio, dir, path, flags & AT_SYMLINK_NOFOLLOW);
		if (fd < 0)
			return fd;
		r = statx(fd, "", AT_EMPTY_PATH | sync, mask, &stx);
		close(fd);
	}
	if (r < 0)
		return -errno;
	return put_guest(gm, buf, &stx, sizeof(stx));
}

static int64_t do_faccessat(struct fileio *fio, struct fio_file *dir, const char *path,
			    uint32_t mode, uint32_t flags)
{
	int fd = -1, own = 0;  /* dir is NULL for an absolute path */
	if (*path || !(flags & AT_EMPTY_PATH)) {
		fd = open_obj(fio, dir, path, flags & AT_SYMLINK_NOFOLLOW);
		if (fd < 0)
			return fd;
		own = 1;
	} else {
		fd = dir->fd;
	}
	long r = syscall(SYS_faccessat2, fd, "", (int)mode,
			 (int)((flags & AT_EACCESS) | AT_EMPTY_PATH));
	int64_t ret = res(r);
	if (own)
		close(fd);
	return ret;
}

static int64_t do_readlinkat(struct fileio *fio, const struct guest_mem *gm,
			     struct fio_file *dir, const char *path, uint64_t buf, int size)
{
	char target[DSV_PATH_MAX];
	const char *rel;
	if (size <= 0)
		return -EINVAL;
	/* realpath() walks "/", "/tmp", ... : the share's ancestors are no symlinks. */
	if (path[0] == '/' && fio_abs_to_rel(fio, path, &rel) == 1)
		return -EINVAL;
	int fd = -1, own = 0;  /* dir is NULL for an absolute path */
	if (*path) {
		fd = open_obj(fio, dir, path, 1);
		if (fd < 0)
			return fd;
		own = 1;
	} else {
		fd = dir->fd;
	}
	size_t n = (size_t)size < sizeof(target) ? (size_t)size : sizeof(target);
	ssize_t r = readlinkat(fd, "", target, n);
	int64_t ret = r < 0 ? -errno : r;
	if (own && ret == -ENOENT)
		ret = -EINVAL;  /* it exists (we hold it) but is no symlink: Linux says EINVAL */
	if (own)
		close(fd);
	if (ret > 0 && put_guest(gm, buf, target, (size_t)ret))
		return -EFAULT;
	return ret;
}

static int64_t do_modify(struct fileio *fio, struct fio_file *dir, struct fio_path *p,
			 uint32_t nr, uint32_t arg)
{
	const char *last;
	int pfd = fio_open_parent(fio, dir, p->buf, &last);
	if (pfd < 0)
		return pfd;
	long r = nr == DSV_HC_MKDIRAT ? mkdirat(pfd, last, arg & FIO_MODE_OK)
				      : unlinkat(pfd, last, (int)arg);
	int64_t ret = res(r);
	close(pfd);
	return ret;
}

static int64_t do_rename(struct fileio *fio, const struct guest_mem *gm, const uint64_t a[6])
{
	struct fio_path *op = malloc(2 * sizeof(*op));
	struct fio_file *od = NULL, *nd = NULL;
	int ofd = -1, nfd = -1, err = 0;
	const char *olast, *nlast;
	int64_t r;
	if (!op)
		return -ENOMEM;
	struct fio_path *np = op + 1;
	if ((r = fio_copy_path(gm, a[1], a[2], op)) || (r = fio_copy_path(gm, a[4], a[5], np)))
		goto out;
	r = -ENOENT;
	if (!op->len || !np->len)
		goto out;
	if ((op->buf[0] != '/' && !(od = fio_get_dir(fio, a[0], &err))) ||
	    (np->buf[0] != '/' && !(nd = fio_get_dir(fio, a[3], &err)))) {
		r = err;
		goto out;
	}
	if ((r = ofd = fio_open_parent(fio, od, op->buf, &olast)) < 0 ||
	    (r = nfd = fio_open_parent(fio, nd, np->buf, &nlast)) < 0)
		goto out;
	r = res(renameat(ofd, olast, nfd, nlast));
out:
	if (ofd >= 0)
		close(ofd);
	if (nfd >= 0)
		close(nfd);
	fio_put(fio, od);
	fio_put(fio, nd);
	free(op);
	return r;
}

static int64_t do_chdir(struct fileio *fio, struct fio_file *cwd, const char *path)
{
	int fd = fio_open_beneath(fio, cwd, path, O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	/* O_PATH skips the search-permission check that chdir makes. */
	if (syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct fio_file *f = fio_file_new(fd, fio_join_rel(fio, cwd->rel, path), 1);
	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	pthread_mutex_lock(&fio->lock);
	struct fio_file *old = fio->cwd;
	fio->cwd = f;
	pthread_mutex_unlock(&fio->lock);
	fio_put(fio, old);
	return 0;
}

static int64_t do_getcwd(struct fileio *fio, const struct guest_mem *gm, uint64_t buf,
			 uint64_t size)
{
	int err = 0;
	struct fio_file *cwd = fio_get_dir(fio, (uint64_t)(int64_t)DSV_AT_FDCWD, &err);
	if (!cwd)
		return err;
	char rel[DSV_PATH_MAX], abs[DSV_PATH_MAX + 1];
	int64_t r = fio_dir_rel(fio, cwd, rel, sizeof(rel));
	fio_put(fio, cwd);
	if (r < 0)
		return r;
	int n = snprintf(abs, sizeof(abs), "%s/%s", fio->root, rel);
	if (n < 0 || (size_t)n >= sizeof(abs))
		return -ENAMETOOLONG;
	if (n > 1 && abs[n - 1] == '/')
		abs[--n] = '\0';  /* the root itself: "/tmp/share", or "/" */
	if (size < (uint64_t)n + 1)
		return -ERANGE;
	r = put_guest(gm, buf, abs, (size_t)n + 1);
	return r ? r : n + 1;
}

/* Arguments that do not need the path: Linux rejects them before any lookup. */
static int64_t check_flags(uint32_t nr, const uint64_t a[6])
{
	uint32_t f;
	switch (nr) {
	case DSV_HC_FSTATAT:
		f = (uint32_t)a[4];
		return f & ~(uint32_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
				    AT_STATX_SYNC_TYPE)
			? -EINVAL : 0;
	case DSV_HC_STATX:
		f = (uint32_t)a[3];
		if (f & ~(uint32_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT |
				    AT_STATX_SYNC_TYPE))
			return -EINVAL;
		if ((f & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
			return -EINVAL;
		return ((uint32_t)a[4] & STATX__RESERVED) ? -EINVAL : 0;
	case DSV_HC_UNLINKAT:
		return ((uint32_t)a[3] & ~(uint32_t)AT_REMOVEDIR) ? -EINVAL : 0;
	case DSV_HC_FACCESSAT:
		if ((uint32_t)a[3] & ~(uint32_t)(R_OK | W_OK | X_OK))
			return -EINVAL;
		f = (uint32_t)a[4];
		return f & ~(uint32_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)
			? -EINVAL : 0;
	default:
		return 0;
	}
}

static int empty_path_ok(uint32_t nr, const uint64_t a[6])
{
	return (nr == DSV_HC_FSTATAT && ((uint32_t)a[4] & AT_EMPTY_PATH)) ||
	       (nr == DSV_HC_STATX && ((uint32_t)a[3] & AT_EMPTY_PATH)) ||
	       (nr == DSV_HC_FACCESSAT && ((uint32_t)a[4] & AT_EMPTY_PATH)) ||
	       nr == DSV_HC_READLINKAT;
}

/* Calls of the form (dirfd, path, path_len, ...). */
static int64_t do_at(struct fileio *fio, const struct guest_mem *gm, uint32_t nr,
		     const uint64_t a[6], struct fio_path *p)
{
	int64_t r = check_flags(nr, a);
	if (r)
		return r;
	if ((r = fio_copy_path(gm, a[1], a[2], p)))
		return r;
	int empty_ok = !p->len && empty_path_ok(nr, a);
	if (!p->len && !empty_ok)
		return -ENOENT;
	if (fio->root_fd < 0 && !empty_ok)
		return -EACCES;
	int err = 0;
	struct fio_file *dir = NULL;
	/* An absolute path ignores dirfd entirely, even a bad one, as in Linux. */
	if (p->buf[0] != '/' && !(dir = fio_get_dir(fio, a[0], &err)))
		return err;
	switch (nr) {
	case DSV_HC_OPENAT:
		r = do_openat(fio, dir, p->buf, (uint32_t)a[3], (uint32_t)a[4]);
		break;
	case DSV_HC_FSTATAT:
		r = do_fstatat(fio, gm, dir, p->buf, a[3], (uint32_t)a[4]);
		break;
	case DSV_HC_STATX:
		r = do_statx(fio, gm, dir, p->buf, (uint32_t)a[3], (uint32_t)a[4], a[5]);
		break;
	case DSV_HC_FACCESSAT:
		r = do_faccessat(fio, dir, p->buf, (uint32_t)a[3], (uint32_t)a[4]);
		break;
	case DSV_HC_READLINKAT:
		r = do_readlinkat(fio, gm, dir, p->buf, a[3], (int)(uint32_t)a[4]);
		break;
	default:
		r = do_modify(fio, dir, p, nr, (uint32_t)a[3]);
		break;
	}
	fio_put(fio, dir);
	return r;
}

int64_t fio_do_path(struct fileio *fio, const struct guest_mem *gm, uint32_t nr,
		    const uint64_t a[6])
{
	if (nr == DSV_HC_GETCWD)
		return fio->root_fd < 0 ? -EACCES : do_getcwd(fio, gm, a[0], a[1]);
	if (nr == DSV_HC_RENAMEAT)
		return fio->root_fd < 0 ? -EACCES : do_rename(fio, gm, a);
	struct fio_path *p = malloc(sizeof(*p));  /* 4 KiB: keep vCPU thread stacks small */
	if (!p)
		return -ENOMEM;
	int64_t r;
	if (nr == DSV_HC_CHDIR) {
		r = fio_copy_path(gm, a[0], a[1], p);
		if (!r)
			r = fio->root_fd < 0 ? -EACCES : !p->len ? -ENOENT : 0;
		if (!r) {
			int err = 0;
			struct fio_file *cwd = fio_get_dir(fio, (uint64_t)(int64_t)DSV_AT_FDCWD,
							   &err);
			r = cwd ? do_chdir(fio, cwd, p->buf) : err;
			fio_put(fio, cwd);
		}
	} else {
		r = do_at(fio, gm, nr, a, p);
	}
	free(p);
	return r;
}
