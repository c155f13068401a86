/* The step's /dev/shm (slurm/step_shm.c): made for the job's user, 0700, under a root only
 * this user may write; a leftover replaced; removed without following the links a job left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "step_shm.h"

static char top[256], root[300], dir[512], err[1024];
/* as root the directory goes to another user, as the plugin's does; otherwise to us */
static uid_t uid;
static gid_t gid;
static const uint32_t ids[3] = { 42, 3, 1 }; /* job 42, step 3, the step's second node */

static int setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "%s/step-shm.XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(top))
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

static void made_kept_and_removed(void **state)
{
	char path[700], outside[400];
	struct stat st;

	(void)state;
	assert_int_equal(step_shm_create(root, ids, uid, gid, dir, sizeof(dir), err, sizeof(err)),
			 0);
	snprintf(path, sizeof(path), "%s/42.3.1", root);
	assert_string_equal(dir, path);
	assert_int_equal(lstat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_uid, uid);
	assert_int_equal(st.st_gid, gid);
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_int_equal(stat(root, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);

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

	/* the same ids again (a step whose slurmstepd was killed): a fresh, empty directory */
	assert_int_equal(step_shm_create(root, ids, uid, gid, dir, sizeof(dir), err, sizeof(err)),
			 0);
	snprintf(path, sizeof(path), "%s/seg", dir);
	assert_int_equal(access(path, F_OK), -1);
	assert_int_equal(access(outside, F_OK), 0);

	snprintf(path, sizeof(path), "%s/link", dir);
	assert_int_equal(symlink(outside, path), 0);
	assert_int_equal(step_shm_remove(root, ids, err, sizeof(err)), 0);
	assert_int_equal(access(dir, F_OK), -1);
	assert_int_equal(access(outside, F_OK), 0);
	assert_int_equal(access(top, F_OK), 0);
	/* removing what is not there is no error: the step may have had no --dsv-hpc task */
	assert_int_equal(step_shm_remove(root, ids, err, sizeof(err)), 0);
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
	assert_int_equal(step_shm_create(other, ids, uid, gid, dir, sizeof(dir), err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "no one else may write"));
	assert_int_equal(step_shm_remove(other, ids, err, sizeof(err)), -1);
	assert_int_equal(chmod(other, 0755), 0);
	snprintf(link, sizeof(link), "%s/link", top);
	assert_int_equal(symlink(other, link), 0);
	assert_int_equal(step_shm_create(link, ids, uid, gid, dir, sizeof(dir), err, sizeof(err)),
			 -1);
	snprintf(link, sizeof(link), "%s/42.3.1", other);
	assert_int_equal(access(link, F_OK), -1); /* nothing made through the link */
	if (geteuid() == 0) {
		assert_int_equal(chown(other, 1234, 1234), 0);
		assert_int_equal(
			step_shm_create(other, ids, uid, gid, dir, sizeof(dir), err, sizeof(err)),
			-1);
		assert_non_null(strstr(err, "no one else may write"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(made_kept_and_removed),
		cmocka_unit_test(hostile_roots),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
