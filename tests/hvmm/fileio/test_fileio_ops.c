/*
 * hvmm/fileio: each call made by a guest in the share gives what the same call gives
 * natively in a twin directory (h->native).
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
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"

static int64_t nat(long r)
{
	return r < 0 ? -errno : r;
}

static int ndir(struct h *h)
{
	int fd = open(h->native, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

static int64_t g_pio(struct h *h, uint32_t nr, int fd, const void *buf, uint64_t len, int64_t off)
{
	uint64_t gpa = h_put(h, buf, len);
	int64_t r = h_call(h, nr, (uint64_t)fd, gpa, len, (uint64_t)off, 0, 0);
	if (nr == DSV_HC_PREAD)
		memcpy((void *)buf, h_host(h, gpa), len);
	return r;
}

static void test_file_io(void **state)
{
	struct h *h = *state;
	int nd = ndir(h);
	char gb[64] = "", nb[64] = "";
	int g = (int)g_open(h, DSV_AT_FDCWD, "a.txt", O_CREAT | O_RDWR | O_TRUNC, 0640);
	int n = openat(nd, "a.txt", O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0640);
	assert_int_equal(g, 3); /* lowest free after stdio */
	assert_true(n >= 0);
	assert_int_equal(g_write(h, g, "hello world\n", 12), nat(write(n, "hello world\n", 12)));
	assert_int_equal(h_call(h, DSV_HC_LSEEK, g, 0, SEEK_SET, 0, 0, 0), lseek(n, 0, SEEK_SET));
	assert_int_equal(h_call(h, DSV_HC_LSEEK, g, (uint64_t)-1, SEEK_SET, 0, 0, 0),
			 nat(lseek(n, -1, SEEK_SET)));
	assert_int_equal(h_call(h, DSV_HC_LSEEK, g, 0, SEEK_END, 0, 0, 0), lseek(n, 0, SEEK_END));
	assert_int_equal(h_call(h, DSV_HC_LSEEK, g, 0, 7, 0, 0, 0), nat(lseek(n, 0, 7)));
	assert_int_equal(g_pio(h, DSV_HC_PREAD, g, gb, 5, 6), nat(pread(n, nb, 5, 6)));
	assert_memory_equal(gb, nb, 5);
	assert_int_equal(g_pio(h, DSV_HC_PWRITE, g, "HELLO", 5, 0), nat(pwrite(n, "HELLO", 5, 0)));
	assert_int_equal(g_pio(h, DSV_HC_PREAD, g, gb, 5, -1), nat(pread(n, nb, 5, -1)));
	assert_int_equal(g_read(h, g, gb, 10), nat(read(n, nb, 10))); /* at EOF */
	assert_int_equal(h_call(h, DSV_HC_LSEEK, g, 0, SEEK_SET, 0, 0, 0), lseek(n, 0, SEEK_SET));
	memset(gb, 0, sizeof(gb));
	memset(nb, 0, sizeof(nb));
	assert_int_equal(g_read(h, g, gb, 64), nat(read(n, nb, 64)));
	assert_string_equal(gb, "HELLO world\n");
	assert_string_equal(gb, nb);
	assert_int_equal(h_call(h, DSV_HC_FTRUNCATE, g, 5, 0, 0, 0, 0), nat(ftruncate(n, 5)));
	assert_int_equal(h_call(h, DSV_HC_FTRUNCATE, g, (uint64_t)-5, 0, 0, 0, 0),
			 nat(ftruncate(n, -5)));
	assert_int_equal(h_call(h, DSV_HC_FSYNC, g, 0, 0, 0, 0, 0), nat(fsync(n)));
	struct stat gs, ns;
	uint64_t sgpa = h_buf(h, sizeof(gs));
	assert_int_equal(h_call(h, DSV_HC_FSTAT, g, sgpa, 0, 0, 0, 0), 0);
	memcpy(&gs, h_host(h, sgpa), sizeof(gs));
	assert_int_equal(fstat(n, &ns), 0);
	assert_int_equal(gs.st_size, 5);
	assert_int_equal(gs.st_mode, ns.st_mode);
	assert_int_equal(gs.st_nlink, ns.st_nlink);
	assert_int_equal(gs.st_uid, ns.st_uid);
	uint64_t wgpa = h_buf(h, 8);
	assert_int_equal(h_call(h, DSV_HC_WINSIZE, g, wgpa, 0, 0, 0, 0), -ENOTTY);
	assert_int_equal(g_close(h, g), 0);
	assert_int_equal(close(n), 0);
	assert_int_equal(g_close(h, g), nat(close(n))); /* EBADF */

	/* Access modes and open errors. */
	g = (int)g_open(h, DSV_AT_FDCWD, "a.txt", O_WRONLY, 0);
	n = openat(nd, "a.txt", O_WRONLY | O_CLOEXEC);
	assert_int_equal(g_read(h, g, gb, 4), nat(read(n, nb, 4)));
	g_close(h, g);
	close(n);
	g = (int)g_open(h, DSV_AT_FDCWD, "a.txt", O_RDONLY, 0);
	n = openat(nd, "a.txt", O_RDONLY | O_CLOEXEC);
	assert_int_equal(g_write(h, g, "x", 1), nat(write(n, "x", 1)));
	g_close(h, g);
	close(n);
	static const struct {
		const char *p;
		int flags;
	} errs[] = {
		{ "a.txt", O_CREAT | O_EXCL | O_WRONLY }, { "missing", O_RDONLY },
		{ "missing/x", O_CREAT | O_WRONLY },	  { ".", O_WRONLY },
		{ "a.txt", O_RDONLY | O_DIRECTORY },	  { "a.txt/", O_RDONLY },
		{ "new/", O_CREAT | O_WRONLY },
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		int64_t gr = g_open(h, DSV_AT_FDCWD, errs[i].p, errs[i].flags, 0644);
		int64_t nr = nat(openat(nd, errs[i].p, errs[i].flags | O_CLOEXEC, 0644));
		if (gr != nr)
			fail_msg("open %s %#x: %lld, natively %lld", errs[i].p, errs[i].flags,
				 (long long)gr, (long long)nr);
	}
	close(nd);
}

