/*
 * /proc/self/ns/net in the guest's view, under --net host. Runtimes tell peers in one
 * network namespace by the inode stat() gives for this file (UCX uses the loopback device
 * only between peers with the same boot id and namespace; with no such file it assumes the
 * host's first namespace, so ranks in two namespaces would try each other's 127.0.0.1).
 * The view holds an empty placeholder; the stat calls give the guest the inode of the
 * namespace hvmm runs in, as Linux's nsfs would.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include "fileio_int.h"

#define NETNS_REL "proc/1/ns/net"

int fio_view_put_netns(struct fileio *fio)
{
	struct stat ns, ph;
	if (stat("/proc/self/ns/net", &ns))
		return 0; /* no /proc here: the guest finds no file, as before */
	int r = fio_view_put(fio->view_fd, NETNS_REL, "", 0);
	if (r)
		return r;
	if (fstatat(fio->view_fd, NETNS_REL, &ph, AT_SYMLINK_NOFOLLOW))
		return -errno;
	fio->netns_stand_in_dev = ph.st_dev;
	fio->netns_stand_in_ino = ph.st_ino;
	fio->netns_ino = ns.st_ino;
	return 0;
}

void fio_view_fix_stat(const struct fileio *fio, struct stat *st)
{
	if (fio->netns_ino && st->st_ino == fio->netns_stand_in_ino &&
	    st->st_dev == fio->netns_stand_in_dev)
		st->st_ino = fio->netns_ino;
}

void fio_view_fix_statx(const struct fileio *fio, struct statx *stx)
{
	if (fio->netns_ino && stx->stx_ino == fio->netns_stand_in_ino &&
	    makedev(stx->stx_dev_major, stx->stx_dev_minor) == fio->netns_stand_in_dev)
		stx->stx_ino = fio->netns_ino;
}
