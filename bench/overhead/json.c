/* Flattening JSON reader (see json.h). Recursive descent over a bounded depth. */
#include "json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8

struct rd {
	const char *p, *end;
	struct ovh_obj *o;
	int depth;
};

static void blanks(struct rd *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool eat(struct rd *r, char c)
{
	blanks(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

/* Reads a string into out (truncated to cap-1, NUL-terminated). Escapes: \uXXXX -> '?'. */
static bool string(struct rd *r, char *out, size_t cap)
{
	size_t n = 0;
	if (!eat(r, '"'))
		return false;
	while (r->p < r->end && *r->p != '"') {
		char c = *r->p++;
		if ((unsigned char)c < 0x20)
			return false;
		if (c == '\\') {
			if (r->p >= r->end)
				return false;
			char e = *r->p++;
			switch (e) {
			case 'n': c = '\n'; break;
			case 't': c = '\t'; break;
			case 'r': c = '\r'; break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case '"': case '\\': case '/': c = e; break;
			case 'u':
				for (int k = 0; k < 4; k++, r->p++)
					if (r->p >= r->end || !strchr("0123456789abcdefABCDEF", *r->p))
						return false;
				c = '?';
				break;
			default:
				return false;
			}
		}
		if (n + 1 < cap)
			out[n++] = c;
	}
	if (r->p >= r->end)
		return false;
	r->p++;
	out[n] = 0;
	return true;
}

static struct ovh_kv *add(struct rd *r, const char *key, enum ovh_jtype t)
{
	if (r->o->n >= OVH_JSON_MAX_KV)
		return NULL;
	struct ovh_kv *kv = &r->o->kv[r->o->n++];
	memset(kv, 0, sizeof *kv);
	snprintf(kv->key, sizeof kv->key, "%s", key);
	kv->type = t;
	kv->num = NAN;
	return kv;
}

static bool literal(struct rd *r, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n))
		return false;
	r->p += n;
	return true;
}

static bool object(struct rd *r, const char *prefix);

static bool value(struct rd *r, const char *key)
{
	blanks(r);
	if (r->p >= r->end)
		return false;
	char c = *r->p;
	struct ovh_kv *kv;
	if (c == '{')
		return object(r, key);
	if (c == '[') {
		if (++r->depth > MAX_DEPTH)
			return false;
		r->p++;
		if (!eat(r, ']')) {
			int i = 0;
			do {
				char sub[OVH_JSON_KEY];
				if (snprintf(sub, sizeof sub, "%s.%d", key, i++) < 0)
					return false;
				if (!value(r, sub))
					return false;
			} while (eat(r, ','));
			if (!eat(r, ']'))
				return false;
		}
		r->depth--;
		return true;
	}
	if (c == '"') {
		char buf[OVH_JSON_STR];
		if (!string(r, buf, sizeof buf) || !(kv = add(r, key, OVH_J_STR)))
			return false;
		memcpy(kv->str, buf, sizeof buf);
		return true;
	}
	bool yes = literal(r, "true");
	if (yes || literal(r, "false")) {
		if (!(kv = add(r, key, OVH_J_BOOL)))
			return false;
		kv->num = yes ? 1 : 0;
		return true;
	}
	if (literal(r, "null"))
		return add(r, key, OVH_J_NULL) != NULL;
	if (c == '-' || (c >= '0' && c <= '9')) {
		/* strtod would read past the buffer's end: copy the number's characters first */
		char num[64];
		size_t n = 0;
		while (r->p < r->end && n + 1 < sizeof num && strchr("0123456789+-.eE", *r->p))
			num[n++] = *r->p++;
		num[n] = 0;
		char *e;
		double d = strtod(num, &e);
		if (e == num || *e || !(kv = add(r, key, OVH_J_NUM)))
			return false;
		kv->num = d;
		return true;
	}
	return false;
}

static bool object(struct rd *r, const char *prefix)
{
	if (++r->depth > MAX_DEPTH || !eat(r, '{'))
		return false;
	if (eat(r, '}')) {
		r->depth--;
		return true;
	}
	do {
		char name[OVH_JSON_KEY], key[OVH_JSON_KEY];
		blanks(r);
		if (!string(r, name, sizeof name) || !eat(r, ':'))
			return false;
		/* Over-long keys are truncated; nothing the runner looks up is that long. */
		if (snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", name) < 0)
			return false;
		if (!value(r, key))
			return false;
	} while (eat(r, ','));
	if (!eat(r, '}'))
		return false;
	r->depth--;
	return true;
}

long ovh_json_parse(const char *text, size_t len, struct ovh_obj *o)
{
	struct rd r = { text, text + len, o, 0 };
	o->n = 0;
	if (!object(&r, ""))
		return -1;
	return (long)(r.p - text);
}

int ovh_json_find(const char *text, size_t len, const char *key, const char *want,
		  struct ovh_obj *o)
{
	static struct ovh_obj tmp; /* large: keep it off the stack */
	int found = -1;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '{' || (i > 0 && text[i - 1] != '\n'))
			continue;
		if (ovh_json_parse(text + i, len - i, &tmp) < 0)
			continue;
		const struct ovh_kv *kv = ovh_json_get(&tmp, key);
		if (!kv || (want && (kv->type != OVH_J_STR || strcmp(kv->str, want))))
			continue;
		*o = tmp;
		found = 0;
	}
	return found;
}

const struct ovh_kv *ovh_json_get(const struct ovh_obj *o, const char *key)
{
	for (int i = 0; i < o->n; i++)
		if (!strcmp(o->kv[i].key, key))
			return &o->kv[i];
	return NULL;
}

double ovh_json_num(const struct ovh_obj *o, const char *key)
{
	const struct ovh_kv *kv = ovh_json_get(o, key);
	return kv && (kv->type == OVH_J_NUM || kv->type == OVH_J_BOOL) ? kv->num : NAN;
}

const char *ovh_json_str(const struct ovh_obj *o, const char *key)
{
	const struct ovh_kv *kv = ovh_json_get(o, key);
	return kv && kv->type == OVH_J_STR ? kv->str : NULL;
}

bool ovh_json_true(const struct ovh_obj *o, const char *key)
{
	const struct ovh_kv *kv = ovh_json_get(o, key);
	return kv && kv->type == OVH_J_BOOL && kv->num == 1;
}
