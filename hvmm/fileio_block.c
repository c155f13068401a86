/*
 * Would a call wait? The offload ring's proxy thread (hc_ring.c) runs short calls itself
 * and must hand every call that can wait (for a peer, a client, a timeout) to a worker, or
 * one read on an empty pipe would stall every other call of the VM. The decision is made on
 * the reference the call then runs with (fileio_call_inline): a regular file stays one while
 * it is held, whereas the slot number can be given another file, and O_NONBLOCK cleared, by
 * another vCPU at any time. So only regular files and directories, and per-call
 * MSG_DONTWAIT, count as never waiting; pipe and socket I/O always goes to a worker.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dsv/hcring.h"
#include "fileio_int.h"

/* Regular files and directories never wait for another party. */
static int file_or_dir(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode));
}

/* close() of a socket with SO_LINGER on and a nonzero time waits for the peer to take the
 * data (sk_stream_wait_close), without limit for a huge time. A zero time (reset at once)
 * does not wait. */
static int lingers(int fd)
{
	struct linger l;
	socklen_t len = sizeof(l);

	return getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len) == 0 && l.l_onoff && l.l_linger;
}

void fio_drop_linger(int fd)
{
	static const struct linger off = { 0, 0 };

	/* What Linux does for an exiting process: the data still goes out, nobody waits. */
	if (lingers(fd))
		(void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, sizeof(off));
}

/* Would closing slot fd (close, or dup3 over it) wait? */
static int slot_lingers(struct fileio *fio, uint64_t fd)
{
	struct fio_file *f = fio_get(fio, fd);
	int r = f && lingers(f->fd);

	fio_put(fio, f);
	return r;
}

int fio_call_may_wait(const struct fio_call *c, uint32_t nr)
{
	const uint64_t *a = c->a;

	switch (nr) {
	case DSV_HC_SENDMSG:
	case DSV_HC_RECVMSG:
		if (a[2] & MSG_DONTWAIT)
			return 0;
		/* fall through */
	case DSV_HC_READ:
	case DSV_HC_WRITE:
	case DSV_HC_CONNECT:
	case DSV_HC_ACCEPT4:
		return !file_or_dir(c->file->fd); /* c->file: held from here through the call */
	case DSV_HC_OPENAT:
		/* A FIFO waits for its other end, a leased file for the lease's break; a
		 * directory (O_DIRECTORY fails on anything else before opening) never. */
		return !((uint32_t)a[3] & (O_NONBLOCK | O_PATH | O_DIRECTORY));
	case DSV_HC_CLOSE:
		return slot_lingers(c->fio, a[0]);
	case DSV_HC_DUP3:
		return slot_lingers(c->fio, a[1]);
	default:
		return dsv_hc_may_block(nr, a); /* poll, select, epoll_wait with a timeout */
	}
}
