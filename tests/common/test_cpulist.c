#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cpulist.h"

static int parse(const char *s, int *cpus, size_t max)
{
	char err[200];

	return cpulist_parse(s, cpus, max, err, sizeof(err));
}

static void good_lists(void **state)
{
	int c[16];
	char buf[64];

	(void)state;
	assert_int_equal(parse("3", c, 16), 1);
	assert_int_equal(c[0], 3);
	assert_int_equal(parse("0-3", c, 16), 4);
	assert_int_equal(c[3], 3);
	assert_int_equal(parse("5,1-2,9", c, 16), 4);
	assert_int_equal(c[0], 5);
	assert_int_equal(c[1], 1);
	assert_int_equal(c[3], 9);
	assert_string_equal(cpulist_format(c, 4, buf, sizeof(buf)), "5,1-2,9");
	parse("0-3,6,8-9", c, 16);
	assert_string_equal(cpulist_format(c, 7, buf, sizeof(buf)), "0-3,6,8-9");
	assert_int_equal(parse("4095", c, 16), 1);
}

static void bad_lists(void **state)
{
	static const char *const bad[] = {
		"",    ",",    "1,",   ",1",	"a",	 "1-",	 "-1",
		"3-1", "1--2", "1,,2", "1 2",	"1-2-3", "4096", "99999999999999999999",
		"0x1", "1;2",  "1,1",  "0-3,2", "2 ",	 "1\n",
	};
	int c[16];
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(cpulist_parse(bad[i], c, 16, err, sizeof(err)), -1);
		assert_true(strlen(err) > 0);
	}
	assert_int_equal(cpulist_parse(NULL, c, 16, err, sizeof(err)), -1);
}

static void too_many(void **state)
{
	int c[4];
	char err[200];

	(void)state;
	assert_int_equal(cpulist_parse("0-3", c, 4, err, sizeof(err)), 4);
	assert_int_equal(cpulist_parse("0-4", c, 4, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 4"));
}

static void duplicate_named(void **state)
{
	int c[8];
	char err[200];

	(void)state;
	/* Two vCPUs on one CPU is refused at the parser already. */
	assert_int_equal(cpulist_parse("1,1", c, 8, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CPU 1 named twice"));
}

/* The reason names what is wrong, after the list itself (hvmm prints it after --cpus:). */
static void messages(void **state)
{
	static const char *const cases[][2] = {
		{ "3-1", "bad CPU list '3-1': reversed range 3-1" },
		{ "4096", "CPU number 4096 too large (max 4095)" },
		{ "1-", "expected a CPU number (0-4095) at the end" },
		{ "1,,2", "at ',2'" },
		{ "1,", "trailing comma" },
		{ "0x1", "unexpected character 'x'" },
		{ "", "empty CPU list" },
	};
	int c[16];
	char err[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(cpulist_parse(cases[i][0], c, 16, err, sizeof(err)), -1);
		if (!strstr(err, cases[i][1]))
			fail_msg("'%s': got '%s', want '%s'", cases[i][0], err, cases[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_lists), cmocka_unit_test(bad_lists),
		cmocka_unit_test(too_many),   cmocka_unit_test(duplicate_named),
		cmocka_unit_test(messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
