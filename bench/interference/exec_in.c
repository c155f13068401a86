/*
 * The native-alone run belongs inside the HPC partition, like the VMs it is compared with:
 * the partition moves every other task of the host (the runner included) to the
 * housekeeping cpuset, where the HPC CPUs are not allowed. The runner therefore starts
 * itself again in this mode, which joins the HPC cpuset, pins itself to the HPC CPUs and
 * execs the workload. Exit status 124: it could not (as bench_run reports for pinning).
 */
#include "interference.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int ix_exec_in_cgroup(int argc, char **argv)
{
	/* argv: interference --in-cgroup TASKS --cpus LIST -- PROGRAM ARGS... */
	if (argc < 7 || strcmp(argv[3], "--cpus") || strcmp(argv[5], "--")) {
		fprintf(stderr, "interference: bad --in-cgroup use\n");
		return 2;
	}
	int fd = open(argv[2], O_WRONLY | O_CLOEXEC);
	char pid[32];
	int n = snprintf(pid, sizeof pid, "%d", (int)getpid());
	if (fd < 0 || write(fd, pid, (size_t)n) != n) {
		fprintf(stderr, "interference: cannot join %s: %s\n", argv[2], strerror(errno));
		return 124;
	}
	close(fd);
	cpu_set_t set, got;
	CPU_ZERO(&set);
	for (char *p = argv[4], *e; *p; p = *e ? e + 1 : e) {
		long a = strtol(p, &e, 10), b = a;
		if (*e == '-')
			b = strtol(e + 1, &e, 10);
		for (long c = a; c <= b && c >= 0 && c < CPU_SETSIZE; c++)
			CPU_SET(c, &set);
		if (*e && *e != ',')
			return 2;
	}
	if (sched_setaffinity(0, sizeof set, &set) || sched_getaffinity(0, sizeof got, &got) ||
	    !CPU_EQUAL(&set, &got)) {
		fprintf(stderr, "interference: cannot pin to %s inside %s\n", argv[4], argv[2]);
		return 124;
	}
	execv(argv[6], argv + 6);
	fprintf(stderr, "interference: exec %s: %s\n", argv[6], strerror(errno));
	return 127;
}