static void names(char *buf, long n, char *out, size_t outlen)
{
	/* Sorted-insensitive check: concatenate names, compare as sets via counts below. */
	out[0] = '\0';
	for (long off = 0; off < n;) {
		struct {
			uint64_t ino;
			int64_t off;
			uint16_t reclen;
			uint8_t type;
			char name[];
		} *d = (void *)(buf + off);
		strncat(out, d->name, outlen - strlen(out) - 2);
		strcat(out, "|");
		off += d->reclen;
	}
}

static void test_dirs(void **state)
{
	struct h *h = *state;
	int nd = ndir(h);
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "d", 0750), nat(mkdirat(nd, "d", 0750)));
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "d", 0750), nat(mkdirat(nd, "d", 0750)));
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "d/e/", 0755), nat(mkdirat(nd, "d/e/", 0755)));
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "no/x", 0755), nat(mkdirat(nd, "no/x", 0755)));
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "d/.", 0755), nat(mkdirat(nd, "d/.", 0755)));
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "d/..", 0755), nat(mkdirat(nd, "d/..", 0755)));
	struct stat gs, ns;
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "d", &gs, 0), 0);
	assert_int_equal(fstatat(nd, "d", &ns, 0), 0);
	assert_int_equal(gs.st_mode, ns.st_mode);
	for (int i = 0; i < 20; i++) {
		char nm[32];
		snprintf(nm, sizeof(nm), "d/file%02d", i);
		int g = (int)g_open(h, DSV_AT_FDCWD, nm, O_CREAT | O_WRONLY, 0644);
		assert_true(g >= 0);
		g_close(h, g);
		close(openat(nd, nm, O_CREAT | O_WRONLY | O_CLOEXEC, 0644));
	}
	/* getdents64 of the share's d against a native getdents64 of the same directory. */
	int g = (int)g_open(h, DSV_AT_FDCWD, "d", O_RDONLY | O_DIRECTORY, 0);
	char sd[PATH_MAX * 2];
	snprintf(sd, sizeof(sd), "%s/d", h->share);
	int n = open(sd, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	uint64_t gpa = h_buf(h, 8192);
	static char nbuf[8192], gn[4096], nn[4096];
	int64_t gr = h_call(h, DSV_HC_GETDENTS64, g, gpa, 8192, 0, 0, 0);
	long nr = syscall(SYS_getdents64, n, nbuf, 8192);
	assert_true(gr > 0);
	assert_int_equal(gr, nr);
	assert_memory_equal(h_host(h, gpa), nbuf, (size_t)nr);
	names(h_host(h, gpa), gr, gn, sizeof(gn));
	names(nbuf, nr, nn, sizeof(nn));
	assert_string_equal(gn, nn);
	assert_non_null(strstr(gn, "file07|"));
	assert_int_equal(h_call(h, DSV_HC_GETDENTS64, g, gpa, 8192, 0, 0, 0),
			 syscall(SYS_getdents64, n, nbuf, 8192)); /* 0: end */
	assert_int_equal(h_call(h, DSV_HC_GETDENTS64, g, gpa, 4, 0, 0, 0),
			 nat(syscall(SYS_getdents64, n, nbuf, 4)));
	g_close(h, g);
	close(n);
	g = (int)g_open(h, DSV_AT_FDCWD, "d/file00", O_RDONLY, 0);
	assert_int_equal(h_call(h, DSV_HC_GETDENTS64, g, gpa, 8192, 0, 0, 0), -ENOTDIR);
	g_close(h, g);

	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "d", 0), nat(unlinkat(nd, "d", 0)));
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "d", AT_REMOVEDIR),
			 nat(unlinkat(nd, "d", AT_REMOVEDIR)));
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "d/.", AT_REMOVEDIR),
			 nat(unlinkat(nd, "d/.", AT_REMOVEDIR)));
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "d/..", AT_REMOVEDIR),
			 nat(unlinkat(nd, "d/..", AT_REMOVEDIR)));
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "d/file00/", 0),
			 nat(unlinkat(nd, "d/file00/", 0)));
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "d/file00", DSV_AT_FDCWD, "d/e/moved"),
			 nat(renameat(nd, "d/file00", nd, "d/e/moved")));
	assert_true(h_exists(h->share, "d/e/moved"));
	assert_false(h_exists(h->share, "d/file00"));
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "d/none", DSV_AT_FDCWD, "d/x"),
			 nat(renameat(nd, "d/none", nd, "d/x")));
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "d/e", DSV_AT_FDCWD, "d/file01"),
			 nat(renameat(nd, "d/e", nd, "d/file01")));
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "d/e", DSV_AT_FDCWD, "d/e/sub"),
			 nat(renameat(nd, "d/e", nd, "d/e/sub")));
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "d/.", DSV_AT_FDCWD, "d/z"),
			 nat(renameat(nd, "d/.", nd, "d/z")));
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "d/e", AT_REMOVEDIR),
			 nat(unlinkat(nd, "d/e", AT_REMOVEDIR)));
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "d/e/moved", 0),
			 nat(unlinkat(nd, "d/e/moved", 0)));
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "d/e/", AT_REMOVEDIR),
			 nat(unlinkat(nd, "d/e/", AT_REMOVEDIR)));
	assert_false(h_exists(h->share, "d/e"));
	/* Relative to a directory fd, absolute inside the share. */
	g = (int)g_open(h, DSV_AT_FDCWD, "d", O_RDONLY | O_DIRECTORY, 0);
	assert_int_equal(g_mkdir(h, g, "viafd", 0755), 0);
	assert_true(h_exists(h->share, "d/viafd"));
	char abs[PATH_MAX * 2];
	snprintf(abs, sizeof(abs), "%s/d/viafd", h->share);
	assert_int_equal(g_unlink(h, 999, abs, AT_REMOVEDIR), 0); /* dirfd ignored */
	assert_false(h_exists(h->share, "d/viafd"));
	assert_int_equal(g_mkdir(h, 999, "x", 0755), -EBADF);
	assert_int_equal(g_mkdir(h, 1, "x", 0755), -ENOTDIR); /* stdio is no directory */
	g_close(h, g);
	close(nd);
}

