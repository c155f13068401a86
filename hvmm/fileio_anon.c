/*
 * Descriptor offload: the calls that make anonymous descriptors (pipes, eventfds, epoll
 * instances). Each new descriptor takes the lowest free guest number, reserved before the
 * host object exists so that a full table fails cleanly with EMFILE. Host fds are always
 * close-on-exec; the guest's own FD_CLOEXEC lives in its slot.
 */
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "fileio_int.h"

/* Two new descriptors written to the guest's int[2] at gpa (checked by the caller). */
static int64_t install_pair(struct fileio *fio, const int host[2], int cloexec, int32_t *out)
{
	int slot[2];
	if ((slot[0] = fio_reserve(fio, 0)) < 0) {
		close(host[0]);
		close(host[1]);
		return slot[0];
	}
	if ((slot[1] = fio_reserve(fio, 0)) < 0) {
		fio_unreserve(fio, slot[0]);
		close(host[0]);
		close(host[1]);
		return slot[1];
	}
	int64_t r0 = fio_install_fd(fio, slot[0], host[0], cloexec);
	int64_t r1 = fio_install_fd(fio, slot[1], host[1], cloexec);
	if (r0 < 0 || r1 < 0) {
		if (r0 >= 0)
			fio_put(fio, fio_file_detach(fio, (int)r0));
		if (r1 >= 0)
			fio_put(fio, fio_file_detach(fio, (int)r1));
		return -ENOMEM;
	}
	out[0] = (int32_t)r0;
	out[1] = (int32_t)r1;
	return 0;
}

int64_t fio_pair_to_guest(const struct fio_call *c, uint64_t gpa, const int host[2], int cloexec)
{
	int32_t fds[2];
	int64_t r = install_pair(c->fio, host, cloexec, fds);
	if (r < 0)
		return r;
	/* checked before the host objects were made: guest RAM does not move */
	return fio_put_guest(c->gm, gpa, fds, sizeof(fds));
}

int64_t fio_pipe2(const struct fio_call *c)
{
	uint32_t flags = (uint32_t)c->a[1];
	int host[2];
	if (flags & ~(uint32_t)(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	if (!fio_gbuf(c->gm, c->a[0], 2 * sizeof(int32_t)))
		return -EFAULT;
	if (pipe2(host, (int)(flags | O_CLOEXEC)) < 0)
		return -errno;
	return fio_pair_to_guest(c, c->a[0], host, (flags & O_CLOEXEC) != 0);
}

/* A new host fd (or -errno) as the lowest free guest descriptor. */
int64_t fio_new_fd(struct fileio *fio, int fd, int cloexec)
{
	if (fd < 0)
		return -errno;
	int slot = fio_reserve(fio, 0);
	if (slot < 0) {
		close(fd);
		return slot;
	}
	return fio_install_fd(fio, slot, fd, cloexec);
}

int64_t fio_eventfd2(const struct fio_call *c)
{
	uint32_t flags = (uint32_t)c->a[1];
	if (flags & ~(uint32_t)(EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE))
		return -EINVAL;
	return fio_new_fd(c->fio, eventfd((unsigned)c->a[0], (int)(flags | EFD_CLOEXEC)),
			  (flags & EFD_CLOEXEC) != 0);
}

int64_t fio_epoll_create1(const struct fio_call *c)
{
	uint32_t flags = (uint32_t)c->a[0];
	if (flags & ~(uint32_t)EPOLL_CLOEXEC)
		return -EINVAL;
	return fio_new_fd(c->fio, epoll_create1(EPOLL_CLOEXEC), flags != 0);
}
