/* dsv node show|partition|release (repartition: cmd_node_repartition.c) */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char node_usage[] =
	"usage: dsv [--socket PATH] [--json] node COMMAND   (dsv node COMMAND --help for each)\n"
	"  node show                      topology, partition, free and used resources\n"
	"  node partition [options]       apply the partition\n"
	"  node repartition [options]     change the applied partition while VMs run\n"
	"  node release                   restore every value the partition changed\n"
	"  node slurm-conf [--check FILE] the slurm.conf node line for this partition\n";

static const char show_usage[] =
	"usage: dsv [--socket PATH] [--json] node show\n"
	"The node's topology (the whole machine), the partition as applied, the proposed split,\n"
	"and the free and used resources of each stack.\n";

static const char partition_usage[] =
	"usage: dsv [--socket PATH] [--json] node partition [--dry-run] [--hpc-cpus LIST]\n"
	"           [--hpc-mem SIZE] [--housekeeping-cpus LIST] [--commodity-cpus LIST]\n"
	"           [--overcommit-ratio N]\n"
	"Applies the partition. No flags: the agent's config file (/etc/dsv/node.json), else the\n"
	"proposed default split, which reserves about 25 % of the RAM as HPC hugepages (dsv node\n"
	"show prints it). Applying the same partition again changes nothing.\n"
	"  --dry-run   print what would change (CPUs, cgroups, tasks, IRQs, hugepages) and change\n"
	"              nothing\n";

static const char release_usage[] =
	"usage: dsv [--socket PATH] [--json] node release\n"
	"Restores every host value the partition changed (refused while VMs run).\n";

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && s[0] ? s : "-";
}

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

void print_node_partition(const json_t *p)
{
	if (!json_is_object(p)) {
		printf("partition:     none (dsv node partition applies one)\n");
		return;
	}
	const json_t *spec = json_object_get(p, "spec"), *hp = json_object_get(p, "hugepages");
	const json_t *irqs = json_object_get(p, "irqs");
	printf("partition:     applied (cgroup %s)\n", str(p, "cgroup_mode"));
	printf("  hpc cpus:          %s (NUMA nodes %s)\n", str(spec, "hpc_cpus"),
	       str(p, "hpc_nodes"));
	printf("  housekeeping cpus: %s\n", str(spec, "housekeeping_cpus"));
	printf("  commodity cpus:    %s\n", str(spec, "commodity_cpus"));
	printf("  hpc memory:        %lld MiB reserved as %lld hugepages of %lld kB\n",
	       num(hp, "reserved_mib"), num(hp, "pages"), num(hp, "page_kb"));
	printf("  steered:           %lld IRQs (%lld could not move), %lld tasks to housekeeping\n",
	       num(irqs, "moved"), num(irqs, "skipped"), num(p, "tasks_moved"));
	printf("  changed values:    %lld (restored by dsv node release)\n",
	       num(p, "changed_values"));
}

static void print_node(const json_t *n)
{
	const json_t *t = json_object_get(n, "topology");
	printf("topology:      %lld package(s), %lld core(s), %lld PU(s), online CPUs %s, %lld "
	       "MiB\n",
	       num(t, "packages"), num(t, "cores"), num(t, "pus"), str(n, "online_cpus"),
	       num(n, "memory_mib"));
	size_t i;
	const json_t *node;
	json_array_foreach(json_object_get(t, "numa_nodes"), i, node)
		printf("  NUMA node %lld: CPUs %s, %lld MiB\n", num(node, "id"), str(node, "cpus"),
		       num(node, "memory_bytes") >> 20);
	print_node_partition(json_object_get(n, "partition"));
	const json_t *hpc = json_object_get(n, "hpc"), *com = json_object_get(n, "commodity");
	printf("hpc:           CPUs %s (free %s), memory %lld MiB (free %lld MiB), %lld VM(s)\n",
	       str(hpc, "cpus"), str(hpc, "cpus_free"), num(hpc, "memory_mib"),
	       num(hpc, "memory_free_mib"), num(hpc, "vms"));
	printf("commodity:     CPUs %s, vCPUs %lld/%lld (ratio %lld), memory %lld/%lld MiB, %lld "
	       "VM(s)\n",
	       str(com, "cpus"), num(com, "vcpus_used"), num(com, "vcpus_capacity"),
	       num(com, "overcommit_ratio"), num(com, "memory_used_mib"),
	       num(com, "memory_limit_mib"), num(com, "vms"));
	const json_t *prop = json_object_get(n, "proposed_partition");
	if (!json_is_object(json_object_get(n, "partition")))
		printf("proposed:      --hpc-cpus %s --housekeeping-cpus %s --hpc-mem %lldM\n",
		       str(prop, "hpc_cpus"), str(prop, "housekeeping_cpus"),
		       num(prop, "hpc_mem_mib"));
}

