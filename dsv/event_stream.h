/* A client of GET /v1/events: one connection to dsvd, read event by event as they come
 * (text/event-stream in a chunked HTTP/1.1 body). */
#ifndef DSV_EVENT_STREAM_H
#define DSV_EVENT_STREAM_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct event_stream;

struct stream_event {
	uint64_t id;
	char type[64];
	json_t *data; /* owned by the caller after event_stream_next */
};

/* Connects and asks for the events after *since (NULL: from now on). Returns NULL with a message
 * in err; *http_status is the status when dsvd answered but refused (else 0). */
struct event_stream *event_stream_open(const char *socket_path, const uint64_t *since,
				       int *http_status, char *err, size_t errlen);
/* Waits for the next event. 1: *ev filled; 0: the stream ended (dsvd stopped); -1: error. */
int event_stream_next(struct event_stream *s, struct stream_event *ev, char *err, size_t errlen);
/* The sequence number dsvd said the stream starts at (its first comment), or 0. */
uint64_t event_stream_first_seq(const struct event_stream *s);
void event_stream_close(struct event_stream *s);

#endif
