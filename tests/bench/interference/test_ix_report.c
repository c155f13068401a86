/* The report's table (bench/interference/report.c) with lwk and image hogs side by side:
 * one row per scenario and hog kind, slowdowns against the runs without hogs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interference.h"

static struct ix_cfg cfg;
static struct ix_ctx x;
static struct ix_sample res[NSCN][NHOGKIND][IX_MAX_REPS];

static void put(enum ix_scn s, enum ix_hog_kind k, double a, double b)
{
	const double t[2] = { a, b };
	for (int r = 0; r < 2; r++) {
		struct ix_sample *m = &res[s][k][r];
		memset(m, 0, sizeof *m);
		m->ok = true;
		m->seconds = t[r];
		m->figure = 100 / t[r];
		m->noise_pct = m->detour_us = m->other_ms = m->hog_ms = NAN;
	}
}

static char *table(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	assert_non_null(f);
	ix_report_table(f, &x, res);
	fclose(f);
	return text;
}

static void setup_run(bool lwk, bool image)
{
	memset(&cfg, 0, sizeof cfg);
	memset(res, 0, sizeof res);
	cfg.reps = 2;
	cfg.hogs = 2;
	cfg.workload = "cg";
	cfg.kind_on[HOG_LWK] = lwk;
	cfg.kind_on[HOG_IMAGE] = image;
	for (int s = 0; s < NSCN; s++)
		cfg.scn_on[s] = true;
	x.cfg = &cfg;
	/* medians: native 2.0, hpc-alone 2.0, dual lwk 2.0, dual image 3.0, single lwk 4.0,
	 * single image 5.0, pinned lwk 2.5, pinned image 6.0 */
	put(SCN_NATIVE, HOG_LWK, 1.9, 2.1);
	put(SCN_HPC_ALONE, HOG_LWK, 2.0, 2.0);
	put(SCN_DUAL, HOG_LWK, 1.8, 2.2);
	put(SCN_DUAL, HOG_IMAGE, 3.0, 3.0);
	put(SCN_SINGLE, HOG_LWK, 4.0, 4.0);
	put(SCN_SINGLE, HOG_IMAGE, 5.0, 5.0);
	put(SCN_SINGLE_PINNED, HOG_LWK, 2.5, 2.5);
	put(SCN_SINGLE_PINNED, HOG_IMAGE, 6.0, 6.0);
}

/* The columns up to the slowdowns: scenario, hogs, runs ok, median, CoV, vs native, vs
 * hpc-alone. */
static void has_row(const char *t, const char *scn, const char *hogs, const char *slow,
		    const char *slow_hpc)
{
	char want[256];
	snprintf(want, sizeof want, "| %s | %s | 2/2 |", scn, hogs);
	const char *row = strstr(t, want);
	if (!row)
		fail_msg("no row '%s' in:\n%s", want, t);
	char line[512];
	snprintf(line, sizeof line, "%.*s", (int)strcspn(row, "\n"), row);
	char cells[12][64];
	int n = 0;
	for (char *save = NULL, *c = strtok_r(line, "|", &save); c && n < 12;
	     c = strtok_r(NULL, "|", &save)) {
		while (*c == ' ')
			c++;
		snprintf(cells[n], sizeof cells[n], "%.*s", (int)strcspn(c, " "), c);
		n++;
	}
	assert_true(n >= 7);
	assert_string_equal(cells[5], slow);
	assert_string_equal(cells[6], slow_hpc);
}

static int count_rows(const char *t)
{
	int n = 0;
	for (const char *p = t; (p = strstr(p, "\n| ")); p++)
		n++;
	return n + (t[0] == '|' ? 1 : 0);
}

static void both_kinds_side_by_side(void **state)
{
	(void)state;
	setup_run(true, true);
	char *t = table();
	assert_non_null(strstr(t, "| scenario | hogs | runs ok |"));
	has_row(t, "native-alone", "-", "1.000", "1.000");
	has_row(t, "hpc-alone", "-", "1.000", "1.000");
	has_row(t, "dual-stack", "lwk", "1.000", "1.000");
	has_row(t, "dual-stack", "image", "1.500", "1.500");
	has_row(t, "single-stack", "lwk", "2.000", "2.000");
	has_row(t, "single-stack", "image", "2.500", "2.500");
	has_row(t, "single-stack-pinned", "lwk", "1.250", "1.250");
	has_row(t, "single-stack-pinned", "image", "3.000", "3.000");
	/* header, rule, 2 rows without hogs, 3 scenarios x 2 kinds */
	assert_int_equal(count_rows(t), 2 + 2 + 6);
	/* the kinds of a scenario are adjacent, lwk first */
	assert_true(strstr(t, "| dual-stack | lwk |") < strstr(t, "| dual-stack | image |"));
	free(t);
}

static void image_kind_alone(void **state)
{
	(void)state;
	setup_run(false, true);
	char *t = table();
	has_row(t, "dual-stack", "image", "1.500", "1.500");
	assert_null(strstr(t, "| lwk |"));
	assert_int_equal(count_rows(t), 2 + 2 + 3);
	free(t);
}

/* No hogs (--hogs 0): one row per scenario, whatever the kinds. */
static void no_hogs_one_row(void **state)
{
	(void)state;
	setup_run(true, true);
	cfg.hogs = 0;
	char *t = table();
	has_row(t, "dual-stack", "-", "1.000", "1.000");
	assert_int_equal(count_rows(t), 2 + 5);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(both_kinds_side_by_side),
		cmocka_unit_test(image_kind_alone),
		cmocka_unit_test(no_hogs_one_row),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
