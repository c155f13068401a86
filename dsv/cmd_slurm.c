/*
 * dsv node slurm-conf: the slurm.conf node line that gives Slurm jobs the HPC partition and
 * nothing else (CpuSpecList keeps housekeeping and commodity CPUs from jobs, MemSpecLimit
 * the memory outside the HPC partition), and --check against an existing slurm.conf.
 */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cpulist.h"

static const char slurm_usage[] =
	"usage: dsv [--socket PATH] node slurm-conf [--node-name NAME] [--check SLURM_CONF]\n"
	"  prints the slurm.conf NodeName line for this node: its CPUs and memory, CpuSpecList =\n"
	"  the housekeeping and commodity CPUs (kept from jobs, so jobs run on the HPC "
	"partition),\n"
	"  MemSpecLimit = the memory outside the HPC partition; the applied partition, else the\n"
	"  proposed one. --check compares the node's line in SLURM_CONF: exit 0 when it agrees,\n"
	"  1 naming each difference.\n"
	"  --node-name NAME   the NodeName (default: the short host name)\n";

struct slurm_node {
	char name[256];
	long long cpus, sockets, cores_per_socket, threads_per_core, real_mib, spec_mib;
	char spec_cpus[1024]; /* CpuSpecList */
	char hpc_cpus[1024];
	long long hpc_mib;
	int applied;
};

static int cpu_set_of(const char *list, bool *set, char *why, size_t whylen)
{
	static int cpus[CPULIST_MAX_CPU + 1];
	const struct cpulist_rules rules = { .max_cpu = CPULIST_MAX_CPU, .empty_ok = true };
	int n = cpulist_scan(list, &rules, cpus, CPULIST_MAX_CPU + 1, why, whylen);
	for (int i = 0; i < n; i++)
		set[cpus[i]] = true;
	return n < 0 ? -1 : 0;
}

