#include "ticker.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "events.h"

struct ticker {
	struct agent *agent;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t stop_cond;
	bool stop;
};

static void *run(void *arg)
{
	struct ticker *t = arg;
	struct timespec next, last_ping;
	clock_gettime(CLOCK_MONOTONIC, &next);
	last_ping = next;
	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		next.tv_nsec += TICK_MS * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		if (pthread_cond_timedwait(&t->stop_cond, &t->lock, &next) != ETIMEDOUT)
			continue;
		pthread_mutex_unlock(&t->lock);
		api_tick(t->agent);
		if (next.tv_sec - last_ping.tv_sec >= TICK_KEEPALIVE_S) {
			event_log_wake_all(t->agent->events);
			last_ping = next;
		}
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct ticker *ticker_start(struct agent *a, char *err, size_t errlen)
{
	struct ticker *t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->agent = a;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	int rc = pthread_create(&t->thread, NULL, run, t);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the agent's ticker thread: %s", strerror(rc));
		pthread_cond_destroy(&t->stop_cond);
		pthread_mutex_destroy(&t->lock);
		free(t);
		return NULL;
	}
	return t;
}

void ticker_stop(struct ticker *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->stop_cond);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	pthread_cond_destroy(&t->stop_cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
