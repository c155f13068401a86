/* CPU list and mask parsing/formatting (dsvd/cpuset_bits.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "cpuset_bits.h"

static void roundtrip(const char *in, const char *want)
{
	struct cpu_bits s;
	char err[128], out[256];
	assert_int_equal(cpu_bits_parse_list(in, &s, err, sizeof(err)), 0);
	assert_int_equal(cpu_bits_format_list(&s, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_lists(void **state)
{
	(void)state;
	roundtrip("0", "0");
	roundtrip("0-3", "0-3");
	roundtrip("3,1,2", "1-3");
	roundtrip("0-1,4,6-7\n", "0-1,4,6-7");
	roundtrip("", "");
	roundtrip("1023", "1023");
	roundtrip("\n", "");
	roundtrip("0-3,2", "0-3"); /* unlike hvmm, a repeat is no error: it is a set */
	roundtrip("5,5", "5");
	struct cpu_bits s;
	char err[128];
	assert_int_equal(cpu_bits_parse_list("0-2", &s, err, sizeof(err)), 0);
	assert_int_equal(cpu_bits_count(&s), 3);
	assert_int_equal(cpu_bits_nth(&s, 2), 2);
	assert_int_equal(cpu_bits_nth(&s, 3), -1);
}

static void test_bad_lists(void **state)
{
	(void)state;
	const char *bad[] = { "a",    "1-",	     "-1",  "3-1", "1,,2", "1 2",
			      "1024", "99999999999", "0x1", ",",   "1-2-3" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cpu_bits s;
		char err[128] = "";
		assert_int_equal(cpu_bits_parse_list(bad[i], &s, err, sizeof(err)), -1);
		assert_true(strlen(err) > 0);
	}
	/* The reason is enough on its own: node_config puts the list and the field before it. */
	struct cpu_bits s;
	char err[128];
	assert_int_equal(cpu_bits_parse_list("0-1024", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "CPU number 1024 too large (max 1023)");
	assert_int_equal(cpu_bits_parse_list("1,x", &s, err, sizeof(err)), -1);
	assert_string_equal(err, "expected a CPU number (0-1023) at 'x'");
}

static void test_masks(void **state)
{
	(void)state;
	struct cpu_bits s;
	char err[128], out[256];
	assert_int_equal(cpu_bits_parse_mask("3\n", &s, err, sizeof(err)), 0);
	assert_int_equal(cpu_bits_format_list(&s, out, sizeof(out)), 0);
	assert_string_equal(out, "0-1");
	assert_int_equal(cpu_bits_parse_mask("1,00000000", &s, err, sizeof(err)), 0);
	assert_true(cpu_bits_has(&s, 32));
	assert_int_equal(cpu_bits_count(&s), 1);
	assert_int_equal(cpu_bits_format_mask(&s, out, sizeof(out)), 0);
	assert_string_equal(out, "1,00000000");
	cpu_bits_clear(&s);
	assert_int_equal(cpu_bits_format_mask(&s, out, sizeof(out)), 0);
	assert_string_equal(out, "0");
	assert_int_equal(cpu_bits_parse_mask("xyz", &s, err, sizeof(err)), -1);
	assert_int_equal(cpu_bits_parse_mask("", &s, err, sizeof(err)), -1);
}

static void test_set_ops(void **state)
{
	(void)state;
	struct cpu_bits a, b;
	char err[64];
	cpu_bits_parse_list("0-3", &a, err, sizeof(err));
	cpu_bits_parse_list("2-5", &b, err, sizeof(err));
	assert_true(cpu_bits_intersects(&a, &b));
	assert_false(cpu_bits_subset(&a, &b));
	cpu_bits_andnot(&a, &b);
	char out[64];
	cpu_bits_format_list(&a, out, sizeof(out));
	assert_string_equal(out, "0-1");
	assert_false(cpu_bits_intersects(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_bad_lists),
		cmocka_unit_test(test_masks),
		cmocka_unit_test(test_set_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
