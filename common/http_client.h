/* A minimal HTTP/1.1 client over a Unix socket: one request, Connection: close. */
#ifndef DSV_HTTP_CLIENT_H
#define DSV_HTTP_CLIENT_H

#include <stddef.h>

struct http_reply {
	int status;
	char *body; /* malloc'd, NUL-terminated */
	size_t len;
};

/* Returns 0 with a reply, or -1 with a message in err when dsvd cannot be reached. */
int http_request(const char *socket_path, const char *method, const char *path, const char *body,
		 struct http_reply *reply, char *err, size_t errlen);
void http_reply_free(struct http_reply *r);

#endif
