#include "proc_info.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int proc_read_stat(pid_t pid, struct proc_stat *out)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return -1;
	/* fields from 3 on: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime cutime cstime priority nice threads itrealvalue starttime vsize rss */
	unsigned long long f_utime, f_stime, f_start, f_rss;
	long f_threads;
	char state;
	int got = sscanf(
		p + 2,
		"%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %ld %*d "
		"%llu %*u %llu",
		&state, &f_utime, &f_stime, &f_threads, &f_start, &f_rss);
	if (got != 6)
		return -1;
	out->threads = f_threads;
	out->state = state;
	out->utime = f_utime;
	out->stime = f_stime;
	out->start_time = f_start;
	out->rss_pages = f_rss;
	return 0;
}

bool proc_is_same_running(pid_t pid, unsigned long long start_time)
{
	struct proc_stat st;
	if (pid <= 0 || proc_read_stat(pid, &st) < 0)
		return false;
	if (st.start_time != start_time)
		return false;
	/* a zombie leader whose other threads still exit keeps the guest memory mapped */
	return !((st.state == 'Z' || st.state == 'X') && st.threads <= 1);
}

double proc_cpu_seconds(const struct proc_stat *st)
{
	long hz = sysconf(_SC_CLK_TCK);
	return (double)(st->utime + st->stime) / (double)(hz > 0 ? hz : 100);
}
