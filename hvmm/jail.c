/* --jail DIR: see jail.h. */
#include "jail.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#define FAIL(...)                                   \
	do {                                        \
		snprintf(err, errlen, __VA_ARGS__); \
		goto out;                           \
	} while (0)

int jail_enter(const char *dir, char *err, size_t errlen)
{
	char *real = realpath(dir, NULL);
	struct stat st;
	int rc = -1;

	if (!real || stat(real, &st) || !S_ISDIR(st.st_mode))
		FAIL("%s", real ? "not a directory" : strerror(errno));
	if (!strcmp(real, "/"))
		FAIL("the jail cannot be /");
	if (unshare(CLONE_NEWNS))
		FAIL("unshare(CLONE_NEWNS): %s (needs CAP_SYS_ADMIN)", strerror(errno));
	/* Nothing done in here may propagate to the host's mounts. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		FAIL("making mounts private: %s", strerror(errno));
	if (mount(real, real, NULL, MS_BIND | MS_REC, NULL))
		FAIL("bind mount: %s", strerror(errno));
	/* hvmm reads and writes nothing by path once jailed: read-only, no devices, no exec. */
	if (mount(NULL, real, NULL,
		  MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL))
		log_warn("--jail: cannot remount %s read-only, nosuid, nodev, noexec: %s", real,
			 strerror(errno));
	if (chdir(real))
		FAIL("chdir: %s", strerror(errno));
	/* pivot_root(".", "."): the old root ends up on top and is detached at once. */
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH))
			FAIL("detaching the old root: %s", strerror(errno));
	} else if (chroot(".")) {
		FAIL("pivot_root and chroot both failed: %s", strerror(errno));
	} else {
		log_info("--jail: pivot_root impossible here, used chroot");
	}
	if (chdir("/"))
		FAIL("chdir /: %s", strerror(errno));
	log_info("jailed in %s (private mount namespace)", real);
	rc = 0;
out:
	free(real);
	return rc;
}
