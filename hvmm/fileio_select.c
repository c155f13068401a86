/*
 * Descriptor offload: select (and pselect6; the lwk keeps the timeout and the signal
 * mask). The guest's fd_sets are copied in once, turned into a poll over the descriptors
 * they name, held for the wait like poll's, and written back once, with Linux's mapping of
 * poll events to readable, writable and exceptional (fs/select.c).
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fileio_int.h"

#define IN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define OUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define EX_SET (POLLPRI)

struct sel {
	uint64_t *set[3]; /* hvmm's copies of read, write, except (NULL: not given) */
	uint64_t words;
	struct pollfd *p;
	struct fio_file **held;
	uint32_t *fd; /* guest number of each pollfd */
	uint32_t n;
};

static int bit(const uint64_t *set, uint32_t fd)
{
	return set && (set[fd / 64] >> (fd % 64)) & 1;
}

/* Copies the three sets in; -EFAULT when one lies outside guest RAM. */
static int64_t copy_sets(const struct fio_call *c, struct sel *s)
{
	for (int k = 0; k < 3; k++) {
		uint64_t gpa = c->a[1 + k];
		if (!gpa)
			continue;
		const void *g = fio_gbuf(c->gm, gpa, s->words * 8);
		if (!g)
			return -EFAULT;
		if (!(s->set[k] = malloc(s->words ? s->words * 8 : 8)))
			return -ENOMEM;
		memcpy(s->set[k], g, s->words * 8);
	}
	return 0;
}

/* One pollfd per descriptor named in any set; an unknown one is EBADF, as on Linux. */
static int64_t build_poll(struct fileio *fio, struct sel *s, uint64_t nfds)
{
	for (uint32_t fd = 0; fd < nfds; fd++) {
		short ev = (bit(s->set[0], fd) ? POLLIN | POLLRDNORM | POLLRDBAND : 0) |
			   (bit(s->set[1], fd) ? POLLOUT | POLLWRNORM | POLLWRBAND : 0) |
			   (bit(s->set[2], fd) ? POLLPRI : 0);
		if (!ev)
			continue;
		struct fio_file *f = fio_get(fio, fd);
		if (!f)
			return -EBADF;
		s->held[s->n] = f;
		s->fd[s->n] = fd;
		s->p[s->n].fd = f->fd;
		s->p[s->n].events = ev;
		s->n++;
	}
	return 0;
}

/* Writes the answer sets back (every given set, cleared first) and counts the bits. */
static int64_t answer(const struct fio_call *c, struct sel *s)
{
	static const short want[3] = { IN_SET, OUT_SET, EX_SET };
	uint64_t *out[3] = { NULL, NULL, NULL };
	int64_t count = 0;
	for (int k = 0; k < 3; k++)
		if (s->set[k]) {
			out[k] = s->set[k]; /* reused: the requests were read into the pollfds */
			memset(out[k], 0, s->words * 8);
		}
	for (uint32_t i = 0; i < s->n; i++) {
		uint32_t fd = s->fd[i];
		short req[3] = { POLLIN, POLLOUT, POLLPRI };
		for (int k = 0; k < 3; k++) {
			if (!out[k] || !(s->p[i].events & req[k]) || !(s->p[i].revents & want[k]))
				continue;
			out[k][fd / 64] |= 1ull << (fd % 64);
			count++;
		}
	}
	for (int k = 0; k < 3; k++)
		if (out[k])
			fio_put_guest(c->gm, c->a[1 + k], out[k], s->words * 8); /* checked in */
	return count;
}

int64_t fio_select(const struct fio_call *c)
{
	uint64_t nfds = c->a[0];
	int64_t tmo = (int64_t)c->a[4];
	if ((int64_t)nfds < 0 || nfds > DSV_MAX_FILES)
		return -EINVAL;
	struct sel s = { .words = (nfds + 63) / 64 };
	int64_t r = copy_sets(c, &s);
	uint64_t cap = nfds ? nfds : 1;
	if (!r) {
		s.p = calloc(cap, sizeof(*s.p));
		s.held = calloc(cap, sizeof(*s.held));
		s.fd = calloc(cap, sizeof(*s.fd));
		r = s.p && s.held && s.fd ? build_poll(c->fio, &s, nfds) : -ENOMEM;
	}
	if (!r) {
		struct timespec ts = { .tv_sec = tmo / 1000000000, .tv_nsec = tmo % 1000000000 };
		r = fio_res(ppoll(s.p, s.n, tmo >= 0 ? &ts : NULL, NULL));
		if (r >= 0)
			r = answer(c, &s);
	}
	for (uint32_t i = 0; i < s.n; i++)
		fio_put(c->fio, s.held[i]);
	for (int k = 0; k < 3; k++)
		free(s.set[k]);
	free(s.p);
	free(s.held);
	free(s.fd);
	return r;
}
