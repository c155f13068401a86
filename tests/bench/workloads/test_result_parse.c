/* Unit tests for the runners' reading of result lines (bench/lib/bench_json.c) and their
 * statistics (bench_stats.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bench_json.h"
#include "bench_stats.h"

static struct bench_obj o;

static long parse(const char *s)
{
	return bench_json_parse(s, strlen(s), &o);
}

static int find(const char *text, const char *key, const char *want)
{
	return bench_json_find(text, strlen(text), key, want, &o);
}

/* A real cg line, as the workload prints it. */
static void test_workload_line(void **state)
{
	(void)state;
	const char *line = "{\"workload\":\"cg\",\"ok\":true,\"threads\":2,\"pinned\":true,"
			   "\"nx\":16,\"iterations\":29,\"residual\":7.16876544e-11,"
			   "\"mflops\":2843.00406,\"seconds\":0.025824982}";
	assert_int_equal(parse(line), (long)strlen(line));
	assert_string_equal(bench_json_str(&o, "workload"), "cg");
	assert_true(bench_json_true(&o, "ok"));
	assert_int_equal((int)bench_json_num(&o, "iterations"), 29);
	assert_float_equal(bench_json_num(&o, "mflops"), 2843.00406, 1e-9);
	assert_float_equal(bench_json_num(&o, "residual"), 7.16876544e-11, 1e-20);
	assert_true(isnan(bench_json_num(&o, "missing")));
	assert_true(isnan(bench_json_num(&o, "workload"))); /* a string is not a number */
	assert_null(bench_json_str(&o, "mflops"));
}

static void test_ok_false_is_not_true(void **state)
{
	(void)state;
	assert_true(parse("{\"workload\":\"stream\",\"ok\":false}") > 0);
	assert_false(bench_json_true(&o, "ok"));
	assert_float_equal(bench_json_num(&o, "ok"), 0, 0);
	/* "ok":"true" as a string is not the literal true */
	assert_true(parse("{\"ok\":\"true\"}") > 0);
	assert_false(bench_json_true(&o, "ok"));
}

/* hvmm --stats=json: nested objects and arrays are flattened. */
static void test_nested_flattening(void **state)
{
	(void)state;
	const char *s =
		"{\"exit_code\":0,\"exits\":{\"hypercall\":12,\"hlt\":3},"
		"\"memory\":{\"bytes\":67108864,\"backing\":\"thp\"},"
		"\"pinning\":[{\"vcpu\":0,\"cpu\":1}],\"housekeeping_cpus\":[0, 2],"
		"\"times_ms\":{\"first_run\":21.663,\"exit\":25.5},\"empty\":{},\"none\":[],"
		"\"nothing\":null}";
	assert_true(parse(s) > 0);
	assert_int_equal((int)bench_json_num(&o, "exits.hypercall"), 12);
	assert_int_equal((int)bench_json_num(&o, "exits.hlt"), 3);
	assert_string_equal(bench_json_str(&o, "memory.backing"), "thp");
	assert_int_equal((int)bench_json_num(&o, "pinning.0.cpu"), 1);
	assert_int_equal((int)bench_json_num(&o, "housekeeping_cpus.1"), 2);
	assert_float_equal(bench_json_num(&o, "times_ms.first_run"), 21.663, 1e-9);
	assert_non_null(bench_json_get(&o, "nothing"));
	assert_int_equal(bench_json_get(&o, "nothing")->type, BENCH_J_NULL);
	assert_true(isnan(bench_json_num(&o, "nothing")));
}

static void test_strings_and_escapes(void **state)
{
	(void)state;
	assert_true(parse("{ \"a\" : \"x\\\"y\\\\z\\n\", \"u\":\"\\u00e9!\" }") > 0);
	assert_string_equal(bench_json_str(&o, "a"), "x\"y\\z\n");
	assert_string_equal(bench_json_str(&o, "u"), "\xc3\xa9!"); /* U+00E9 in UTF-8 */
}

