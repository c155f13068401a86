/* The step's /dev/shm (slurm/step_shm.c): a tmpfs of the plugin's shm_mib for the job's user,
 * 0700, nosuid, nodev, noexec, under a root only this user may write; full at its cap; a
 * leftover replaced; unmounted and removed without following the links a job left. Without
 * root (no mount) it is refused and nothing is left. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "step_shm.h"

static char top[256], root[300], dir[512], err[1024];
/* as root the directory goes to another user, as the plugin's does; otherwise to us */
static uid_t uid;
static gid_t gid;
static const uint32_t ids[3] = { 42, 3, 1 }; /* job 42, step 3, the step's second node */
#define MIB 4				     /* the cap under test */
#define TMPFS_MAGIC 0x01021994

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "%s/step-shm.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top) || chmod(top, 0711)) /* the job's user passes through to its step */
		return -1;
	snprintf(root, sizeof(root), "%s/run/dsv/slurm-shm", top); /* parents missing */
	uid = geteuid() == 0 ? 4321 : geteuid();
	gid = geteuid() == 0 ? 8765 : getegid();
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	(void)state;
	step_shm_remove(root, ids, err, sizeof(err)); /* never leave a mount behind */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* How many file systems are mounted at path (/proc/self/mountinfo's fifth field). */
static int mounts_at(const char *path)
{
	char line[4096], point[4096];
	int n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", point) == 1 && !strcmp(point, path))
			n++;
	fclose(f);
	return n;
}

/* As the job's user: writes a file of mib MiB in dir; the errno of the write that failed, or 0 */
static int write_as_owner(const char *d, unsigned mib)
{
	int status;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		static char buf[1 << 20];
		char path[700];
		int fd;

		if (setresgid(gid, gid, gid) || setresuid(uid, uid, uid))
			_exit(200);
		snprintf(path, sizeof(path), "%s/big", d);
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
			_exit(201);
		memset(buf, 'x', sizeof(buf));
		for (unsigned i = 0; i < mib; i++) {
			size_t done = 0;
			while (done < sizeof(buf)) {
				ssize_t w = write(fd, buf + done, sizeof(buf) - done);
				if (w < 0)
					_exit(errno);
				done += (size_t)w;
			}
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static void made_kept_and_removed(void **state)
{
	char path[700], outside[400];
	struct stat st;
	struct statfs sf;
	struct statvfs sv;

	(void)state;
	if (geteuid() != 0)
		skip(); /* refused_without_root instead */
	assert_int_equal(
		step_shm_create(root, ids, MIB, uid, gid, dir, sizeof(dir), err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/42.3.1", root);
	assert_string_equal(dir, path);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(root, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	/* a tmpfs of its own, of the cap, with no set-id, device or program in it */
	assert_int_equal(mounts_at(dir), 1);
	assert_int_equal(statfs(dir, &sf), 0);
	assert_true(sf.f_type == TMPFS_MAGIC);
	assert_int_equal((uint64_t)sf.f_blocks * (uint64_t)sf.f_bsize, MIB << 20);
	assert_int_equal(sf.f_files, 1024); /* the floor: 16 per MiB would be 64 */
	assert_int_equal(statvfs(dir, &sv), 0);
	assert_true(sv.f_flag & ST_NOSUID);
	assert_true(sv.f_flag & ST_NODEV);
	assert_true(sv.f_flag & ST_NOEXEC);
	/* the job's user fills the cap and no more */
	assert_int_equal(write_as_owner(dir, MIB + 1), ENOSPC);
	snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(write_as_owner(dir, MIB - 1), 0);

	/* what ranks leave: files, a directory, links out that removal must not follow */
	snprintf(outside, sizeof(outside), "%s/outside", top);
	write_file(outside, "keep");
	snprintf(path, sizeof(path), "%s/seg", dir);
	write_file(path, "x");
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/sub/link", dir);
	assert_int_equal(symlink(outside, path), 0);
	snprintf(path, sizeof(path), "%s/toplink", dir);
	assert_int_equal(symlink(top, path), 0);

	/* the same ids again (a step whose slurmstepd was killed): a fresh, empty tmpfs, not
	 * one mounted on the other */
	assert_int_equal(
		step_shm_create(root, ids, MIB, uid, gid, dir, sizeof(dir), err, sizeof(err)), 0);
	snprintf(path, sizeof(path), "%s/seg", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(outside, F_OK), 0);
	assert_int_equal(mounts_at(dir), 1);

	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink(outside, path), 0);
	assert_int_equal(step_shm_remove(root, ids, err, sizeof(err)), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(mounts_at(dir), 0);
	assert_int_equal(access(outside, F_OK), 0);
	assert_int_equal(access(top, F_OK), 0);
	/* removing what is not there is no error: the step may have had no --dsv-hpc task */
	assert_int_equal(step_shm_remove(root, ids, err, sizeof(err)), 0);
}

/* Without root no tmpfs can be mounted: refused, saying so, and no uncapped directory left */
static void refused_without_root(void **state)
{
	(void)state;
	if (geteuid() == 0)
		skip(); /* made_kept_and_removed instead */
	assert_int_equal(
		step_shm_create(root, ids, MIB, uid, gid, dir, sizeof(dir), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot mount a tmpfs of 4 MiB"));
	assert_int_equal(access(dir, F_OK), -1);
}

/* A root another user could write, or a link to one, is refused: that user could swap a
 * step's directory for one of theirs. */
static void hostile_roots(void **state)
{
	char other[300], link[400];

	(void)state;
	snprintf(other, sizeof(other), "%s/open", top);
	assert_int_equal(mkdir(other, 0777), 0);
	assert_int_equal(chmod(other, 0777), 0);
	assert_int_equal(
		step_shm_create(other, ids, MIB, uid, gid, dir, sizeof(dir), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no one else may write"));
	assert_int_equal(step_shm_remove(other, ids, err, sizeof(err)), -1);
	assert_int_equal(chmod(other, 0755), 0);
	snprintf(link, sizeof(link), "%s/link", top);
	assert_int_equal(symlink(other, link), 0);
	assert_int_equal(
		step_shm_create(link, ids, MIB, uid, gid, dir, sizeof(dir), err, sizeof(err)), -1);
	snprintf(link, sizeof(link), "%s/42.3.1", other);
	assert_int_equal(access(link, F_OK), -1); /* nothing made through the link */
	if (geteuid() == 0) {
		assert_int_equal(chown(other, 1234, 1234), 0);
		assert_int_equal(step_shm_create(other, ids, MIB, uid, gid, dir, sizeof(dir), err,
						 sizeof(err)),
				 -1);
		assert_non_null(strstr(err, "no one else may write"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(made_kept_and_removed),
		cmocka_unit_test(refused_without_root),
		cmocka_unit_test(hostile_roots),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
