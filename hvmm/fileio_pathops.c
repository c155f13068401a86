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
#define FIO_OPEN_OK                                                                            \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | \
	 O_SYNC | O_DIRECT | O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW | O_NOATIME | O_CLOEXEC |  \
	 O_PATH | O_TMPFILE)
#define FIO_PATH_OK (O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#define FIO_O_LARGEFILE \
	0100000 /* the kernel's x86-64 value; glibc's header says 0, musl passes it */

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
		flags &= FIO_PATH_OK; /* Linux ignores the rest with O_PATH; openat2 would not */
	int cloexec = (flags & O_CLOEXEC) != 0;
	int creat = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
	uint64_t mode = creat ? (gmode & FIO_MODE_OK) : 0; /* openat2 refuses a stray mode */
	int slot = fio_reserve(fio, 0);
	if (slot < 0)
		return slot;
	int fd = fio_open_beneath(fio, dir, path, flags, mode);
	if (fd < 0) {
		fio_unreserve(fio, slot);
		return fd;
	}
	/* The view is never a directory to look up from: nothing below it may be made. */
	if (fio_in_view(fio, path) || fio_in_shm(fio, path, NULL)) {
		struct fio_file *f = fio_file_new(fd, NULL, 0);
		if (!f) {
			close(fd);
			fio_unreserve(fio, slot);
			return -ENOMEM;
		}
		f->view = fio_view_kind(path); /* fstatfs answers the tree's magic */
		fio_install(fio, slot, f, cloexec);
		return slot;
	}
	struct stat st;
	char *rel = NULL;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		rel = fio_join_rel(fio, dir ? dir->rel : NULL, path); /* NULL: /proc knows */
	return fio_install_file(fio, slot, fd, rel, 1, cloexec);
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
	fio_view_fix_stat(fio, &st);
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
	fio_view_fix_statx(fio, &stx);
	return put_guest(gm, buf, &stx, sizeof(stx));
}

static int64_t do_faccessat(struct fileio *fio, struct fio_file *dir, const char *path,
			    uint32_t mode, uint32_t flags)
{
	int fd = -1, own = 0; /* dir is NULL for an absolute path */
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

static int64_t do_readlinkat(struct fileio *fio, const struct guest_mem *gm, struct fio_file *dir,
			     const char *path, uint64_t buf, int size)
{
	char target[DSV_PATH_MAX];
	const char *rel;
	if (size <= 0)
		return -EINVAL;
	/* realpath() walks "/", "/tmp", ... : the share's ancestors are no symlinks. */
	if (path[0] == '/' && fio->root && !fio_in_view(fio, path) &&
	    fio_abs_to_rel(fio, path, &rel) == 1)
		return -EINVAL;
	int fd = -1, own = 0; /* dir is NULL for an absolute path */
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
		ret = -EINVAL; /* it exists (we hold it) but is no symlink: Linux says EINVAL */
	if (own)
		close(fd);
	if (ret > 0 && put_guest(gm, buf, target, (size_t)ret))
		return -EFAULT;
	return ret;
}

static int64_t do_modify(struct fileio *fio, struct fio_file *dir, char *path, uint32_t nr,
			 uint32_t arg)
{
	const char *last;
	if (fio_in_view(fio, path))
		return -EACCES; /* the view is read-only */
	int pfd = fio_open_parent(fio, dir, path, &last);
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
	r = -EACCES; /* the view is read-only */
	if (fio_in_view(fio, op->buf) || fio_in_view(fio, np->buf))
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
	/* a cwd is a base for creating files: never in the view; nor in --shm, which has no
	 * path in the share for getcwd to report */
	if (fio_in_view(fio, path) || fio_in_shm(fio, path, NULL))
		return -EACCES;
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
		abs[--n] = '\0'; /* the root itself: "/tmp/share", or "/" */
	if (size < (uint64_t)n + 1)
		return -ERANGE;
	r = put_guest(gm, buf, abs, (size_t)n + 1);
	return r ? r : n + 1;
}

int64_t fio_at_call(const struct fio_call *c, int64_t flags_err, int empty_ok, fio_at_fn fn)
{
	struct fileio *fio = c->fio;
	if (flags_err)
		return flags_err;
	struct fio_path *p = malloc(sizeof(*p)); /* 4 KiB: keep vCPU thread stacks small */
	if (!p)
		return -ENOMEM;
	p->len = 0;
	int64_t r = fio_copy_path(c->gm, c->a[1], c->a[2], p);
	empty_ok = empty_ok && !p->len;
	if (!r && !p->len && !empty_ok)
		r = -ENOENT;
	if (!r && fio->root_fd < 0 && !empty_ok && !fio_in_view(fio, p->buf) &&
	    !fio_in_shm(fio, p->buf, NULL))
		r = -EACCES;
	int err = 0;
	struct fio_file *dir = NULL;
	/* An absolute path ignores dirfd entirely, even a bad one, as in Linux. */
	if (!r && p->buf[0] != '/' && !(dir = fio_get_dir(fio, c->a[0], &err)))
		r = err;
	if (!r)
		r = fn(c, dir, p->buf);
	fio_put(fio, dir);
	free(p);
	return r;
}

#define STAT_FLAGS_OK (AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)

static int64_t openat_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	return do_openat(c->fio, dir, path, (uint32_t)c->a[3], (uint32_t)c->a[4]);
}

