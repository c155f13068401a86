/*
 * What a runtime learns about its machine from /proc and /sys, checked against known
 * answers: usage: sysview VCPUS [MEM_MIB [vm]]. Under hvmm these describe the VM, so they
 * are compared with its --vcpus and --mem (a native run of the same checks, with the
 * host's numbers, keeps the checks themselves honest). Prints one line per check and
 * exits 1 when any failed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static int failed;

static void check(int ok, const char *what, long got, long want)
{
	printf("%s %s: %ld (want %ld)\n", ok ? "ok" : "FAIL", what, got, want);
	failed |= !ok;
}

static int slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (int)n;
}

/* hwloc's walk: every cpuN below /sys/devices/system/cpu, and its topology. */
static int walk_cpus(int *topology_ok)
{
	DIR *d = opendir("/sys/devices/system/cpu");
	struct dirent *e;
	int n = 0;
	*topology_ok = 1;
	while (d && (e = readdir(d))) {
		int k;
		char rest, path[400], buf[64];
		if (sscanf(e->d_name, "cpu%d%c", &k, &rest) != 1)
			continue;
		n++;
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/%s/topology/core_id",
			 e->d_name);
		if (slurp(path, buf, sizeof(buf)) <= 0)
			*topology_ok = 0;
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/%s/topology/thread_siblings_list", e->d_name);
		if (slurp(path, buf, sizeof(buf)) <= 0)
			*topology_ok = 0;
	}
	if (d)
		closedir(d);
	return d ? n : -1;
}

static int count_nodes(void)
{
	DIR *d = opendir("/sys/devices/system/node");
	struct dirent *e;
	int n = 0;
	while (d && (e = readdir(d))) {
		int k;
		char rest;
		n += sscanf(e->d_name, "node%d%c", &k, &rest) == 1;
	}
	if (d)
		closedir(d);
	return d ? n : -1;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	long cpus = atol(argv[1]), mem_kb = argc > 2 ? atol(argv[2]) * 1024 : 0;
	int vm = argc > 3 && !strcmp(argv[3], "vm");
	static char buf[1 << 16];

	check(sysconf(_SC_NPROCESSORS_ONLN) == cpus, "sysconf(_SC_NPROCESSORS_ONLN)",
	      sysconf(_SC_NPROCESSORS_ONLN), cpus);
	check(sysconf(_SC_NPROCESSORS_CONF) == cpus, "sysconf(_SC_NPROCESSORS_CONF)",
	      sysconf(_SC_NPROCESSORS_CONF), cpus);
	check(get_nprocs() == cpus, "get_nprocs", get_nprocs(), cpus);
	check(get_nprocs_conf() == cpus, "get_nprocs_conf", get_nprocs_conf(), cpus);
	int topo;
	int walked = walk_cpus(&topo);
	check(walked == cpus, "cpuN in /sys/devices/system/cpu", walked, cpus);
	check(topo, "cpuN/topology/core_id and thread_siblings_list", topo, 1);

	char want[32];
	snprintf(want, sizeof(want), cpus == 1 ? "0" : "0-%ld", cpus - 1);
	int n = slurp("/sys/devices/system/cpu/online", buf, sizeof(buf));
	check(n > 0 && !strncmp(buf, want, strlen(want)) && buf[strlen(want)] == '\n',
	      "/sys/devices/system/cpu/online is 0-(vCPUs-1)", n, (long)strlen(want) + 1);

	int procs = 0;
	if (slurp("/proc/cpuinfo", buf, sizeof(buf)) > 0)
		for (char *p = buf; (p = strstr(p, "processor\t:")); p++)
			procs++;
	check(procs == cpus, "processors in /proc/cpuinfo", procs, cpus);

	char *allowed = NULL;
	if (slurp("/proc/self/status", buf, sizeof(buf)) > 0)
		allowed = strstr(buf, "Cpus_allowed_list:\t");
	int allowed_ok = allowed && !strncmp(allowed + 19, want, strlen(want)) &&
			 allowed[19 + strlen(want)] == '\n';
	check(allowed_ok, "Cpus_allowed_list in /proc/self/status", allowed_ok, 1);

	if (mem_kb) {
		long total = -1;
		if (slurp("/proc/meminfo", buf, sizeof(buf)) > 0)
			sscanf(buf, "MemTotal: %ld kB", &total);
		check(total == mem_kb, "MemTotal in /proc/meminfo (kB)", total, mem_kb);
		int nodes = count_nodes();
		check(nodes == 1, "nodeN in /sys/devices/system/node", nodes, 1);
	}
	if (vm) { /* the view is the VM's, read-only, and holds nothing else */
		int fd = open("/proc/meminfo", O_WRONLY);
		check(fd < 0 && errno == EACCES, "open(/proc/meminfo, O_WRONLY) fails with EACCES",
		      fd < 0 ? errno : 0, EACCES);
		fd = open("/sys/devices/system/cpu/new", O_RDONLY | O_CREAT, 0644);
		check(fd < 0 && errno == EACCES, "creating a file in /sys fails with EACCES",
		      fd < 0 ? errno : 0, EACCES);
		fd = open("/proc/self/maps", O_RDONLY);
		check(fd < 0 && errno == ENOENT, "/proc/self/maps is absent (ENOENT)",
		      fd < 0 ? errno : 0, ENOENT);
		fd = open("/proc/../../etc/passwd", O_RDONLY);
		check(fd < 0 && errno == ENOENT, "/proc/../../etc/passwd is absent (ENOENT)",
		      fd < 0 ? errno : 0, ENOENT);
	}
	return failed;
}
