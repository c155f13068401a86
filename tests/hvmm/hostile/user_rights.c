/*
 * An lwk program for hostile_user.sh: what a guest can do to the host's files when hvmm runs
 * it with --uid/--gid. "create" makes files and a directory with setuid, setgid and sticky
 * modes in the cwd (the share); "open PATH..." tries to read each PATH. One line per result.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int create(void)
{
	static const struct {
		const char *name;
		mode_t mode;
		int dir;
	} made[] = {
		{ "suid", 04755, 0 },
		{ "sgid", 02755, 0 },
		{ "both", 06777, 0 },
		{ "sticky", 01777, 1 },
	};
	umask(0);
	for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
		int r = made[i].dir ? mkdir(made[i].name, made[i].mode)
				    : open(made[i].name, O_CREAT | O_EXCL | O_WRONLY, made[i].mode);
		struct stat st;
		if (r < 0 || stat(made[i].name, &st)) {
			printf("%s: %s\n", made[i].name, strerror(errno));
			return 1;
		}
		printf("%s %o uid %u gid %u\n", made[i].name, (unsigned)(st.st_mode & 07777),
		       (unsigned)st.st_uid, (unsigned)st.st_gid);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "create"))
		return create();
	if (argc < 3 || strcmp(argv[1], "open")) {
		fprintf(stderr, "usage: user_rights create | open PATH...\n");
		return 2;
	}
	for (int i = 2; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		char c;
		if (fd < 0 || read(fd, &c, 1) != 1)
			printf("%s: %s\n", argv[i], strerror(errno));
		else
			printf("%s: readable\n", argv[i]);
		if (fd >= 0)
			close(fd);
	}
	return 0;
}