static void test_stat_family(void **state)
{
	struct h *h = *state;
	int nd = ndir(h);
	h_write_file(h->share, "f", "12345");
	h_write_file(h->native, "f", "12345");
	char sl[PATH_MAX * 2];
	snprintf(sl, sizeof(sl), "%s/ln", h->share);
	assert_int_equal(symlink("f", sl), 0);
	snprintf(sl, sizeof(sl), "%s/ln", h->native);
	assert_int_equal(symlink("f", sl), 0);
	struct stat gs, ns;
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "ln", &gs, 0), 0);
	assert_int_equal(fstatat(nd, "ln", &ns, 0), 0);
	assert_true(S_ISREG(gs.st_mode));
	assert_int_equal(gs.st_size, ns.st_size);
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "ln", &gs, AT_SYMLINK_NOFOLLOW), 0);
	assert_int_equal(fstatat(nd, "ln", &ns, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(gs.st_mode));
	assert_int_equal(gs.st_size, ns.st_size);
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "nope", &gs, 0),
			 nat(fstatat(nd, "nope", &ns, 0)));
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "", &gs, 0), nat(fstatat(nd, "", &ns, 0)));
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "f", &gs, 0x10000),
			 nat(fstatat(nd, "f", &ns, 0x10000)));
	/* AT_EMPTY_PATH on an fd, the way libcs implement fstat. */
	int g = (int)g_open(h, DSV_AT_FDCWD, "f", O_RDONLY, 0);
	assert_int_equal(g_fstatat(h, g, "", &gs, AT_EMPTY_PATH), 0);
	assert_int_equal(gs.st_size, 5);
	/* Same inode seen by the guest and natively. */
	char sf[PATH_MAX * 2];
	snprintf(sf, sizeof(sf), "%s/f", h->share);
	struct statx nx;
	assert_int_equal(statx(AT_FDCWD, sf, 0, STATX_BASIC_STATS | STATX_BTIME, &nx), 0);
	uint64_t xg = h_buf(h, sizeof(struct statx));
	uint64_t pg = h_put(h, "f", 1);
	assert_int_equal(h_call(h, DSV_HC_STATX, (uint64_t)(int64_t)DSV_AT_FDCWD, pg, 1, 0,
				STATX_BASIC_STATS | STATX_BTIME, xg),
			 0);
	struct statx *gx = h_host(h, xg);
	assert_int_equal(gx->stx_ino, nx.stx_ino);
	assert_int_equal(gx->stx_size, nx.stx_size);
	assert_int_equal(gx->stx_mode, nx.stx_mode);
	assert_int_equal(gx->stx_mask, nx.stx_mask);
	assert_int_equal(h_call(h, DSV_HC_STATX, g, 0, 0, AT_EMPTY_PATH, STATX_BASIC_STATS, xg), 0);
	assert_int_equal(gx->stx_ino, nx.stx_ino);
	assert_int_equal(
		h_call(h, DSV_HC_STATX, (uint64_t)(int64_t)DSV_AT_FDCWD, pg, 1, 0, 0x80000000u, xg),
		-EINVAL);
	assert_int_equal(h_call(h, DSV_HC_STATX, (uint64_t)(int64_t)DSV_AT_FDCWD, pg, 1,
				AT_STATX_SYNC_TYPE, 0, xg),
			 -EINVAL);
	g_close(h, g);
	/* faccessat */
	static const int modes[] = { F_OK, R_OK, W_OK, X_OK, R_OK | W_OK };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		uint64_t p = h_put(h, "f", 1);
		assert_int_equal(h_call(h, DSV_HC_FACCESSAT, (uint64_t)(int64_t)DSV_AT_FDCWD, p, 1,
					modes[i], 0, 0),
				 nat(faccessat(nd, "f", modes[i], 0)));
		p = h_put(h, "missing", 7);
		assert_int_equal(h_call(h, DSV_HC_FACCESSAT, (uint64_t)(int64_t)DSV_AT_FDCWD, p, 7,
					modes[i], 0, 0),
				 nat(faccessat(nd, "missing", modes[i], 0)));
	}
	assert_int_equal(
		h_call(h, DSV_HC_FACCESSAT, (uint64_t)(int64_t)DSV_AT_FDCWD, pg, 1, 8, 0, 0),
		-EINVAL);
	/* readlinkat */
	char gl[64] = "", nl[64] = "";
	assert_int_equal(g_readlink(h, DSV_AT_FDCWD, "ln", gl, sizeof(gl)),
			 nat(readlinkat(nd, "ln", nl, sizeof(nl))));
	assert_string_equal(gl, "f");
	assert_int_equal(g_readlink(h, DSV_AT_FDCWD, "f", gl, sizeof(gl)),
			 nat(readlinkat(nd, "f", nl, sizeof(nl))));
	assert_int_equal(g_readlink(h, DSV_AT_FDCWD, "nope", gl, sizeof(gl)),
			 nat(readlinkat(nd, "nope", nl, sizeof(nl))));
	memset(gl, 0, sizeof(gl));
	assert_int_equal(g_readlink(h, DSV_AT_FDCWD, "ln", gl, 0), -EINVAL);
	close(nd);
}

