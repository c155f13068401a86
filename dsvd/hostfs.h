/* Access to the host's sysfs/procfs/cgroupfs, under a configurable root directory so that the
 * partition logic can run against a fake tree in tests (root "" means the real host). */
#ifndef DSVD_HOSTFS_H
#define DSVD_HOSTFS_H

#include <stdbool.h>
#include <stddef.h>

#define HOSTFS_VALUE_MAX 512

struct hostfs;

/* mount(2) and umount2(2), behind a table so a fake tree can record them and tests can inject
 * failures (dsvd/hostfs_mount.c). */
struct hostfs_mount_ops {
	/* Mounts a filesystem of type fstype (no device) at target with the comma-separated data
     * options, nosuid, nodev and noexec. */
	int (*mount)(const struct hostfs *fs, const char *fstype, const char *target,
		     const char *options, char *err, size_t errlen);
	/* Unmounts target; a target with nothing mounted on it is not an error. */
	int (*umount)(const struct hostfs *fs, const char *target, char *err, size_t errlen);
};

/* The kernel's mount(2) (real host), and a fake that records mounts in ROOT/proc/mounts. */
extern const struct hostfs_mount_ops hostfs_mount_real, hostfs_mount_fake;

struct hostfs {
	char root[256];			    /* "" for the real host */
	const struct hostfs_mount_ops *mnt; /* real or fake by root; tests may substitute */
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

int hostfs_mount(const struct hostfs *fs, const char *fstype, const char *target,
		 const char *options, char *err, size_t errlen);
int hostfs_umount(const struct hostfs *fs, const char *target, char *err, size_t errlen);

#endif
