/*
 * File offload (lwk issue): the host side of the lwk's DSV_HC_* file hypercalls,
 * McKernel-style. This file holds the descriptor table and the dispatcher; the calls
 * themselves are in fileio_fd.c and fileio_pathops.c, confinement in fileio_path.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fileio_int.h"

struct fio_file *fio_file_new(int fd, char *rel, int in_share)
{
	struct fio_file *f = calloc(1, sizeof(*f));
	if (!f) {
		free(rel);
		return NULL;
	}
	f->fd = fd;
	f->refs = 1;
	f->rel = rel;
	f->in_share = in_share;
	return f;
}

/*
 * Set while a thread that must never wait closes descriptors: the ring's proxy (whose
 * final close may follow another vCPU's close or dup3 of the same file) and teardown (on
 * the main thread, whose exit signals are blocked: nothing would end the wait).
 */
static _Thread_local int no_linger;

static void file_free(struct fio_file *f)
{
	if (no_linger)
		fio_drop_linger(f->fd);
	close(f->fd);
	free(f->rel);
	free(f);
}

struct fio_file *fio_get(struct fileio *fio, uint64_t fd64)
{
	uint32_t fd = (uint32_t)fd64; /* Linux takes an unsigned int fd */
	struct fio_file *f = NULL;
	if (fd >= DSV_MAX_FILES)
		return NULL;
	pthread_mutex_lock(&fio->lock);
	f = fio->slots[fd].file;
	if (f)
		f->refs++;
	pthread_mutex_unlock(&fio->lock);
	return f;
}

struct fio_file *fio_get_dir(struct fileio *fio, uint64_t dirfd, int *err)
{
	if ((int)(uint32_t)dirfd != DSV_AT_FDCWD) {
		struct fio_file *f = fio_get(fio, dirfd);
		if (!f)
			*err = -EBADF;
		return f;
	}
	if (fio->root_fd < 0) { /* set once at create: no lock needed to read it */
		*err = -EACCES;
		return NULL;
	}
	pthread_mutex_lock(&fio->lock);
	struct fio_file *f = fio->cwd;
	f->refs++;
	pthread_mutex_unlock(&fio->lock);
	return f;
}

void fio_put(struct fileio *fio, struct fio_file *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&fio->lock);
	int last = --f->refs == 0;
	pthread_mutex_unlock(&fio->lock);
	if (last)
		file_free(f); /* close outside the lock: it may block */
}

int fio_reserve(struct fileio *fio, unsigned min)
{
	int r = -EMFILE;
	pthread_mutex_lock(&fio->lock);
	for (unsigned i = min; i < DSV_MAX_FILES; i++) {
		if (!fio->slots[i].file && !fio->slots[i].reserved) {
			fio->slots[i].reserved = 1;
			r = (int)i;
			break;
		}
	}
	pthread_mutex_unlock(&fio->lock);
	return r;
}

void fio_install(struct fileio *fio, int slot, struct fio_file *f, int cloexec)
{
	pthread_mutex_lock(&fio->lock);
	fio->slots[slot].file = f;
	fio->slots[slot].reserved = 0;
	fio->slots[slot].cloexec = cloexec != 0;
	pthread_mutex_unlock(&fio->lock);
}

void fio_unreserve(struct fileio *fio, int slot)
{
	pthread_mutex_lock(&fio->lock);
	fio->slots[slot].reserved = 0;
	pthread_mutex_unlock(&fio->lock);
}

struct fio_file *fio_file_detach(struct fileio *fio, int fd)
{
	if (fd < 0 || (unsigned)fd >= DSV_MAX_FILES)
		return NULL;
	pthread_mutex_lock(&fio->lock);
	struct fio_file *f = fio->slots[fd].file;
	fio->slots[fd].file = NULL;
	fio->slots[fd].cloexec = 0;
	pthread_mutex_unlock(&fio->lock);
	return f;
}

int64_t fio_install_file(struct fileio *fio, int slot, int fd, char *rel, int in_share, int cloexec)
{
	struct fio_file *f = fio_file_new(fd, rel, in_share);
	if (!f) {
		close(fd);
		fio_unreserve(fio, slot);
		return -ENOMEM;
	}
	fio_install(fio, slot, f, cloexec);
	return slot;
}

