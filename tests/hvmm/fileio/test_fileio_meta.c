/*
 * File metadata offload (hvmm/fileio_meta.c) against the same native calls: statfs and
 * fstatfs, chmod and fchmod, utimensat and futimens; the /proc and /sys view's answers; and
 * a hostile guest: bad buffers and sizes, paths out of the share, descriptors it does not
 * own. Nothing outside the share may change.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "harness.h"

#define CWD ((uint64_t)(int64_t)DSV_AT_FDCWD)
#define PROC_SUPER_MAGIC 0x9fa0
#define SYSFS_MAGIC 0x62656572

static uint64_t pth(struct h *h, const char *p)
{
	return h_put(h, p, strlen(p));
}

static int64_t g_statfs(struct h *h, const char *path, struct statfs *out)
{
	uint64_t buf = h_buf(h, sizeof(*out));
	int64_t r = h_call(h, DSV_HC_STATFS, CWD, pth(h, path), strlen(path), buf, sizeof(*out), 0);
	memcpy(out, h_host(h, buf), sizeof(*out));
	return r;
}

static int64_t g_fstatfs(struct h *h, int fd, struct statfs *out)
{
	uint64_t buf = h_buf(h, sizeof(*out));
	int64_t r = h_call(h, DSV_HC_FSTATFS, (uint64_t)fd, buf, sizeof(*out), 0, 0, 0);
	memcpy(out, h_host(h, buf), sizeof(*out));
	return r;
}

static int64_t g_chmod(struct h *h, int dirfd, const char *path, uint32_t mode, int flags)
{
	return h_call(h, DSV_HC_FCHMODAT, (uint64_t)(int64_t)dirfd, pth(h, path), strlen(path),
		      mode, (uint32_t)flags, 0);
}

/* times NULL: now */
static int64_t g_utimens(struct h *h, int dirfd, const char *path, const struct timespec *t,
			 int flags)
{
	uint64_t tg = t ? h_put(h, t, 2 * sizeof(*t)) : 0;
	return h_call(h, DSV_HC_UTIMENSAT, (uint64_t)(int64_t)dirfd, pth(h, path), strlen(path), tg,
		      (uint32_t)flags, 0);
}

static int64_t g_futimens(struct h *h, int fd, const struct timespec *t)
{
	uint64_t tg = t ? h_put(h, t, 2 * sizeof(*t)) : 0;
	return h_call(h, DSV_HC_FUTIMENS, (uint64_t)fd, tg, 0, 0, 0, 0);
}

static int64_t nat(long r)
{
	return r < 0 ? -errno : r;
}

static void host_path(char *out, const char *dir, const char *name)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

static struct stat host_stat(const char *dir, const char *name, int nofollow)
{
	char p[PATH_MAX];
	struct stat st;
	host_path(p, dir, name);
	assert_int_equal(nofollow ? lstat(p, &st) : stat(p, &st), 0);
	return st;
}

static void same_statfs(const struct statfs *a, const struct statfs *b)
{
	assert_int_equal(a->f_type, b->f_type);
	assert_int_equal(a->f_bsize, b->f_bsize);
	assert_int_equal(a->f_namelen, b->f_namelen);
	assert_int_equal(a->f_flags, b->f_flags);
	assert_memory_equal(&a->f_fsid, &b->f_fsid, sizeof(a->f_fsid));
	assert_int_equal(a->f_blocks, b->f_blocks);
}

