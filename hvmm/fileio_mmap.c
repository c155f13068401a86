/*
 * File offload: the host side of a guest's MAP_SHARED file mapping. The guest names one of
 * its descriptors; hvmm maps that host file shared, and shm_slots.c gives the mapping to
 * the guest as a memory slot. Only regular files, and only the pages the file holds: a page
 * wholly past the end would be a fault inside KVM, not a SIGBUS in the program.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "fileio_int.h"

/* The page holding the file's last byte is whole in memory (the rest of it reads as zero,
 * as natively); only pages wholly past the end are refused. UCX maps 12 KiB of a file
 * it made 8447 bytes long. */
static uint64_t page_up(uint64_t size)
{
	return (size + 4095) & ~4095ull;
}

int fileio_mmap(struct fileio *fio, uint64_t gfd, uint64_t off, uint64_t len, int writable,
		void **host)
{
	*host = NULL;
	struct fio_file *f = fio_get(fio, gfd);
	if (!f)
		return -EBADF;
	int r = 0, fl = fcntl(f->fd, F_GETFL);
	struct stat st;
	if (fl < 0 || fstat(f->fd, &st) < 0)
		r = -errno;
	else if (fl & O_PATH)
		r = -EBADF; /* as Linux: an O_PATH descriptor maps nothing */
	else if ((fl & O_ACCMODE) == O_WRONLY || (writable && (fl & O_ACCMODE) != O_RDWR))
		r = -EACCES; /* checked before the kind of file, as Linux does */
	else if (!S_ISREG(st.st_mode))
		r = -ENODEV; /* pipes, sockets, eventfds, directories: Linux says ENODEV */
	else if (st.st_size < 0 || off > (uint64_t)st.st_size ||
		 len > page_up((uint64_t)st.st_size) - off)
		r = -ENXIO; /* past the page holding the end of the file (docs/abi.md) */
	if (!r) {
		void *p = mmap(NULL, len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED,
			       f->fd, (off_t)off);
		if (p == MAP_FAILED)
			r = -errno;
		else
			*host = p;
	}
	fio_put(fio, f);
	return r;
}
