/* File offload internals shared by hvmm/fileio*.c. Not part of hvmm's interface. */
#ifndef HVMM_FILEIO_INT_H
#define HVMM_FILEIO_INT_H

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <dsv/fileio.h>
#include "file_offload.h"

/*
 * One host open file. Guest descriptors (dup'd ones too) and the cwd hold references, and
 * so does every call in flight on it: a close from another vCPU never pulls the host fd
 * out from under a blocking read, and the host number cannot be reused meanwhile.
 */
struct fio_file {
	int fd;	      /* host fd, always O_CLOEXEC */
	int refs;     /* under fio->lock */
	char *rel;    /* directories: share-relative path at open time ("" = root), or NULL */
	int in_share; /* opened beneath the share; only such files serve as a dirfd */
	int view;     /* opened in the /proc and /sys view: FIO_VIEW_PROC or _SYS, else 0 */
};

struct fio_slot {
	struct fio_file *file; /* NULL: free */
	uint8_t reserved;      /* taken by an open in progress */
	uint8_t cloexec;       /* guest's FD_CLOEXEC; nothing execs, but F_GETFD reports it */
};

struct fileio {
	pthread_mutex_t lock;
	int root_fd;	      /* O_PATH|O_DIRECTORY of the share, -1 without --share */
	char *root;	      /* realpath of the share (never "/"), no trailing '/' */
	struct fio_file *cwd; /* NULL without --share */
	struct fio_slot slots[DSV_MAX_FILES];
	int net_host;	    /* --net host: AF_INET/AF_INET6 and abstract AF_UNIX names */
	int view_fd;	    /* O_PATH of the /proc and /sys tree (fileio_view.c), or -1 */
	int view_parent_fd; /* the directory holding it, for its removal */
	char *view_name;    /* its name there */
	/* /proc/self/ns/net's placeholder in the view and the inode its stat gives (0: none) */
	dev_t netns_stand_in_dev;
	ino_t netns_stand_in_ino, netns_ino;
	int shm_fd; /* O_PATH of --shm DIR, the guest's /dev/shm, or -1 */
};

/*
 * Permission bits a guest may set. Never setuid, setgid or sticky: a file the guest makes
 * setuid would run with its owner's rights for any host user who executes it.
 */
#define FIO_MODE_OK 0777u

/* fileio.c: descriptor table. */
struct fio_file *fio_file_new(int fd, char *rel, int in_share);		    /* takes rel */
struct fio_file *fio_get(struct fileio *fio, uint64_t fd);		    /* NULL: not open */
struct fio_file *fio_get_dir(struct fileio *fio, uint64_t dirfd, int *err); /* AT_FDCWD ok */
void fio_put(struct fileio *fio, struct fio_file *f);
int fio_reserve(struct fileio *fio, unsigned min); /* slot or -EMFILE */
void fio_install(struct fileio *fio, int slot, struct fio_file *f, int cloexec);
void fio_unreserve(struct fileio *fio, int slot);
/* Wraps fd (taking rel) into reserved slot; on failure closes fd and frees the slot. */
int64_t fio_install_file(struct fileio *fio, int slot, int fd, char *rel, int in_share,
			 int cloexec);
/* The same for a descriptor outside the share (pipe, socket, eventfd). */
int64_t fio_install_fd(struct fileio *fio, int slot, int fd, int cloexec);

/* fileio_block.c: would the call wait (c->file held for DSV_FILE_FD calls)? And clears a
 * socket's nonzero SO_LINGER time, so that closing it does not wait. */
struct fio_call;
int fio_call_may_wait(const struct fio_call *c, uint32_t nr);
void fio_drop_linger(int fd);

/* Empties guest slot fd and returns what it held (the caller puts it), or NULL. */
struct fio_file *fio_file_detach(struct fileio *fio, int fd);

/* fileio_anon.c: new descriptors. fio_new_fd takes a host fd or -1 with errno set. */
int64_t fio_new_fd(struct fileio *fio, int fd, int cloexec);
struct fio_call;
int64_t fio_pair_to_guest(const struct fio_call *c, uint64_t gpa, const int host[2], int cloexec);

/* fileio_sockaddr.c: network policy and socket addresses. */
struct sockaddr_storage;
int fio_family_allowed(const struct fileio *fio, int family); /* 0 or -EAFNOSUPPORT */
/* Copies a guest address (len bytes) and checks it against the network policy. */
int64_t fio_addr_in(const struct fio_call *c, uint64_t gpa, uint64_t len,
		    struct sockaddr_storage *ss);
/* Before a call that returns an address: reads the guest's room at lenp (0: none wanted)
 * and checks the address range, so that nothing can fail after the call. */
int64_t fio_addr_room(const struct fio_call *c, uint64_t gpa, uint64_t lenp, uint32_t *room);
/* connect and sendmsg: a netlink destination must be the kernel (-EPERM otherwise). */
int fio_addr_peer_ok(const struct sockaddr_storage *ss, size_t len);
void fio_addr_out(const struct fio_call *c, uint64_t gpa, uint64_t lenp, uint32_t room,
		  const struct sockaddr_storage *ss, unsigned len);