static void test_cwd(void **state)
{
	struct h *h = *state;
	char buf[PATH_MAX * 2];
	assert_int_equal(g_getcwd(h, buf, sizeof(buf)), (int64_t)strlen(h->share) + 1);
	assert_string_equal(buf, h->share);
	assert_int_equal(g_getcwd(h, buf, strlen(h->share)), -ERANGE);
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "sub", 0755), 0);
	h_write_file(h->share, "top", "top");
	h_write_file(h->share, "sub/inner", "inner");
	assert_int_equal(g_chdir(h, "sub"), 0);
	char want[PATH_MAX * 2];
	snprintf(want, sizeof(want), "%s/sub", h->share);
	assert_true(g_getcwd(h, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, want);
	int g = (int)g_open(h, DSV_AT_FDCWD, "inner", O_RDONLY, 0);
	assert_true(g >= 0);
	g_close(h, g);
	/* '..' out of the cwd but not out of the share is fine. */
	g = (int)g_open(h, DSV_AT_FDCWD, "../top", O_RDONLY, 0);
	assert_true(g >= 0);
	char rd[8] = "";
	assert_int_equal(g_read(h, g, rd, 3), 3);
	assert_memory_equal(rd, "top", 3);
	g_close(h, g);
	assert_int_equal(g_chdir(h, "inner"), -ENOTDIR);
	assert_int_equal(g_chdir(h, "nope"), -ENOENT);
	assert_int_equal(g_chdir(h, ""), -ENOENT);
	assert_int_equal(g_chdir(h, ".."), 0);
	assert_true(g_getcwd(h, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, h->share);
	assert_int_equal(g_chdir(h, ".."), -EACCES);
	assert_int_equal(g_chdir(h, want), 0); /* absolute, inside */
	assert_int_equal(g_chdir(h, h->share), 0);
	/* A cwd that is removed reports ENOENT, as on Linux. */
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "gone", 0755), 0);
	assert_int_equal(g_chdir(h, "gone"), 0);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "../gone", AT_REMOVEDIR), 0);
	assert_int_equal(g_getcwd(h, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(g_chdir(h, h->share), 0);
	/* dirfd + '..' and a relative symlink that climbs within the share. */
	int d = (int)g_open(h, DSV_AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY, 0);
	g = (int)g_open(h, d, "../top", O_RDONLY, 0);
	assert_true(g >= 0);
	g_close(h, g);
	snprintf(buf, sizeof(buf), "%s/sub/up", h->share);
	assert_int_equal(symlink("../top", buf), 0);
	g = (int)g_open(h, d, "up", O_RDONLY, 0);
	assert_true(g >= 0);
	g_close(h, g);
	g_close(h, d);
}

static void test_dup_fcntl(void **state)
{
	struct h *h = *state;
	int g = (int)g_open(h, DSV_AT_FDCWD, "x", O_CREAT | O_RDWR, 0644);
	assert_int_equal(g, 3);
	assert_int_equal(h_call(h, DSV_HC_DUP3, g, 10, O_CLOEXEC, 0, 0, 0), 10);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 10, F_GETFD, 0, 0, 0, 0), FD_CLOEXEC);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, g, F_GETFD, 0, 0, 0, 0), 0);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, g, F_SETFD, FD_CLOEXEC, 0, 0, 0), 0);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, g, F_GETFD, 0, 0, 0, 0), FD_CLOEXEC);
	assert_int_equal(g_write(h, 10, "abc", 3), 3);
	assert_int_equal(h_call(h, DSV_HC_LSEEK, g, 0, SEEK_CUR, 0, 0, 0), 3); /* shared offset */
	assert_int_equal(h_call(h, DSV_HC_FCNTL, g, F_DUPFD, 5, 0, 0, 0), 5);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, g, F_DUPFD, 5, 0, 0, 0), 6);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, g, F_DUPFD_CLOEXEC, 0, 0, 0, 0), 4);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, g, F_DUPFD, DSV_MAX_FILES, 0, 0, 0), -EINVAL);
	assert_int_equal(g_close(h, g), 0);
	assert_int_equal(h_call(h, DSV_HC_PWRITE, 10, h_put(h, "Z", 1), 1, 0, 0, 0), 1);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "x", O_RDONLY, 0), 3); /* lowest free */
	assert_int_equal(h_call(h, DSV_HC_DUP3, 3, 3, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_DUP3, 3, 7, 1, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_DUP3, 99, 7, 0, 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_DUP3, 3, DSV_MAX_FILES, 0, 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_DUP3, 3, 10, 0, 0, 0, 0), 10); /* replaces 10 */
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 10, F_GETFL, 0, 0, 0, 0) & O_ACCMODE, O_RDONLY);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 5, F_GETFL, 0, 0, 0, 0) & O_APPEND, 0);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 5, F_SETFL, O_APPEND | O_ASYNC, 0, 0, 0), 0);
	int64_t fl = h_call(h, DSV_HC_FCNTL, 5, F_GETFL, 0, 0, 0, 0);
	assert_true(fl & O_APPEND);
	assert_false(fl & O_ASYNC);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 5, 1234, 0, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 500, F_GETFL, 0, 0, 0, 0), -EBADF);
	char rd[4] = "";
	assert_int_equal(g_read(h, 3, rd, 3), 3);
	assert_memory_equal(rd, "Zbc", 3);
	/* The guest's stdio are copies: closing them leaves hvmm's own open. */
	assert_int_equal(g_close(h, 2), 0);
	assert_true(fcntl(2, F_GETFD) >= 0);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "x", O_RDONLY, 0), 2);
}

