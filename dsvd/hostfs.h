/* Access to the host's sysfs/procfs/cgroupfs, under a configurable root directory so that the
 * partition logic can run against a fake tree in tests (root "" means the real host). */
#ifndef DSVD_HOSTFS_H
#define DSVD_HOSTFS_H

#include <stdbool.h>
#include <stddef.h>

#define HOSTFS_VALUE_MAX 512

struct hostfs {
    char root[256]; /* "" for the real host */
};

/* Initializes from an explicit root, or from $DSV_HOST_ROOT when root is NULL. */
void hostfs_init(struct hostfs *fs, const char *root);
bool hostfs_is_fake(const struct hostfs *fs);
/* Builds root + formatted path. Returns 0, or -1 when it does not fit. */
int hostfs_path(const struct hostfs *fs, char *out, size_t outlen, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Reads a small file whole, without the trailing newline. */
int hostfs_read(const char *path, char *buf, size_t len, char *err, size_t errlen);
/* Writes value to a file (one write call, as sysfs wants). */
int hostfs_write(const char *path, const char *value, char *err, size_t errlen);
bool hostfs_exists(const char *path);

#endif