static void test_statfs(void **state)
{
	struct h *h = *state;
	struct statfs g, n;
	h_write_file(h->share, "f", "x");
	assert_int_equal(g_statfs(h, ".", &g), 0);
	assert_int_equal(statfs(h->share, &n), 0);
	same_statfs(&g, &n);
	assert_int_equal(g_statfs(h, "f", &g), 0);
	same_statfs(&g, &n);
	int64_t fd = g_open(h, DSV_AT_FDCWD, "f", O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_int_equal(g_fstatfs(h, (int)fd, &g), 0);
	same_statfs(&g, &n);
	g_close(h, (int)fd);
	fd = g_open(h, DSV_AT_FDCWD, "f", O_PATH, 0); /* fstatfs takes O_PATH, as in Linux */
	assert_int_equal(g_fstatfs(h, (int)fd, &g), 0);
	g_close(h, (int)fd);

	char p[PATH_MAX];
	host_path(p, h->native, "missing");
	assert_int_equal(g_statfs(h, "missing", &g), nat(statfs(p, &n)));
	assert_int_equal(g_statfs(h, "", &g), -ENOENT);
	host_path(p, h->native, "f/x");
	h_write_file(h->native, "f", "x");
	assert_int_equal(g_statfs(h, "f/x", &g), nat(statfs(p, &n))); /* ENOTDIR */
}

static void test_statfs_hostile(void **state)
{
	struct h *h = *state;
	struct statfs g;
	uint64_t buf = h_buf(h, sizeof(g));
	assert_int_equal(h_call(h, DSV_HC_STATFS, CWD, pth(h, "."), 1, H_MEM - 64, sizeof(g), 0),
			 -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_STATFS, CWD, pth(h, "."), 1, ~0ull - 8, sizeof(g), 0),
			 -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_STATFS, CWD, pth(h, "."), 1, buf, sizeof(g) - 1, 0),
			 -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_STATFS, CWD, pth(h, "."), 1, buf, 1ull << 40, 0),
			 -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_STATFS, CWD, H_MEM - 1, 8, buf, sizeof(g), 0), -EFAULT);
	assert_int_equal(
		h_call(h, DSV_HC_STATFS, CWD, pth(h, "."), DSV_PATH_MAX + 1, buf, sizeof(g), 0),
		-ENAMETOOLONG);
	assert_int_equal(h_call(h, DSV_HC_FSTATFS, 1, H_MEM - 8, sizeof(g), 0, 0, 0), -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_FSTATFS, 1, buf, 4096, 0, 0, 0), -EINVAL);
	/* out of the share: .., absolute, symlinks */
	char link[PATH_MAX], out[PATH_MAX];
	host_path(out, h->outside, "secret");
	host_path(link, h->share, "link_abs");
	assert_int_equal(symlink(out, link), 0);
	assert_int_equal(g_statfs(h, "../outside", &g), -EACCES);
	assert_int_equal(g_statfs(h, out, &g), -EACCES);
	assert_int_equal(g_statfs(h, "/", &g), -EACCES);
	assert_int_equal(g_statfs(h, "link_abs", &g), -EACCES);
	/* descriptors it does not own: hvmm's own numbers included */
	for (uint64_t fd = 3; fd < 64; fd++)
		assert_int_equal(h_call(h, DSV_HC_FSTATFS, fd, buf, sizeof(g), 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_FSTATFS, 1ull << 31, buf, sizeof(g), 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_FSTATFS, ~0ull, buf, sizeof(g), 0, 0, 0), -EBADF);
}

