/*
 * The cleanup list: every resource the runner makes (VM, domain, partition, dsvd, temporary
 * directory) is pushed here the moment it exists and popped when it is undone in the normal
 * course. Whatever is left runs in reverse order at exit (atexit), after an error, and after
 * SIGINT/SIGTERM/SIGHUP: the handlers only set ix_stop; every wait in the runner polls it and
 * unwinds to main, which exits through the list.
 */
#include "interference.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ITEMS 256

volatile sig_atomic_t ix_stop;

static struct item {
	ix_cleanup_fn fn;
	void *arg;
	char what[96];
	bool live;
} items[MAX_ITEMS];
static int nitems;
static bool registered;

int ix_cleanup_push(ix_cleanup_fn fn, void *arg, const char *what)
{
	if (!registered) {
		atexit(ix_cleanup_all);
		registered = true;
	}
	/* reuse the top slots that were popped */
	while (nitems > 0 && !items[nitems - 1].live)
		nitems--;
	if (nitems == MAX_ITEMS) {
		fprintf(stderr, "interference: cleanup list full; undoing %s now\n", what);
		fn(arg);
		return -1;
	}
	items[nitems] = (struct item){ fn, arg, "", true };
	snprintf(items[nitems].what, sizeof items[nitems].what, "%s", what);
	return nitems++;
}

void ix_cleanup_pop(int handle, bool run)
{
	if (handle < 0 || handle >= nitems || !items[handle].live)
		return;
	items[handle].live = false;
	if (run)
		items[handle].fn(items[handle].arg);
}

void ix_cleanup_all(void)
{
	static bool running;
	if (running)
		return;
	running = true;
	bool said = false;
	for (int i = nitems - 1; i >= 0; i--) {
		if (!items[i].live)
			continue;
		if (!said) {
			fprintf(stderr, "interference: cleaning up\n");
			said = true;
		}
		fprintf(stderr, "interference:   %s\n", items[i].what);
		items[i].live = false;
		items[i].fn(items[i].arg);
	}
	nitems = 0;
	running = false;
}

static void on_signal(int sig)
{
	ix_stop = sig;
}

void ix_signals_install(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* no SA_RESTART: blocking calls return EINTR and the loops look at ix_stop */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

double ix_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

bool ix_sleep(double s)
{
	double end = ix_now() + s;
	while (!ix_stop) {
		double left = end - ix_now();
		if (left <= 0)
			return true;
		if (left > 0.05)
			left = 0.05;
		struct timespec ts = { 0, (long)(left * 1e9) };
		nanosleep(&ts, NULL);
	}
	return false;
}