/* Host view of guest memory: NULL when [gpa, gpa+len) is not all guest RAM. A zero-length
 * range touches nothing and is always valid, like Linux. */
void *fio_gbuf(const struct guest_mem *gm, uint64_t gpa, uint64_t len);
int64_t fio_put_guest(const struct guest_mem *gm, uint64_t gpa, const void *src, size_t len);
static inline int64_t fio_res(long r)
{
	return r < 0 ? -errno : r;
}

/* fileio_view.c: the synthetic /proc and /sys. */
int fio_in_view(const struct fileio *fio, const char *path); /* absolute, below /proc or /sys */
int fio_view_open(struct fileio *fio, const char *path, uint64_t flags); /* fd or -errno */
/* Which tree of the view a path in it ends in (".." applied lexically), or FIO_VIEW_NONE. */
enum {
	FIO_VIEW_NONE,
	FIO_VIEW_PROC,
	FIO_VIEW_SYS
};
int fio_view_kind(const char *path);
void fio_view_remove(struct fileio *fio);
/* A file of len bytes at rel below the view's root, its directories made. 0 or -errno. */
int fio_view_put(int root, const char *rel, const void *data, size_t len);
/* A symbolic link at rel (relative, beneath the root) to target. 0 or -errno. */
int fio_view_link(int root, const char *rel, const char *target);
/* fileio_view_net.c: the network namespace's interfaces and routes, under --net host. */
int fio_view_put_net(int root);
/* fileio_view_netns.c: /proc/self/ns/net, whose stat gives hvmm's namespace's inode. */
int fio_view_put_netns(struct fileio *fio);
void fio_view_fix_stat(const struct fileio *fio, struct stat *st);
void fio_view_fix_statx(const struct fileio *fio, struct statx *stx);

/* fileio_shm.c: the guest's /dev/shm under --shm. fio_in_shm: path is /dev/shm or below
 * (rel, if not NULL, gets the part below it, "." for the directory itself). */
int fio_in_shm(const struct fileio *fio, const char *path, const char **rel);
int fio_shm_open(struct fileio *fio, const char *path, uint64_t flags, uint64_t mode);

/* fileio_path.c: confinement. */
/* openat2 RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS from base, O_CLOEXEC added: fd or -errno. */
int fio_openat2(int base, const char *path, uint64_t flags, uint64_t mode);
struct fio_path {
	char buf[DSV_PATH_MAX + 1];
	size_t len;
};
int fio_copy_path(const struct guest_mem *gm, uint64_t gpa, uint64_t len, struct fio_path *p);
/*
 * Opens path relative to dir (NULL: the cwd) with openat2 RESOLVE_BENEATH, never leaving the
 * share. Returns a host fd (O_CLOEXEC added) or -errno; -EACCES for escapes.
 */
int fio_open_beneath(struct fileio *fio, struct fio_file *dir, const char *path, uint64_t flags,
		     uint64_t mode);
/* Parent directory of path as an O_PATH fd, and its last component in *last. */
int fio_open_parent(struct fileio *fio, struct fio_file *dir, char *path, const char **last);
/* Absolute guest path -> part below the share root: 0, 1 for an ancestor of the root, -EACCES. */
int fio_abs_to_rel(const struct fileio *fio, const char *path, const char **rel);
/* Share-relative path of a directory fd now (for getcwd and '..' above a dirfd). */
int fio_dir_rel(struct fileio *fio, struct fio_file *f, char *out, size_t outlen);
/* base + path, lexically normalized, malloc'd; NULL if unknown. */
char *fio_join_rel(const struct fileio *fio, const char *base, const char *path);

/* One call in flight: what the dispatcher (fileio.c) hands each handler. */
struct fio_call {
	struct fileio *fio;
	const struct guest_mem *gm;
	const uint64_t *a;     /* the guest's six arguments */
	struct fio_file *file; /* DSV_FILE_FD calls: a[0]'s file, held for the call */
};

/*
 * The (dirfd, path, path_len, ...) calls (fileio_pathops.c): bad flags first (Linux rejects
 * them before any lookup), then the path, then the directory it is relative to; fn runs
 * with both (dir NULL for an absolute path) and the directory is released after it.
 * empty_ok: an empty path names dirfd itself.
 */
typedef int64_t (*fio_at_fn)(const struct fio_call *c, struct fio_file *dir, char *path);
int64_t fio_at_call(const struct fio_call *c, int64_t flags_err, int empty_ok, fio_at_fn fn);

/* The handlers, one per line of dsv/file_calls.def: fio_openat, fio_close, ... in
 * fileio_pathops.c (DSV_FILE_PATH) and fileio_fd.c (DSV_FILE_FD, DSV_FILE_TABLE). */
#define DSV_FILE_CALL(NAME, name, nr, kind, args) int64_t fio_##name(const struct fio_call *c);
#include <dsv/file_calls.def>
#undef DSV_FILE_CALL

#endif
