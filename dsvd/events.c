#include "events.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"

#define SEEN_STATE_GONE (-1)

struct seen_vm {
	char name[VM_NAME_MAX + 1];
	int state; /* enum vm_state, or SEEN_STATE_GONE */
};

struct event_log {
	pthread_mutex_t lock;
	char *text[EVENT_LOG_SIZE]; /* text/event-stream of event seq, at seq % EVENT_LOG_SIZE */
	uint64_t next_seq;	    /* the first event is 1 */
	bool closed;
	struct event_waiter *waiters;
	/* what the last observation saw; only the observer (under the agent's lock) uses these */
	struct seen_vm *seen;
	size_t nseen;
	bool partition_active;
	struct partition_spec partition_spec; /* as last seen while active */
};

static void wake_all_locked(struct event_log *log)
{
	struct event_waiter *w = log->waiters;
	log->waiters = NULL;
	while (w) {
		struct event_waiter *next = w->next;
		w->next = NULL;
		w->wake(w->ctx);
		w = next;
	}
}

/* data is stolen */
static void append(struct event_log *log, const char *type, json_t *data)
{
	pthread_mutex_lock(&log->lock);
	uint64_t seq = log->next_seq++;
	json_object_set_new(data, "seq", json_integer((json_int_t)seq));
	json_object_set_new(data, "type", json_string(type));
	json_object_set_new(data, "time", json_integer((json_int_t)time(NULL)));
	char *json = json_dumps(data, JSON_COMPACT);
	json_decref(data);
	char *text = NULL;
	if (json && asprintf(&text, "id: %llu\nevent: %s\ndata: %s\n\n", (unsigned long long)seq,
			     type, json) < 0)
		text = NULL;
	free(json);
	size_t slot = (size_t)(seq % EVENT_LOG_SIZE);
	free(log->text[slot]);
	log->text[slot] = text; /* NULL (out of memory): readers skip it */
	wake_all_locked(log);
	pthread_mutex_unlock(&log->lock);
}

static void vm_event(struct event_log *log, const struct vm *vm, const char *type)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "name", vm->spec.name, "stack",
			      vm_stack_name(vm->spec.stack), "vm", vm_to_json(vm));
	if (o)
		append(log, type, o);
}

static struct seen_vm *seen_find(struct event_log *log, const char *name)
{
	for (size_t i = 0; i < log->nseen; i++)
		if (log->seen[i].state != SEEN_STATE_GONE && strcmp(log->seen[i].name, name) == 0)
			return &log->seen[i];
	return NULL;
}

/* Takes the present state as seen; with log_changes, appends an event for each change. */
static void observe(struct event_log *log, const struct agent *a, bool log_changes)
{
	size_t n = 0;
	for (const struct vm *vm = a->vms; vm; vm = vm->next)
		n++;
	struct seen_vm *now = calloc(n ? n : 1, sizeof(*now));
	if (!now)
		return;
	size_t i = 0;
	for (const struct vm *vm = a->vms; vm; vm = vm->next, i++) {
		snprintf(now[i].name, sizeof(now[i].name), "%s", vm->spec.name);
		now[i].state = (int)vm->state;
		struct seen_vm *before = seen_find(log, vm->spec.name);
		int was = before ? before->state : SEEN_STATE_GONE;
		if (before)
			before->state =
				SEEN_STATE_GONE; /* matched: what is left afterwards was deleted */
		if (!log_changes || was == (int)vm->state)
			continue;
		/* every kept VM was started, so the steps it went through are told in order */
		if (was == SEEN_STATE_GONE)
			vm_event(log, vm, "vm.created");
		if ((was == SEEN_STATE_GONE || was == VM_STARTING) && vm->state != VM_STARTING)
			vm_event(log, vm, "vm.running");
		if (vm->state == VM_EXITED || vm->state == VM_FAILED)
			vm_event(log, vm, vm->state == VM_EXITED ? "vm.exited" : "vm.failed");
	}
	for (size_t j = 0; log_changes && j < log->nseen; j++)
		if (log->seen[j].state != SEEN_STATE_GONE)
			append(log, "vm.deleted", json_pack("{s:s}", "name", log->seen[j].name));
	free(log->seen);
	log->seen = now;
	log->nseen = n;
	if (log_changes && a->partition.active != log->partition_active) {
		json_t *o = json_object();
		if (a->partition.active) {
			json_t *p = partition_state_to_json(&a->partition);
			json_object_set(o, "spec", json_object_get(p, "spec"));
			json_decref(p);
		}
		append(log, a->partition.active ? "partition.applied" : "partition.released", o);
	} else if (log_changes && a->partition.active &&
		   !partition_spec_equal(&a->partition.spec, &log->partition_spec)) {
		/* a live repartition (PATCH /node/partition) */
		append(log, "partition.changed",
		       json_pack("{s:o, s:o}", "from", partition_spec_to_json(&log->partition_spec),
				 "spec", partition_spec_to_json(&a->partition.spec)));
	}
	log->partition_active = a->partition.active;
	log->partition_spec = a->partition.spec;
}

