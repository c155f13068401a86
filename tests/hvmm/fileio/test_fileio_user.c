/*
 * hvmm --uid/--gid/--groups (hvmm/credentials.c) for real, without KVM: as root, each case
 * forks, opens the share the way vm.c does (cred_fs_enter, fileio_create, cred_fs_leave),
 * switches for good with cred_become_user, then drives the file offload as a guest would.
 * The kernel then checks every access against the test user, which fileio_user.sh creates.
 * usage: test_fileio_user UID GID EXTRA_GID (a group the user is not a member of)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "credentials.h"
#include "harness.h"

static uid_t user_uid;
static gid_t user_gid, extra_gid;

/* A temp tree the user can reach: base (0755, root) holds the dirs each case makes. */
static char base[PATH_MAX]; /* realpath() wants PATH_MAX; mkdtemp keeps it short */

static void mkdir_owned(const char *name, mode_t mode, uid_t uid, gid_t gid, char *out)
{
	snprintf(out, H_NAME, "%.100s/%.100s", base, name);
	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(chown(out, uid, gid), 0);
	assert_int_equal(chmod(out, mode), 0);
}

static struct hvmm_opts user_opts(int with_extra_group)
{
	struct hvmm_opts o;
	memset(&o, 0, sizeof(o));
	o.as_user = 1;
	o.uid = user_uid;
	o.gid = user_gid;
	if (with_extra_group)
		o.groups[o.ngroups++] = extra_gid;
	return o;
}

/* In the child: a failed check ends it with the line number; the parent reports that. */
#define CHECK(c)                                                                  \
	do {                                                                      \
		if (!(c)) {                                                       \
			fprintf(stderr, "line %d: %s (errno %s)\n", __LINE__, #c, \
				strerror(errno));                                 \
			_exit(1);                                                 \
		}                                                                 \
	} while (0)

/* The harness around a fileio made as hvmm makes it under --uid; NULL if the share failed. */
static struct h *open_share_as(const struct hvmm_opts *o, const char *share, int *result, char *err,
			       size_t errlen)
{
	struct h *h = h_new(0);
	char sub[256];
	h_drop_dirs(h); /* only its guest memory is used; the user could not remove them */
	fileio_destroy(h->fio);
	h->fio = NULL;
	CHECK(cred_fs_enter(o, sub, sizeof(sub)) == 0);
	*result = fileio_create(&h->fio, share, err, errlen);
	CHECK(cred_fs_leave(o, sub, sizeof(sub)) == 0);
	return h;
}

static void become(const struct hvmm_opts *o)
{
	char err[256];
	if (cred_become_user(o, err, sizeof(err))) {
		fprintf(stderr, "cred_become_user: %s\n", err);
		_exit(1);
	}
}

