#include "json_fields.h"

#include <string.h>

json_t *json_parse_object(const char *text, size_t len, struct api_error *err)
{
	json_error_t jerr;
	if (len == 0) {
		api_fail(err, 400, "body", "empty request body, expected a JSON object");
		return NULL;
	}
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		api_fail(err, 400, "body", "malformed JSON at line %d column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return NULL;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		api_fail(err, 400, "body", "expected a JSON object");
		return NULL;
	}
	return root;
}

int json_only_fields(const json_t *obj, const char *const *allowed, struct api_error *err)
{
	const char *key;
	json_t *value;
	json_object_foreach((json_t *)obj, key, value)
	{
		(void)value;
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			if (strcmp(*a, key) == 0)
				known = true;
		if (!known) /* an empty key is named too (found by fuzz_dsvd_config) */
			return api_fail(err, 400, key[0] ? key : "\"\"", "unknown field");
	}
	return 0;
}

int json_get_int_range(const json_t *obj, const char *key, bool required, int64_t min, int64_t max,
		       int64_t *out, bool *present, struct api_error *err)
{
	json_t *v = json_object_get(obj, key);
	if (present)
		*present = v != NULL;
	if (!v) {
		if (required)
			return api_fail(err, 400, key, "required field is missing");
		return 0;
	}
	if (!json_is_integer(v))
		return api_fail(err, 400, key, "must be an integer");
	json_int_t n = json_integer_value(v);
	if (n < min || n > max)
		return api_fail(err, 400, key, "%lld is out of range [%lld, %lld]", (long long)n,
				(long long)min, (long long)max);
	*out = n;
	return 0;
}

int json_get_string(const json_t *obj, const char *key, bool required, size_t maxlen,
		    const char **out, struct api_error *err)
{
	json_t *v = json_object_get(obj, key);
	*out = NULL;
	if (!v) {
		if (required)
			return api_fail(err, 400, key, "required field is missing");
		return 0;
	}
	if (!json_is_string(v))
		return api_fail(err, 400, key, "must be a string");
	size_t len = json_string_length(v);
	const char *s = json_string_value(v);
	if (strlen(s) != len)
		return api_fail(err, 400, key, "must not contain NUL bytes");
	if (len > maxlen)
		return api_fail(err, 400, key, "longer than %zu bytes", maxlen);
	*out = s;
	return 0;
}
