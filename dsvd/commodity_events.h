/* libvirt lifecycle events for commodity domains: why a domain stopped (guest shutdown,
 * destroy, crash, QEMU failure), kept per domain name because a transient domain is gone by
 * the time dsvd looks. A thread runs libvirt's event loop. */
#ifndef DSVD_COMMODITY_EVENTS_H
#define DSVD_COMMODITY_EVENTS_H

#include <libvirt/libvirt.h>
#include <stdbool.h>

/* Before the first virConnectOpen: registers libvirt's default event loop and its thread. */
void events_init(void);
/* Subscribes to a (new) connection's lifecycle events: the callback id, or -1. */
int events_watch(virConnectPtr conn);
/* Before the connection closes (the registration holds a reference to it). */
void events_unwatch(virConnectPtr conn, int id);
/* The detail of the last VIR_DOMAIN_EVENT_STOPPED for domain (virDomainEventStoppedDetailType). */
bool events_stop_detail(const char *domain, int *detail);
/* Clears what was recorded, before a domain of that name starts. */
void events_forget(const char *domain);

#endif