int64_t fio_install_fd(struct fileio *fio, int slot, int fd, int cloexec)
{
	return fio_install_file(fio, slot, fd, NULL, 0, cloexec);
}

void *fio_gbuf(const struct guest_mem *gm, uint64_t gpa, uint64_t len)
{
	static char none;
	return len ? gm_ptr(gm, gpa, len) : &none;
}

int64_t fio_put_guest(const struct guest_mem *gm, uint64_t gpa, const void *src, size_t len)
{
	void *dst = fio_gbuf(gm, gpa, len);
	if (!dst)
		return -EFAULT;
	memcpy(dst, src, len);
	return 0;
}

int fileio_inherit(struct fileio *fio, int fd, char *err, size_t errlen)
{
	if (fd < 3 || (unsigned)fd >= DSV_MAX_FILES) {
		snprintf(err, errlen, "--inherit-fd %d: out of range", fd);
		return -EINVAL;
	}
	/* A copy above the guest's range of interest; the original number is then closed, so
	 * hvmm's own later opens never land on a descriptor the guest holds. */
	int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (copy < 0) {
		int e = errno;
		snprintf(err, errlen, "--inherit-fd %d: %s (hvmm was not started with it open)", fd,
			 strerror(e));
		return -e;
	}
	close(fd);
	struct fio_file *f = fio_file_new(copy, NULL, 0);
	if (!f) {
		close(copy);
		snprintf(err, errlen, "fileio: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_lock(&fio->lock);
	struct fio_file *prev = fio->slots[fd].file;
	fio->slots[fd].file = f;
	fio->slots[fd].cloexec = 0;
	pthread_mutex_unlock(&fio->lock);
	fio_put(fio, prev);
	return 0;
}

void fileio_set_net(struct fileio *fio, int net_host)
{
	fio->net_host = net_host != 0;
}

static int setup_share(struct fileio *fio, const char *share_dir, char *err, size_t errlen)
{
	char *real = realpath(share_dir, NULL);
	if (!real) {
		int e = errno;
		snprintf(err, errlen, "--share %s: %s", share_dir, strerror(e));
		return -e;
	}
	if (!strcmp(real, "/")) {
		snprintf(err, errlen,
			 "--share %s: the share cannot be / (it would expose the "
			 "whole host file system)",
			 share_dir);
		free(real);
		return -EPERM;
	}
	fio->root = real;
	fio->root_fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fio->root_fd < 0) {
		int e = errno;
		snprintf(err, errlen, "--share %s: %s", share_dir, strerror(e));
		return -e;
	}
	/* O_PATH checks no permission on the directory itself: ask as the effective (file-
	 * system) user, which is the VM's user under --uid, whether it may list and enter it. */
	if (syscall(SYS_faccessat2, fio->root_fd, "", R_OK | X_OK, AT_EMPTY_PATH | AT_EACCESS)) {
		int e = errno;
		snprintf(err, errlen,
			 "--share %s: %s (the share must be readable and searchable "
			 "by the user the VM runs as)",
			 share_dir, strerror(e));
		return -e;
	}
	int cfd = fcntl(fio->root_fd, F_DUPFD_CLOEXEC, 3);
	if (cfd < 0) {
		int e = errno;
		snprintf(err, errlen, "--share: dup: %s", strerror(e));
		return -e;
	}
	fio->cwd = fio_file_new(cfd, strdup(""), 1);
	if (!fio->cwd) {
		close(cfd);
		snprintf(err, errlen, "fileio: out of memory");
		return -ENOMEM;
	}
	return 0;
}

int fileio_create(struct fileio **out, const char *share_dir, char *err, size_t errlen)
{
	*out = NULL;
	struct fileio *fio = calloc(1, sizeof(*fio));
	if (!fio) {
		snprintf(err, errlen, "fileio: out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&fio->lock, NULL);
	fio->root_fd = -1;
	fio->view_fd = fio->view_parent_fd = -1;
	fio->shm_fd = -1;
	/* The guest's 0-2 are copies of hvmm's own, so closing them leaves hvmm's intact. */
	for (int i = 0; i < 3; i++) {
		int fd = fcntl(i, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			continue; /* hvmm started with it closed: so is the guest's */
		fio->slots[i].file = fio_file_new(fd, NULL, 0);
		if (!fio->slots[i].file) {
			close(fd);
			fileio_destroy(fio);
			snprintf(err, errlen, "fileio: out of memory");
			return -ENOMEM;
		}
	}
	if (share_dir) {
		int r = setup_share(fio, share_dir, err, errlen);
		if (r < 0) {
			fileio_destroy(fio);
			return r;
		}
	}
	*out = fio;
	return 0;
}

void fileio_destroy(struct fileio *fio)
{
	if (!fio)
		return;
	/* As at a Linux process's exit, a lingering socket's close does not wait: every
	 * thread that could interrupt it has ended, and guest RAM is held until hvmm exits. */
	no_linger = 1;
	for (unsigned i = 0; i < DSV_MAX_FILES; i++)
		fio_put(fio, fio->slots[i].file);
	fio_put(fio, fio->cwd);
	no_linger = 0;
	fio_view_remove(fio);
	if (fio->root_fd >= 0)
		close(fio->root_fd);
	if (fio->shm_fd >= 0)
		close(fio->shm_fd);
	free(fio->root);
	pthread_mutex_destroy(&fio->lock);
	free(fio);
}

/* The dispatch table, from dsv/file_calls.def: a call's kind says what to look up first. */
static const struct {
	enum dsv_file_kind kind;
	int64_t (*fn)(const struct fio_call *c);
} file_calls[DSV_FILE_CALLS] = {
#define DSV_FILE_CALL(NAME, name, nr, kind, args) \
	[nr - DSV_HC_FILE_BASE] = { DSV_FILE_##kind, fio_##name },
#include <dsv/file_calls.def>
#undef DSV_FILE_CALL
};

static int call_known(uint32_t nr)
{
	return nr >= DSV_HC_FILE_BASE && nr - DSV_HC_FILE_BASE < DSV_FILE_CALLS &&
	       file_calls[nr - DSV_HC_FILE_BASE].fn;
}

static int call_on_fd(uint32_t nr)
{
	return file_calls[nr - DSV_HC_FILE_BASE].kind == DSV_FILE_FD;
}

int64_t fileio_call(struct fileio *fio, const struct guest_mem *gm, uint32_t nr,
		    const uint64_t args[6])
{
	if (!fio || !gm || !args)
		return -EINVAL;
	if (!call_known(nr))
		return -ENOSYS;
	struct fio_call c = { .fio = fio, .gm = gm, .a = args };
	if (!call_on_fd(nr))
		return file_calls[nr - DSV_HC_FILE_BASE].fn(&c);
	/* a reference for the call: a close on another vCPU cannot pull the fd away */
	if (!(c.file = fio_get(fio, args[0])))
		return -EBADF;
	int64_t r = file_calls[nr - DSV_HC_FILE_BASE].fn(&c);
	fio_put(fio, c.file);
	return r;
}

int fileio_call_inline(struct fileio *fio, const struct guest_mem *gm, uint32_t nr,
		       const uint64_t args[6], int64_t *ret)
{
	int ran = 1;

	if (!fio || !gm || !args || !call_known(nr)) {
		*ret = fileio_call(fio, gm, nr, args); /* an error at once */
		return 1;
	}
	struct fio_call c = { .fio = fio, .gm = gm, .a = args };
	no_linger = 1;
	if (call_on_fd(nr) && !(c.file = fio_get(fio, args[0])))
		*ret = -EBADF;
	else if (fio_call_may_wait(&c, nr))
		ran = 0;
	else
		*ret = file_calls[nr - DSV_HC_FILE_BASE].fn(&c);
	fio_put(fio, c.file); /* NULL-safe; may be the last reference: no_linger holds */
	no_linger = 0;
	return ran;
}