struct event_log *event_log_new(const struct agent *a)
{
	struct event_log *log = calloc(1, sizeof(*log));
	if (!log)
		return NULL;
	pthread_mutex_init(&log->lock, NULL);
	log->next_seq = 1;
	observe(log, a, false);
	return log;
}

void event_log_close(struct event_log *log)
{
	if (!log)
		return;
	pthread_mutex_lock(&log->lock);
	log->closed = true;
	wake_all_locked(log);
	pthread_mutex_unlock(&log->lock);
}

void event_log_free(struct event_log *log)
{
	if (!log)
		return;
	event_log_close(log);
	for (size_t i = 0; i < EVENT_LOG_SIZE; i++)
		free(log->text[i]);
	free(log->seen);
	pthread_mutex_destroy(&log->lock);
	free(log);
}

void events_observe(struct event_log *log, const struct agent *a)
{
	if (log)
		observe(log, a, true);
}

uint64_t event_log_next_seq(struct event_log *log)
{
	pthread_mutex_lock(&log->lock);
	uint64_t n = log->next_seq;
	pthread_mutex_unlock(&log->lock);
	return n;
}

enum event_read event_log_read(struct event_log *log, uint64_t *next, char *buf, size_t max,
			       size_t *len, struct event_waiter *w, void (*suspend)(void *ctx))
{
	*len = 0;
	pthread_mutex_lock(&log->lock);
	if (log->closed) {
		pthread_mutex_unlock(&log->lock);
		return EVENT_READ_CLOSED;
	}
	/* a reader that fell more than the log's size behind continues with the oldest kept */
	if (*next + EVENT_LOG_SIZE < log->next_seq)
		*next = log->next_seq - EVENT_LOG_SIZE;
	while (*next < log->next_seq) {
		const char *t = log->text[*next % EVENT_LOG_SIZE];
		size_t tl = t ? strlen(t) : 0;
		if (*len + tl > max && *len > 0)
			break;
		if (tl > max) { /* one event larger than the buffer: cut, still one event */
			memcpy(buf, t, max - 3);
			memcpy(buf + max - 3, "\n\n", 2);
			tl = max - 1;
		} else if (tl) {
			memcpy(buf + *len, t, tl);
		}
		*len += tl;
		(*next)++;
	}
	if (*len == 0 && w->pinged) {
		static const char ping[] = ": keep-alive\n\n";
		w->pinged = 0;
		if (max >= sizeof(ping) - 1) {
			memcpy(buf, ping, sizeof(ping) - 1);
			*len = sizeof(ping) - 1;
		}
	}
	if (*len) {
		pthread_mutex_unlock(&log->lock);
		return EVENT_READ_DATA;
	}
	w->next = log->waiters;
	log->waiters = w;
	suspend(w->ctx);
	pthread_mutex_unlock(&log->lock);
	return EVENT_READ_WAIT;
}

void event_log_forget(struct event_log *log, struct event_waiter *w)
{
	pthread_mutex_lock(&log->lock);
	for (struct event_waiter **p = &log->waiters; *p; p = &(*p)->next)
		if (*p == w) {
			*p = w->next;
			break;
		}
	pthread_mutex_unlock(&log->lock);
}

void event_log_wake_all(struct event_log *log)
{
	pthread_mutex_lock(&log->lock);
	for (struct event_waiter *w = log->waiters; w; w = w->next)
		w->pinged = 1;
	wake_all_locked(log);
	pthread_mutex_unlock(&log->lock);
}
