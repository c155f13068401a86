/* Issue 11's dsvd pieces on their own: files opened as the caller (a real other user, nobody,
 * when the test runs as root), the share policy, the choice of connection to evict, and the
 * console cap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent_config.h"
#include "caller_files.h"
#include "console_log.h"
#include "http_conns.h"
#include "share_policy.h"

#define NOBODY 65534

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/dsv-sec-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	chmod(dir, 0755);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static struct caller nobody(void)
{
	struct caller c = { .uid = NOBODY, .gid = NOBODY, .ngroups = 0 };
	return c;
}

static void put(const char *name, const char *text, mode_t mode)
{
	char path[128];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* Copies path as who into a fresh file; returns the status (0 for success) and the copy. */
static int copy_as(const struct caller *who, const char *path, uint64_t max, char *out,
		   size_t outlen, struct api_error *err)
{
	char dest[128];
	snprintf(dest, sizeof(dest), "%s/copy", dir);
	unlink(dest);
	int fd = open(dest, O_RDWR | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	int rc = caller_copy_file(who, path, fd, max, "program[0]", err);
	ssize_t n = pread(fd, out, outlen - 1, 0);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc < 0 ? err->status : 0;
}

static void test_copy_as_caller(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip(); /* switching to another user needs root */
	struct caller who = nobody();
	struct api_error err;
	char got[256], path[128];
	put("public", "hello\n", 0644);
	put("secret", "root only\n", 0600);
	snprintf(path, sizeof(path), "%s/public", dir);
	assert_int_equal(copy_as(&who, path, 1024, got, sizeof(got), &err), 0);
	assert_string_equal(got, "hello\n");
	/* root's rights are not lent: what nobody cannot read, it cannot get copied */
	snprintf(path, sizeof(path), "%s/secret", dir);
	assert_int_equal(copy_as(&who, path, 1024, got, sizeof(got), &err), 403);
	assert_string_equal(err.field, "program[0]");
	assert_non_null(strstr(err.message, "uid 65534 may not open"));
	assert_string_equal(got, "");
	assert_int_equal(copy_as(&who, "/etc/shadow", 1 << 20, got, sizeof(got), &err), 403);
	assert_string_equal(got, "");
	/* the same file for dsvd's own user (root) */
	struct caller self;
	caller_self(&self);
	assert_int_equal(copy_as(&self, path, 1024, got, sizeof(got), &err), 0);
	assert_string_equal(got, "root only\n");
	/* a symlink to a secret is followed as nobody: still refused */
	char link[128];
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink("/etc/shadow", link), 0);
	assert_int_equal(copy_as(&who, link, 1 << 20, got, sizeof(got), &err), 403);
}

static void test_copy_refuses_non_regular(void **state)
{
	(void)state;
	struct caller self;
	caller_self(&self);
	struct api_error err;
	char got[256], path[128];
	/* a FIFO nobody writes to: refused at once instead of hanging the agent */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0666), 0);
	time_t t0 = time(NULL);
	assert_int_equal(copy_as(&self, path, 1024, got, sizeof(got), &err), 400);
	assert_true(time(NULL) - t0 < 3);
	assert_non_null(strstr(err.message, "is a FIFO, not a regular file"));
	assert_int_equal(copy_as(&self, dir, 1024, got, sizeof(got), &err), 400);
	assert_non_null(strstr(err.message, "is a directory, not a regular file"));
	assert_int_equal(copy_as(&self, "/dev/null", 1024, got, sizeof(got), &err), 400);
	assert_non_null(strstr(err.message, "is a character device"));
	put("big", "0123456789", 0644);
	snprintf(path, sizeof(path), "%s/big", dir);
	assert_int_equal(copy_as(&self, path, 9, got, sizeof(got), &err), 400);
	assert_non_null(strstr(err.message, "larger than 9 bytes"));
	assert_int_equal(copy_as(&self, path, 10, got, sizeof(got), &err), 0);
	assert_string_equal(got, "0123456789");
	snprintf(path, sizeof(path), "%s/absent", dir);
	assert_int_equal(copy_as(&self, path, 10, got, sizeof(got), &err), 400);
	assert_non_null(strstr(err.message, "No such file"));
}

static void test_resolve_dir(void **state)
{
	(void)state;
	struct caller self;
	caller_self(&self);
	struct api_error err;
	char out[4096], path[256], want[256];
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub/../sub/./", dir);
	assert_int_equal(caller_resolve_dir(&self, path, out, sizeof(out), "share", &err), 0);
	snprintf(want, sizeof(want), "%s/sub", dir);
	assert_string_equal(out, want);
	/* a symlink resolves to where it leads */
	snprintf(path, sizeof(path), "%s/to-etc", dir);
	assert_int_equal(symlink("/etc", path), 0);
	assert_int_equal(caller_resolve_dir(&self, path, out, sizeof(out), "share", &err), 0);
	assert_string_equal(out, "/etc");
	put("file", "x", 0644);
	snprintf(path, sizeof(path), "%s/file", dir);
	assert_int_equal(caller_resolve_dir(&self, path, out, sizeof(out), "share", &err), -1);
	assert_int_equal(err.status, 400);
	assert_non_null(strstr(err.message, "is not a directory"));
	if (geteuid() == 0) {
		struct caller who = nobody();
		snprintf(path, sizeof(path), "%s/closed", dir);
		assert_int_equal(mkdir(path, 0700), 0);
		assert_int_equal(caller_resolve_dir(&who, path, out, sizeof(out), "share", &err),
				 -1);
		assert_int_equal(err.status, 403);
	}
}