void print_from_to(const char *what, const json_t *ch)
{
	if (json_is_object(ch))
		printf("  %-26s %s -> %s\n", what, str(ch, "from"), str(ch, "to"));
}

static void print_plan(const json_t *out)
{
	const json_t *plan = json_object_get(out, "plan");
	if (!json_is_object(plan)) {
		printf("dry run: the partition is already applied; nothing would change\n");
		return;
	}
	const json_t *spec = json_object_get(plan, "spec"), *cg = json_object_get(plan, "cgroups");
	printf("dry run (%s): nothing was changed. Applying would:\n", str(out, "source"));
	printf("  cpus: hpc %s, housekeeping %s, commodity %s\n", str(spec, "hpc_cpus"),
	       str(spec, "housekeeping_cpus"), str(spec, "commodity_cpus"));
	printf("  cgroup %s: create", str(cg, "mode"));
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(cg, "create"), i, v) printf(" %s", json_string_value(v));
	printf("\n");
	json_array_foreach(json_object_get(cg, "narrow"), i, v)
	{
		char what[64];
		snprintf(what, sizeof(what), "narrow cpuset %s", str(v, "cgroup"));
		print_from_to(what, v);
	}
	if (json_object_get(cg, "tasks_to_housekeeping"))
		printf("  move %lld task(s) to the housekeeping cpuset\n",
		       num(cg, "tasks_to_housekeeping"));
	json_array_foreach(json_object_get(plan, "irqs"), i, v)
	{
		char what[64];
		snprintf(what, sizeof(what), "IRQ %lld affinity", num(v, "irq"));
		print_from_to(what, v);
	}
	print_from_to("default_smp_affinity", json_object_get(plan, "default_smp_affinity"));
	print_from_to("workqueue cpumask", json_object_get(plan, "workqueue_cpumask"));
	const json_t *hp = json_object_get(plan, "hugepages");
	json_array_foreach(json_object_get(hp, "nodes"), i, v)
		printf("  node %lld hugepages (%lld kB)   %lld -> %lld\n", num(v, "node"),
		       num(hp, "page_kb"), num(v, "from"), num(v, "to"));
	const json_t *fs = json_object_get(plan, "hugetlbfs");
	printf("  mount a hugetlbfs of %lld MiB at %s\n", num(fs, "size_mib"), str(fs, "path"));
	if (strcmp(str(out, "source"), "proposal") == 0)
		printf("(no flags and no config file: the proposed split, a quarter of the HPC "
		       "nodes' "
		       "memory as hugepages)\n");
}

