/* The commodity guest's exit status from its debugcon log: what the lwk writes, and what a
 * hostile or killed guest leaves instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dsv/abi.h>

#include "guest_exit.h"

static char path[64];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof(path), "/tmp/dsvd-guest-exit.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

/* A log as the lwk writes it: the announcement, pad bytes of output, then text. */
static void put(const char *text, size_t pad)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(DSV_QEMU_BOOT_LINE "\n", f);
	for (size_t i = 0; i < pad; i++)
		fputc('x', f);
	fputs(text, f);
	fclose(f);
}

static enum guest_exit_seen seen(int *status)
{
	*status = -1;
	return guest_exit_from_log(path, status);
}

static void test_the_lwk_line(void **state)
{
	(void)state;
	int st;
	put("lwk: boot\nhello\n\n" DSV_QEMU_EXIT_LINE "3\n", 0);
	assert_int_equal(seen(&st), GUEST_EXIT_STATUS);
	assert_int_equal(st, 3);
	/* the last one counts; the log may be far larger than what is read */
	put("\n" DSV_QEMU_EXIT_LINE "7\nmore\n" DSV_QEMU_EXIT_LINE "0\n", 1 << 20);
	assert_int_equal(seen(&st), GUEST_EXIT_STATUS);
	assert_int_equal(st, 0);
	put("\n" DSV_QEMU_EXIT_LINE "255\n", 0);
	assert_int_equal(seen(&st), GUEST_EXIT_STATUS);
	assert_int_equal(st, 255);
}

static void test_killed_or_malformed(void **state)
{
	(void)state;
	int st;
	put("lwk: boot\nhalf a line", 0); /* QEMU killed mid-run */
	assert_int_equal(seen(&st), GUEST_EXIT_NO_STATUS);
	const char *bad[] = {
		"\n" DSV_QEMU_EXIT_LINE "256\n",   /* not a status */
		"\n" DSV_QEMU_EXIT_LINE "00001\n", /* too many digits */
		"\n" DSV_QEMU_EXIT_LINE "-1\n",
		"\n" DSV_QEMU_EXIT_LINE "\n",
		"\n" DSV_QEMU_EXIT_LINE "4", /* cut before its newline */
		"\n" DSV_QEMU_EXIT_LINE "4x\n",
		"\nx" DSV_QEMU_EXIT_LINE "4\n", /* not at a line start */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put(bad[i], 0);
		if (seen(&st) != GUEST_EXIT_NO_STATUS)
			fail_msg("case %zu was taken as status %d", i, st);
	}
	/* a status far back, beyond the tail that is read, does not count */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(DSV_QEMU_BOOT_LINE "\n" DSV_QEMU_EXIT_LINE "5\n", f);
	for (int i = 0; i < 10000; i++)
		fputc('y', f);
	fclose(f);
	assert_int_equal(seen(&st), GUEST_EXIT_NO_STATUS);
}

/* Without the announcement (another guest, or output before it) nothing can be told. */
static void test_unannounced(void **state)
{
	(void)state;
	int st;
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("linux: some boot log\n" DSV_QEMU_EXIT_LINE "4\n", f);
	fclose(f);
	assert_int_equal(seen(&st), GUEST_EXIT_NO_LOG);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("dsv-guest: the exit", f); /* cut short */
	fclose(f);
	assert_int_equal(seen(&st), GUEST_EXIT_NO_LOG);
}

static void test_no_log(void **state)
{
	(void)state;
	int st;
	FILE *f = fopen(path, "w"); /* empty */
	assert_non_null(f);
	fclose(f);
	assert_int_equal(seen(&st), GUEST_EXIT_NO_LOG);
	unlink(path);
	assert_int_equal(seen(&st), GUEST_EXIT_NO_LOG);
	assert_int_equal(symlink("/etc/passwd", path), 0); /* not followed */
	assert_int_equal(seen(&st), GUEST_EXIT_NO_LOG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_the_lwk_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_killed_or_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unannounced, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_log, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