static void test_malformed_rejected(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"",
		"{",
		"{\"a\":}",
		"{\"a\":1,}",
		"{\"a\" 1}",
		"{a:1}",
		"{\"a\":tru}",
		"{\"a\":\"unterminated}",
		"{\"a\":[1,2}",
		"[1,2]",
		"{\"a\":1",
		"{\"a\":-}",
		"{\"a\":\"ctl\x01\"}",
		"{\"a\":\"\\q\"}",
		"{\"a\":1e}",
		"{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":{\"i\":1}}}}}}}}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(parse(bad[i]), -1);
}

/* A truncated line (a killed run) must not read past its end. */
static void test_truncated_buffer(void **state)
{
	(void)state;
	const char *s = "{\"workload\":\"cg\",\"mflops\":1234.5}";
	for (size_t n = 0; n < strlen(s); n++)
		assert_int_equal(bench_json_parse(s, n, &o), -1);
	assert_true(bench_json_parse(s, strlen(s), &o) > 0);
}

/* Human-readable output around the result line; the last matching object wins. */
static void test_find_in_output(void **state)
{
	(void)state;
	const char *out = "cg: 16x16x16 grid, 4096 rows, 2 threads\n"
			  "note: {\"workload\":\"cg\",\"ok\":false} not at line start\n"
			  "{\"workload\":\"cg\",\"ok\":false,\"mflops\":1}\n"
			  "{\"workload\":\"stream\",\"ok\":true}\n"
			  "{\"workload\":\"cg\",\"ok\":true,\"mflops\":2}\n"
			  "{\"workload\":\"cg\",\"ok\":tr\n" /* cut off: ignored */
			  "trailing text\n";
	assert_int_equal(find(out, "workload", "cg"), 0);
	assert_true(bench_json_true(&o, "ok"));
	assert_float_equal(bench_json_num(&o, "mflops"), 2, 0);
	assert_int_equal(find(out, "workload", "stream"), 0);
	assert_int_equal(find(out, "workload", "dgemm"), -1);
	assert_int_equal(find("no json here\n", "workload", NULL), -1);
	assert_int_equal(find(out, "exit_code", NULL), -1);
	/* an object spread over lines (pretty-printed stats) is found too */
	assert_int_equal(find("x\n{\n  \"exit_code\": 3,\n  \"a\": [1]\n}\n", "exit_code", NULL),
			 0);
	assert_int_equal((int)bench_json_num(&o, "exit_code"), 3);
}

static void test_long_keys_and_many_keys(void **state)
{
	(void)state;
	char buf[20000];
	size_t n = 0;
	n += (size_t)snprintf(buf + n, sizeof buf - n, "{\"");
	for (int i = 0; i < 200; i++)
		buf[n++] = 'k';
	n += (size_t)snprintf(buf + n, sizeof buf - n, "\":1}");
	assert_true(bench_json_parse(buf, n, &o) > 0);
	assert_int_equal((int)strlen(o.kv[0].key), BENCH_JSON_KEY - 1);
	/* more keys than the reader keeps: refused, not overrun */
	n = (size_t)snprintf(buf, sizeof buf, "{");
	for (int i = 0; i < BENCH_JSON_MAX_KV + 1; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s\"k%d\":%d", i ? "," : "", i, i);
	n += (size_t)snprintf(buf + n, sizeof buf - n, "}");
	assert_int_equal(bench_json_parse(buf, n, &o), -1);
}

/*
 * Every single-character damage to a real line either parses or is refused; the text sits in
 * an exact-size heap buffer without a terminator, so a read past its end shows under ASan.
 */
static void test_damaged_lines(void **state)
{
	(void)state;
	const char *line = "{\"workload\":\"fwq\",\"ok\":true,\"min_us\":17.7,\"hist\":[1,2],"
			   "\"x\":{\"y\":null},\"s\":\"a\\\"b\"}";
	const char subst[] = "{}[]\",:\\0-e.tfn \n";
	size_t len = strlen(line);
	char *buf = malloc(len);
	assert_non_null(buf);
	for (size_t i = 0; i < len; i++) {
		for (size_t k = 0; k < sizeof subst - 1; k++) {
			memcpy(buf, line, len);
			buf[i] = subst[k];
			for (size_t cut = i; cut <= len; cut += len - i > 4 ? (len - i) / 4 : 1) {
				long r = bench_json_parse(buf, cut, &o);
				assert_true(r == -1 || (r > 0 && (size_t)r <= cut));
			}
		}
	}
	free(buf);
}

static void test_summary(void **state)
{
	(void)state;
	double v[] = { 5, 1, NAN, 3, 4 };
	struct bench_summary s = bench_summarize(v, 5);
	assert_int_equal(s.n, 4);
	assert_float_equal(s.median, 3.5, 1e-12);
	assert_float_equal(s.min, 1, 0);
	assert_float_equal(s.max, 5, 0);
	assert_float_equal(s.spread, 4 / 3.5, 1e-12);
	double odd[] = { 2, 9, 4 };
	s = bench_summarize(odd, 3);
	assert_float_equal(s.median, 4, 0);
	s = bench_summarize(v, 0);
	assert_int_equal(s.n, 0);
	assert_true(isnan(s.median));
	double nans[] = { NAN, NAN };
	s = bench_summarize(nans, 2);
	assert_int_equal(s.n, 0);
	assert_float_equal(bench_ratio(99, 100), 0.99, 1e-12);
	assert_true(isnan(bench_ratio(1, 0)));
	assert_true(isnan(bench_ratio(NAN, 1)));
}

/* Best runs: the fastest of each peer, whichever direction "fast" is. */
static void test_best_ratio(void **state)
{
	(void)state;
	double vm[] = { 9, 10, 6 }, native[] = { 8, 11, 10 };
	struct bench_summary a = bench_summarize(vm, 3), b = bench_summarize(native, 3);
	assert_float_equal(bench_best_ratio(a, b, 1), 10.0 / 11.0, 1e-12);
	assert_float_equal(bench_best_ratio(a, b, 0), 6.0 / 8.0, 1e-12);
	struct bench_summary none = bench_summarize(vm, 0);
	assert_true(isnan(bench_best_ratio(none, b, 1)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_workload_line),
		cmocka_unit_test(test_ok_false_is_not_true),
		cmocka_unit_test(test_nested_flattening),
		cmocka_unit_test(test_strings_and_escapes),
		cmocka_unit_test(test_malformed_rejected),
		cmocka_unit_test(test_truncated_buffer),
		cmocka_unit_test(test_find_in_output),
		cmocka_unit_test(test_long_keys_and_many_keys),
		cmocka_unit_test(test_damaged_lines),
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_best_ratio),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
