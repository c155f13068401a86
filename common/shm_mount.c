#include "shm_mount.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "remove_tree.h"

uint64_t shm_mount_inodes(uint64_t mib)
{
	uint64_t n = mib * 16;
	return n < 1024 ? 1024 : n > (1u << 20) ? (1u << 20) : n;
}

int shm_mount_parse_mib(const char *s, uint64_t *mib)
{
	uint64_t v = 0;
	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > SHM_MOUNT_MIB_MAX)
			return -1; /* also keeps v far from overflowing */
	}
	if (v < 1)
		return -1;
	*mib = v;
	return 0;
}

int shm_mount_at(int dirfd, const char *name, uint64_t mib, uid_t uid, gid_t gid)
{
	int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char target[64], opts[160];
	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	snprintf(opts, sizeof(opts), "size=%llum,nr_inodes=%llu,mode=0700,uid=%u,gid=%u",
		 (unsigned long long)mib, (unsigned long long)shm_mount_inodes(mib), (unsigned)uid,
		 (unsigned)gid);
	/* the descriptor's directory itself: the magic link names it, not a path */
	int rc = mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, opts);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

bool shm_mount_is_mounted(int dirfd, const char *name)
{
	struct stat parent, st;
	return fstat(dirfd, &parent) == 0 && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode) && st.st_dev != parent.st_dev;
}

int shm_mount_remove_at(int dirfd, const char *name)
{
	/* a leftover may hold several mounts, one on another: each detach uncovers the next */
	for (int i = 0; i < 8 && shm_mount_is_mounted(dirfd, name); i++) {
		int fd = openat(dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			return -1;
		char target[64];
		snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
		int rc = umount2(target, MNT_DETACH);
		int e = errno;
		close(fd);
		if (rc < 0) {
			errno = e;
			return -1;
		}
	}
	if (shm_mount_is_mounted(dirfd, name)) {
		errno = EBUSY;
		return -1;
	}
	return remove_tree_at(dirfd, name);
}
