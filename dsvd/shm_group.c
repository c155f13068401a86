#include "shm_group.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shm_mount.h"

static void group_name(const struct vm *vm, char *out, size_t len)
{
	snprintf(out, len, "%u.%s", (unsigned)vm->owner.uid, vm->spec.shm_group);
}

static int groups_dir(const char *state_dir, char *out, size_t len)
{
	return snprintf(out, len, "%s/shm", state_dir) >= (int)len ? -1 : 0;
}

static bool in_group(const struct vm *vm, const char *name)
{
	char mine[VM_SHM_GROUP_MAX + 16];
	if (vm->spec.stack != VM_STACK_HPC || !vm->spec.shm_group[0])
		return false;
	group_name(vm, mine, sizeof(mine));
	return strcmp(mine, name) == 0;
}

static void remove_group(const char *state_dir, const char *name)
{
	char dir[600];
	if (groups_dir(state_dir, dir, sizeof(dir)) < 0)
		return;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	if (shm_mount_remove_at(fd, name) < 0)
		fprintf(stderr, "dsvd: cannot remove the shared-memory directory %s/%s: %s\n", dir,
			name, strerror(errno));
	close(fd);
}

int shm_group_enter(const char *state_dir, uint64_t mib, struct vm *vm, struct api_error *err)
{
	vm->shm_dir[0] = '\0';
	if (!vm->spec.shm_group[0])
		return 0;
	char dir[600], name[VM_SHM_GROUP_MAX + 16];
	if (groups_dir(state_dir, dir, sizeof(dir)) < 0)
		return api_fail(err, 500, "shm_group", "state directory path too long");
	/* 0711: each owner's hvmm passes through to its own group, nobody lists them */
	if (mkdir(dir, 0711) < 0 && errno != EEXIST)
		return api_fail(err, 500, "shm_group", "cannot create %s: %s", dir,
				strerror(errno));
	group_name(vm, name, sizeof(name));
	if (snprintf(vm->shm_dir, sizeof(vm->shm_dir), "%s/%s", dir, name) >=
	    (int)sizeof(vm->shm_dir)) {
		vm->shm_dir[0] = '\0';
		return api_fail(err, 500, "shm_group", "state directory path too long");
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		api_fail(err, 500, "shm_group", "cannot open %s: %s", dir, strerror(errno));
		vm->shm_dir[0] = '\0';
		return -1;
	}
	/* root's and 0700 underneath: should the tmpfs ever go, the owner cannot write the disk */
	if (mkdirat(fd, name, 0700) == 0) {
		if (shm_mount_at(fd, name, mib, vm->owner.uid, vm->owner.gid) == 0) {
			close(fd);
			return 0;
		}
		/* fail closed: an uncapped directory would let the guest fill the host's disk */
		int e = errno;
		api_fail(err, 500, "shm_group", "cannot mount a tmpfs of %llu MiB on %s: %s%s",
			 (unsigned long long)mib, vm->shm_dir, strerror(e),
			 e == EPERM ? " (dsvd must run as root to give a group its /dev/shm)" : "");
		unlinkat(fd, name, AT_REMOVEDIR);
		close(fd);
		vm->shm_dir[0] = '\0';
		return -1;
	}
	/* the group's directory already: it must still be the tmpfs dsvd made for the owner */
	struct stat st;
	int e = errno;
	if (e == EEXIST && fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode) && st.st_uid == vm->owner.uid && shm_mount_is_mounted(fd, name)) {
		close(fd);
		return 0;
	}
	close(fd);
	api_fail(err, 500, "shm_group", "cannot create %s: %s", vm->shm_dir,
		 e == EEXIST ? "it exists and is not a tmpfs of the VM's owner" : strerror(e));
	vm->shm_dir[0] = '\0';
	return -1;
}

void shm_group_leave(const char *state_dir, const struct vm *vms, const struct vm *vm)
{
	if (vm->spec.stack != VM_STACK_HPC || !vm->spec.shm_group[0])
		return;
	char name[VM_SHM_GROUP_MAX + 16];
	group_name(vm, name, sizeof(name));
	for (const struct vm *o = vms; o; o = o->next)
		if (o != vm && in_group(o, name))
			return;
	remove_group(state_dir, name);
}

void shm_group_sweep(const char *state_dir, const struct vm *vms)
{
	char dir[600];
	if (groups_dir(state_dir, dir, sizeof(dir)) < 0)
		return;
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		const struct vm *o = vms;
		while (o && !in_group(o, de->d_name))
			o = o->next;
		if (!o)
			remove_group(state_dir, de->d_name);
	}
	closedir(d);
}
