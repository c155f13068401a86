#include "agent_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "json_fields.h"

const char *const agent_config_keys[] = { "share_roots", "console_max_kib", NULL };

void agent_config_defaults(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	c->console_max_kib = AGENT_CONSOLE_MAX_KIB_DEFAULT;
}

static int read_roots(const json_t *arr, struct agent_config *c, struct api_error *err)
{
	if (!json_is_array(arr))
		return api_fail(err, 400, "share_roots", "must be an array of absolute paths");
	if (json_array_size(arr) > AGENT_SHARE_ROOTS_MAX)
		return api_fail(err, 400, "share_roots", "more than %d roots",
				AGENT_SHARE_ROOTS_MAX);
	size_t i;
	json_t *v;
	json_array_foreach(arr, i, v)
	{
		char field[32];
		snprintf(field, sizeof(field), "share_roots[%zu]", i);
		const char *s = json_string_value(v);
		if (!s || s[0] != '/' || strlen(s) != json_string_length(v))
			return api_fail(err, 400, field, "must be an absolute path");
		char *real = realpath(s, NULL);
		if (!real)
			return api_fail(err, 400, field, "%.300s: %s", s, strerror(errno));
		struct stat st;
		bool dir = stat(real, &st) == 0 && S_ISDIR(st.st_mode);
		bool fits = strlen(real) < sizeof(c->share_roots[0]);
		if (dir && fits)
			snprintf(c->share_roots[c->n_share_roots++], sizeof(c->share_roots[0]),
				 "%s", real);
		free(real);
		if (!dir || !fits)
			return api_fail(err, 400, field, "%.300s is not a directory", s);
	}
	c->has_share_roots = true;
	return 0;
}

int agent_config_from_json(const json_t *obj, struct agent_config *c, struct api_error *err)
{
	agent_config_defaults(c);
	if (!json_is_object(obj))
		return api_fail(err, 400, "body", "expected a JSON object");
	json_t *roots = json_object_get(obj, "share_roots");
	if (roots && read_roots(roots, c, err) < 0)
		return -1;
	int64_t kib;
	bool has = false;
	if (json_get_int_range(obj, "console_max_kib", false, AGENT_CONSOLE_MAX_KIB_MIN,
			       AGENT_CONSOLE_MAX_KIB_MAX, &kib, &has, err) < 0)
		return -1;
	if (has)
		c->console_max_kib = (uint64_t)kib;
	return 0;
}

int agent_config_load(const char *path, struct agent_config *c, struct api_error *err)
{
	agent_config_defaults(c);
	json_error_t jerr;
	json_t *obj = json_load_file(path, 0, &jerr);
	if (!obj) {
		FILE *f = fopen(path, "re");
		if (!f && errno == ENOENT)
			return 0;
		if (f)
			fclose(f);
		return api_fail(err, 400, "config", "%s: %s", path, jerr.text);
	}
	int rc = agent_config_from_json(obj, c, err);
	json_decref(obj);
	if (rc < 0) {
		char msg[sizeof(err->message)];
		snprintf(msg, sizeof(msg), "%s", err->message);
		snprintf(err->message, sizeof(err->message), "%s: %s: %s", path, err->field, msg);
	}
	return rc;
}