static void test_chmod(void **state)
{
	struct h *h = *state;
	char p[PATH_MAX];
	h_write_file(h->share, "f", "x");
	h_write_file(h->native, "f", "x");
	host_path(p, h->native, "f");
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "f", 0640, 0), nat(chmod(p, 0640)));
	assert_int_equal(host_stat(h->share, "f", 0).st_mode, host_stat(h->native, "f", 0).st_mode);
	assert_int_equal(host_stat(h->share, "f", 0).st_mode & 07777, 0640);
	/* never setuid, setgid or sticky (FIO_MODE_OK) */
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "f", 06755, 0), 0);
	assert_int_equal(host_stat(h->share, "f", 0).st_mode & 07777, 0755);
	int64_t fd = g_open(h, DSV_AT_FDCWD, "f", O_RDONLY, 0);
	int nfd = open(p, O_RDONLY | O_CLOEXEC);
	assert_int_equal(h_call(h, DSV_HC_FCHMOD, (uint64_t)fd, 0600, 0, 0, 0, 0),
			 nat(fchmod(nfd, 0600)));
	assert_int_equal(host_stat(h->share, "f", 0).st_mode, host_stat(h->native, "f", 0).st_mode);
	g_close(h, (int)fd);
	close(nfd);
	/* fchmod on an O_PATH descriptor: EBADF, as natively */
	fd = g_open(h, DSV_AT_FDCWD, "f", O_PATH, 0);
	nfd = open(p, O_PATH | O_CLOEXEC);
	assert_int_equal(h_call(h, DSV_HC_FCHMOD, (uint64_t)fd, 0644, 0, 0, 0, 0),
			 nat(fchmod(nfd, 0644)));
	g_close(h, (int)fd);
	close(nfd);
	/* a directory, through a symlink, relative to a dirfd */
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "d", 0755), 0);
	assert_int_equal(symlink("d", (host_path(p, h->share, "ld"), p)), 0);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "ld", 0711, 0), 0);
	assert_int_equal(host_stat(h->share, "d", 0).st_mode & 07777, 0711);
	assert_int_equal(host_stat(h->share, "ld", 1).st_mode & S_IFMT, S_IFLNK);
	int64_t dfd = g_open(h, DSV_AT_FDCWD, "d", O_RDONLY | O_DIRECTORY, 0);
	h_write_file(h->share, "d/in", "y");
	assert_int_equal(g_chmod(h, (int)dfd, "in", 0604, 0), 0);
	assert_int_equal(host_stat(h->share, "d/in", 0).st_mode & 07777, 0604);
	assert_int_equal(g_chmod(h, (int)dfd, "", 0755, AT_EMPTY_PATH), 0);
	assert_int_equal(host_stat(h->share, "d", 0).st_mode & 07777, 0755);
	g_close(h, (int)dfd);
	/* Linux never changes a symlink's mode */
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "ld", 0700, AT_SYMLINK_NOFOLLOW), -EOPNOTSUPP);
	host_path(p, h->native, "missing");
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "missing", 0644, 0), nat(chmod(p, 0644)));
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "f", 0644, 0x4), -EINVAL);
}

static void test_chmod_hostile(void **state)
{
	struct h *h = *state;
	char out[PATH_MAX], link[PATH_MAX];
	host_path(out, h->outside, "secret");
	assert_int_equal(chmod(out, 0600), 0);
	host_path(link, h->share, "link_abs");
	assert_int_equal(symlink(out, link), 0);
	host_path(link, h->share, "link_dir");
	assert_int_equal(symlink(h->outside, link), 0);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "../outside/secret", 0666, 0), -EACCES);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, out, 0666, 0), -EACCES);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "link_abs", 0666, 0), -EACCES);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "link_dir/secret", 0666, 0), -EACCES);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "link_dir", 0777, 0), -EACCES);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "..", 0777, 0), -EACCES);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "/", 0777, 0), -EACCES);
	assert_int_equal(host_stat(h->outside, "secret", 0).st_mode & 07777, 0600);
	assert_int_equal(host_stat(h->base, "outside", 0).st_mode & 07777, 0755);
	/* hvmm's stdio leads outside the share: EPERM; foreign numbers EBADF */
	assert_int_equal(h_call(h, DSV_HC_FCHMOD, 1, 0777, 0, 0, 0, 0), -EPERM);
	for (uint64_t fd = 3; fd < 64; fd++)
		assert_int_equal(h_call(h, DSV_HC_FCHMOD, fd, 0777, 0, 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_FCHMOD, ~0ull, 0777, 0, 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_FCHMODAT, CWD, H_MEM - 2, 8, 0777, 0, 0), -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_FCHMODAT, CWD, pth(h, "f"), 1ull << 40, 0777, 0, 0),
			 -ENAMETOOLONG);
	assert_int_equal(h_call(h, DSV_HC_FCHMODAT, 40, pth(h, "f"), 1, 0777, 0, 0), -EBADF);
}