static void run_child(void (*body)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		body();
		_exit(0);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static char share[H_NAME];

/* After the switch: the user's ids everywhere, no capability, no way back. */
static void body_switch_is_for_good(void)
{
	struct hvmm_opts o = user_opts(1);
	become(&o);
	uid_t r, e, s;
	gid_t rg, eg, sg, groups[4];
	CHECK(getresuid(&r, &e, &s) == 0 && r == user_uid && e == user_uid && s == user_uid);
	CHECK(getresgid(&rg, &eg, &sg) == 0 && rg == user_gid && eg == user_gid && sg == user_gid);
	CHECK(getgroups(4, groups) == 1 && groups[0] == extra_gid);
	CHECK(setresuid(0, 0, 0) == -1 && errno == EPERM);
	CHECK(setresgid(0, 0, 0) == -1 && errno == EPERM);
	CHECK(setgroups(0, NULL) == -1 && errno == EPERM);
	cap_t now = cap_get_proc(), none = cap_init();
	CHECK(now && none && cap_compare(now, none) == 0);
	cap_free(now);
	cap_free(none);
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		CHECK(!CAP_IS_SUPPORTED(c) || prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 0);
	CHECK(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1);
	CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
	CHECK(open("/etc/shadow", O_RDONLY) == -1 && errno == EACCES);
}

static void test_switch_is_for_good(void **state)
{
	(void)state;
	run_child(body_switch_is_for_good);
}

/* Files and directories the guest creates belong to the user, and modes lose the special
 * bits that Linux lets an unprivileged user keep on its own files. */
static void body_created_as_user(void)
{
	struct hvmm_opts o = user_opts(0);
	char err[256];
	int r;
	struct h *h = open_share_as(&o, share, &r, err, sizeof(err));
	CHECK(r == 0);
	become(&o);
	umask(0);
	static const unsigned modes[] = { 04755, 02755, 06750, 01777 };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		char name[32], native[H_NAME + 40];
		struct stat gs, ns;
		snprintf(name, sizeof(name), "f%o", modes[i]);
		int fd = (int)g_open(h, DSV_AT_FDCWD, name, O_CREAT | O_EXCL | O_WRONLY,
				     (int)modes[i]);
		CHECK(fd >= 0);
		CHECK(g_write(h, fd, "x", 1) == 1);
		g_close(h, fd);
		CHECK(g_fstatat(h, DSV_AT_FDCWD, name, &gs, 0) == 0);
		CHECK(gs.st_uid == user_uid && gs.st_gid == user_gid);
		CHECK((gs.st_mode & 07777) == (modes[i] & 0777));
		/* The same as the user natively: same permission bits (the special ones differ). */
		snprintf(native, sizeof(native), "%s/n%o", share, modes[i]);
		fd = open(native, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, modes[i]);
		CHECK(fd >= 0);
		close(fd);
		CHECK(stat(native, &ns) == 0);
		CHECK((ns.st_mode & 0777) == (gs.st_mode & 0777));
		CHECK(ns.st_uid == gs.st_uid && ns.st_gid == gs.st_gid);
		snprintf(name, sizeof(name), "d%o", modes[i]);
		CHECK(g_mkdir(h, DSV_AT_FDCWD, name, (int)modes[i]) == 0);
		CHECK(g_fstatat(h, DSV_AT_FDCWD, name, &gs, 0) == 0);
		CHECK(gs.st_uid == user_uid && gs.st_gid == user_gid);
		CHECK((gs.st_mode & 07777) == (modes[i] & 0777));
	}
	/* The cwd's path comes from /proc/self/fd, which an undumpable process still reads. */
	char cwd[H_NAME + 8], want[H_NAME + 8];
	CHECK(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0);
	CHECK(g_chdir(h, "d4755") == 0);
	CHECK(g_getcwd(h, cwd, sizeof(cwd)) > 0);
	snprintf(want, sizeof(want), "%s/d4755", share);
	CHECK(!strcmp(cwd, want));
	int up = (int)g_open(h, DSV_AT_FDCWD, "../f4755", O_RDONLY, 0);
	CHECK(up >= 0);
	g_close(h, up);
	CHECK(g_chdir(h, "..") == 0);
	/* Linux keeps setuid on an unprivileged user's own new file: the offload is stricter. */
	char native[H_NAME + 40];
	struct stat ns;
	snprintf(native, sizeof(native), "%s/n4755", share);
	CHECK(stat(native, &ns) == 0 && (ns.st_mode & S_ISUID));
	h_free(h);
}

static void test_created_as_user(void **state)
{
	(void)state;
	char name[32];
	snprintf(name, sizeof(name), "share%d", (int)getpid());
	mkdir_owned(name, 0755, user_uid, user_gid, share);
	run_child(body_created_as_user);
}

