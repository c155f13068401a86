/*
 * hvmm/fileio confinement: every way out of the share is refused with EACCES, and nothing
 * outside is read, written, created or removed. Includes a symlink swapped in by another
 * thread while the guest walks the path.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "harness.h"

static int setup(void **state)
{
	struct h *h = h_new(1);
	char p[PATH_MAX * 2];
	h_write_file(h->share, "a", "inside");
	snprintf(p, sizeof(p), "%s/sub", h->share);
	mkdir(p, 0755);
	/* Symlinks that lead out, relative and absolute, to files, dirs and nothing. */
	static const struct {
		const char *name, *target;
	} links[] = {
		{ "evil", "../outside/secret" },
		{ "evdir", "../outside" },
		{ "dangle", "../outside/created" },
		{ "sub/deep", "../../outside/secret" },
		{ "sib", "../share2" },
	};
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", h->share, links[i].name);
		assert_int_equal(symlink(links[i].target, p), 0);
	}
	char t[PATH_MAX * 2];
	snprintf(t, sizeof(t), "%s/secret", h->outside);
	snprintf(p, sizeof(p), "%s/evabs", h->share);
	assert_int_equal(symlink(t, p), 0);
	snprintf(p, sizeof(p), "%s/etc", h->share);
	assert_int_equal(symlink("/etc", p), 0);
	*state = h;
	return 0;
}

/* Nothing outside the share changed: both secrets intact, no new entries. */
static void outside_intact(struct h *h)
{
	char b[64];
	assert_int_equal(h_read_file(h->outside, "secret", b, sizeof(b)), 14);
	assert_string_equal(b, "outside secret");
	assert_int_equal(h_read_file(h->sibling, "secret", b, sizeof(b)), 14);
	assert_string_equal(b, "sibling secret");
	static const char *const news[] = { "created", "new", "x", "a", "stolen", "nd" };
	for (size_t i = 0; i < sizeof(news) / sizeof(news[0]); i++) {
		assert_false(h_exists(h->outside, news[i]));
		assert_false(h_exists(h->sibling, news[i]));
		assert_false(h_exists(h->base, news[i]));
	}
}

/* link: path names a symlink inside the share, which readlink may read. */
static void refused_(struct h *h, int dirfd, const char *path, int link)
{
	struct stat st;
	char b[64];
	static const int oflags[] = { O_RDONLY, O_WRONLY | O_TRUNC,	O_RDWR | O_CREAT,
				      O_PATH,	O_RDONLY | O_DIRECTORY, O_WRONLY | O_APPEND };
	for (size_t i = 0; i < sizeof(oflags) / sizeof(oflags[0]); i++) {
		int64_t r = g_open(h, dirfd, path, oflags[i], 0644);
		if (r != -EACCES)
			fail_msg("open(%s, %#x) = %lld, want EACCES", path, oflags[i],
				 (long long)r);
	}
	assert_int_equal(g_fstatat(h, dirfd, path, &st, 0), -EACCES);
	uint64_t p = h_put(h, path, strlen(path));
	assert_int_equal(h_call(h, DSV_HC_STATX, (uint64_t)(int64_t)dirfd, p, strlen(path), 0,
				0x7ff, h_buf(h, 256)),
			 -EACCES);
	assert_int_equal(
		h_call(h, DSV_HC_FACCESSAT, (uint64_t)(int64_t)dirfd, p, strlen(path), F_OK, 0, 0),
		-EACCES);
	int64_t r = g_readlink(h, dirfd, path, b, sizeof(b));
	if (r != -EACCES && r != -EINVAL && !(link && r > 0)) /* EINVAL: "/", "/tmp" */
		fail_msg("readlink(%s) = %lld", path, (long long)r);
	outside_intact(h);
}

static void refused(struct h *h, int dirfd, const char *path)
{
	refused_(h, dirfd, path, 0);
}

static void refused_link(struct h *h, int dirfd, const char *path)
{
	refused_(h, dirfd, path, 1);
}

