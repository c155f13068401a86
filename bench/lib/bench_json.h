/*
 * Result lines for the benchmark runners: the workloads' one-line objects and hvmm's
 * --stats=json object, parsed by jansson and flattened into dotted keys ("exits.io") and
 * indexed keys ("hist.3"), so that a figure is one lookup.
 */
#ifndef BENCH_JSON_H
#define BENCH_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define BENCH_JSON_MAX_KV 256
#define BENCH_JSON_KEY 96
#define BENCH_JSON_STR 128

enum bench_jtype {
	BENCH_J_NUM,
	BENCH_J_STR,
	BENCH_J_BOOL,
	BENCH_J_NULL
};

struct bench_kv {
	char key[BENCH_JSON_KEY];
	enum bench_jtype type;
	double num;		  /* numbers; bools as 0/1 */
	char str[BENCH_JSON_STR]; /* strings, truncated */
};

struct bench_obj {
	struct bench_kv kv[BENCH_JSON_MAX_KV];
	int n;
};

/*
 * Parses one JSON object starting at text[0] (after optional blanks). Returns the number
 * of bytes consumed, or -1 when it is not a well-formed object, is nested deeper than a
 * result line is, or has more than BENCH_JSON_MAX_KV values. Keys and strings that are too
 * long are truncated.
 */
long bench_json_parse(const char *text, size_t len, struct bench_obj *o);

/*
 * Finds the last object in text that starts at the beginning of a line and has key with
 * string value want (want NULL: any value). Returns 0 and fills o, or -1.
 */
int bench_json_find(const char *text, size_t len, const char *key, const char *want,
		    struct bench_obj *o);

const struct bench_kv *bench_json_get(const struct bench_obj *o, const char *key);
/* The number (or bool) under key; NaN when missing or not a number. */
double bench_json_num(const struct bench_obj *o, const char *key);
/* The string under key, or NULL. */
const char *bench_json_str(const struct bench_obj *o, const char *key);
/* True only when key holds the literal true. */
bool bench_json_true(const struct bench_obj *o, const char *key);

#endif