static int same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void test_utimens(void **state)
{
	struct h *h = *state;
	char p[PATH_MAX];
	const struct timespec set[2] = { { 1000000000, 123456789 }, { 1200000000, 987654321 } };
	h_write_file(h->share, "f", "x");
	h_write_file(h->native, "f", "x");
	host_path(p, h->native, "f");
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "f", set, 0),
			 nat(utimensat(AT_FDCWD, p, set, 0)));
	struct stat g = host_stat(h->share, "f", 0), n = host_stat(h->native, "f", 0);
	assert_true(same_time(g.st_atim, set[0]) && same_time(g.st_mtim, set[1]));
	assert_true(same_time(g.st_atim, n.st_atim) && same_time(g.st_mtim, n.st_mtim));
	/* UTIME_OMIT keeps one, UTIME_NOW sets it to now */
	const struct timespec omit_now[2] = { { 5, UTIME_OMIT }, { 0, UTIME_NOW } };
	struct timespec before;
	clock_gettime(CLOCK_REALTIME, &before);
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "f", omit_now, 0), 0);
	g = host_stat(h->share, "f", 0);
	assert_true(same_time(g.st_atim, set[0]));
	assert_true(g.st_mtim.tv_sec >= before.tv_sec - 1);
	/* NULL: both now */
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "f", set, 0), 0);
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "f", NULL, 0), 0);
	g = host_stat(h->share, "f", 0);
	assert_true(g.st_atim.tv_sec >= before.tv_sec - 1 && g.st_mtim.tv_sec >= before.tv_sec - 1);
	/* both UTIME_OMIT: nothing, not even the path is looked at */
	const struct timespec omit[2] = { { 0, UTIME_OMIT }, { 0, UTIME_OMIT } };
	uint64_t tg = h_put(h, omit, sizeof(omit));
	assert_int_equal(h_call(h, DSV_HC_UTIMENSAT, CWD, H_MEM + 100, 8, tg, 0, 0), 0);
	/* bad nanoseconds: EINVAL, but only once the file was found */
	const struct timespec bad[2] = { { 0, -1 }, { 0, 0 } };
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "f", bad, 0),
			 nat(utimensat(AT_FDCWD, p, bad, 0)));
	host_path(p, h->native, "missing");
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "missing", bad, 0),
			 nat(utimensat(AT_FDCWD, p, bad, 0)));
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "f", set, 0x4), -EINVAL);
	/* AT_SYMLINK_NOFOLLOW: the link's own times, the target's stay */
	assert_int_equal(symlink("f", (host_path(p, h->share, "lf"), p)), 0);
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "f", set, 0), 0);
	const struct timespec other[2] = { { 1300000000, 0 }, { 1400000000, 0 } };
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "lf", other, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(same_time(host_stat(h->share, "lf", 1).st_mtim, other[1]));
	assert_true(same_time(host_stat(h->share, "f", 0).st_mtim, set[1]));
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "lf", other, 0), 0);
	assert_true(same_time(host_stat(h->share, "f", 0).st_mtim, other[1]));
	/* futimens, and AT_EMPTY_PATH on a descriptor */
	int64_t fd = g_open(h, DSV_AT_FDCWD, "f", O_RDONLY, 0);
	assert_int_equal(g_futimens(h, (int)fd, set), 0);
	assert_true(same_time(host_stat(h->share, "f", 0).st_mtim, set[1]));
	assert_int_equal(g_utimens(h, (int)fd, "", other, AT_EMPTY_PATH), 0);
	assert_true(same_time(host_stat(h->share, "f", 0).st_mtim, other[1]));
	assert_int_equal(g_utimens(h, (int)fd, "", other, 0), -ENOENT);
	g_close(h, (int)fd);
	/* futimens on O_PATH: EBADF, as natively */
	fd = g_open(h, DSV_AT_FDCWD, "f", O_PATH, 0);
	host_path(p, h->native, "f");
	int nfd = open(p, O_PATH | O_CLOEXEC);
	assert_int_equal(g_futimens(h, (int)fd, set), nat(futimens(nfd, set)));
	g_close(h, (int)fd);
	close(nfd);
}

static void test_utimens_hostile(void **state)
{
	struct h *h = *state;
	char out[PATH_MAX], link[PATH_MAX];
	const struct timespec set[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	host_path(out, h->outside, "secret");
	struct stat before = host_stat(h->outside, "secret", 0);
	host_path(link, h->share, "link_abs");
	assert_int_equal(symlink(out, link), 0);
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "../outside/secret", set, 0), -EACCES);
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, out, NULL, 0), -EACCES);
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "link_abs", set, 0), -EACCES);
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "..", set, 0), -EACCES);
	struct stat after = host_stat(h->outside, "secret", 0);
	assert_true(same_time(before.st_mtim, after.st_mtim));
	/* the link itself is in the share: its own times may change */
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "link_abs", set, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(same_time(host_stat(h->outside, "secret", 0).st_mtim, before.st_mtim));
	uint64_t p = pth(h, "link_abs");
	assert_int_equal(h_call(h, DSV_HC_UTIMENSAT, CWD, p, 8, H_MEM - 16, 0, 0), -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_UTIMENSAT, CWD, p, 8, ~0ull - 4, 0, 0), -EFAULT);
	assert_int_equal(h_call(h, DSV_HC_FUTIMENS, 1, H_MEM, 0, 0, 0, 0), -EFAULT);
	assert_int_equal(g_futimens(h, 1, NULL), -EPERM); /* hvmm's stdout */
	assert_int_equal(g_futimens(h, 2, set), -EPERM);
	for (int fd = 3; fd < 64; fd++)
		assert_int_equal(g_futimens(h, fd, set), -EBADF);
}