int64_t fio_openat(const struct fio_call *c)
{
	return fio_at_call(c, 0, 0, openat_at);
}

static int64_t fstatat_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	return do_fstatat(c->fio, c->gm, dir, path, c->a[3], (uint32_t)c->a[4]);
}

int64_t fio_fstatat(const struct fio_call *c)
{
	uint32_t f = (uint32_t)c->a[4];
	return fio_at_call(c, f & ~(uint32_t)STAT_FLAGS_OK ? -EINVAL : 0, f & AT_EMPTY_PATH,
			   fstatat_at);
}

static int64_t statx_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	return do_statx(c->fio, c->gm, dir, path, (uint32_t)c->a[3], (uint32_t)c->a[4], c->a[5]);
}

int64_t fio_statx(const struct fio_call *c)
{
	uint32_t f = (uint32_t)c->a[3];
	int64_t bad = (f & ~(uint32_t)STAT_FLAGS_OK) ||
				      (f & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE ||
				      ((uint32_t)c->a[4] & STATX__RESERVED)
			      ? -EINVAL
			      : 0;
	return fio_at_call(c, bad, f & AT_EMPTY_PATH, statx_at);
}

static int64_t faccessat_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	return do_faccessat(c->fio, dir, path, (uint32_t)c->a[3], (uint32_t)c->a[4]);
}

int64_t fio_faccessat(const struct fio_call *c)
{
	uint32_t f = (uint32_t)c->a[4];
	int64_t bad =
		((uint32_t)c->a[3] & ~(uint32_t)(R_OK | W_OK | X_OK)) ||
				(f & ~(uint32_t)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
			? -EINVAL
			: 0;
	return fio_at_call(c, bad, f & AT_EMPTY_PATH, faccessat_at);
}

static int64_t readlinkat_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	return do_readlinkat(c->fio, c->gm, dir, path, c->a[3], (int)(uint32_t)c->a[4]);
}

int64_t fio_readlinkat(const struct fio_call *c)
{
	return fio_at_call(c, 0, 1, readlinkat_at);
}

static int64_t mkdirat_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	return do_modify(c->fio, dir, path, DSV_HC_MKDIRAT, (uint32_t)c->a[3]);
}

int64_t fio_mkdirat(const struct fio_call *c)
{
	return fio_at_call(c, 0, 0, mkdirat_at);
}

static int64_t unlinkat_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	return do_modify(c->fio, dir, path, DSV_HC_UNLINKAT, (uint32_t)c->a[3]);
}

int64_t fio_unlinkat(const struct fio_call *c)
{
	return fio_at_call(c, ((uint32_t)c->a[3] & ~(uint32_t)AT_REMOVEDIR) ? -EINVAL : 0, 0,
			   unlinkat_at);
}

int64_t fio_renameat(const struct fio_call *c)
{
	return c->fio->root_fd < 0 ? -EACCES : do_rename(c->fio, c->gm, c->a);
}

int64_t fio_getcwd(const struct fio_call *c)
{
	return c->fio->root_fd < 0 ? -EACCES : do_getcwd(c->fio, c->gm, c->a[0], c->a[1]);
}

int64_t fio_chdir(const struct fio_call *c)
{
	struct fileio *fio = c->fio;
	struct fio_path *p = malloc(sizeof(*p));
	if (!p)
		return -ENOMEM;
	int64_t r = fio_copy_path(c->gm, c->a[0], c->a[1], p);
	if (!r)
		r = fio->root_fd < 0 ? -EACCES : !p->len ? -ENOENT : 0;
	if (!r) {
		int err = 0;
		struct fio_file *cwd = fio_get_dir(fio, (uint64_t)(int64_t)DSV_AT_FDCWD, &err);
		r = cwd ? do_chdir(fio, cwd, p->buf) : err;
		fio_put(fio, cwd);
	}
	free(p);
	return r;
}
