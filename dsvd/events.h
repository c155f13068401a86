/* The agent's event log: what changed (a VM created, running, exited, failed, deleted; the
 * partition applied, changed or released), in order, numbered, for GET /events. Events are found by
 * comparing the agent's state with what the log saw last, so no operation has to announce
 * itself. Kept in memory (the last EVENT_LOG_SIZE); a restarted agent starts a new log. */
#ifndef DSVD_EVENTS_H
#define DSVD_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#define EVENT_LOG_SIZE 1024

struct agent;
struct event_log;

/* A reader waiting for the next event: wake(ctx) is called once, under the log's lock. */
struct event_waiter {
	void (*wake)(void *ctx);
	void *ctx;
	int pinged; /* woken for a keep-alive: the next read without news sends a comment */
	struct event_waiter *next;
};

/* Takes the agent's present state as the starting point (no events for it). */
struct event_log *event_log_new(const struct agent *a);
/* Wakes every waiter for the last time (readers then end their streams) and frees the log. */
void event_log_free(struct event_log *log);
void event_log_close(struct event_log *log);

/* Appends an event for every change since the last call. NULL log: nothing. */
void events_observe(struct event_log *log, const struct agent *a);

/* The sequence number the next event will get. */
uint64_t event_log_next_seq(struct event_log *log);

enum event_read {
	EVENT_READ_DATA,   /* *len bytes of text/event-stream in buf, *next advanced */
	EVENT_READ_WAIT,   /* nothing newer: w is registered and suspend(ctx) was called */
	EVENT_READ_CLOSED, /* the log is closing: end the stream */
};
/* Copies whole events from *next on (as text/event-stream) into buf, at most max bytes.
 * With none newer, registers w and calls suspend(ctx) under the log's lock, so a wake can
 * never come before the suspend. An event larger than max is cut (it ends "...}"). */
enum event_read event_log_read(struct event_log *log, uint64_t *next, char *buf, size_t max,
			       size_t *len, struct event_waiter *w, void (*suspend)(void *ctx));
/* Removes w if it is still registered (a stream that ends). */
void event_log_forget(struct event_log *log, struct event_waiter *w);
/* Wakes every waiter (a keep-alive: their streams send a comment and wait again). */
void event_log_wake_all(struct event_log *log);

#endif