static void test_dotdot_and_absolute(void **state)
{
	struct h *h = *state;
	char p[PATH_MAX * 2];
	refused(h, DSV_AT_FDCWD, "../outside/secret");
	refused(h, DSV_AT_FDCWD, "sub/../../outside/secret");
	refused(h, DSV_AT_FDCWD, "..");
	refused(h, DSV_AT_FDCWD, "../share2/secret");
	refused(h, DSV_AT_FDCWD, "/etc/passwd");
	refused(h, DSV_AT_FDCWD, "/");
	refused(h, DSV_AT_FDCWD, "/tmp");
	refused(h, DSV_AT_FDCWD, h->outside);
	snprintf(p, sizeof(p), "%s/secret", h->outside);
	refused(h, DSV_AT_FDCWD, p);
	/* /tmp/x/share2 begins with /tmp/x/share but is not inside it. */
	snprintf(p, sizeof(p), "%s/secret", h->sibling);
	refused(h, DSV_AT_FDCWD, p);
	refused(h, DSV_AT_FDCWD, h->sibling);
	snprintf(p, sizeof(p), "%s/../outside/secret", h->share);
	refused(h, DSV_AT_FDCWD, p);
	snprintf(p, sizeof(p), "%s/sub/../../outside/secret", h->share);
	refused(h, DSV_AT_FDCWD, p);
	/* Creation, removal and renames out of the share. */
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "../new", 0755), -EACCES);
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "../outside/new", 0755), -EACCES);
	snprintf(p, sizeof(p), "%s/new", h->sibling);
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, p, 0755), -EACCES);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "../outside/secret", 0), -EACCES);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "../outside", AT_REMOVEDIR), -EACCES);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "..", AT_REMOVEDIR), -EACCES);
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "a", DSV_AT_FDCWD, "../outside/a"), -EACCES);
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "../outside/secret", DSV_AT_FDCWD, "stolen"),
			 -EACCES);
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "a", DSV_AT_FDCWD, p), -EACCES);
	assert_int_equal(g_chdir(h, ".."), -EACCES);
	assert_int_equal(g_chdir(h, h->outside), -EACCES);
	assert_int_equal(g_chdir(h, "/"), -EACCES);
	/* From a directory fd inside the share. */
	int d = (int)g_open(h, DSV_AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY, 0);
	assert_true(d >= 0);
	refused(h, d, "../../outside/secret");
	refused(h, d, "../..");
	assert_int_equal(g_mkdir(h, d, "../../new", 0755), -EACCES);
	g_close(h, d);
	/* What stays inside still works, however it is spelled. */
	snprintf(p, sizeof(p), "%s/./sub/..//a", h->share);
	int f = (int)g_open(h, DSV_AT_FDCWD, p, O_RDONLY, 0);
	assert_true(f >= 0);
	g_close(h, f);
	snprintf(p, sizeof(p), "/%s", h->share); /* "//tmp/..." */
	assert_true(g_open(h, DSV_AT_FDCWD, p, O_RDONLY | O_DIRECTORY, 0) >= 0);
	outside_intact(h);
}

static void test_symlinks(void **state)
{
	struct h *h = *state;
	refused_link(h, DSV_AT_FDCWD, "evil");
	refused_link(h, DSV_AT_FDCWD, "evabs");
	refused_link(h, DSV_AT_FDCWD, "evdir");
	refused(h, DSV_AT_FDCWD, "evdir/secret");
	refused_link(h, DSV_AT_FDCWD, "sub/deep");
	refused(h, DSV_AT_FDCWD, "sib/secret");
	refused(h, DSV_AT_FDCWD, "etc/passwd");
	refused_link(h, DSV_AT_FDCWD, "dangle");
	int d = (int)g_open(h, DSV_AT_FDCWD, "sub", O_RDONLY | O_DIRECTORY, 0);
	refused_link(h, d, "deep");
	g_close(h, d);
	/* Creating through a dangling link, writing into a linked dir. */
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "dangle", O_WRONLY | O_CREAT, 0644), -EACCES);
	assert_int_equal(g_open(h, DSV_AT_FDCWD, "evdir/created", O_WRONLY | O_CREAT, 0644),
			 -EACCES);
	assert_int_equal(g_mkdir(h, DSV_AT_FDCWD, "evdir/new", 0755), -EACCES);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "evdir/secret", 0), -EACCES);
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "a", DSV_AT_FDCWD, "evdir/a"), -EACCES);
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "evdir/secret", DSV_AT_FDCWD, "stolen"),
			 -EACCES);
	assert_int_equal(g_chdir(h, "evdir"), -EACCES);
	assert_int_equal(g_chdir(h, "etc"), -EACCES);
	/* The links themselves are inside: lstat, readlink, unlink and rename act on them. */
	struct stat st;
	assert_int_equal(g_fstatat(h, DSV_AT_FDCWD, "evil", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISLNK(st.st_mode));
	char b[64] = "";
	assert_int_equal(g_readlink(h, DSV_AT_FDCWD, "evil", b, sizeof(b)), 17);
	assert_memory_equal(b, "../outside/secret", 17);
	assert_int_equal(g_rename(h, DSV_AT_FDCWD, "evdir", DSV_AT_FDCWD, "evdir2"), 0);
	assert_int_equal(g_unlink(h, DSV_AT_FDCWD, "evdir2", 0), 0);
	assert_true(h_exists(h->base, "outside"));
	int p = (int)g_open(h, DSV_AT_FDCWD, "evil", O_PATH | O_NOFOLLOW, 0);
	assert_true(p >= 0);
	assert_int_equal(g_open(h, p, "x", O_RDONLY, 0), -ENOTDIR);
	g_close(h, p);
	outside_intact(h);
}

