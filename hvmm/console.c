#include "console.h"

#include <errno.h>
#include <stddef.h>
#include <unistd.h>

#include "dsv/hypercall.h"

void console_init(struct console *c, int out_fd)
{
	c->out_fd = out_fd;
	pthread_mutex_init(&c->lock, NULL);
	c->ring_gpa = 0;
	c->ring_size = 0;
	c->bytes = 0;
}

static void write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return; /* a closed stdout must not stop the VM */
		p += w;
		len -= (size_t)w;
	}
}

void console_write(struct console *c, const void *buf, size_t len)
{
	pthread_mutex_lock(&c->lock);
	write_all(c->out_fd, buf, len);
	c->bytes += len;
	pthread_mutex_unlock(&c->lock);
}

int console_ring_register(struct console *c, const struct guest_mem *gm, uint64_t gpa,
			  uint64_t size)
{
	if (size < 64 || size > (1u << 20) || (size & (size - 1)))
		return -EINVAL;
	if (gpa & 7)
		return -EINVAL;
	if (!gm_ptr(gm, gpa, sizeof(struct dsv_ring) + size))
		return -EFAULT;
	pthread_mutex_lock(&c->lock);
	c->ring_gpa = gpa;
	c->ring_size = (uint32_t)size;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

void console_ring_drain(struct console *c, const struct guest_mem *gm)
{
	struct dsv_ring *r;
	uint32_t head, tail, avail, mask;

	pthread_mutex_lock(&c->lock);
	if (!c->ring_gpa) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	r = gm_ptr(gm, c->ring_gpa, sizeof(*r) + c->ring_size);
	mask = c->ring_size - 1;
	head = __atomic_load_n(&r->head, __ATOMIC_ACQUIRE);
	tail = r->tail;
	avail = head - tail;
	/* A guest that claims more than the ring holds loses the excess, nothing else. */
	if (avail > c->ring_size) {
		tail = head - c->ring_size;
		avail = c->ring_size;
	}
	while (avail) {
		uint32_t off = tail & mask;
		uint32_t chunk = c->ring_size - off;

		if (chunk > avail)
			chunk = avail;
		write_all(c->out_fd, r->data + off, chunk);
		c->bytes += chunk;
		tail += chunk;
		avail -= chunk;
	}
	__atomic_store_n(&r->tail, tail, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&c->lock);
}
