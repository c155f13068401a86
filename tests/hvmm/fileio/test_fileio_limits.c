/*
 * --share-max-file-size (hvmm/share_limits.c): once the cap is set, the guest's writes and
 * truncates through the share stop at it with EFBIG, exactly as the same calls made
 * natively by a process under the same RLIMIT_FSIZE, and hvmm is not killed by SIGXFSZ.
 * Each case runs in a child: the limit is per process and cannot be raised again.
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
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "harness.h"
#include "share_limits.h"

#define CAP (64u << 10)

#define CHECK(c)                                                        \
	do {                                                            \
		if (!(c)) {                                             \
			fprintf(stderr, "line %d: %s\n", __LINE__, #c); \
			_exit(1);                                       \
		}                                                       \
	} while (0)

static int64_t nat(long r)
{
	return r < 0 ? -errno : r;
}

static void body(struct h *h)
{
	char err[256];
	static char chunk[20000];
	memset(chunk, 'x', sizeof(chunk));
	CHECK(share_limit_file_size(CAP, err, sizeof(err)) == 0);
	struct rlimit rl;
	CHECK(getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur == CAP && rl.rlim_max == CAP);
	char npath[H_NAME + 8];
	snprintf(npath, sizeof(npath), "%s/big", h->native);
	int n = open(npath, O_CREAT | O_WRONLY | O_CLOEXEC, 0644);
	int g = (int)g_open(h, DSV_AT_FDCWD, "big", O_CREAT | O_WRONLY, 0644);
	CHECK(n >= 0 && g >= 0);
	/* 20000-byte writes: the fourth is cut short at the cap, the fifth fails. */
	for (int i = 0; i < 5; i++) {
		int64_t gr = g_write(h, g, chunk, sizeof(chunk));
		int64_t nr = nat(write(n, chunk, sizeof(chunk)));
		if (gr != nr) {
			fprintf(stderr, "write %d: guest %lld, native %lld\n", i, (long long)gr,
				(long long)nr);
			_exit(1);
		}
		CHECK(i < 3    ? gr == (int64_t)sizeof(chunk)
		      : i == 3 ? gr == CAP - 60000
			       : gr == -EFBIG);
	}
	struct stat gs;
	CHECK(g_fstatat(h, DSV_AT_FDCWD, "big", &gs, 0) == 0 && gs.st_size == CAP);
	CHECK(h_call(h, DSV_HC_PWRITE, (uint64_t)g, h_put(h, "y", 1), 1, CAP, 0, 0) == -EFBIG);
	CHECK(nat(pwrite(n, "y", 1, CAP)) == -EFBIG);
	CHECK(h_call(h, DSV_HC_FTRUNCATE, (uint64_t)g, CAP + 1, 0, 0, 0, 0) == -EFBIG);
	CHECK(nat(ftruncate(n, CAP + 1)) == -EFBIG);
	CHECK(h_call(h, DSV_HC_FTRUNCATE, (uint64_t)g, CAP / 2, 0, 0, 0, 0) == 0);
	CHECK(h_call(h, DSV_HC_PWRITE, (uint64_t)g, h_put(h, "y", 1), 1, CAP - 1, 0, 0) == 1);
	/* Other files have the same cap, each on its own. */
	int g2 = (int)g_open(h, DSV_AT_FDCWD, "other", O_CREAT | O_WRONLY, 0644);
	CHECK(g2 >= 0 && g_write(h, g2, chunk, sizeof(chunk)) == (int64_t)sizeof(chunk));
	close(n);
}

static void test_file_size_cap(void **state)
{
	(void)state;
	struct h *h = h_new(1);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		body(h);
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (WIFSIGNALED(st))
		fail_msg("killed by signal %d (SIGXFSZ is %d)", WTERMSIG(st), SIGXFSZ);
	assert_int_equal(WEXITSTATUS(st), 0);
	h_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_size_cap),
	};
	return cmocka_run_group_tests_name("fileio_limits", tests, NULL, NULL);
}
