/*
 * Hostile program (lwk, --share): tries to leave the share every way file offload could
 * allow. usage: share_escape OUTSIDE_DIR            one pass of every escape
 *               share_escape OUTSIDE_DIR race N     N opens of "victim" and "vdir/secret"
 *                                                  while the host swaps them for symlinks,
 *                                                  and on until both states were met (a
 *                                                  busy host may starve the swapper for a
 *                                                  while), at most 100 N
 * The test script makes: OUTSIDE_DIR/secret ("SECRET"), in the share: link_abs ->
 * OUTSIDE_DIR/secret, link_rel -> ../outside/secret, link_dir -> OUTSIDE_DIR, sub/, a.
 * Every attempt must fail; one that succeeds prints "ESCAPED: what" and the exit status
 * is 1. Not compared with a native run (natively, most of these succeed).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <unistd.h>

static int escaped;

static void expect_fail(const char *what, int r)
{
	if (r >= 0) {
		printf("ESCAPED: %s\n", what);
		escaped = 1;
	} else {
		printf("%s: %s\n", what, strerror(errno));
	}
}

static int try_open(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd >= 0)
		close(fd);
	return fd;
}

static void once(const char *out)
{
	char abs[4096], buf[4096];
	struct stat st;
	int sub;

	snprintf(abs, sizeof(abs), "%s/secret", out);
	expect_fail("open ../outside/secret", try_open("../outside/secret", O_RDONLY));
	expect_fail("open absolute outside", try_open(abs, O_RDONLY));
	expect_fail("open /etc/passwd", try_open("/etc/passwd", O_RDONLY));
	expect_fail("open sub/../../outside/secret",
		    try_open("sub/../../outside/secret", O_RDONLY));
	expect_fail("open link_abs", try_open("link_abs", O_RDONLY));
	expect_fail("open link_rel", try_open("link_rel", O_RDONLY));
	expect_fail("open link_dir/secret", try_open("link_dir/secret", O_RDONLY));
	expect_fail("write link_abs O_TRUNC", try_open("link_abs", O_WRONLY | O_TRUNC));
	expect_fail("create link_dir/new", try_open("link_dir/new", O_WRONLY | O_CREAT));
	expect_fail("create ../outside/new", try_open("../outside/new", O_WRONLY | O_CREAT));
	expect_fail("stat ../outside/secret", stat("../outside/secret", &st));
	expect_fail("stat link_dir/secret", stat("link_dir/secret", &st));
	expect_fail("mkdir ../outside/dir", mkdir("../outside/dir", 0755));
	expect_fail("mkdir link_dir/dir", mkdir("link_dir/dir", 0755));
	expect_fail("unlink ../outside/secret", unlink("../outside/secret"));
	expect_fail("unlink link_dir/secret", unlink("link_dir/secret"));
	expect_fail("rename a -> ../outside/moved", rename("a", "../outside/moved"));
	expect_fail("rename a -> link_dir/moved", rename("a", "link_dir/moved"));
	expect_fail("access link_dir/secret", access("link_dir/secret", R_OK));
	expect_fail("readlink via link_dir", (int)readlink("link_dir/secret", buf, sizeof(buf)));
	/* metadata: the mode and times of files outside, and what file system they are on */
	struct statfs sf;
	const struct timespec ts[2] = { { 1, 0 }, { 1, 0 } };
	expect_fail("chmod ../outside/secret", chmod("../outside/secret", 0666));
	expect_fail("chmod absolute outside", chmod(abs, 0666));
	expect_fail("chmod link_abs", chmod("link_abs", 0666));
	expect_fail("chmod link_rel", chmod("link_rel", 0666));
	expect_fail("chmod link_dir/secret", chmod("link_dir/secret", 0666));
	expect_fail("chmod link_dir", chmod("link_dir", 0777));
	expect_fail("utimensat ../outside/secret", utimensat(AT_FDCWD, "../outside/secret", ts, 0));
	expect_fail("utimensat link_abs", utimensat(AT_FDCWD, "link_abs", ts, 0));
	expect_fail("utimensat link_dir/secret (now)",
		    utimensat(AT_FDCWD, "link_dir/secret", NULL, 0));
	expect_fail("utimes absolute outside", utimes(abs, NULL));
	expect_fail("statfs ../outside", statfs("../outside", &sf));
	expect_fail("statfs link_dir", statfs("link_dir", &sf));
	expect_fail("statfs /", statfs("/", &sf));
	expect_fail("chdir ..", chdir(".."));
	expect_fail("chdir link_dir", chdir("link_dir"));
	sub = open("sub", O_RDONLY | O_DIRECTORY);
	expect_fail("openat(sub, ../../outside/secret)",
		    sub < 0 ? -1 : openat(sub, "../../outside/secret", O_RDONLY));
	expect_fail("openat(sub, absolute outside)", sub < 0 ? -1 : openat(sub, abs, O_RDONLY));
	expect_fail("fchmodat(sub, ../../outside/secret)",
		    sub < 0 ? -1 : fchmodat(sub, "../../outside/secret", 0666, 0));
	expect_fail("utimensat(sub, ../link_abs)",
		    sub < 0 ? -1 : utimensat(sub, "../link_abs", NULL, 0));
	if (sub >= 0)
		close(sub);
	if (chdir("sub") == 0) {
		expect_fail("from sub: open ../../outside/secret",
			    try_open("../../outside/secret", O_RDONLY));
		if (chdir("..") != 0)
			printf("cannot chdir back to the share root\n");
	}
}

/* The host swaps "victim" (a file <-> a symlink out) and "vdir" (a dir <-> a symlink out). */
static void race(long n)
{
	long inside = 0, refused = 0, eacces = 0;
	char buf[16];

	for (long i = 0; i < 100 * n && (i < n || !inside || !eacces); i++) {
		const char *p = i % 2 ? "vdir/secret" : "victim";
		int fd = open(p, i % 4 < 2 ? O_RDONLY : O_RDWR);
		ssize_t r;

		if (fd < 0) {
			refused++;
			eacces += errno == EACCES; /* the symlink state, refused */
			continue;
		}
		r = read(fd, buf, sizeof(buf));
		if (r >= 6 && !memcmp(buf, "SECRET", 6)) {
			printf("ESCAPED: read the outside secret through %s\n", p);
			escaped = 1;
		}
		if (i % 4 >= 2 && write(fd, "x", 1) < 0)
			refused++;
		inside++;
		close(fd);
	}
	printf("race: %ld opens inside the share, %ld refused (%ld EACCES), escaped %d\n", inside,
	       refused, eacces, escaped);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (argc >= 4 && !strcmp(argv[2], "race"))
		race(atol(argv[3]));
	else
		once(argv[1]);
	return escaped;
}
