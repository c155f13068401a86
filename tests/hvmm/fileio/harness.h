/* Test harness for hvmm/fileio: a fake guest memory, a temp share, and call wrappers. */
#ifndef TESTS_FILEIO_HARNESS_H
#define TESTS_FILEIO_HARNESS_H

#include <limits.h>
#include <stdint.h>
#include <dsv/fileio.h>
#include "file_offload.h"
#include "guest_mem.h"

#define H_MEM (4ull << 20)
#define H_NAME 256 /* temp paths are short; keeps snprintf bounds provable */

struct h {
	struct guest_mem gm;
	struct fileio *fio;
	uint64_t next;	      /* bump allocator in guest memory */
	char base[H_NAME];    /* temp dir holding everything below */
	char share[H_NAME];   /* base/share: the --share dir */
	char native[H_NAME];  /* base/native: the same operations, done natively */
	char sibling[H_NAME]; /* base/share2: shares the share's prefix */
	char outside[H_NAME]; /* base/outside: holds "secret" */
};

/* Sets up the dirs and, when with_share, a fileio on base/share. */
struct h *h_new(int with_share);
void h_free(struct h *h);

/* cmocka fixtures: a fileio on the share, one with no share, one with no share and the host's
 * network (--net host); h_teardown frees any of them. */
int h_setup_share(void **state);
int h_setup_noshare(void **state);
int h_setup_net(void **state);
int h_teardown(void **state);
void h_drop_dirs(struct h *h); /* removes base and below now (h_free would do it later) */

uint64_t h_put(struct h *h, const void *data, uint64_t len); /* GPA of a copy */
uint64_t h_buf(struct h *h, uint64_t len);		     /* GPA of zeroed space */
void *h_host(struct h *h, uint64_t gpa);
int64_t h_call(struct h *h, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3,
	       uint64_t a4, uint64_t a5);

/* Guest-side wrappers, Linux-style results (>= 0 or -errno). */
int64_t g_open(struct h *h, int dirfd, const char *path, int flags, int mode);
int64_t g_close(struct h *h, int fd);
int64_t g_write(struct h *h, int fd, const void *data, uint64_t len);
int64_t g_read(struct h *h, int fd, void *out, uint64_t len);
int64_t g_fstatat(struct h *h, int dirfd, const char *path, void *st, int flags);
int64_t g_mkdir(struct h *h, int dirfd, const char *path, int mode);
int64_t g_unlink(struct h *h, int dirfd, const char *path, int flags);
int64_t g_rename(struct h *h, int od, const char *op, int nd, const char *np);
int64_t g_chdir(struct h *h, const char *path);
int64_t g_getcwd(struct h *h, char *out, uint64_t len);
int64_t g_readlink(struct h *h, int dirfd, const char *path, char *out, uint64_t len);

/* Helpers on the host side. */
void h_write_file(const char *dir, const char *name, const char *content);
int h_read_file(const char *dir, const char *name, char *out, size_t len); /* bytes or -1 */
int h_exists(const char *dir, const char *name);
int h_count_fds(void);

#endif
