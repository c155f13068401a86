/*
 * Would a call block? The offload ring's proxy thread (hc_ring.c) runs short calls itself
 * and must hand every call that can wait (for a peer, a client, a timeout) to a worker, or
 * one read on an empty pipe would stall every other call of the VM. The guest's arguments
 * say which calls can wait at all (dsv_hc_may_block); the descriptor decides the rest.
 */
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "dsv/hcring.h"
#include "fileio_int.h"

/* Regular files and directories never wait for another party; O_NONBLOCK ones return. */
static int fd_may_wait(int fd)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
		return 0;
	fl = fcntl(fd, F_GETFL);
	return fl < 0 || !(fl & O_NONBLOCK);
}

int fileio_may_block(struct fileio *fio, uint32_t nr, const uint64_t args[6])
{
	struct fio_file *f;
	int wait;

	if (!dsv_hc_may_block(nr, args))
		return 0;
	switch (nr) {
	case DSV_HC_SENDMSG:
	case DSV_HC_RECVMSG:
		if (args[2] & MSG_DONTWAIT)
			return 0;
		/* fall through */
	case DSV_HC_READ:
	case DSV_HC_WRITE:
	case DSV_HC_CONNECT:
	case DSV_HC_ACCEPT4:
		f = fio_get(fio, args[0]);
		if (!f)
			return 0; /* EBADF at once */
		wait = fd_may_wait(f->fd);
		fio_put(fio, f);
		return wait;
	default:
		return 1; /* poll, select, epoll_wait with a timeout */
	}
}
