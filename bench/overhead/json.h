/*
 * A small JSON reader for result lines: the workloads' one-line objects and hvmm's
 * --stats=json object. Nested objects are flattened into dotted keys ("exits.io") and
 * arrays of scalars into indexed keys ("hist.3"), which is all the runner needs.
 */
#ifndef OVH_JSON_H
#define OVH_JSON_H

#include <stdbool.h>
#include <stddef.h>

#define OVH_JSON_MAX_KV   256
#define OVH_JSON_KEY      96
#define OVH_JSON_STR      128

enum ovh_jtype { OVH_J_NUM, OVH_J_STR, OVH_J_BOOL, OVH_J_NULL };

struct ovh_kv {
	char key[OVH_JSON_KEY];
	enum ovh_jtype type;
	double num;                /* numbers; bools as 0/1 */
	char str[OVH_JSON_STR];    /* strings, truncated */
};

struct ovh_obj {
	struct ovh_kv kv[OVH_JSON_MAX_KV];
	int n;
};

/*
 * Parses one JSON object starting at text[0] (after optional blanks). Returns the number
 * of bytes consumed, or -1 when it is not a well-formed object (or too deep or too many
 * keys). Keys or strings that are too long are truncated, never overrun.
 */
long ovh_json_parse(const char *text, size_t len, struct ovh_obj *o);

/*
 * Finds the last object in text that starts at the beginning of a line and has key with
 * string value want (want NULL: any value). Returns 0 and fills o, or -1.
 */
int ovh_json_find(const char *text, size_t len, const char *key, const char *want,
		  struct ovh_obj *o);

const struct ovh_kv *ovh_json_get(const struct ovh_obj *o, const char *key);
/* The number (or bool) under key; NaN when missing or not a number. */
double ovh_json_num(const struct ovh_obj *o, const char *key);
/* The string under key, or NULL. */
const char *ovh_json_str(const struct ovh_obj *o, const char *key);
/* True only when key holds the literal true. */
bool ovh_json_true(const struct ovh_obj *o, const char *key);

#endif
