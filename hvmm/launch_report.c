#include "launch_report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dsv/hvmm_cli.h"

static int report_fd = -1;

int launch_report_open(int fd, char *err, size_t errlen)
{
	int flags;

	if (fd < 0)
		return 0;
	flags = fcntl(fd, F_GETFD);
	if (flags < 0) {
		snprintf(err, errlen, "--ready-fd %d: %s (the launcher must pass it open)", fd,
			 strerror(errno));
		return -1;
	}
	/* nothing hvmm might start later inherits it */
	fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	report_fd = fd;
	return 0;
}

/* One write, so that the launcher reads the whole line or nothing (a pipe's PIPE_BUF). */
static void send_line(const char *line, size_t len)
{
	if (report_fd < 0)
		return;
	if (write(report_fd, line, len) < 0) {
		/* the launcher went away; the exit status still tells */
	}
	close(report_fd);
	report_fd = -1;
}

void launch_report_ready(void)
{
	send_line(HVMM_READY_LINE "\n", sizeof(HVMM_READY_LINE));
}

void launch_report_failed(const char *reason)
{
	char line[HVMM_READY_LINE_MAX];
	int n = snprintf(line, sizeof(line) - 1, "%s%s", HVMM_READY_ERROR, reason);

	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	for (int i = 0; i < n; i++)
		if (line[i] == '\n' || line[i] == '\r')
			line[i] = ' ';
	line[n++] = '\n';
	send_line(line, (size_t)n);
}

void launch_report_detach(void)
{
	if (report_fd >= 0)
		close(report_fd);
	report_fd = -1;
}
