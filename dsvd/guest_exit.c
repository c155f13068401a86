#include "guest_exit.h"

#include <dsv/abi.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TAIL 4096

/* The status after the marker at line: 0-255 in decimal, then a newline; else -1. */
static int parse_status(const char *p, const char *end)
{
	int v = 0, digits = 0;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (++digits > 3)
			return -1;
	}
	if (!digits || p >= end || *p != '\n' || v > 255)
		return -1;
	return v;
}

enum guest_exit_seen guest_exit_from_log(const char *path, int *status)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return GUEST_EXIT_NO_LOG;
	struct stat st;
	char buf[TAIL], head[sizeof(DSV_QEMU_BOOT_LINE)];
	ssize_t n = -1, h = -1;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		off_t from = st.st_size > TAIL ? st.st_size - TAIL : 0;
		h = pread(fd, head, sizeof(head), 0);
		n = pread(fd, buf, sizeof(buf), from);
	}
	close(fd);
	/* only a guest that announced it will report its status can be found not to have */
	if (n <= 0 || h != (ssize_t)sizeof(head) ||
	    memcmp(head, DSV_QEMU_BOOT_LINE "\n", sizeof(head)) != 0)
		return GUEST_EXIT_NO_LOG;
	const char *end = buf + n, *mark = NULL;
	size_t ml = strlen(DSV_QEMU_EXIT_LINE);
	for (const char *p = buf; p + ml <= end; p++) /* the last one: the guest's final word */
		if ((p == buf || p[-1] == '\n') && memcmp(p, DSV_QEMU_EXIT_LINE, ml) == 0)
			mark = p;
	int v = mark ? parse_status(mark + ml, end) : -1;
	if (v < 0)
		return GUEST_EXIT_NO_STATUS;
	*status = v;
	return GUEST_EXIT_STATUS;
}
