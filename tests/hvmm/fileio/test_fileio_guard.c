/*
 * hvmm/fileio against hostile arguments: GPAs outside RAM or wrapping, oversized lengths,
 * bad descriptors and flags, descriptor exhaustion, no --share, host fd leaks, and calls
 * racing on one table from several threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

#define CWD ((uint64_t)(int64_t)DSV_AT_FDCWD)

static int setup(void **state)
{
	struct h *h = h_new(1);
	h_write_file(h->share, "a", "0123456789");
	*state = h;
	return 0;
}

static void test_bad_gpa(void **state)
{
	struct h *h = *state;
	uint64_t p = h_put(h, "a", 1);
	static const struct {
		uint64_t gpa, len;
	} bad[] = {
		{ H_MEM, 1 },	    { H_MEM - 1, 2 },	 { UINT64_MAX, 1 }, { UINT64_MAX - 3, 8 },
		{ 1ull << 63, 16 }, { GM_HIGH_BASE, 1 }, { GM_LOW_END, 4 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t g = bad[i].gpa, l = bad[i].len;
		assert_int_equal(h_call(h, DSV_HC_OPENAT, CWD, g, l, O_RDONLY, 0, 0), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_MKDIRAT, CWD, g, l, 0755, 0, 0), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_RENAMEAT, CWD, g, l, CWD, p, 1), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_RENAMEAT, CWD, p, 1, CWD, g, l), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_CHDIR, g, l, 0, 0, 0, 0), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_READ, 0 + 3, g, l, 0, 0, 0), -EBADF);
		int fd = (int)g_open(h, DSV_AT_FDCWD, "a", O_RDWR, 0);
		assert_int_equal(fd, 3);
		assert_int_equal(h_call(h, DSV_HC_READ, 3, g, l, 0, 0, 0), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_WRITE, 3, g, l, 0, 0, 0), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_PREAD, 3, g, l, 0, 0, 0), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_PWRITE, 3, g, l, 0, 0, 0), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_FSTAT, 3, g, 0, 0, 0, 0), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_FSTATAT, CWD, p, 1, g, 0, 0), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_STATX, CWD, p, 1, 0, 0x7ff, g), -EFAULT);
		assert_int_equal(h_call(h, DSV_HC_GETCWD, g, l + 4096, 0, 0, 0, 0), -EFAULT);
		g_close(h, 3);
		fd = (int)g_open(h, DSV_AT_FDCWD, ".", O_RDONLY | O_DIRECTORY, 0);
		assert_int_equal(h_call(h, DSV_HC_GETDENTS64, fd, g, 4096, 0, 0, 0), -EFAULT);
		g_close(h, fd);
	}
	/* Zero-length transfers touch nothing, wherever they point. */
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "a", O_RDWR, 0), 3);
	assert_int_equal(h_call(h, DSV_HC_READ, 3, UINT64_MAX, 0, 0, 0, 0), 0);
	assert_int_equal(h_call(h, DSV_HC_WRITE, 3, UINT64_MAX, 0, 0, 0, 0), 0);
	/* The last byte of RAM is usable; one more is not. */
	assert_int_equal(h_call(h, DSV_HC_READ, 3, H_MEM - 4, 4, 0, 0, 0), 4);
	assert_memory_equal(h_host(h, H_MEM - 4), "0123", 4);
	assert_int_equal(h_call(h, DSV_HC_READ, 3, H_MEM - 4, 5, 0, 0, 0), -EFAULT);
	/* Lengths past the per-call limit. */
	assert_int_equal(h_call(h, DSV_HC_READ, 3, 0, DSV_HC_MAX_IO + 1ull, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_WRITE, 3, 0, UINT64_MAX, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_PWRITE, 3, 0, 1ull << 32, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_READ, 3, 0, DSV_HC_MAX_IO, 0, 0, 0), 6); /* rest */
	assert_int_equal(h_call(h, DSV_HC_OPENAT, CWD, p, DSV_PATH_MAX + 1ull, 0, 0, 0),
			 -ENAMETOOLONG);
	assert_int_equal(h_call(h, DSV_HC_OPENAT, CWD, p, UINT64_MAX, 0, 0, 0), -ENAMETOOLONG);
	char *lng = malloc(DSV_PATH_MAX);
	memset(lng, 'a', DSV_PATH_MAX);
	uint64_t lp = h_put(h, lng, DSV_PATH_MAX);
	assert_int_equal(h_call(h, DSV_HC_OPENAT, CWD, lp, DSV_PATH_MAX, 0, 0, 0), -ENAMETOOLONG);
	assert_int_equal(h_call(h, DSV_HC_OPENAT, CWD, lp, 300, 0, 0, 0),
			 -ENAMETOOLONG); /* NAME_MAX */
	free(lng);
	/* An embedded NUL ends the path, as a C string would. */
	uint64_t np = h_put(h, "a\0/../../etc/passwd", 19);
	assert_int_equal(h_call(h, DSV_HC_OPENAT, CWD, np, 19, O_RDONLY, 0, 0), 4);
	assert_int_equal(h_call(h, DSV_HC_OPENAT, CWD, np + 1, 18, O_RDONLY, 0, 0), -ENOENT);
}