/* A share of /etc: what the user may read is there, /etc/shadow is not. */
static void body_shadow(void)
{
	struct hvmm_opts o = user_opts(0);
	char err[256];
	int r;
	struct h *h = open_share_as(&o, "/etc", &r, err, sizeof(err));
	CHECK(r == 0);
	become(&o);
	int fd = (int)g_open(h, DSV_AT_FDCWD, "passwd", O_RDONLY, 0);
	CHECK(fd >= 0);
	char buf[5] = "";
	CHECK(g_read(h, fd, buf, 4) == 4 && !memcmp(buf, "root", 4));
	CHECK(g_open(h, DSV_AT_FDCWD, "shadow", O_RDONLY, 0) == -EACCES);
	CHECK(g_open(h, DSV_AT_FDCWD, "/etc/shadow", O_RDONLY, 0) == -EACCES);
	CHECK(g_open(h, DSV_AT_FDCWD, "evil", O_CREAT | O_WRONLY, 0644) == -EACCES);
	h_free(h);
}

static void test_shadow_unreadable(void **state)
{
	(void)state;
	/* Root without --uid reads it through the same share: the hole --uid closes. */
	struct fileio *fio;
	char err[256];
	assert_int_equal(fileio_create(&fio, "/etc", err, sizeof(err)), 0);
	struct h *h = h_new(0);
	fileio_destroy(h->fio);
	h->fio = fio;
	int64_t fd = g_open(h, DSV_AT_FDCWD, "shadow", O_RDONLY, 0);
	assert_true(fd >= 0);
	h_free(h);
	run_child(body_shadow);
}

/* A share the user may not list is refused when hvmm opens it, with a reason; so is one
 * only root's group may read (root's own groups must not leak into the user's check). */
static void body_unreadable_share(void)
{
	struct hvmm_opts o = user_opts(0);
	char err[256], dir[H_NAME];
	int r;
	/* Give this root process root's group as a supplementary one, as a login shell has. */
	gid_t root_group = 0;
	CHECK(setgroups(1, &root_group) == 0);
	static const struct {
		const char *name;
		mode_t mode;
		gid_t gid;
	} refused[] = {
		{ "root0700", 0700, 0 },
		{ "root0711", 0711, 0 },
		{ "rootgrp0750", 0750, 0 },
	};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		snprintf(dir, sizeof(dir), "%.100s/%.100s", base, refused[i].name);
		err[0] = '\0';
		struct h *h = open_share_as(&o, dir, &r, err, sizeof(err));
		if (r != -EACCES || !strstr(err, "readable and searchable by the user")) {
			fprintf(stderr, "%s: %d '%s'\n", refused[i].name, r, err);
			_exit(1);
		}
		h_free(h);
	}
	/* The extra group opens the group-readable one, for a user who is given it. */
	struct hvmm_opts og = user_opts(1);
	snprintf(dir, sizeof(dir), "%.100s/extragrp0750", base);
	struct h *h = open_share_as(&og, dir, &r, err, sizeof(err));
	CHECK(r == 0);
	h_free(h);
	h = open_share_as(&o, dir, &r, err, sizeof(err));
	CHECK(r == -EACCES);
	h_free(h);
}

static void test_unreadable_share_refused(void **state)
{
	(void)state;
	char dir[H_NAME];
	mkdir_owned("root0700", 0700, 0, 0, dir);
	mkdir_owned("root0711", 0711, 0, 0, dir);
	mkdir_owned("rootgrp0750", 0750, 0, 0, dir);
	mkdir_owned("extragrp0750", 0750, 0, extra_gid, dir);
	run_child(body_unreadable_share);
	/* Root (no --uid) opens all of them: the refusal above is the user's. */
	struct fileio *fio;
	char err[256];
	snprintf(dir, sizeof(dir), "%.100s/root0700", base);
	assert_int_equal(fileio_create(&fio, dir, err, sizeof(err)), 0);
	fileio_destroy(fio);
}

/* Supplementary groups are the user's: a directory of the extra group is writable with
 * --groups, and not without. */
