#include "event_stream.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RAW_MAX (1 << 20)

struct event_stream {
	int fd;
	bool chunked;
	char *raw; /* bytes read, not yet decoded */
	size_t raw_len;
	char *text; /* the decoded body, not yet parsed into events */
	size_t text_len;
	uint64_t first_seq;
	bool ended;
};

/* Reads more from the socket into raw. 1: got some; 0: EOF; -1: error. */
static int fill(struct event_stream *s)
{
	if (s->raw_len >= RAW_MAX)
		return -1;
	char *b = realloc(s->raw, s->raw_len + 65536 + 1);
	if (!b)
		return -1;
	s->raw = b;
	ssize_t n;
	do
		n = read(s->fd, s->raw + s->raw_len, 65536);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	s->raw_len += (size_t)n;
	s->raw[s->raw_len] = '\0';
	return n > 0;
}

static int append_text(struct event_stream *s, const char *p, size_t n)
{
	char *b = realloc(s->text, s->text_len + n + 1);
	if (!b)
		return -1;
	memcpy(b + s->text_len, p, n);
	s->text = b;
	s->text_len += n;
	s->text[s->text_len] = '\0';
	return 0;
}

static void consume_raw(struct event_stream *s, size_t n)
{
	memmove(s->raw, s->raw + n, s->raw_len - n + 1);
	s->raw_len -= n;
}

/* Moves whole chunks (or everything, unchunked) from raw to text. */
static int decode(struct event_stream *s)
{
	if (!s->chunked) {
		if (append_text(s, s->raw, s->raw_len) < 0)
			return -1;
		consume_raw(s, s->raw_len);
		return 0;
	}
	for (;;) {
		char *crlf = memmem(s->raw, s->raw_len, "\r\n", 2);
		if (!crlf)
			return 0;
		char *end;
		unsigned long n = strtoul(s->raw, &end, 16);
		if (end == s->raw)
			return -1;
		size_t head = (size_t)(crlf - s->raw) + 2;
		if (n == 0) {
			s->ended = true;
			consume_raw(s, s->raw_len);
			return 0;
		}
		if (s->raw_len < head + n + 2)
			return 0;
		if (append_text(s, s->raw + head, n) < 0)
			return -1;
		consume_raw(s, head + n + 2);
	}
}

/* One event's lines: "id: N", "event: T", "data: JSON", ": comment". */
static void parse_event(struct event_stream *s, char *block, struct stream_event *ev)
{
	for (char *line = strtok(block, "\n"); line; line = strtok(NULL, "\n")) {
		unsigned long long v;
		if (sscanf(line, ": events from seq %llu", &v) == 1)
			s->first_seq = v;
		else if (strncmp(line, "id: ", 4) == 0)
			ev->id = strtoull(line + 4, NULL, 10);
		else if (strncmp(line, "event: ", 7) == 0)
			snprintf(ev->type, sizeof(ev->type), "%s", line + 7);
		else if (strncmp(line, "data: ", 6) == 0) {
			json_decref(ev->data);
			ev->data = json_loads(line + 6, 0, NULL);
		}
	}
}

struct event_stream *event_stream_open(const char *socket_path, const uint64_t *since,
				       int *http_status, char *err, size_t errlen)
{
	*http_status = 0;
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(socket_path) >= sizeof(addr.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", socket_path);
		return NULL;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path);
	struct event_stream *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	s->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s->fd < 0 || connect(s->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		snprintf(err, errlen,
			 "cannot reach dsvd at %s: %s (is dsvd running? --socket or "
			 "$DSV_SOCKET pick another socket)",
			 socket_path, strerror(errno));
		event_stream_close(s);
		return NULL;
	}
	char req[256];
	int n = since ? snprintf(req, sizeof(req),
				 "GET /v1/events?since=%llu HTTP/1.1\r\nHost: "
				 "localhost\r\nAccept: text/event-stream\r\n\r\n",
				 (unsigned long long)*since)
		      : snprintf(req, sizeof(req),
				 "GET /v1/events HTTP/1.1\r\nHost: localhost\r\n"
				 "Accept: text/event-stream\r\n\r\n");
	if (write(s->fd, req, (size_t)n) != n) {
		snprintf(err, errlen, "talking to dsvd at %s: %s", socket_path, strerror(errno));
		event_stream_close(s);
		return NULL;
	}
	char *hdr_end;
	while (!(hdr_end = s->raw ? strstr(s->raw, "\r\n\r\n") : NULL)) {
		if (fill(s) <= 0) {
			snprintf(err, errlen,
				 "dsvd at %s closed the event stream before its headers",
				 socket_path);
			event_stream_close(s);
			return NULL;
		}
	}
	*hdr_end = '\0';
	if (sscanf(s->raw, "HTTP/1.%*d %d", http_status) != 1 || *http_status != 200) {
		json_t *body = json_loads(hdr_end + 4, 0, NULL);
		const char *msg = json_string_value(json_object_get(body, "error"));
		snprintf(err, errlen, "%s (HTTP %d)", msg ? msg : "dsvd refused the event stream",
			 *http_status);
		json_decref(body);
		event_stream_close(s);
		return NULL;
	}
	s->chunked = strcasestr(s->raw, "Transfer-Encoding: chunked") != NULL;
	consume_raw(s, (size_t)(hdr_end + 4 - s->raw));
	/* the stream's first comment says where it starts: from then on nothing is missed */
	while (!s->first_seq) {
		if (decode(s) < 0) {
			snprintf(err, errlen, "dsvd sent a malformed event stream");
			event_stream_close(s);
			return NULL;
		}
		char *sep = s->text ? strstr(s->text, "\n\n") : NULL;
		if (sep) {
			struct stream_event ev = { 0 };
			*sep = '\0';
			parse_event(s, s->text, &ev);
			json_decref(ev.data);
			size_t used = (size_t)(sep + 2 - s->text);
			memmove(s->text, s->text + used, s->text_len - used + 1);
			s->text_len -= used;
			if (!s->first_seq)
				break; /* not the comment dsvd starts with: go on without it */
			continue;
		}
		if (s->ended || fill(s) <= 0) {
			snprintf(err, errlen, "dsvd at %s ended the event stream at once",
				 socket_path);
			event_stream_close(s);
			return NULL;
		}
	}
	return s;
}

int event_stream_next(struct event_stream *s, struct stream_event *ev, char *err, size_t errlen)
{
	memset(ev, 0, sizeof(*ev));
	for (;;) {
		char *sep = s->text ? strstr(s->text, "\n\n") : NULL;
		while (sep) {
			*sep = '\0';
			parse_event(s, s->text, ev);
			size_t used = (size_t)(sep + 2 - s->text);
			memmove(s->text, s->text + used, s->text_len - used + 1);
			s->text_len -= used;
			if (ev->type[0])
				return 1;
			json_decref(ev->data); /* a comment or a retry: not an event */
			memset(ev, 0, sizeof(*ev));
			sep = strstr(s->text, "\n\n");
		}
		if (s->ended)
			return 0;
		int rc = fill(s);
		if (rc < 0) {
			snprintf(err, errlen, "reading the event stream: %s", strerror(errno));
			return -1;
		}
		if (rc == 0)
			return 0;
		if (decode(s) < 0) {
			snprintf(err, errlen, "dsvd sent a malformed event stream");
			return -1;
		}
	}
}

uint64_t event_stream_first_seq(const struct event_stream *s)
{
	return s->first_seq;
}

void event_stream_close(struct event_stream *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s->raw);
	free(s->text);
	free(s);
}