static void test_bad_fds_and_args(void **state)
{
	struct h *h = *state;
	static const uint64_t bad[] = { 3,
					999,
					DSV_MAX_FILES,
					0xffffffff,
					UINT64_MAX,
					0x100000004,
					(uint64_t)(int64_t)DSV_AT_FDCWD };
	uint64_t b = h_buf(h, 4096);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t fd = bad[i];
		for (uint32_t nr = DSV_HC_CLOSE; nr <= DSV_HC_FSYNC; nr++) {
			if (nr == DSV_HC_FSTATAT || nr == DSV_HC_STATX || nr == DSV_HC_MKDIRAT ||
			    nr == DSV_HC_UNLINKAT || nr == DSV_HC_RENAMEAT)
				continue;
			assert_int_equal(h_call(h, nr, fd, b, 16, 0, 0, 0), -EBADF);
		}
		assert_int_equal(h_call(h, DSV_HC_WINSIZE, fd, b, 0, 0, 0, 0), -EBADF);
		assert_int_equal(h_call(h, DSV_HC_FCNTL, fd, F_GETFL, 0, 0, 0, 0), -EBADF);
		assert_int_equal(h_call(h, DSV_HC_FSTATAT, fd, b, 0, b, AT_EMPTY_PATH, 0),
				 fd == (uint64_t)(int64_t)DSV_AT_FDCWD ? 0 : -EBADF);
		uint64_t p = h_put(h, "a", 1);
		assert_int_equal(h_call(h, DSV_HC_OPENAT, fd, p, 1, 0, 0, 0),
				 fd == (uint64_t)(int64_t)DSV_AT_FDCWD ? 3 : -EBADF);
		g_close(h, 3);
	}
	/* Unknown calls and arguments. */
	uint64_t p = h_put(h, "a", 1);
	assert_int_equal(h_call(h, DSV_HC_FILE_LAST + 1, 0, 0, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(h_call(h, 0, 0, 0, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(h_call(h, UINT32_MAX, 0, 0, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(fileio_call(h->fio, &h->gm, DSV_HC_READ, NULL), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_FSTATAT, CWD, p, 1, b, 0x80000000u, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_UNLINKAT, CWD, p, 1, 1, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_FACCESSAT, CWD, p, 1, 0, 0x8000, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_READLINKAT, CWD, p, 1, b, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_READLINKAT, CWD, p, 1, b, 0xffffffff, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_GETCWD, b, 0, 0, 0, 0, 0), -ERANGE);
	/* Junk flag bits are dropped as Linux drops them; O_ASYNC never reaches the host. */
	int fd = (int)h_call(h, DSV_HC_OPENAT, CWD, p, 1,
			     0xffffffff00000000ull | O_RDONLY | O_ASYNC | 0x40000000, 0, 0);
	assert_int_equal(fd, 3);
	assert_false(h_call(h, DSV_HC_FCNTL, 3, F_GETFL, 0, 0, 0, 0) & O_ASYNC);
	assert_int_equal(h_call(h, DSV_HC_LSEEK, 3, 0, SEEK_HOLE + 1, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_LSEEK, 3, 0, 0xffffffffu, 0, 0, 0), -EINVAL);
	assert_int_equal(h_call(h, DSV_HC_LSEEK, 3, 0, SEEK_DATA, 0, 0, 0), 0);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 3, F_DUPFD, UINT64_MAX, 0, 0, 0), -EINVAL);
	/* O_PATH descriptors cannot be read or written. */
	int pf = (int)g_open(h, DSV_AT_FDCWD, "a", O_PATH | O_RDWR | O_TRUNC, 0);
	assert_true(pf > 0);
	assert_int_equal(h_call(h, DSV_HC_READ, pf, b, 4, 0, 0, 0), -EBADF);
	assert_int_equal(h_call(h, DSV_HC_WRITE, pf, b, 4, 0, 0, 0), -EBADF);
	char c[16];
	assert_int_equal(h_read_file(h->share, "a", c, sizeof(c)), 10); /* O_TRUNC ignored */
	/* O_TMPFILE makes an unnamed file in the share. */
	int tf = (int)g_open(h, DSV_AT_FDCWD, ".", O_TMPFILE | O_RDWR, 0600);
	assert_true(tf > 0 || tf == -EOPNOTSUPP);
}

static void test_emfile_and_leaks(void **state)
{
	(void)state;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < DSV_MAX_FILES + 64 && rl.rlim_max >= DSV_MAX_FILES + 64) {
		rl.rlim_cur = DSV_MAX_FILES + 64;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < DSV_MAX_FILES + 64)
		skip();
	int before = h_count_fds();
	struct h *h = h_new(1);
	h_write_file(h->share, "a", "x");
	unsigned n = 0;
	int64_t r;
	while ((r = g_open(h, DSV_AT_FDCWD, "a", O_RDONLY, 0)) >= 0) {
		assert_int_equal(r, n + 3);
		n++;
		h->next = 0x1000;
	}
	assert_int_equal(r, -EMFILE);
	assert_int_equal(n, DSV_MAX_FILES - 3);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 5, F_DUPFD, 0, 0, 0, 0), -EMFILE);
	assert_int_equal(g_close(h, 500), 0);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, ".", O_RDONLY | O_DIRECTORY, 0), 500);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "a", O_RDONLY, 0), -EMFILE);
	assert_int_equal(h_call(h, DSV_HC_DUP3, 4, DSV_MAX_FILES - 1, 0, 0, 0, 0),
			 DSV_MAX_FILES - 1);  /* replacing is fine when full */
	assert_int_equal(g_chdir(h, "."), 0); /* the cwd is no guest fd */
	h_free(h);			      /* closes everything it still holds */
	assert_int_equal(h_count_fds(), before);
	/* Failed opens, renames and stat calls leave nothing behind either. */
	h = h_new(1);
	for (int i = 0; i < 200; i++) {
		struct stat st;
		g_open(h, DSV_AT_FDCWD, "../outside/secret", O_RDONLY, 0);
		g_open(h, DSV_AT_FDCWD, "missing", O_RDONLY, 0);
		g_fstatat(h, DSV_AT_FDCWD, "../x", &st, 0);
		g_rename(h, DSV_AT_FDCWD, "nope", DSV_AT_FDCWD, "../x");
		g_mkdir(h, DSV_AT_FDCWD, "m/n", 0755);
		g_chdir(h, "missing");
		h->next = 0x1000;
	}
	assert_int_equal(h_count_fds(), before + 5); /* 3 stdio copies, share root, cwd */
	h_free(h);
	assert_int_equal(h_count_fds(), before);
}

