/* The task-to-launcher request: what is encoded comes back, and damaged input is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "launch_msg.h"

static char err[512];

static void round_trip(void **state)
{
	char *argv[] = { "./a.out", "", "two words", NULL };
	char *env[] = { "PATH=/bin", "PMI_FD=5", "EMPTY=", NULL };
	struct launch_request in = { .cpus = "2-3",
				     .cwd = "/home/a b",
				     .options = "mem=64M",
				     .argc = 3,
				     .argv = argv,
				     .envc = 3,
				     .env = env },
			      out;
	size_t len;
	char *buf = launch_msg_encode(&in, &len);

	(void)state;
	assert_non_null(buf);
	assert_int_equal(launch_msg_decode(buf, len, &out, err, sizeof(err)), 0);
	assert_string_equal(out.cpus, "2-3");
	assert_string_equal(out.cwd, "/home/a b");
	assert_string_equal(out.options, "mem=64M");
	assert_int_equal(out.argc, 3);
	assert_string_equal(out.argv[1], "");
	assert_string_equal(out.argv[2], "two words");
	assert_null(out.argv[3]);
	assert_int_equal(out.envc, 3);
	assert_string_equal(out.env[0], "PATH=/bin");
	assert_string_equal(out.env[2], "EMPTY=");
	assert_null(out.env[3]);
	launch_msg_free(&out);
	free(buf);
}

static void no_environment(void **state)
{
	char *argv[] = { "/bin/true", NULL };
	struct launch_request in = { .cpus = "0",
				     .cwd = "/",
				     .options = NULL,
				     .argc = 1,
				     .argv = argv },
			      out;
	size_t len;
	char *buf = launch_msg_encode(&in, &len);

	(void)state;
	assert_int_equal(launch_msg_decode(buf, len, &out, err, sizeof(err)), 0);
	assert_string_equal(out.options, "");
	assert_int_equal(out.envc, 0);
	assert_null(out.env[0]);
	assert_string_equal(out.argv[0], "/bin/true");
	launch_msg_free(&out);
	free(buf);
}

static void refuses(const char *bytes, size_t len, const char *expect)
{
	char buf[256];
	struct launch_request out;

	memcpy(buf, bytes, len);
	assert_int_equal(launch_msg_decode(buf, len, &out, err, sizeof(err)), -1);
	if (!strstr(err, expect))
		fail_msg("error '%s' lacks '%s'", err, expect);
}

static void damaged(void **state)
{
	(void)state;
#define REFUSES(lit, expect) refuses(lit, sizeof(lit) - 1, expect)
	REFUSES("", "empty, too large or unterminated");
	REFUSES("0\0/\0\0"
		"1\0prog",
		"unterminated");
	REFUSES("0\0/\0\0"
		"1\0",
		"4 fields, expected at least 5");
	REFUSES("0\0/\0\0"
		"2\0prog\0",
		"bad argument count '2'");
	REFUSES("0\0/\0\0"
		"0\0prog\0",
		"bad argument count '0'");
	REFUSES("0\0/\0\0"
		"-1\0prog\0",
		"bad argument count '-1'");
	REFUSES("0\0/\0\0"
		"x\0prog\0",
		"bad argument count 'x'");
#undef REFUSES
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(no_environment),
		cmocka_unit_test(damaged),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
