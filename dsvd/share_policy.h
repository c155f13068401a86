/* Which directories a VM may get as its share. Checked on the path the kernel resolved (as the
 * caller), so symlinks and ".." cannot get around it. Refused always: "/", /proc, /sys, /dev,
 * /etc and anything under them, and the agent's state directory, anything under it or above
 * it. With share_roots configured, the share must also lie in one of them. */
#ifndef DSVD_SHARE_POLICY_H
#define DSVD_SHARE_POLICY_H

#include "agent_config.h"
#include "api_error.h"

/* real: the resolved share; state_real: the resolved state directory. */
int share_policy_check(const struct agent_config *c, const char *state_real, const char *real,
		       struct api_error *err);

#endif
