#include "http_conns.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

struct http_conn {
	int fd;
	uid_t uid;
	bool busy;
	bool closing; /* shut down, waiting for libmicrohttpd to notice */
	double last;
	struct http_conn *prev, *next;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void unlink_conn(struct http_conns *t, struct http_conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		t->head = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		t->tail = c->prev;
	c->prev = c->next = NULL;
}

static void append(struct http_conns *t, struct http_conn *c)
{
	c->prev = t->tail;
	c->next = NULL;
	if (t->tail)
		t->tail->next = c;
	else
		t->head = c;
	t->tail = c;
}

int http_conns_victim(const uid_t *uids, const bool *busy, const double *last, int n, int exclude)
{
	/* the user with the most connections (the newcomer counts for its user) */
	int top = -1;
	unsigned top_count = 0;
	for (int i = 0; i < n; i++) {
		unsigned count = 0;
		for (int j = 0; j < n; j++)
			count += uids[j] == uids[i];
		if (count > top_count) {
			top_count = count;
			top = i;
		}
	}
	int best = -1;
	for (int i = 0; top >= 0 && i < n; i++) {
		if (i == exclude || uids[i] != uids[top])
			continue;
		if (best < 0 || (busy[best] && !busy[i]) ||
		    (busy[best] == busy[i] && last[i] < last[best]))
			best = i;
	}
	return best;
}

static void evict_one(struct http_conns *t, struct http_conn *newcomer)
{
	static uid_t uids[HTTP_CONN_MAX * 2];
	static bool busy[HTTP_CONN_MAX * 2];
	static double last[HTTP_CONN_MAX * 2];
	static struct http_conn *conns[HTTP_CONN_MAX * 2];
	int n = 0, exclude = -1;
	for (struct http_conn *c = t->head; c && n < HTTP_CONN_MAX * 2; c = c->next) {
		if (c->closing)
			continue;
		if (c == newcomer)
			exclude = n;
		conns[n] = c;
		uids[n] = c->uid;
		busy[n] = c->busy;
		last[n] = c->last;
		n++;
	}
	int v = http_conns_victim(uids, busy, last, n, exclude);
	if (v < 0)
		return;
	/* libmicrohttpd sees the end of the stream and closes it on its side */
	shutdown(conns[v]->fd, SHUT_RDWR);
	conns[v]->closing = true;
	t->evicted++;
}

void http_conns_opened(struct http_conns *t, int fd, void **ctx)
{
	struct http_conn *c = calloc(1, sizeof(*c));
	*ctx = c;
	if (!c) {
		shutdown(fd, SHUT_RDWR);
		return;
	}
	struct ucred cred;
	socklen_t len = sizeof(cred);
	c->fd = fd;
	c->uid = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 ? cred.uid : (uid_t)-1;
	c->last = now();
	append(t, c);
	t->count++;
	unsigned open = 0;
	for (struct http_conn *o = t->head; o; o = o->next)
		open += !o->closing;
	if (open > HTTP_CONN_SOFT)
		evict_one(t, c);
}

void http_conns_closed(struct http_conns *t, void **ctx)
{
	struct http_conn *c = *ctx;
	if (!c)
		return;
	unlink_conn(t, c);
	t->count--;
	free(c);
	*ctx = NULL;
}

void http_conns_activity(struct http_conns *t, void *ctx, bool busy)
{
	struct http_conn *c = ctx;
	if (!c)
		return;
	c->busy = busy;
	c->last = now();
	unlink_conn(t, c);
	append(t, c);
}
