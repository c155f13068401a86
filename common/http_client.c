#include "http_client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, char **out, size_t *outlen)
{
	size_t cap = 8192, len = 0;
	char *buf = malloc(cap);
	if (!buf)
		return -1;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *b = realloc(buf, cap * 2);
			if (!b) {
				free(buf);
				return -1;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(buf);
			return -1;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

/* Decodes a chunked body in place. */
static size_t unchunk(char *body, size_t len)
{
	char *in = body, *out = body, *end = body + len;
	while (in < end) {
		char *stop;
		unsigned long n = strtoul(in, &stop, 16);
		char *line_end = strstr(stop, "\r\n");
		if (!line_end || n == 0)
			break;
		in = line_end + 2;
		if (in + n > end)
			n = (unsigned long)(end - in);
		memmove(out, in, n);
		out += n;
		in += n + 2;
	}
	*out = '\0';
	return (size_t)(out - body);
}

int http_request(const char *socket_path, const char *method, const char *path, const char *body,
		 struct http_reply *reply, char *err, size_t errlen)
{
	memset(reply, 0, sizeof(*reply));
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", socket_path);
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(err, errlen,
			 "cannot reach dsvd at %s: %s (is dsvd running? --socket or "
			 "$DSV_SOCKET pick another socket)",
			 socket_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	size_t blen = body ? strlen(body) : 0;
	char head[1024];
	int n = snprintf(head, sizeof(head),
			 "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
			 "Accept: application/json\r\n%s"
			 "Content-Length: %zu\r\n\r\n",
			 method, path, blen ? "Content-Type: application/json\r\n" : "", blen);
	char *raw = NULL;
	size_t rawlen = 0;
	if (n < 0 || (size_t)n >= sizeof(head) || write_all(fd, head, (size_t)n) < 0 ||
	    (blen && write_all(fd, body, blen) < 0) || read_all(fd, &raw, &rawlen) < 0) {
		snprintf(err, errlen, "talking to dsvd at %s: %s", socket_path, strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	char *hdr_end = strstr(raw, "\r\n\r\n");
	if (sscanf(raw, "HTTP/1.%*d %d", &reply->status) != 1 || !hdr_end) {
		snprintf(err, errlen, "dsvd sent a malformed reply");
		free(raw);
		return -1;
	}
	*hdr_end = '\0';
	int chunked = strcasestr(raw, "Transfer-Encoding: chunked") != NULL;
	char *b = hdr_end + 4;
	size_t len = rawlen - (size_t)(b - raw);
	memmove(raw, b, len + 1);
	if (chunked)
		len = unchunk(raw, len);
	reply->body = raw;
	reply->len = len;
	return 0;
}

void http_reply_free(struct http_reply *r)
{
	free(r->body);
	r->body = NULL;
}
