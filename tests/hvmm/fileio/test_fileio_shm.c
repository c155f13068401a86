/*
 * --shm DIR (hvmm/fileio_shm.c): the guest's /dev/shm is DIR, with the share's rules (no
 * way out through "..", symlinks or a descriptor as a base), with or without a share;
 * without --shm, /dev/shm stays outside the share (EACCES).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

static char shmdir[H_NAME + 16];

static struct h *shm_new(int with_share)
{
	struct h *h = h_new(with_share);
	char err[256] = "";
	snprintf(shmdir, sizeof(shmdir), "%s/shm", h->base);
	assert_int_equal(mkdir(shmdir, 0700), 0);
	assert_int_equal(fileio_set_shm(h->fio, shmdir, err, sizeof(err)), 0);
	return h;
}

static void creates_in_dir(struct h *h)
{
	int64_t fd = g_open(h, DSV_AT_FDCWD, "/dev/shm/seg", O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	assert_int_equal(g_write(h, (int)fd, "abc", 3), 3);
	assert_int_equal(g_close(h, (int)fd), 0);
	char buf[8] = "";
	assert_int_equal(h_read_file(shmdir, "seg", buf, sizeof(buf)), 3);
	assert_memory_equal(buf, "abc", 3);
	/* other spellings of the same directory */
	fd = g_open(h, DSV_AT_FDCWD, "//dev/./shm//seg", O_RDONLY, 0);
	assert_true(fd >= 0);
	g_close(h, (int)fd);
	fd = g_open(h, DSV_AT_FDCWD, "/dev/shm", O_RDONLY | O_DIRECTORY, 0);
	assert_true(fd >= 0);
	/* a descriptor in DIR is no base for lookups */
	int64_t r = g_open(h, (int)fd, "seg", O_RDONLY, 0);
	assert_true(r == -EACCES || r == -ENOTDIR);
	g_close(h, (int)fd);
	/* shm_unlink */
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "/dev/shm/seg", 0), 0);
	assert_false(h_exists(shmdir, "seg"));
}

static void with_share(void **state)
{
	(void)state;
	struct h *h = shm_new(1);
	creates_in_dir(h);
	/* no working directory there: getcwd would have no path in the share to give */
	assert_int_equal(g_chdir(h, "/dev/shm"), -EACCES);
	h_free(h);
}

static void without_share(void **state)
{
	(void)state;
	struct h *h = shm_new(0);
	creates_in_dir(h);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/etc/passwd", O_RDONLY, 0), -EACCES);
	h_free(h);
}

static void no_escape(void **state)
{
	(void)state;
	struct h *h = shm_new(1);
	char link[H_NAME + 32];
	snprintf(link, sizeof(link), "%s/out", shmdir);
	assert_int_equal(symlink(h->outside, link), 0);
	snprintf(link, sizeof(link), "%s/secret", shmdir);
	char target[H_NAME + 16];
	snprintf(target, sizeof(target), "%s/secret", h->outside);
	assert_int_equal(symlink(target, link), 0);
	static const char *const bad[] = {
		"/dev/shm/../outside/secret",
		"/dev/shm/out/secret",
		"/dev/shm/secret",
		"/dev/shm/..",
		"/dev/shm/../shm/x",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t r = g_open(h, DSV_AT_FDCWD, bad[i], O_RDONLY, 0);
		if (r != -EACCES)
			fail_msg("%s: %lld, want -EACCES", bad[i], (long long)r);
	}
	/* a creation through a symlink out of DIR makes nothing outside */
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/dev/shm/out/new", O_RDWR | O_CREAT, 0600),
			 -EACCES);
	assert_false(h_exists(h->outside, "new"));
	/* names that only look like it are host paths outside the share */
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/dev/shmx", O_RDONLY, 0), -EACCES);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/dev/../dev/shm/x", O_RDONLY, 0), -EACCES);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "/dev/shm/out/secret", 0), -EACCES);
	assert_true(h_exists(h->outside, "secret"));
	h_free(h);
}

static void off_without_option(void **state)
{
	(void)state;
	struct h *h = h_new(1);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "/dev/shm/seg", O_RDWR | O_CREAT, 0600), -EACCES);
	char err[256] = "";
	assert_int_not_equal(fileio_set_shm(h->fio, "/nonexistent-dir", err, sizeof(err)), 0);
	assert_non_null(strstr(err, "--shm /nonexistent-dir"));
	assert_int_equal(fileio_set_shm(h->fio, "/", err, sizeof(err)), -EPERM);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(with_share),
		cmocka_unit_test(without_share),
		cmocka_unit_test(no_escape),
		cmocka_unit_test(off_without_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
