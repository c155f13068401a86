/* Tries to leave the share (hvmm --share): "..", an absolute path outside, and a symlink
 * pointing outside (link_out, made by the test script) must all fail with EACCES under
 * hvmm. Not compared with a native run. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void try_open(const char *path)
{
	errno = 0;
	int fd = open(path, O_RDONLY);
	printf("%s: %s\n", path, fd >= 0 ? "opened" : errno == EACCES ? "EACCES" : strerror(errno));
	if (fd >= 0)
		close(fd);
}

int main(void)
{
	try_open("../escape_probe");
	try_open("/etc/passwd");
	try_open("link_out");
	return 0;
}
