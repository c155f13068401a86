#include "share_policy.h"

#include <stdbool.h>
#include <string.h>

/* dir itself or anything below it */
static bool within(const char *path, const char *dir)
{
	size_t n = strlen(dir);
	if (n == 1 && dir[0] == '/')
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

int share_policy_check(const struct agent_config *c, const char *state_real, const char *real,
		       struct api_error *err)
{
	static const char *const refused[] = { "/proc", "/sys", "/dev", "/etc", NULL };
	if (real[0] != '/')
		return api_fail(err, 400, "share", "resolves to '%.300s', not a directory path",
				real);
	if (strcmp(real, "/") == 0)
		return api_fail(err, 403, "share", "the root directory cannot be shared");
	for (const char *const *r = refused; *r; r++)
		if (within(real, *r))
			return api_fail(err, 403, "share",
					"%.300s is under %s, which cannot be shared", real, *r);
	if (state_real[0] && (within(real, state_real) || within(state_real, real)))
		return api_fail(err, 403, "share",
				"%.300s would expose the agent's state directory %.300s", real,
				state_real);
	if (!c->has_share_roots)
		return 0;
	for (unsigned i = 0; i < c->n_share_roots; i++)
		if (within(real, c->share_roots[i]))
			return 0;
	return api_fail(err, 403, "share",
			"%.300s is outside the share roots this node allows "
			"(share_roots in its config)",
			real);
}
