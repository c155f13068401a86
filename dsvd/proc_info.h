/* Facts about a host process from /proc: its identity (pid + start time survives pid reuse),
 * whether it still runs, and its CPU time. */
#ifndef DSVD_PROC_INFO_H
#define DSVD_PROC_INFO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
	char state;		       /* R, S, Z, ... */
	unsigned long long start_time; /* clock ticks after boot */
	unsigned long long utime, stime;
	uint64_t rss_pages;
	long threads;
};

/* Reads /proc/PID/stat. Returns -1 when the process does not exist. */
int proc_read_stat(pid_t pid, struct proc_stat *out);
/* True while pid, with the given start time, exists and is not yet entirely gone (a zombie
 * whose other threads still exit counts as running: its memory is not freed yet). */
bool proc_is_same_running(pid_t pid, unsigned long long start_time);
double proc_cpu_seconds(const struct proc_stat *st);

#endif
