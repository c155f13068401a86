/* Result lines through jansson, flattened into dotted keys (see bench_json.h). */
#include "bench_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Result lines are shallow; a deeper object is not one of ours. */
#define MAX_DEPTH 8

static int add(struct bench_obj *o, const char *key, enum bench_jtype type, double num,
	       const char *str)
{
	if (o->n >= BENCH_JSON_MAX_KV)
		return -1;
	struct bench_kv *kv = &o->kv[o->n++];
	snprintf(kv->key, sizeof kv->key, "%s", key);
	kv->type = type;
	kv->num = num;
	snprintf(kv->str, sizeof kv->str, "%s", str ? str : "");
	return 0;
}

static int flatten(struct bench_obj *o, const char *prefix, const json_t *v, int depth)
{
	char key[2 * BENCH_JSON_KEY];

	if (depth > MAX_DEPTH)
		return -1;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *k;
		const json_t *child;
		json_object_foreach((json_t *)v, k, child)
		{
			snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", k);
			if (flatten(o, key, child, depth + 1) < 0)
				return -1;
		}
		return 0;
	}
	case JSON_ARRAY: {
		size_t i;
		const json_t *child;
		json_array_foreach(v, i, child)
		{
			snprintf(key, sizeof key, "%s.%zu", prefix, i);
			if (flatten(o, key, child, depth + 1) < 0)
				return -1;
		}
		return 0;
	}
	case JSON_STRING:
		return add(o, prefix, BENCH_J_STR, NAN, json_string_value(v));
	case JSON_INTEGER:
	case JSON_REAL:
		return add(o, prefix, BENCH_J_NUM, json_number_value(v), NULL);
	case JSON_TRUE:
	case JSON_FALSE:
		return add(o, prefix, BENCH_J_BOOL, json_is_true(v), NULL);
	default:
		return add(o, prefix, BENCH_J_NULL, NAN, NULL);
	}
}

long bench_json_parse(const char *text, size_t len, struct bench_obj *o)
{
	json_error_t e;
	/* one value at the start of text; what follows it is not ours to judge */
	json_t *v = json_loadb(text, len, JSON_DISABLE_EOF_CHECK | JSON_REJECT_DUPLICATES, &e);
	long used = -1;

	o->n = 0;
	if (!v)
		return -1;
	if (json_is_object(v) && flatten(o, "", v, 0) == 0)
		used = (long)e.position;
	json_decref(v);
	if (used <= 0 || (size_t)used > len)
		return -1;
	return used;
}

int bench_json_find(const char *text, size_t len, const char *key, const char *want,
		    struct bench_obj *o)
{
	static struct bench_obj tmp; /* large: keep it off the stack */
	int found = -1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '{' || (i > 0 && text[i - 1] != '\n'))
			continue;
		if (bench_json_parse(text + i, len - i, &tmp) < 0)
			continue;
		const struct bench_kv *kv = bench_json_get(&tmp, key);
		if (!kv || (want && (kv->type != BENCH_J_STR || strcmp(kv->str, want))))
			continue;
		*o = tmp;
		found = 0;
	}
	return found;
}

const struct bench_kv *bench_json_get(const struct bench_obj *o, const char *key)
{
	for (int i = 0; i < o->n; i++)
		if (!strcmp(o->kv[i].key, key))
			return &o->kv[i];
	return NULL;
}

double bench_json_num(const struct bench_obj *o, const char *key)
{
	const struct bench_kv *kv = bench_json_get(o, key);
	return kv && (kv->type == BENCH_J_NUM || kv->type == BENCH_J_BOOL) ? kv->num : NAN;
}

const char *bench_json_str(const struct bench_obj *o, const char *key)
{
	const struct bench_kv *kv = bench_json_get(o, key);
	return kv && kv->type == BENCH_J_STR ? kv->str : NULL;
}

bool bench_json_true(const struct bench_obj *o, const char *key)
{
	const struct bench_kv *kv = bench_json_get(o, key);
	return kv && kv->type == BENCH_J_BOOL && kv->num == 1;
}
