/* Mounts through hostfs: the kernel's mount(2) on the real host; in a fake tree a mount table
 * of our own (ROOT/proc/mounts, one "fstype target fstype options 0 0" line per mount), so the
 * partition code runs unchanged in tests and they can see what was mounted. */
#include "hostfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int hostfs_mount(const struct hostfs *fs, const char *fstype, const char *target,
		 const char *options, char *err, size_t errlen)
{
	return fs->mnt->mount(fs, fstype, target, options, err, errlen);
}

int hostfs_umount(const struct hostfs *fs, const char *target, char *err, size_t errlen)
{
	return fs->mnt->umount(fs, target, err, errlen);
}

static int real_mount(const struct hostfs *fs, const char *fstype, const char *target,
		      const char *options, char *err, size_t errlen)
{
	(void)fs;
	if (mount(fstype, target, fstype, MS_NOSUID | MS_NODEV | MS_NOEXEC, options) < 0) {
		snprintf(err, errlen, "cannot mount %s at %s (%s): %s", fstype, target, options,
			 strerror(errno));
		return -1;
	}
	/* A mount namespace created from now on (libvirt's for QEMU, say) copies this mount; as a
     * shared mount its copies are peers, so our umount reaches them too and they do not keep
     * the filesystem (and what it reserved) alive. Best effort: a private copy only delays. */
	mount(NULL, target, NULL, MS_SHARED, NULL);
	return 0;
}

static int real_umount(const struct hostfs *fs, const char *target, char *err, size_t errlen)
{
	(void)fs;
	if (umount2(target, UMOUNT_NOFOLLOW) == 0 || errno == EINVAL || errno == ENOENT)
		return 0; /* EINVAL: nothing mounted there (any more) */
	snprintf(err, errlen, "cannot unmount %s: %s%s", target, strerror(errno),
		 errno == EBUSY ? " (a process still uses it)" : "");
	return -1;
}

const struct hostfs_mount_ops hostfs_mount_real = { real_mount, real_umount };

static int fake_table(const struct hostfs *fs, char *path, size_t len)
{
	return hostfs_path(fs, path, len, "/proc/mounts");
}

/* Copies the fake table without target's line into a malloc'd string; *found if it was there. */
static char *fake_without(const char *table, const char *target, bool *found)
{
	*found = false;
	FILE *f = fopen(table, "re");
	char *out = NULL;
	size_t outlen = 0;
	FILE *o = open_memstream(&out, &outlen);
	if (!o) {
		if (f)
			fclose(f);
		return NULL;
	}
	char line[1024], want[600];
	snprintf(want, sizeof(want), " %s ", target);
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, want))
			*found = true;
		else
			fputs(line, o);
	}
	if (f)
		fclose(f);
	fclose(o);
	return out;
}

static int fake_mount(const struct hostfs *fs, const char *fstype, const char *target,
		      const char *options, char *err, size_t errlen)
{
	char table[512];
	struct stat st;
	if (fake_table(fs, table, sizeof(table)) < 0 || stat(target, &st) < 0 ||
	    !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "cannot mount %s at %s: no such directory", fstype, target);
		return -1;
	}
	bool found;
	free(fake_without(table, target, &found));
	if (found) {
		snprintf(err, errlen, "cannot mount %s at %s: %s", fstype, target, strerror(EBUSY));
		return -1;
	}
	FILE *f = fopen(table, "ae");
	if (!f || fprintf(f, "%s %s %s %s 0 0\n", fstype, target, fstype, options) < 0) {
		snprintf(err, errlen, "cannot record the mount in %s: %s", table, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

static int fake_umount(const struct hostfs *fs, const char *target, char *err, size_t errlen)
{
	char table[512];
	bool found;
	if (fake_table(fs, table, sizeof(table)) < 0)
		return 0;
	char *rest = fake_without(table, target, &found);
	if (!rest) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = 0;
	if (found && rest[0]) {
		rc = hostfs_write(table, rest, err, errlen);
	} else if (found && unlink(table) < 0) {
		/* the table file goes with its last line, as it was before the first mount */
		snprintf(err, errlen, "cannot remove %s: %s", table, strerror(errno));
		rc = -1;
	}
	free(rest);
	return rc;
}

const struct hostfs_mount_ops hostfs_mount_fake = { fake_mount, fake_umount };
