/*
 * File offload: metadata calls (statfs, chmod, timestamps). A path is first resolved to an
 * O_PATH descriptor beneath the share (fio_open_beneath, the same confinement as open), and
 * the call then acts on that descriptor, never on a name: a symlink swapped in after the
 * lookup changes nothing. The /proc and /sys view answers statfs with Linux's magic numbers
 * and refuses changes as Linux refuses them on root's files there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "fileio_int.h"

_Static_assert(sizeof(struct statfs) == 120, "struct statfs must be the x86-64 kernel layout");
_Static_assert(sizeof(struct timespec) == 16, "struct timespec must be the x86-64 layout");

#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572
/* statfs f_flags, the kernel's values (ST_VALID: the field is filled in) */
#define FIO_ST_NOSUID 0x2
#define FIO_ST_NODEV 0x4
#define FIO_ST_NOEXEC 0x8
#define FIO_ST_VALID 0x20
#define FIO_ST_RELATIME 0x1000
#define FIO_SYS_FCHMODAT2 452 /* Linux 6.6; glibc 2.36's headers lack it */
#define FIO_UTIME_NOW ((1l << 30) - 1l)
#define FIO_UTIME_OMIT ((1l << 30) - 2l)

/* What a call acts on: a descriptor (owned when the lookup opened it) and where it lives. */
struct target {
	int fd, own;
	int where; /* FIO_VIEW_PROC, FIO_VIEW_SYS, WHERE_SHARE or WHERE_OTHER */
};
enum {
	WHERE_SHARE = 16,
	WHERE_OTHER
};

static int where_of(const struct fio_file *f)
{
	return f->in_share ? WHERE_SHARE : f->view ? f->view : WHERE_OTHER;
}

/* path relative to dir (or dir itself when path is empty and empty_ok) as an O_PATH fd. */
static int64_t lookup(struct fileio *fio, struct fio_file *dir, const char *path, int nofollow,
		      struct target *t)
{
	if (!*path) { /* AT_EMPTY_PATH: the directory descriptor itself */
		*t = (struct target){ .fd = dir->fd, .own = 0, .where = where_of(dir) };
		return 0;
	}
	int fd = fio_open_beneath(fio, dir, path, O_PATH | (nofollow ? O_NOFOLLOW : 0), 0);
	if (fd < 0)
		return fd;
	*t = (struct target){ .fd = fd, .own = 1, .where = WHERE_SHARE };
	if (fio_in_view(fio, path)) {
		t->where = fio_view_kind(path);
		if (t->where == FIO_VIEW_NONE) { /* "/proc/..": the host's root, outside */
			close(fd);
			return -EACCES;
		}
	}
	return 0;
}

static void drop(struct target *t)
{
	if (t->own)
		close(t->fd);
}

/* The view is hvmm's temporary directory: answer what Linux's proc and sysfs say. */
static void view_statfs(struct statfs *st, int where)
{
	memset(st, 0, sizeof(*st));
	st->f_type = where == FIO_VIEW_PROC ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
	st->f_bsize = st->f_frsize = 4096;
	st->f_namelen = 255;
	st->f_flags = FIO_ST_VALID | FIO_ST_NOSUID | FIO_ST_NODEV | FIO_ST_NOEXEC | FIO_ST_RELATIME;
}

static int64_t statfs_of(const struct fio_call *c, const struct target *t, uint64_t buf)
{
	struct statfs st;
	if (t->where == FIO_VIEW_PROC || t->where == FIO_VIEW_SYS)
		view_statfs(&st, t->where);
	else if (fstatfs(t->fd, &st) < 0)
		return -errno;
	return fio_put_guest(c->gm, buf, &st, sizeof(st));
}

/* Changes allowed only on the share's files. The view is read-only and holds what Linux
 * shows as root's files: chmod there is EPERM, a touch EACCES (no write access), explicit
 * times EPERM (not the owner). Other descriptors (hvmm's stdio, --inherit-fd, pipes,
 * sockets) lead outside the share: EPERM, as for a file the program does not own. */
static int64_t change_refused(const struct target *t, int is_touch)
{
	if (t->where == WHERE_SHARE)
		return 0;
	if (t->where == WHERE_OTHER)
		return -EPERM;
	return is_touch ? -EACCES : -EPERM;
}

