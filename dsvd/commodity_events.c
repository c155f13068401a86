#include "commodity_events.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define EVENTS_MAX 256

struct domain_events {
	char domain[96];
	bool stopped;
	int stop_detail;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct domain_events table[EVENTS_MAX];
static bool loop_started;

/* Under lock: the entry for domain, made when missing (the oldest slot is reused). */
static struct domain_events *entry(const char *domain, bool create)
{
	static unsigned next;
	for (unsigned i = 0; i < EVENTS_MAX; i++)
		if (strcmp(table[i].domain, domain) == 0)
			return &table[i];
	if (!create)
		return NULL;
	struct domain_events *e = &table[next++ % EVENTS_MAX];
	memset(e, 0, sizeof(*e));
	snprintf(e->domain, sizeof(e->domain), "%s", domain);
	return e;
}

static void *event_loop(void *arg)
{
	(void)arg;
	for (;;)
		if (virEventRunDefaultImpl() < 0)
			break;
	return NULL;
}

void events_init(void)
{
	pthread_mutex_lock(&lock);
	if (!loop_started && virEventRegisterDefaultImpl() == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, event_loop, NULL) == 0) {
			pthread_detach(t);
			loop_started = true;
		}
	}
	pthread_mutex_unlock(&lock);
}

static int on_lifecycle(virConnectPtr conn, virDomainPtr dom, int event, int detail, void *opaque)
{
	(void)conn;
	(void)opaque;
	const char *name = virDomainGetName(dom);
	if (!name || event != VIR_DOMAIN_EVENT_STOPPED)
		return 0;
	pthread_mutex_lock(&lock);
	struct domain_events *e = entry(name, true);
	e->stopped = true;
	e->stop_detail = detail;
	pthread_mutex_unlock(&lock);
	return 0;
}

int events_watch(virConnectPtr conn)
{
	if (!loop_started)
		return -1;
	return virConnectDomainEventRegisterAny(conn, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
						VIR_DOMAIN_EVENT_CALLBACK(on_lifecycle), NULL,
						NULL);
}

void events_unwatch(virConnectPtr conn, int id)
{
	if (id >= 0)
		virConnectDomainEventDeregisterAny(conn, id);
}

bool events_stop_detail(const char *domain, int *detail)
{
	pthread_mutex_lock(&lock);
	struct domain_events *e = entry(domain, false);
	bool found = e && e->stopped;
	if (found)
		*detail = e->stop_detail;
	pthread_mutex_unlock(&lock);
	return found;
}

void events_forget(const char *domain)
{
	pthread_mutex_lock(&lock);
	struct domain_events *e = entry(domain, false);
	if (e)
		memset(e, 0, sizeof(*e));
	pthread_mutex_unlock(&lock);
}
