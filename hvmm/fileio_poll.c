/*
 * Descriptor offload: poll and epoll. The guest's descriptors are looked up and held for
 * the whole wait, without the table lock, so a wait blocks only its own vCPU and a close
 * on another vCPU cannot pull a host fd out from under it. Guest arrays are copied in once
 * and results written back once: a guest rewriting them meanwhile changes nothing here.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <dsv/sockio.h>
#include "fileio_int.h"

_Static_assert(sizeof(struct pollfd) == DSV_POLLFD, "struct pollfd must be the kernel layout");
_Static_assert(sizeof(struct epoll_event) == DSV_EPOLL_EVENT,
	       "struct epoll_event is packed on x86-64");

/* Maps the guest's pollfds to host ones; unknown descriptors answer POLLNVAL, as on Linux. */
static int hold_fds(struct fileio *fio, struct pollfd *p, struct fio_file **held, char *nval,
		    uint64_t n)
{
	int bad = 0;
	for (uint64_t i = 0; i < n; i++) {
		if (p[i].fd < 0)
			continue; /* ignored, revents 0 */
		held[i] = fio_get(fio, (uint32_t)p[i].fd);
		if (!held[i]) {
			nval[i] = 1;
			bad++;
			p[i].fd = -1;
		} else {
			p[i].fd = held[i]->fd;
		}
	}
	return bad;
}

int64_t fio_poll(const struct fio_call *c)
{
	uint64_t n = c->a[1];
	int64_t tmo = (int64_t)c->a[2];
	if (n > DSV_MAX_FILES)
		return -EINVAL;
	struct pollfd *g = fio_gbuf(c->gm, c->a[0], n * DSV_POLLFD);
	if (!g)
		return -EFAULT;
	struct pollfd *p = calloc(n ? n : 1, sizeof(*p));
	struct fio_file **held = calloc(n ? n : 1, sizeof(*held));
	char *nval = calloc(n ? n : 1, 1);
	int64_t r = -ENOMEM;
	if (!p || !held || !nval)
		goto out;
	memcpy(p, g, n * sizeof(*p));
	int bad = hold_fds(c->fio, p, held, nval, n);
	struct timespec ts = { .tv_sec = tmo / 1000000000, .tv_nsec = tmo % 1000000000 };
	if (bad)
		ts.tv_sec = ts.tv_nsec = 0; /* POLLNVAL is an event: no waiting */
	r = ppoll(p, n, bad || tmo >= 0 ? &ts : NULL, NULL);
	if (r < 0) {
		r = -errno;
		goto out;
	}
	for (uint64_t i = 0; i < n; i++) {
		int16_t rev = nval[i] ? POLLNVAL : p[i].revents;
		memcpy((char *)&g[i] + offsetof(struct pollfd, revents), &rev, sizeof(rev));
	}
	r += bad;
out:
	for (uint64_t i = 0; held && i < n; i++)
		fio_put(c->fio, held[i]);
	free(p);
	free(held);
	free(nval);
	return r;
}

/* c->file is the epoll instance (a[0]). */
int64_t fio_epoll_ctl(const struct fio_call *c)
{
	int op = (int)(uint32_t)c->a[1];
	struct epoll_event ev = { 0 };
	if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		return -EINVAL;
	if (op != EPOLL_CTL_DEL) { /* DEL ignores the event, as Linux does since 2.6.9 */
		const void *e = fio_gbuf(c->gm, c->a[3], DSV_EPOLL_EVENT);
		if (!e)
			return -EFAULT;
		memcpy(&ev, e, sizeof(ev));
	}
	struct fio_file *t = fio_get(c->fio, c->a[2]);
	if (!t)
		return -EBADF;
	/* The data word is the guest's and comes back unchanged; the host fd never shows. */
	int64_t r = fio_res(epoll_ctl(c->file->fd, op, t->fd, &ev));
	fio_put(c->fio, t);
	return r;
}

int64_t fio_epoll_wait(const struct fio_call *c)
{
	int32_t max = (int32_t)(uint32_t)c->a[2], tmo = (int32_t)(uint32_t)c->a[3];
	if (max <= 0)
		return -EINVAL;
	if ((uint32_t)max > DSV_EPOLL_MAX)
		max = DSV_EPOLL_MAX; /* fewer events per call is still correct */
	void *g = fio_gbuf(c->gm, c->a[1], (uint64_t)max * DSV_EPOLL_EVENT);
	if (!g)
		return -EFAULT;
	struct epoll_event *ev = calloc((size_t)max, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	int64_t r = fio_res(epoll_wait(c->file->fd, ev, max, tmo < 0 ? -1 : tmo));
	if (r > 0)
		memcpy(g, ev, (size_t)r * sizeof(*ev));
	free(ev);
	return r;
}