static int policy(const struct agent_config *c, const char *real)
{
	struct api_error err;
	if (share_policy_check(c, "/var/lib/dsv", real, &err) == 0)
		return 0;
	assert_string_equal(err.field, "share");
	return err.status;
}

static void test_share_policy(void **state)
{
	(void)state;
	struct agent_config c;
	agent_config_defaults(&c);
	assert_int_equal(policy(&c, "/"), 403);
	assert_int_equal(policy(&c, "/etc"), 403);
	assert_int_equal(policy(&c, "/etc/ssh"), 403);
	assert_int_equal(policy(&c, "/proc/1/root"), 403);
	assert_int_equal(policy(&c, "/sys"), 403);
	assert_int_equal(policy(&c, "/dev/shm"), 403);
	assert_int_equal(policy(&c, "/var/lib/dsv"), 403);     /* the state directory */
	assert_int_equal(policy(&c, "/var/lib/dsv/vms"), 403); /* inside it */
	assert_int_equal(policy(&c, "/var"), 403);	       /* above it */
	assert_int_equal(policy(&c, "/etcetera"), 0);	       /* a prefix is not a parent */
	assert_int_equal(policy(&c, "/home/u/data"), 0);
	assert_int_equal(policy(&c, "/var/lib/dsvx"), 0);
	c.has_share_roots = true;
	snprintf(c.share_roots[0], sizeof(c.share_roots[0]), "/scratch");
	c.n_share_roots = 1;
	assert_int_equal(policy(&c, "/scratch"), 0);
	assert_int_equal(policy(&c, "/scratch/u/run1"), 0);
	assert_int_equal(policy(&c, "/scratchpad"), 403);
	assert_int_equal(policy(&c, "/home/u/data"), 403);
}

static void test_eviction_choice(void **state)
{
	(void)state;
	/* user 1000 floods; 0 and 1001 hold one each; 7 is the newcomer (user 1001) */
	uid_t uids[] = { 1000, 0, 1000, 1000, 1001, 1000, 1000, 1001 };
	bool busy[] = { true, false, false, false, false, false, false, false };
	double last[] = { 1, 2, 3, 9, 4, 5, 6, 10 };
	/* the flooder's oldest connection without a request in progress */
	assert_int_equal(http_conns_victim(uids, busy, last, 8, 7), 2);
	/* every one of its connections busy: its oldest */
	bool all_busy[] = { true, false, true, true, false, true, true, false };
	assert_int_equal(http_conns_victim(uids, all_busy, last, 8, 7), 0);
	/* the flooder's newcomer closes the flooder's own oldest idle connection, never another's */
	assert_int_equal(http_conns_victim(uids, busy, last, 8, 6), 2);
	uid_t one[] = { 5 };
	assert_int_equal(http_conns_victim(one, busy, last, 1, 0), -1);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = malloc(1 << 20);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void test_console_cap(void **state)
{
	(void)state;
	char path[128], err[256];
	snprintf(path, sizeof(path), "%s/console", dir);
	const uint64_t cap = 8192;
	int fd = console_log_start(path, cap, err, sizeof(err));
	assert_true(fd >= 0);
	char line[64];
	for (int i = 0; i < 5000; i++) { /* ~60 KB, several times the cap */
		int n = snprintf(line, sizeof(line), "line %05d of the guest's output\n", i);
		assert_int_equal(write(fd, line, (size_t)n), n);
	}
	close(fd);
	size_t len = 0;
	char *text = NULL;
	for (int i = 0; i < 200; i++) { /* the writer finishes on its own */
		free(text);
		text = slurp(path, &len);
		if (text && strstr(text, "line 04999"))
			break;
		usleep(10000);
	}
	assert_non_null(text);
	assert_true(len <= cap);
	assert_non_null(strstr(text, "line 04999 of the guest's output\n"));
	assert_int_equal(strncmp(text, "[dsvd: older console output dropped", 35), 0);
	/* after the marker: consecutive lines (a partial first one), ending with the last */
	char *p = strchr(text, '\n') + 1;
	p = strchr(p, '\n') + 1;
	int prev = -1, n;
	while (sscanf(p, "line %d of the guest's output\n", &n) == 1) {
		if (prev >= 0)
			assert_int_equal(n, prev + 1);
		prev = n;
		p = strchr(p, '\n') + 1;
	}
	assert_int_equal(prev, 4999);
	assert_int_equal(*p, '\0');
	free(text);
	assert_true(console_log_start(path, 100, err, sizeof(err)) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_copy_as_caller, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_refuses_non_regular, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_dir, setup, teardown),
		cmocka_unit_test(test_share_policy),
		cmocka_unit_test(test_eviction_choice),
		cmocka_unit_test_setup_teardown(test_console_cap, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
