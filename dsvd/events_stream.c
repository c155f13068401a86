#include "events_stream.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

struct events_stream {
	struct event_log *log;
	struct MHD_Connection *conn;
	uint64_t next;
	bool started;
	struct event_waiter waiter;
};

static void suspend_conn(void *ctx)
{
	MHD_suspend_connection(((struct events_stream *)ctx)->conn);
}

static void resume_conn(void *ctx)
{
	MHD_resume_connection(((struct events_stream *)ctx)->conn);
}

static ssize_t read_events(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	struct events_stream *s = cls;
	if (!s->started) {
		/* tells the client where the stream starts, so it can look at the present state
         * knowing that every later change will reach it */
		s->started = true;
		int n = snprintf(buf, max, "retry: 1000\n: events from seq %llu\n\n",
				 (unsigned long long)s->next);
		if (n > 0 && (size_t)n < max)
			return n;
	}
	size_t len;
	switch (event_log_read(s->log, &s->next, buf, max, &len, &s->waiter, suspend_conn)) {
	case EVENT_READ_DATA:
		return (ssize_t)len;
	case EVENT_READ_WAIT:
		return 0;
	case EVENT_READ_CLOSED:
		break;
	}
	return MHD_CONTENT_READER_END_OF_STREAM;
}

static void free_stream(void *cls)
{
	struct events_stream *s = cls;
	event_log_forget(s->log, &s->waiter);
	free(s);
}

struct MHD_Response *events_stream_response(struct MHD_Connection *c, struct event_log *log,
					    uint64_t first_seq)
{
	struct events_stream *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->log = log;
	s->conn = c;
	s->next = first_seq ? first_seq : event_log_next_seq(log);
	s->waiter.wake = resume_conn;
	s->waiter.ctx = s;
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096,
								   read_events, s, free_stream);
	if (!r) {
		free(s);
		return NULL;
	}
	MHD_add_response_header(r, "Content-Type", "text/event-stream");
	MHD_add_response_header(r, "Cache-Control", "no-cache");
	return r;
}
