#include "hc_proxy.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Sleeps until the doorbell rings or the VM ends; returns 0 when it ends. */
static int sleep_on(int doorbell_fd, int exit_fd)
{
	struct pollfd pfd[2] = {
		{ .fd = doorbell_fd, .events = POLLIN },
		{ .fd = exit_fd, .events = POLLIN },
	};
	uint64_t cnt;

	if (ppoll(pfd, 2, NULL, NULL) < 0 && errno != EINTR) {
		log_warn("offload proxy: ppoll: %s", strerror(errno));
		return 0;
	}
	if (pfd[1].revents & POLLIN)
		return 0;
	if ((pfd[0].revents & POLLIN) && read(doorbell_fd, &cnt, sizeof(cnt)) < 0 &&
	    errno != EAGAIN)
		log_warn("offload proxy: doorbell: %s", strerror(errno));
	return 1;
}

static int vm_ending(int exit_fd)
{
	struct pollfd p = { .fd = exit_fd, .events = POLLIN };
	struct timespec zero = { 0, 0 };

	return ppoll(&p, 1, &zero, NULL) > 0;
}

void hc_proxy_run(struct hc_ring *r, int doorbell_fd, int exit_fd, const atomic_int *stop)
{
	uint64_t last = mono_ns();
	unsigned polls = 0;

	for (;;) {
		/* The VM's end is an eventfd too: look at it now and then while polling, also
		 * while a guest floods the ring. */
		if (++polls % 4096 == 0 && (atomic_load(stop) || vm_ending(exit_fd)))
			return;
		if (hc_ring_poll(r)) {
			last = mono_ns();
			continue;
		}
		if (mono_ns() - last < HC_PROXY_SPIN_NS) {
			__builtin_ia32_pause();
			continue;
		}
		hc_ring_set_sleeping(r, 1);
		if (!hc_ring_pending(r)) {
			atomic_fetch_add(&r->sleeps, 1);
			if (!sleep_on(doorbell_fd, exit_fd) || atomic_load(stop))
				return;
		}
		hc_ring_set_sleeping(r, 0);
		last = mono_ns();
	}
}
