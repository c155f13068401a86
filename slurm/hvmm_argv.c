#include "hvmm_argv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpulist.h"

struct argv_buf {
	char **v;
	int n, cap;
	int failed;
};

static void add(struct argv_buf *b, const char *s)
{
	if (b->failed)
		return;
	if (b->n + 2 > b->cap) {
		int cap = b->cap ? b->cap * 2 : 32;
		char **v = realloc(b->v, (size_t)cap * sizeof(*v));

		if (!v) {
			b->failed = 1;
			return;
		}
		b->v = v;
		b->cap = cap;
	}
	if (!(b->v[b->n] = strdup(s))) {
		b->failed = 1;
		return;
	}
	b->v[++b->n] = NULL;
}

static void add_num(struct argv_buf *b, unsigned long long v)
{
	char s[24];

	snprintf(s, sizeof(s), "%llu", v);
	add(b, s);
}

static int add_groups(struct argv_buf *b, const gid_t *groups, int n)
{
	size_t len = (size_t)n * 11 + 1, off = 0;
	char *s = malloc(len);

	if (!s)
		return -1;
	s[0] = '\0';
	for (int i = 0; i < n; i++)
		off += (size_t)snprintf(s + off, len - off, "%s%u", i ? "," : "",
					(unsigned)groups[i]);
	add(b, "--groups");
	add(b, s);
	free(s);
	return 0;
}

char **hvmm_argv_build(const struct hvmm_launch *l, char *err, size_t errlen)
{
	struct argv_buf b = { 0 };
	char cpus[4096];
	const char *huge = hpc_hugepages_name(l->opts->hugepages);

	if (l->ncpus < 1) {
		snprintf(err, errlen, "the task has no CPU to run a vCPU on");
		return NULL;
	}
	if (l->prog_argc < 1 || !l->prog_argv[0] || !l->prog_argv[0][0]) {
		snprintf(err, errlen, "the task has no program to run");
		return NULL;
	}
	cpulist_format(l->cpus, (size_t)l->ncpus, cpus, sizeof(cpus));
	add(&b, l->hvmm);
	add(&b, "run");
	add(&b, "--cpus");
	add(&b, cpus);
	if (l->opts->mem_mib) {
		char mem[32];

		snprintf(mem, sizeof(mem), "%lluM", (unsigned long long)l->opts->mem_mib);
		add(&b, "--mem");
		add(&b, mem);
	}
	if (huge) {
		add(&b, "--hugepages");
		add(&b, huge);
	}
	if (l->opts->net == HPC_NET_HOST || (l->opts->net == HPC_NET_DEFAULT && l->pmi_fd > 2)) {
		add(&b, "--net");
		add(&b, "host");
	}
	if (l->pmi_fd > 2) {
		add(&b, "--inherit-fd");
		add_num(&b, (unsigned long long)l->pmi_fd);
	}
	add(&b, "--share");
	add(&b, l->opts->share[0] ? l->opts->share : l->cwd);
	add(&b, "--uid");
	add_num(&b, l->uid);
	add(&b, "--gid");
	add_num(&b, l->gid);
	if (l->ngroups > 0 && add_groups(&b, l->groups, l->ngroups))
		b.failed = 1;
	if (l->shm && l->shm[0]) {
		add(&b, "--shm");
		add(&b, l->shm);
	}
	add(&b, "--");
	for (int i = 0; i < l->prog_argc; i++)
		add(&b, l->prog_argv[i]);
	if (b.failed) {
		hvmm_argv_free(b.v);
		snprintf(err, errlen, "out of memory building the hvmm command line");
		return NULL;
	}
	return b.v;
}

void hvmm_argv_free(char **argv)
{
	if (!argv)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}