static void test_no_share(void **state)
{
	(void)state;
	struct h *h = h_new(0);
	struct stat st;
	char b[256];
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "a", O_RDONLY, 0), -EACCES);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, h->share, O_RDONLY, 0), -EACCES);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/etc/passwd", O_RDONLY, 0), -EACCES);
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "a", &st, 0), -EACCES);
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "a", 0755), -EACCES);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "a", 0), -EACCES);
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "a", DSV_AT_FDCWD, "b"), -EACCES);
	assert_int_equal(g_chdir(h, "/"), -EACCES);
	assert_int_equal(g_getcwd(h, b, sizeof(b)), -EACCES);
	assert_int_equal(g_readlink(h, DSV_AT_FDCWD, "a", b, sizeof(b)), -EACCES);
	assert_int_equal(g_open(h, 1, "a", O_RDONLY, 0), -EACCES);
	/* Standard descriptors still work. */
	assert_int_equal(g_fstatat(h, 1, "", &st, AT_EMPTY_PATH), 0);
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "", &st, AT_EMPTY_PATH), -EACCES);
	assert_int_equal(g_write(h, 2, "", 0), 0);
	assert_int_equal(h_call(h, DSV_HC_FCNTL, 1, F_DUPFD, 0, 0, 0, 0), 3);
	assert_int_equal(g_close(h, 3), 0);
	assert_int_equal(g_close(h, 3), -EBADF);
	h_free(h);
	char err[256] = "";
	struct fileio *f = NULL;
	assert_int_equal(fileio_create(&f, "/nonexistent/dir", err, sizeof(err)), -ENOENT);
	assert_null(f);
	assert_non_null(strstr(err, "/nonexistent/dir"));
	assert_int_equal(fileio_create(&f, "/etc/passwd", err, sizeof(err)), -ENOTDIR);
	assert_null(f);
	fileio_destroy(NULL);
}

