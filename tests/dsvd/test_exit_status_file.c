/* hvmm --status-file (common/exit_status_file.c): what hvmm writes, dsvd reads back; an
 * empty or missing file is "no status yet", anything else that is not a status is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_status_file.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/dsv-status-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static void put(const char *path, const char *content, size_t len)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(content, 1, len, f), len);
	fclose(f);
}

static void test_round_trip(void **state)
{
	(void)state;
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/vm.status", dir);
	const int statuses[] = { 0, 1, 7, 42, 125, 126, 143, 255 };
	for (size_t i = 0; i < sizeof(statuses) / sizeof(statuses[0]); i++) {
		int fd = exit_status_file_open(path, err, sizeof(err));
		assert_true(fd >= 0);
		int got = -1;
		assert_int_equal(exit_status_file_read(path, &got), 0); /* running: empty */
		assert_int_equal(exit_status_file_record(fd, statuses[i]), 0);
		assert_int_equal(exit_status_file_read(path, &got), 1);
		assert_int_equal(got, statuses[i]);
	}
	/* opening again empties what an earlier VM of that name left */
	int fd = exit_status_file_open(path, err, sizeof(err));
	int got;
	assert_int_equal(exit_status_file_read(path, &got), 0);
	close(fd);
}

static void test_refused(void **state)
{
	(void)state;
	char path[128], err[256];
	int got = -1;
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(exit_status_file_read(path, &got), 0);
	snprintf(path, sizeof(path), "%s/bad", dir);
	const char *bad[] = {
		"256\n", "-1\n", "7", "07\n", "x\n", "\n", "1 \n", "12345\n", "1\n2\n"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(path, bad[i], strlen(bad[i]));
		if (exit_status_file_read(path, &got) != -1)
			fail_msg("'%s' read as a status (%d)", bad[i], got);
	}
	put(path, "7\0\n", 3);
	assert_int_equal(exit_status_file_read(path, &got), -1);
	/* a symlink is not followed, on either side */
	char link[160];
	snprintf(link, sizeof(link), "%s/link", dir);
	put(path, "3\n", 2);
	assert_int_equal(symlink(path, link), 0);
	assert_int_equal(exit_status_file_read(link, &got), -1);
	assert_int_equal(exit_status_file_open(link, err, sizeof(err)), -1);
	assert_non_null(strstr(err, link));
	/* a directory is not a status file */
	assert_int_equal(exit_status_file_read(dir, &got), -1);
	/* out-of-range statuses are not written */
	int fd = exit_status_file_open(path, err, sizeof(err));
	assert_int_equal(exit_status_file_record(fd, 256), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(exit_status_file_read(path, &got), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