int parse_partition_flags(int argc, char **argv, const char *usage, bool with_ratio, json_t *req,
			  bool *dry)
{
	enum {
		O_HPC = 256,
		O_MEM,
		O_HK,
		O_COM,
		O_RATIO,
		O_HELP,
		O_DRY
	};
	static const struct option longopts[] = {
		{ "hpc-cpus", required_argument, NULL, O_HPC },
		{ "hpc-mem", required_argument, NULL, O_MEM },
		{ "housekeeping-cpus", required_argument, NULL, O_HK },
		{ "commodity-cpus", required_argument, NULL, O_COM },
		{ "overcommit-ratio", required_argument, NULL, O_RATIO },
		{ "help", no_argument, NULL, O_HELP },
		{ "dry-run", no_argument, NULL, O_DRY },
		{ NULL, 0, NULL, 0 },
	};
	*dry = false;
	optind = 1;
	int opt;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		uint64_t mib;
		char *end;
		switch (opt) {
		case O_HPC:
			json_object_set_new(req, "hpc_cpus", json_string(optarg));
			break;
		case O_HK:
			json_object_set_new(req, "housekeeping_cpus", json_string(optarg));
			break;
		case O_COM:
			json_object_set_new(req, "commodity_cpus", json_string(optarg));
			break;
		case O_MEM:
			if (parse_size_mib(optarg, &mib) < 0) {
				fprintf(stderr,
					"dsv: --hpc-mem: '%s' is not a size in whole MiB (e.g. "
					"512M, 2G)\n",
					optarg);
				return EXIT_USAGE;
			}
			json_object_set_new(req, "hpc_mem_mib", json_integer((json_int_t)mib));
			break;
		case O_RATIO: {
			long v = strtol(optarg, &end, 10);
			if (!with_ratio) {
				fprintf(stderr,
					"dsv: --overcommit-ratio is not a live change (dsv node "
					"partition sets it)\n%s",
					usage);
				return EXIT_USAGE;
			}
			if (*end || end == optarg) {
				fprintf(stderr, "dsv: --overcommit-ratio: '%s' is not a number\n",
					optarg);
				return EXIT_USAGE;
			}
			json_object_set_new(req, "overcommit_ratio", json_integer(v));
			break;
		}
		case O_DRY:
			*dry = true;
			break;
		case O_HELP:
			fputs(usage, stdout);
			return -1;
		default:
			fputs(usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dsv: unexpected argument '%s'\n", argv[optind]);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int node_partition(const struct cli *c, int argc, char **argv)
{
	json_t *req = json_object();
	bool dry;
	int prc = parse_partition_flags(argc, argv, partition_usage, true, req, &dry);
	if (prc != EXIT_OK) {
		json_decref(req);
		return prc < 0 ? EXIT_OK : prc;
	}
	json_t *out = NULL;
	int rc = cli_call(c, "PUT", dry ? "/v1/node/partition?dry_run=1" : "/v1/node/partition",
			  json_object_size(req) ? req : NULL, &out, NULL);
	bool flags = json_object_size(req) > 0;
	json_decref(req);
	if (rc == EXIT_OK && dry) {
		c->json ? print_json(out) : print_plan(out);
	} else if (rc == EXIT_OK) {
		if (c->json)
			print_json(out);
		else {
			printf("%s\n", json_is_true(json_object_get(out, "changed"))
					       ? "partition applied"
					       : "partition already applied: nothing changed");
			if (!flags)
				printf("(no flags: the agent's config file, else the proposed "
				       "split, which "
				       "reserves a quarter of the HPC nodes' memory as "
				       "hugepages)\n");
			print_node_partition(json_object_get(out, "partition"));
		}
	}
	json_decref(out);
	return rc;
}

int cmd_node(const struct cli *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(node_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "partition") == 0)
		return node_partition(c, argc - 1, argv + 1);
	if (strcmp(sub, "repartition") == 0)
		return cmd_node_repartition(c, argc - 1, argv + 1);
	if (strcmp(sub, "slurm-conf") == 0)
		return cmd_node_slurm_conf(c, argc - 1, argv + 1);
	const char *usage = strcmp(sub, "show") == 0	  ? show_usage
			    : strcmp(sub, "release") == 0 ? release_usage
							  : node_usage;
	if (argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc > 2) {
		fprintf(stderr, "dsv: node %s takes no arguments\n%s", sub, usage);
		return EXIT_USAGE;
	}
	json_t *out = NULL;
	int rc;
	if (strcmp(sub, "show") == 0) {
		rc = cli_call(c, "GET", "/v1/node", NULL, &out, NULL);
		if (rc == EXIT_OK)
			c->json ? print_json(out) : print_node(out);
	} else if (strcmp(sub, "release") == 0) {
		rc = cli_call(c, "DELETE", "/v1/node/partition", NULL, &out, NULL);
		if (rc == EXIT_OK)
			c->json ? print_json(out)
				: (void)printf(
					  "partition released: every changed value restored\n");
	} else {
		fprintf(stderr, "dsv: unknown node command '%s'\n%s", sub, node_usage);
		return EXIT_USAGE;
	}
	json_decref(out);
	return rc;
}