/* Several vCPUs on one table: opens, dups, closes and reads racing. */
struct worker {
	struct h *h;
	uint64_t scratch; /* own guest buffer: the race under test is the table's */
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	struct h *h = w->h;
	struct guest_mem *gm = &h->gm;
	uint64_t a[6];
	for (int i = 0; i < 3000; i++) {
		uint64_t fd = 3 + (uint64_t)(rand() % 12);
		switch (i % 5) {
		case 0:
			a[0] = CWD;
			a[1] = 0x100;
			a[2] = 1;
			a[3] = O_RDONLY;
			a[4] = 0;
			fileio_call(h->fio, gm, DSV_HC_OPENAT, a);
			break;
		case 1:
			a[0] = fd;
			a[1] = 3 + (uint64_t)(rand() % 12);
			a[2] = 0;
			fileio_call(h->fio, gm, DSV_HC_DUP3, a);
			break;
		case 2:
			a[0] = fd;
			fileio_call(h->fio, gm, DSV_HC_CLOSE, a);
			break;
		case 3:
			a[0] = fd;
			a[1] = w->scratch;
			a[2] = 16;
			a[3] = 0;
			fileio_call(h->fio, gm, DSV_HC_PREAD, a);
			break;
		default:
			a[0] = 0x1000;
			a[1] = 1;
			fileio_call(h->fio, gm, DSV_HC_CHDIR, a);
			a[0] = w->scratch;
			a[1] = 4096;
			fileio_call(h->fio, gm, DSV_HC_GETCWD, a);
			break;
		}
	}
	return NULL;
}

static void test_threads(void **state)
{
	struct h *h = *state;
	memcpy(h_host(h, 0x100), "a", 1);
	memcpy(h_host(h, 0x1000), ".", 1);
	pthread_t t[4];
	struct worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (struct worker){ h, 0x10000 + (uint64_t)i * 0x2000 };
		assert_int_equal(pthread_create(&t[i], NULL, hammer, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bad_gpa, setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_bad_fds_and_args, setup, h_teardown),
		cmocka_unit_test(test_emfile_and_leaks),
		cmocka_unit_test(test_no_share),
		cmocka_unit_test_setup_teardown(test_threads, setup, h_teardown),
	};
	return cmocka_run_group_tests_name("fileio_guard", tests, NULL, NULL);
}