/* The native getcwd system call with the cwd at path (in a child: the cwd is per process). */
static int64_t native_getcwd_at(const char *path)
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		static char buf[PATH_MAX * 2];
		if (chdir(path))
			_exit(200);
		long r = syscall(SYS_getcwd, buf, sizeof(buf));
		_exit(r >= 0 ? 0 : errno == ENAMETOOLONG ? 1 : 201);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_true(WEXITSTATUS(st) <= 1);
	return WEXITSTATUS(st) ? -ENAMETOOLONG : 0;
}

/* A cwd deeper than PATH_MAX: getcwd says ENAMETOOLONG, as Linux does, and the guest can
 * still create files there. */
static void test_getcwd_too_deep(void **state)
{
	struct h *h = *state;
	char comp[201], buf[PATH_MAX * 2];
	memset(comp, 'd', 200);
	comp[200] = '\0';
	int depth = 0, nd = ndir(h);
	/* Both trees by relative steps: each path stays short, the whole one does not. */
	int ncur = dup(nd);
	while (strlen(h->share) + (size_t)depth * 201 <= PATH_MAX + 300) {
		assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, comp, 0755), 0);
		assert_int_equal(g_chdir(h, comp), 0);
		assert_int_equal(mkdirat(ncur, comp, 0755), 0);
		int next = openat(ncur, comp, O_PATH | O_DIRECTORY | O_CLOEXEC);
		assert_true(next >= 0);
		close(ncur);
		ncur = next;
		depth++;
	}
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", ncur);
	assert_int_equal(native_getcwd_at(proc), -ENAMETOOLONG);
	assert_int_equal(g_getcwd(h, buf, sizeof(buf)), -ENAMETOOLONG);
	int g = (int)g_open(h, DSV_AT_FDCWD, "here", O_CREAT | O_WRONLY, 0644);
	assert_true(g >= 0);
	g_close(h, g);
	/* '..' from here needs the cwd's path to stay confined, which the kernel cannot name
	 * (Linux would climb); the share's absolute path gets the guest out. */
	assert_int_equal(g_chdir(h, ".."), -ENAMETOOLONG);
	assert_int_equal(g_chdir(h, h->share), 0);
	assert_true(g_getcwd(h, buf, sizeof(buf)) > 0);
	assert_string_equal(buf, h->share);
	close(ncur);
	close(nd);
}

