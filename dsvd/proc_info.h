/* Facts about a host process from /proc: its identity (pid + start time survives pid reuse),
 * whether it still runs, and its CPU time. */
#ifndef DSVD_PROC_INFO_H
#define DSVD_PROC_INFO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
    char state;                    /* R, S, Z, ... */
    unsigned long long start_time; /* clock ticks after boot */
    unsigned long long utime, stime;
    uint64_t rss_pages;
};

/* Reads /proc/PID/stat. Returns -1 when the process does not exist. */
int proc_read_stat(pid_t pid, struct proc_stat *out);
/* True while pid exists, is not a zombie, and has the given start time. */
bool proc_is_same_running(pid_t pid, unsigned long long start_time);
double proc_cpu_seconds(const struct proc_stat *st);

#endif
