#include "vm_env.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static int add_var(struct vm_env *env, const char *name, const json_t *v, struct api_error *err)
{
	char field[VM_ENV_NAME_MAX + 8];
	snprintf(field, sizeof(field), "env.%s", name);
	if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
		return api_fail(err, 400, field, "must be a string without NUL bytes");
	if (json_string_length(v) > VM_ENV_VALUE_MAX)
		return api_fail(err, 400, field, "longer than %d bytes", VM_ENV_VALUE_MAX);
	size_t len = strlen(name) + 1 + json_string_length(v) + 1;
	char *var = malloc(len);
	if (!var)
		return api_fail(err, 500, field, "out of memory");
	snprintf(var, len, "%s=%s", name, json_string_value(v));
	env->vars[env->count++] = var;
	return 0;
}

int vm_env_from_json(const json_t *obj, struct vm_env *env, struct api_error *err)
{
	memset(env, 0, sizeof(*env));
	json_t *o = json_object_get(obj, "env");
	if (!o)
		return 0;
	if (!json_is_object(o))
		return api_fail(err, 400, "env", "must be an object of names to string values");
	if (json_object_size(o) > VM_ENV_MAX)
		return api_fail(err, 400, "env", "more than %d variables", VM_ENV_MAX);
	const char *name;
	json_t *v;
	json_object_foreach(o, name, v)
	{
		/* a key is a C string to jansson: an embedded NUL would cut it short */
		if (strlen(name) > VM_ENV_NAME_MAX || !is_name(name))
			return api_fail(err, 400, "env",
					"'%.64s' is not a variable name (letters, digits and '_', "
					"not starting with a digit, at most %d bytes)",
					name, VM_ENV_NAME_MAX);
		if (strncmp(name, VM_ENV_RESERVED, strlen(VM_ENV_RESERVED)) == 0)
			return api_fail(err, 400, "env",
					"'%.64s': names starting with %s are hvmm's own settings, "
					"which the node's operator sets for every VM",
					name, VM_ENV_RESERVED);
		if (add_var(env, name, v, err) < 0)
			return -1;
	}
	return 0;
}

json_t *vm_env_to_json(const struct vm_env *env)
{
	if (!env->count)
		return NULL;
	json_t *o = json_object();
	for (unsigned i = 0; o && i < env->count; i++) {
		const char *eq = strchr(env->vars[i], '=');
		char name[VM_ENV_NAME_MAX + 1];
		snprintf(name, sizeof(name), "%.*s", (int)(eq - env->vars[i]), env->vars[i]);
		json_object_set_new(o, name, json_string(eq + 1));
	}
	return o;
}

void vm_env_free(struct vm_env *env)
{
	for (unsigned i = 0; i < env->count; i++)
		free(env->vars[i]);
	memset(env, 0, sizeof(*env));
}

char **vm_env_for_hvmm(const struct vm_env *env, char *const *host)
{
	size_t n = 0, reserved = strlen(VM_ENV_RESERVED);
	for (char *const *h = host; h && *h; h++)
		n += strncmp(*h, VM_ENV_RESERVED, reserved) == 0;
	char **out = calloc(n + 1 + env->count + 1, sizeof(*out));
	if (!out)
		return NULL;
	n = 0;
	for (char *const *h = host; h && *h; h++)
		if (strncmp(*h, VM_ENV_RESERVED, reserved) == 0)
			out[n++] = *h;
	bool has_path = false;
	for (unsigned i = 0; i < env->count; i++)
		has_path |= strncmp(env->vars[i], "PATH=", 5) == 0;
	if (!has_path)
		out[n++] = (char *)VM_ENV_DEFAULT_PATH;
	for (unsigned i = 0; i < env->count; i++)
		out[n++] = env->vars[i];
	return out;
}
