/* Fair sharing of the agent's connections. libmicrohttpd serves at most HTTP_CONN_MAX; past
 * HTTP_CONN_SOFT each new connection makes room by closing one: from the peer user who holds
 * the most connections, one with no request in progress if it has any, the one idle longest.
 * A user's flood (idle connections, or connections that keep re-sending) only ever closes
 * that user's own connections, and a newcomer always gets in. */
#ifndef DSVD_HTTP_CONNS_H
#define DSVD_HTTP_CONNS_H

#include <stdbool.h>
#include <sys/types.h>

#define HTTP_CONN_MAX 256
#define HTTP_CONN_SOFT (HTTP_CONN_MAX - 16)

struct http_conn;

struct http_conns {
	struct http_conn *head, *tail; /* least recently active first */
	unsigned count;
	unsigned long evicted;
};

/* A connection opened (fd: its socket; *ctx: where to keep its record). Evicts as above. */
void http_conns_opened(struct http_conns *t, int fd, void **ctx);
void http_conns_closed(struct http_conns *t, void **ctx);
/* Activity on a connection: a request begins (busy) or ends (!busy). */
void http_conns_activity(struct http_conns *t, void *ctx, bool busy);

/* The choice, separated for tests: index of the connection to close among n, or -1.
 * uids[i], busy[i] and last[i] (activity time, smaller is older) describe connection i;
 * exclude is the index of the newcomer. */
int http_conns_victim(const uid_t *uids, const bool *busy, const double *last, int n, int exclude);

#endif
