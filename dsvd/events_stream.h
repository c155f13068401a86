/* GET /events over HTTP: a text/event-stream response that never ends by itself. While there
 * is nothing new the connection is suspended (libmicrohttpd serves the others meanwhile) and
 * each new event resumes it. */
#ifndef DSVD_EVENTS_STREAM_H
#define DSVD_EVENTS_STREAM_H

#include <microhttpd.h>
#include <stdint.h>

#include "events.h"

/* first_seq: the first event to send (0: only events from now on). NULL when out of memory.
 * The daemon needs MHD_ALLOW_SUSPEND_RESUME. */
struct MHD_Response *events_stream_response(struct MHD_Connection *c, struct event_log *log,
					    uint64_t first_seq);

#endif