/*
 * Modes from the guest never carry setuid, setgid or sticky: created with 04755, 02755,
 * 06777, 01777, a file or a directory gets only the permission bits. The native twin is
 * made by this process (root when the suite runs as root, which keeps every bit: the hole
 * the offload closes); fileio_user compares with an unprivileged user.
 */
static void test_no_setid_modes(void **state)
{
	struct h *h = *state;
	static const unsigned modes[] = { 04755, 02755, 06777, 01777, 07700, 0640 };
	mode_t old = umask(0);
	int nd = ndir(h);
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char name[32];
		struct stat gs, ns;
		snprintf(name, sizeof(name), "f%o", modes[i]);
		int g = (int)g_open(h, DSV_AT_FDCWD, name, O_CREAT | O_WRONLY | O_EXCL,
				    (int)modes[i]);
		assert_true(g >= 0);
		g_close(h, g);
		int n = openat(nd, name, O_CREAT | O_WRONLY | O_EXCL | O_CLOEXEC, modes[i]);
		assert_true(n >= 0);
		close(n);
		assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, name, &gs, 0), 0);
		assert_int_equal(fstatat(nd, name, &ns, 0), 0);
		assert_int_equal(gs.st_mode & 07777, modes[i] & 0777);
		assert_int_equal(gs.st_mode & 0777, ns.st_mode & 0777);
		snprintf(name, sizeof(name), "d%o", modes[i]);
		assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, name, (int)modes[i]), 0);
		assert_int_equal(mkdirat(nd, name, modes[i]), 0);
		assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, name, &gs, 0), 0);
		assert_int_equal(fstatat(nd, name, &ns, 0), 0);
		assert_int_equal(gs.st_mode & 07777, modes[i] & 0777);
		assert_int_equal(gs.st_mode & 0777, ns.st_mode & 0777);
	}
	close(nd);
	umask(old);
}

/* --share / would hand the guest the host's whole tree: refused however it is spelled. */
static void test_share_is_root(void **state)
{
	(void)state;
	char link[] = "/tmp/fioroot.XXXXXX";
	assert_non_null(mkdtemp(link));
	assert_int_equal(rmdir(link), 0);
	assert_int_equal(symlink("/", link), 0);
	const char *spellings[] = { "/", "//", "/tmp/..", "/./", link };
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		struct fileio *fio = (struct fileio *)1;
		char err[256] = "";
		assert_int_equal(fileio_create(&fio, spellings[i], err, sizeof(err)), -EPERM);
		assert_null(fio);
		if (!strstr(err, "cannot be /"))
			fail_msg("--share %s: '%s'", spellings[i], err);
	}
	unlink(link);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_file_io, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_dirs, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_stat_family, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_cwd, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_dup_fcntl, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_no_setid_modes, h_setup_share, h_teardown),
		cmocka_unit_test_setup_teardown(test_getcwd_too_deep, h_setup_share, h_teardown),
		cmocka_unit_test(test_share_is_root),
	};
	return cmocka_run_group_tests_name("fileio_ops", tests, NULL, NULL);
}
