#include "fake_host.h"

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void mkdirs(const char *path)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = '\0';
			mkdir(buf, 0755);
			*p = '/';
		}
	mkdir(buf, 0755);
}

void fake_host_put(const char *root, const char *rel, const char *content)
{
	char path[1024], dir[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	mkdirs(dir);
	FILE *f = fopen(path, "w");
	if (f) {
		fputs(content, f);
		fclose(f);
	}
}

const char *fake_host_get(const char *root, const char *rel, char *buf, size_t len)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return "<missing>";
	size_t n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	return buf;
}

const char *fake_host_create(void)
{
	static char root[64];
	snprintf(root, sizeof(root), "/tmp/dsv-fakehost-XXXXXX");
	if (!mkdtemp(root))
		return NULL;
	fake_host_put(root, "sys/devices/system/cpu/online", "0-3\n");
	fake_host_put(root, "sys/devices/system/node/node0/cpulist", "0-1\n");
	fake_host_put(root, "sys/devices/system/node/node1/cpulist", "2-3\n");
	fake_host_put(root, "sys/devices/system/node/node0/meminfo",
		      "Node 0 MemTotal: 4194304 kB\n");
	fake_host_put(root, "sys/devices/system/node/node1/meminfo",
		      "Node 1 MemTotal: 4194304 kB\n");
	fake_host_put(root, "sys/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages",
		      "5\n");
	fake_host_put(root, "sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages",
		      "5\n");
	fake_host_put(root, "dev/kvm", ""); /* opens read-write: the fake host has KVM */
	fake_host_put(root, "proc/meminfo", "MemTotal: 8388608 kB\nHugepagesize: 2048 kB\n");
	const char *cs = "sys/fs/cgroup/cpuset/";
	char p[256];
	const struct {
		const char *file, *value;
	} root_cs[] = {
		{ "cpuset.cpus", "0-3\n" },
		{ "cpuset.mems", "0-1\n" },
		{ "cpuset.sched_load_balance", "1\n" },
		{ "cpuset.cpu_exclusive", "1\n" },
		{ "tasks", "1\n2\n3\n" },
		{ "machine/cpuset.cpus", "0-3\n" },
		{ "machine/cpuset.mems", "0-1\n" },
		{ "machine/vm1/cpuset.cpus", "2-3\n" },
		{ "machine/vm1/cpuset.mems", "1\n" },
		{ "other/cpuset.cpus", "0\n" },
	};
	for (size_t i = 0; i < sizeof(root_cs) / sizeof(root_cs[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", cs, root_cs[i].file);
		fake_host_put(root, p, root_cs[i].value);
	}
	fake_host_put(root, "proc/irq/10/smp_affinity_list", "0-3\n");
	fake_host_put(root, "proc/irq/11/smp_affinity_list", "3\n");
	fake_host_put(root, "proc/irq/12/smp_affinity_list", "0\n");
	fake_host_put(root, "proc/irq/default_smp_affinity", "f\n");
	fake_host_put(root, "sys/devices/virtual/workqueue/cpumask", "f\n");
	fake_host_put(root, "run/dsv/partition.lock", ""); /* dsvd/node_lock.c: empty when free */
	return root;
}

static char *snap;
static size_t snap_len;
static FILE *snap_f;

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_D) {
		fprintf(snap_f, "D %s\n", path);
	} else if (flag == FTW_F) {
		/* cgroup "tasks" files only mean something to the kernel (a write adds one task);
         * task moves are checked on the real host by it_partition.sh */
		const char *base = strrchr(path, '/');
		if (base && strcmp(base, "/tasks") == 0)
			return 0;
		char buf[4096];
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (f)
			fclose(f);
		/* the kernel ends every value with a newline whatever was written: ignore it */
		while (n > 0 && buf[n - 1] == '\n')
			n--;
		buf[n] = '\0';
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = '|';
		fprintf(snap_f, "F %s = %s\n", path, buf);
	}
	return 0;
}

static int compare_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *fake_host_snapshot(const char *root)
{
	snap = NULL;
	snap_len = 0;
	snap_f = open_memstream(&snap, &snap_len);
	nftw(root, visit, 16, FTW_PHYS);
	fclose(snap_f);
	/* nftw's order follows readdir: sort the lines */
	size_t n = 0;
	for (char *p = snap; *p; p++)
		n += *p == '\n';
	char **lines = calloc(n + 1, sizeof(char *));
	size_t i = 0;
	for (char *save, *l = strtok_r(snap, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		lines[i++] = l;
	qsort(lines, i, sizeof(char *), compare_lines);
	size_t total = 1;
	for (size_t k = 0; k < i; k++)
		total += strlen(lines[k]) + 1;
	char *out = malloc(total), *o = out;
	for (size_t k = 0; k < i; k++)
		o += sprintf(o, "%s\n", lines[k]);
	*o = '\0';
	free(lines);
	free(snap);
	return out;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void fake_host_remove(const char *root)
{
	nftw(root, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fake_host_first_difference(const char *a, const char *b)
{
	static char out[1024];
	while (*a && *b) {
		const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
		size_t la = ea ? (size_t)(ea - a) : strlen(a),
		       lb = eb ? (size_t)(eb - b) : strlen(b);
		if (la != lb || strncmp(a, b, la) != 0) {
			snprintf(out, sizeof(out), "before: %.*s\nnow:    %.*s", (int)la, a,
				 (int)lb, b);
			return out;
		}
		a += la + (ea ? 1 : 0);
		b += lb + (eb ? 1 : 0);
	}
	snprintf(out, sizeof(out), "before: %.200s\nnow:    %.200s", a, b);
	return out;
}