static int64_t chmod_fd(int fd, uint32_t mode)
{
	long r = syscall(FIO_SYS_FCHMODAT2, fd, "", mode, AT_EMPTY_PATH);
	if (r == 0 || errno != ENOSYS)
		return r ? -errno : 0;
	/* Before Linux 6.6 an O_PATH descriptor is changed through its /proc link, which
	 * names exactly the object opened (absent under --jail: ENOSYS). */
	char link[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	r = syscall(SYS_fchmodat, AT_FDCWD, link, mode);
	/* faccessat2: what the vCPU threads' seccomp filter allows (not access) */
	if (r < 0 && errno == ENOENT && syscall(SYS_faccessat2, AT_FDCWD, "/proc/self/fd", F_OK, 0))
		return -ENOSYS;
	return r ? -errno : 0;
}

static int64_t do_chmod(const struct target *t, uint32_t mode, int nofollow)
{
	int64_t r = change_refused(t, 0);
	if (r)
		return r;
	struct stat st;
	if (nofollow && fstat(t->fd, &st) == 0 && S_ISLNK(st.st_mode))
		return -EOPNOTSUPP;		    /* Linux never changes a symlink's mode */
	return chmod_fd(t->fd, mode & FIO_MODE_OK); /* never setuid, setgid or sticky */
}

/* The guest's times, copied once; *touch for NULL or both UTIME_NOW. 1: both UTIME_OMIT. */
static int64_t get_times(const struct fio_call *c, uint64_t gpa, struct timespec ts[2], int *touch)
{
	*touch = 1;
	if (!gpa)
		return 0;
	const void *src = fio_gbuf(c->gm, gpa, 2 * sizeof(struct timespec));
	if (!src)
		return -EFAULT;
	memcpy(ts, src, 2 * sizeof(struct timespec));
	if (ts[0].tv_nsec == FIO_UTIME_OMIT && ts[1].tv_nsec == FIO_UTIME_OMIT)
		return 1; /* nothing to do: Linux does not even look at the path */
	*touch = ts[0].tv_nsec == FIO_UTIME_NOW && ts[1].tv_nsec == FIO_UTIME_NOW;
	return 0;
}

static int64_t do_utimens(const struct target *t, const struct timespec *ts, int touch, int fd_call)
{
	int64_t r = change_refused(t, touch);
	if (r)
		return r;
	if (fd_call) /* futimens: an O_PATH descriptor is EBADF, as in Linux */
		r = syscall(SYS_utimensat, t->fd, NULL, ts, 0);
	else
		r = syscall(SYS_utimensat, t->fd, "", ts, AT_EMPTY_PATH);
	return r ? -errno : 0;
}

static int64_t statfs_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	struct target t;
	int64_t r = lookup(c->fio, dir, path, 0, &t);
	if (r)
		return r;
	r = statfs_of(c, &t, c->a[3]);
	drop(&t);
	return r;
}

int64_t fio_statfs(const struct fio_call *c)
{
	return fio_at_call(c, c->a[4] != sizeof(struct statfs) ? -EINVAL : 0, 0, statfs_at);
}

int64_t fio_fstatfs(const struct fio_call *c)
{
	if (c->a[2] != sizeof(struct statfs))
		return -EINVAL;
	const struct target t = { .fd = c->file->fd, .where = where_of(c->file) };
	return statfs_of(c, &t, c->a[1]);
}

static int64_t fchmodat_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	struct target t;
	int nofollow = (c->a[4] & AT_SYMLINK_NOFOLLOW) != 0;
	int64_t r = lookup(c->fio, dir, path, nofollow, &t);
	if (r)
		return r;
	r = do_chmod(&t, (uint32_t)c->a[3], nofollow);
	drop(&t);
	return r;
}

int64_t fio_fchmodat(const struct fio_call *c)
{
	uint32_t f = (uint32_t)c->a[4];
	int64_t bad = f & ~(uint32_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) ? -EINVAL : 0;
	return fio_at_call(c, bad, f & AT_EMPTY_PATH, fchmodat_at);
}

int64_t fio_fchmod(const struct fio_call *c)
{
	const struct target t = { .fd = c->file->fd, .where = where_of(c->file) };
	int64_t r = change_refused(&t, 0);
	/* fchmod proper: an O_PATH descriptor is EBADF, as in Linux */
	return r ? r : fchmod(t.fd, (mode_t)(c->a[1] & FIO_MODE_OK)) ? -errno : 0;
}

/* utimensat's call with the times read once before the lookup (fio_at_call hands c on). */
struct utimens_call {
	struct fio_call c; /* first: the callback gets &c */
	struct timespec ts[2];
	int has_times, touch;
};

static int64_t utimensat_at(const struct fio_call *c, struct fio_file *dir, char *path)
{
	const struct utimens_call *u = (const struct utimens_call *)(const void *)c;
	struct target t;
	int64_t r = lookup(c->fio, dir, path, (c->a[4] & AT_SYMLINK_NOFOLLOW) != 0, &t);
	if (r)
		return r;
	r = do_utimens(&t, u->has_times ? u->ts : NULL, u->touch, 0);
	drop(&t);
	return r;
}

int64_t fio_utimensat(const struct fio_call *c)
{
	/* Linux reads the times first: both UTIME_OMIT succeed before the path is looked at. */
	struct utimens_call u = { .c = *c, .has_times = c->a[3] != 0 };
	int64_t r = get_times(c, c->a[3], u.ts, &u.touch);
	if (r)
		return r < 0 ? r : 0;
	uint32_t f = (uint32_t)c->a[4];
	int64_t bad = f & ~(uint32_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) ? -EINVAL : 0;
	return fio_at_call(&u.c, bad, f & AT_EMPTY_PATH, utimensat_at);
}

int64_t fio_futimens(const struct fio_call *c)
{
	struct timespec ts[2];
	int touch;
	int64_t r = get_times(c, c->a[1], ts, &touch);
	if (r)
		return r < 0 ? r : 0;
	const struct target t = { .fd = c->file->fd, .where = where_of(c->file) };
	return do_utimens(&t, c->a[1] ? ts : NULL, touch, 1);
}
