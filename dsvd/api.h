/* The REST API: routes a request (method, path, body) to the agent and produces the response
 * (status, body, content type). No HTTP library here, so it is tested directly. */
#ifndef DSVD_API_H
#define DSVD_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent.h"

#define API_BODY_MAX (64 * 1024)
#define API_CONSOLE_MAX (1024 * 1024)

#define API_VERSION_PREFIX "/v1"

struct api_request {
	const char *method, *path; /* path without the query string */
	const char *body;
	size_t body_len;
	/* a query argument by name, or NULL (may be left NULL: no arguments) */
	const char *(*arg)(void *ctx, const char *name);
	void *arg_ctx;
	const char
		*last_event_id; /* the Last-Event-ID header of a resuming event stream, or NULL */
};

struct api_response {
	int status;
	char *body;	 /* malloc'd */
	size_t body_len; /* 0: strlen(body) */
	const char *content_type;
	const char *allow;    /* for 405 */
	bool events_stream;   /* GET /events: the HTTP layer streams the event log instead, */
	uint64_t events_from; /* from this event on (0: from now) */
};

/* Serializes requests with the agent's own periodic work (api_tick): libmicrohttpd serves
 * requests one at a time, the tick runs in its own thread. */
void api_handle_request(struct agent *a, const struct api_request *q, struct api_response *r);
/* The same without query arguments. */
void api_handle(struct agent *a, const char *method, const char *path, const char *body,
		size_t body_len, struct api_response *r);
/* Sets an error response: {"error": message, "field": field}. */
/* What the agent does between requests: notice VM exits, tell the event log. */
void api_tick(struct agent *a);
void api_error_response(struct api_response *r, const struct api_error *err);

#endif