static void format_set(const bool *set, char *buf, size_t len)
{
	static int cpus[CPULIST_MAX_CPU + 1];
	size_t n = 0;
	for (int c = 0; c <= CPULIST_MAX_CPU; c++)
		if (set[c])
			cpus[n++] = c;
	cpulist_format(cpus, n, buf, len);
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

static long long jnum(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* The node line's values from GET /node. */
static int node_from_agent(const json_t *n, struct slurm_node *s)
{
	static bool online[CPULIST_MAX_CPU + 1], hpc[CPULIST_MAX_CPU + 1];
	const json_t *t = json_object_get(n, "topology"), *part = json_object_get(n, "partition");
	const json_t *spec = json_is_object(part) ? json_object_get(part, "spec")
						  : json_object_get(n, "proposed_partition");
	char why[200];
	long long packages = jnum(t, "packages"), cores = jnum(t, "cores"), pus = jnum(t, "pus");
	memset(online, 0, sizeof(online));
	memset(hpc, 0, sizeof(hpc));
	if (packages < 1 || cores < packages || pus < cores || cores % packages || pus % cores) {
		fprintf(stderr,
			"dsv: dsvd's topology (%lld packages, %lld cores, %lld PUs) does not "
			"fit Slurm's sockets x cores x threads\n",
			packages, cores, pus);
		return EXIT_API;
	}
	if (cpu_set_of(jstr(n, "online_cpus"), online, why, sizeof(why)) < 0 ||
	    cpu_set_of(jstr(spec, "hpc_cpus"), hpc, why, sizeof(why)) < 0) {
		fprintf(stderr, "dsv: dsvd's CPU lists: %s\n", why);
		return EXIT_API;
	}
	for (int c = 0; c <= CPULIST_MAX_CPU; c++)
		online[c] = online[c] && !hpc[c];
	s->applied = json_is_object(part);
	s->sockets = packages;
	s->cores_per_socket = cores / packages;
	s->threads_per_core = pus / cores;
	s->cpus = pus;
	s->real_mib = jnum(n, "memory_mib");
	s->hpc_mib = jnum(spec, "hpc_mem_mib");
	s->spec_mib = s->real_mib > s->hpc_mib ? s->real_mib - s->hpc_mib : 0;
	format_set(online, s->spec_cpus, sizeof(s->spec_cpus));
	snprintf(s->hpc_cpus, sizeof(s->hpc_cpus), "%s", jstr(spec, "hpc_cpus"));
	return EXIT_OK;
}

static void print_node(const struct slurm_node *s)
{
	printf("# dsv node slurm-conf: jobs get the %s HPC partition (CPUs %s, %lld MiB);\n"
	       "# CpuSpecList keeps the housekeeping and commodity CPUs from them, MemSpecLimit "
	       "the\n"
	       "# memory outside the partition. Add to slurm.conf (see docs/slurm.md):\n",
	       s->applied ? "applied" : "proposed (not yet applied)", s->hpc_cpus, s->hpc_mib);
	if (s->threads_per_core > 1)
		printf("# CpuSpecList holds Slurm's abstract CPU ids; with %lld threads per core "
		       "they can\n"
		       "# differ from these OS CPU numbers: compare 'scontrol show node' after a "
		       "restart.\n",
		       s->threads_per_core);
	printf("NodeName=%s CPUs=%lld Boards=1 SocketsPerBoard=%lld CoresPerSocket=%lld "
	       "ThreadsPerCore=%lld RealMemory=%lld CpuSpecList=%s MemSpecLimit=%lld\n",
	       s->name, s->cpus, s->sockets, s->cores_per_socket, s->threads_per_core, s->real_mib,
	       s->spec_cpus[0] ? s->spec_cpus : "\"\"", s->spec_mib);
}

/* The value of KEY= in a slurm.conf line (keys are case-insensitive), or NULL. */
static const char *conf_value(const char *line, const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	for (const char *p = line; *p; p++) {
		if ((p == line || isspace((unsigned char)p[-1])) && !strncasecmp(p, key, klen) &&
		    p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \t\r\n");
			snprintf(buf, len, "%.*s", (int)n, p + klen + 1);
			return buf;
		}
	}
	return NULL;
}

static bool names_node(const char *names, const char *node)
{
	size_t n = strlen(node);
	for (const char *p = names; *p;) {
		size_t m = strcspn(p, ",");
		if (m == n && !strncmp(p, node, n))
			return true;
		p += m + (p[m] == ',');
	}
	return false;
}

static int differs(const char *key, const char *have, const char *want)
{
	fprintf(stderr, "dsv: slurm.conf: %s=%s, dsv's partition needs %s=%s\n", key,
		have ? have : "(unset)", key, want);
	return 1;
}

static int check_conf(const struct slurm_node *s, const char *path)
{
	FILE *f = fopen(path, "r");
	char line[8192], buf[1024], want[64];
	int bad = 0, found = 0;
	if (!f) {
		fprintf(stderr, "dsv: cannot read %s: %m\n", path);
		return EXIT_USAGE;
	}
	while (!found && fgets(line, sizeof(line), f)) {
		const char *names = conf_value(line, "NodeName", buf, sizeof(buf));
		if (line[strspn(line, " \t")] == '#' || !names || !names_node(names, s->name))
			continue;
		found = 1;
		static bool have_set[CPULIST_MAX_CPU + 1], want_set[CPULIST_MAX_CPU + 1];
		char why[200];
		const char *spec = conf_value(line, "CpuSpecList", buf, sizeof(buf));
		memset(have_set, 0, sizeof(have_set));
		memset(want_set, 0, sizeof(want_set));
		cpu_set_of(s->spec_cpus, want_set, why, sizeof(why));
		if (!spec || cpu_set_of(spec, have_set, why, sizeof(why)) < 0 ||
		    memcmp(have_set, want_set, sizeof(have_set)))
			bad |= differs("CpuSpecList", spec, s->spec_cpus);
		snprintf(want, sizeof(want), "%lld", s->spec_mib);
		const char *mem = conf_value(line, "MemSpecLimit", buf, sizeof(buf));
		if (!mem || strcmp(mem, want))
			bad |= differs("MemSpecLimit", mem, want);
		snprintf(want, sizeof(want), "%lld", s->cpus);
		const char *cpus = conf_value(line, "CPUs", buf, sizeof(buf));
		if (cpus && strcmp(cpus, want))
			bad |= differs("CPUs", cpus, want);
		snprintf(want, sizeof(want), "%lld", s->real_mib);
		const char *real = conf_value(line, "RealMemory", buf, sizeof(buf));
		if (real && atoll(real) > s->real_mib)
			bad |= differs("RealMemory", real, want);
	}
	fclose(f);
	if (!found) {
		fprintf(stderr,
			"dsv: %s has no NodeName line for %s (multi-node ranges such as "
			"node[1-4] are not expanded: give --node-name as written there)\n",
			path, s->name);
		return 1;
	}
	if (!bad)
		printf("%s: NodeName=%s agrees with dsv's %s partition\n", path, s->name,
		       s->applied ? "applied" : "proposed");
	return bad;
}

int cmd_node_slurm_conf(const struct cli *c, int argc, char **argv)
{
	enum {
		O_CHECK = 256,
		O_NAME,
		O_HELP
	};
	static const struct option longopts[] = {
		{ "check", required_argument, NULL, O_CHECK },
		{ "node-name", required_argument, NULL, O_NAME },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct slurm_node s;
	const char *check = NULL;
	int opt, rc;
	memset(&s, 0, sizeof(s));
	if (gethostname(s.name, sizeof(s.name) - 1) < 0)
		snprintf(s.name, sizeof(s.name), "localhost");
	s.name[strcspn(s.name, ".")] = '\0';
	optind = 1;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case O_CHECK:
			check = optarg;
			break;
		case O_NAME:
			if (!optarg[0] || strlen(optarg) >= sizeof(s.name) ||
			    strpbrk(optarg, " \t,=[]")) {
				fprintf(stderr,
					"dsv: --node-name '%s': expected one Slurm node name\n",
					optarg);
				return EXIT_USAGE;
			}
			snprintf(s.name, sizeof(s.name), "%s", optarg);
			break;
		case O_HELP:
			fputs(slurm_usage, stdout);
			return EXIT_OK;
		default:
			fputs(slurm_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dsv: unexpected argument '%s'\n%s", argv[optind], slurm_usage);
		return EXIT_USAGE;
	}
	json_t *node = NULL;
	rc = cli_call(c, "GET", "/node", NULL, &node, NULL);
	if (rc == EXIT_OK)
		rc = node_from_agent(node, &s);
	json_decref(node);
	if (rc != EXIT_OK)
		return rc;
	if (check)
		return check_conf(&s, check);
	print_node(&s);
	return EXIT_OK;
}