static int setup_view(void **state)
{
	struct h *h = h_new(1);
	struct fileio_view_spec s = { .nvcpus = 2, .mem_bytes = 64ull << 20, .name = "t" };
	char err[256] = "";
	setenv("TMPDIR", h->outside, 1);
	if (fileio_make_view(h->fio, &s, err, sizeof(err))) {
		fprintf(stderr, "fileio_make_view: %s\n", err);
		abort();
	}
	*state = h;
	return 0;
}

static void test_view(void **state)
{
	struct h *h = *state;
	struct statfs g;
	assert_int_equal(g_statfs(h, "/proc/cpuinfo", &g), 0);
	assert_int_equal(g.f_type, PROC_SUPER_MAGIC);
	assert_int_equal(g.f_bsize, 4096);
	assert_int_equal(g_statfs(h, "/proc/self/status", &g), 0);
	assert_int_equal(g.f_type, PROC_SUPER_MAGIC);
	assert_int_equal(g_statfs(h, "/sys/devices/system/cpu", &g), 0);
	assert_int_equal(g.f_type, SYSFS_MAGIC);
	assert_int_equal(g_statfs(h, "/sys/devices/system/cpu/cpu0/node0", &g), 0);
	assert_int_equal(g.f_type, SYSFS_MAGIC);
	assert_int_equal(g_statfs(h, "/sys/../proc/meminfo", &g), 0);
	assert_int_equal(g.f_type, PROC_SUPER_MAGIC);
	assert_int_equal(g_statfs(h, "/proc/no-such-file", &g), -ENOENT);
	assert_int_equal(g_statfs(h, "/proc/..", &g), -EACCES);
	assert_int_equal(g_statfs(h, "/proc/../..", &g), -ENOENT);
	int64_t fd = g_open(h, DSV_AT_FDCWD, "/proc/cpuinfo", O_RDONLY, 0);
	assert_true(fd >= 0);
	assert_int_equal(g_fstatfs(h, (int)fd, &g), 0);
	assert_int_equal(g.f_type, PROC_SUPER_MAGIC);
	/* read-only: changes refused as on root's files, nothing changes */
	assert_int_equal(h_call(h, DSV_HC_FCHMOD, (uint64_t)fd, 0777, 0, 0, 0, 0), -EPERM);
	assert_int_equal(g_futimens(h, (int)fd, NULL), -EACCES);
	g_close(h, (int)fd);
	fd = g_open(h, DSV_AT_FDCWD, "/sys/devices/system/cpu/online", O_RDONLY, 0);
	assert_int_equal(g_fstatfs(h, (int)fd, &g), 0);
	assert_int_equal(g.f_type, SYSFS_MAGIC);
	g_close(h, (int)fd);
	const struct timespec set[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "/proc/cpuinfo", 0777, 0), -EPERM);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "/sys/devices/system/cpu/online", 0777, 0),
			 -EPERM);
	assert_int_equal(g_chmod(h, DSV_AT_FDCWD, "/proc/nothing", 0777, 0), -ENOENT);
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "/proc/cpuinfo", NULL, 0), -EACCES);
	assert_int_equal(g_utimens(h, DSV_AT_FDCWD, "/proc/cpuinfo", set, 0), -EPERM);
	struct stat st;
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "/proc/cpuinfo", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 0444);
	assert_true(st.st_mtim.tv_sec != set[1].tv_sec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_statfs, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_statfs_hostile, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_chmod, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_chmod_hostile, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_utimens, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_utimens_hostile, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_view, setup_view, h_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