static void body_groups(void)
{
	char dir[H_NAME], err[256];
	int r;
	snprintf(dir, sizeof(dir), "%.100s/grpshare", base);
	struct hvmm_opts o = user_opts(getenv("WITH_GROUP") != NULL);
	struct h *h = open_share_as(&o, dir, &r, err, sizeof(err));
	CHECK(r == 0);
	become(&o);
	int64_t fd = g_open(h, DSV_AT_FDCWD, "team/out", O_CREAT | O_WRONLY, 0660);
	if (o.ngroups) {
		struct stat st;
		CHECK(fd >= 0);
		CHECK(g_fstatat(h, DSV_AT_FDCWD, "team/out", &st, 0) == 0);
		CHECK(st.st_uid == user_uid && st.st_gid == user_gid);
	} else {
		CHECK(fd == -EACCES);
	}
	h_free(h);
}

static void test_supplementary_groups(void **state)
{
	(void)state;
	char dir[H_NAME], team[H_NAME + 8];
	mkdir_owned("grpshare", 0755, user_uid, user_gid, dir);
	snprintf(team, sizeof(team), "%s/team", dir);
	assert_int_equal(mkdir(team, 0700), 0);
	assert_int_equal(chown(team, 0, extra_gid), 0);
	assert_int_equal(chmod(team, 0770), 0);
	run_child(body_groups);
	setenv("WITH_GROUP", "1", 1);
	run_child(body_groups);
	unsetenv("WITH_GROUP");
}

/* Between cred_fs_enter and cred_fs_leave files are the user's; after it root's again
 * (hvmm still has /dev/kvm and memory to set up). */
static void body_fs_window(void)
{
	struct hvmm_opts o = user_opts(0);
	char err[256];
	CHECK(cred_fs_enter(&o, err, sizeof(err)) == 0);
	CHECK(open("/etc/shadow", O_RDONLY | O_CLOEXEC) == -1 && errno == EACCES);
	CHECK(cred_fs_leave(&o, err, sizeof(err)) == 0);
	int fd = open("/etc/shadow", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	close(fd);
	CHECK(geteuid() == 0);
}

static void test_fs_window(void **state)
{
	(void)state;
	run_child(body_fs_window);
}

/* Not root: the switch fails with a reason, it is not silently skipped. */
static void body_not_root(void)
{
	struct hvmm_opts o = user_opts(0);
	char err[256] = "";
	CHECK(setresgid(user_gid, user_gid, user_gid) == 0);
	CHECK(setresuid(user_uid, user_uid, user_uid) == 0);
	CHECK(cred_fs_enter(&o, err, sizeof(err)) == -1);
	CHECK(strstr(err, "must run as root") != NULL);
	err[0] = '\0';
	CHECK(cred_become_user(&o, err, sizeof(err)) == -1);
	CHECK(strstr(err, "must run as root") != NULL);
}

static void test_not_root(void **state)
{
	(void)state;
	run_child(body_not_root);
}

static int id_arg(const char *s, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || v == 0 || v >= 0xffffffffu)
		return -1;
	*out = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned u, g, x;
	if (argc != 4 || id_arg(argv[1], &u) || id_arg(argv[2], &g) || id_arg(argv[3], &x)) {
		fprintf(stderr, "usage: test_fileio_user UID GID EXTRA_GID (non-zero ids)\n");
		return 2;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "skipped: needs root to switch to the test user\n");
		return 77;
	}
	user_uid = u;
	user_gid = g;
	extra_gid = x;
	char tmpl[] = "/tmp/fiouser.XXXXXX";
	if (!mkdtemp(tmpl) || !realpath(tmpl, base) || chmod(base, 0755))
		return 1;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_switch_is_for_good),
		cmocka_unit_test(test_created_as_user),
		cmocka_unit_test(test_shadow_unreadable),
		cmocka_unit_test(test_unreadable_share_refused),
		cmocka_unit_test(test_supplementary_groups),
		cmocka_unit_test(test_fs_window),
		cmocka_unit_test(test_not_root),
	};
	int rc = cmocka_run_group_tests_name("fileio_user", tests, NULL, NULL);
	char cmd[H_NAME + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%.100s'", base);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", base);
	return rc;
}