/* hvmm inherited a directory outside the share as stdin: never a base for lookups. */
static void test_stdio_dirfd(void **state)
{
	(void)state;
	int save = dup(0);
	char tmpl[] = "/tmp/fiostdin.XXXXXX";
	assert_non_null(mkdtemp(tmpl));
	h_write_file(tmpl, "secret", "x");
	int dfd = open(tmpl, O_RDONLY | O_DIRECTORY);
	assert_true(dup2(dfd, 0) == 0);
	struct h *h = h_new(1);
	dup2(save, 0);
	close(save);
	close(dfd);
	struct stat st;
	assert_int_equal(g_open(h, 0, "secret", O_RDONLY, 0), -EACCES);
	assert_int_equal(g_open(h, 0, "new", O_RDONLY | O_CREAT, 0644), -EACCES);
	assert_int_equal(g_fstatat(h, 0, "secret", &st, 0), -EACCES);
	assert_int_equal(g_mkdir(h, 0, "new", 0755), -EACCES);
	assert_int_equal(g_unlink(h, 0, "secret", 0), -EACCES);
	assert_int_equal(g_fstatat(h, 0, "", &st, AT_EMPTY_PATH), 0); /* the fd itself: fine */
	assert_false(h_exists(tmpl, "new"));
	assert_true(h_exists(tmpl, "secret"));
	h_free(h);
	char p[64];
	snprintf(p, sizeof(p), "%s/secret", tmpl);
	unlink(p);
	rmdir(tmpl);
}

/* Another thread swaps share/race between a real dir and a symlink to outside. */
struct racer {
	struct h *h;
	atomic_int stop;
};

static void *swapper(void *arg)
{
	struct racer *r = arg;
	char a[PATH_MAX * 2], b[PATH_MAX * 2];
	snprintf(a, sizeof(a), "%s/race", r->h->share);
	snprintf(b, sizeof(b), "%s/swap", r->h->share);
	while (!atomic_load(&r->stop))
		renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
	return NULL;
}

static void test_symlink_race(void **state)
{
	struct h *h = *state;
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/race", h->share);
	mkdir(p, 0755);
	h_write_file(p, "secret", "inside secret");
	snprintf(p, sizeof(p), "%s/swap", h->share);
	assert_int_equal(symlink("../outside", p), 0);
	struct racer r = { .h = h };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, swapper, &r), 0);
	int ok = 0, acc = 0;
	for (int i = 0; i < 3000; i++) {
		char b[64] = "";
		int fd = (int)g_open(h, DSV_AT_FDCWD, "race/secret", O_RDONLY, 0);
		if (fd >= 0) {
			assert_int_equal(g_read(h, fd, b, sizeof(b) - 1), 13);
			assert_string_equal(b, "inside secret");
			g_close(h, fd);
			ok++;
		} else {
			assert_true(fd == -EACCES || fd == -ENOENT);
			acc += fd == -EACCES;
		}
		fd = (int)g_open(h, DSV_AT_FDCWD, "race/secret", O_WRONLY | O_APPEND, 0);
		if (fd >= 0)
			g_close(h, fd); /* only ever the inside file; nothing written */
		g_mkdir(h, DSV_AT_FDCWD, "race/nd", 0755);
		g_unlink(h, DSV_AT_FDCWD, "race/nd", AT_REMOVEDIR);
		fd = (int)g_open(h, DSV_AT_FDCWD, "race/x", O_WRONLY | O_CREAT, 0644);
		if (fd >= 0)
			g_close(h, fd);
		g_unlink(h, DSV_AT_FDCWD, "race/x", 0);
		struct stat st;
		g_fstatat(h, DSV_AT_FDCWD, "race/secret", &st, 0);
		h->next = 0x1000; /* recycle the guest scratch space */
	}
	atomic_store(&r.stop, 1);
	pthread_join(t, NULL);
	print_message("race: %d opens inside, %d refused\n", ok, acc);
	outside_intact(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dotdot_and_absolute, setup, h_teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup, h_teardown),
		cmocka_unit_test(test_stdio_dirfd),
		cmocka_unit_test_setup_teardown(test_symlink_race, setup, h_teardown),
	};
	return cmocka_run_group_tests_name("fileio_escape", tests, NULL, NULL);
}
