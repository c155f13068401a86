/* The HTTP side: a Unix socket (mode 0660, group optional) served by libmicrohttpd with one
 * internal polling thread, so requests are handled one at a time. Peers are checked with
 * SO_PEERCRED: root, the agent's own user, or members of the configured group. */
#ifndef DSVD_HTTP_SERVER_H
#define DSVD_HTTP_SERVER_H

#include <stdbool.h>
#include <sys/types.h>

#include "agent.h"

struct http_server;

struct http_server *http_server_start(struct agent *a, const char *socket_path, char *err,
				      size_t errlen);
void http_server_stop(struct http_server *s);

/* The access rule, separated for tests. groups: the peer's supplementary groups. */
bool peer_allowed(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups, uid_t self,
		  bool has_group, gid_t group);

#endif
