/* dsv node repartition: a live change of the applied partition (PATCH /v1/node/partition). */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char repartition_usage[] =
	"usage: dsv [--socket PATH] [--json] node repartition [--dry-run] [--hpc-cpus LIST]\n"
	"           [--hpc-mem SIZE] [--housekeeping-cpus LIST] [--commodity-cpus LIST]\n"
	"Changes the applied partition while VMs run, writing only what differs. The flags given\n"
	"replace the applied values; CPUs that leave --hpc-cpus join the housekeeping and\n"
	"commodity sets (and CPUs that join it leave them) unless those are given. Refused (exit "
	"4)\n"
	"when it would take a CPU a running HPC VM is pinned to, or HPC memory running HPC VMs\n"
	"hold. Running commodity VMs are re-pinned to the new commodity CPUs. dsv node release\n"
	"still restores the node as it was before the partition was first applied.\n"
	"  --dry-run   print what would change (cgroups, IRQs, masks, hugepages) and change "
	"nothing\n";

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s && s[0] ? s : "-";
}

static void print_spec_change(const json_t *plan)
{
	const json_t *spec = json_object_get(plan, "spec");
	const json_t *from = json_object_get(spec, "from"), *to = json_object_get(spec, "to");
	const char *keys[] = { "hpc_cpus", "housekeeping_cpus", "commodity_cpus" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		char what[64];
		snprintf(what, sizeof(what), "%s", keys[i]);
		json_t *ch =
			json_pack("{s:s, s:s}", "from", str(from, keys[i]), "to", str(to, keys[i]));
		if (strcmp(str(from, keys[i]), str(to, keys[i])) != 0)
			print_from_to(what, ch);
		json_decref(ch);
	}
	json_int_t a = json_integer_value(json_object_get(from, "hpc_mem_mib"));
	json_int_t b = json_integer_value(json_object_get(to, "hpc_mem_mib"));
	if (a != b)
		printf("  %-26s %lld MiB -> %lld MiB\n", "hpc memory", (long long)a, (long long)b);
}

static void print_change_plan(const json_t *out)
{
	const json_t *plan = json_object_get(out, "plan");
	if (!json_is_true(json_object_get(out, "changed"))) {
		printf("dry run: the partition already has this split; nothing would change\n");
		return;
	}
	printf("dry run: nothing was changed. The live change would:\n");
	print_spec_change(plan);
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(plan, "cgroups"), i, v)
	{
		char what[300];
		snprintf(what, sizeof(what), "%s cpuset %s",
			 json_is_true(json_object_get(v, "create")) ? "create" : "set",
			 str(v, "cgroup"));
		print_from_to(what, v);
	}
	json_array_foreach(json_object_get(plan, "irqs"), i, v)
	{
		char what[64];
		snprintf(what, sizeof(what), "IRQ %lld affinity",
			 (long long)json_integer_value(json_object_get(v, "irq")));
		print_from_to(what, v);
	}
	print_from_to("default_smp_affinity", json_object_get(plan, "default_smp_affinity"));
	print_from_to("workqueue cpumask", json_object_get(plan, "workqueue_cpumask"));
	const json_t *hp = json_object_get(plan, "hugepages");
	json_array_foreach(json_object_get(hp, "nodes"), i, v)
	{
		char what[64];
		snprintf(what, sizeof(what), "node %lld hugepages (%lld kB)",
			 (long long)json_integer_value(json_object_get(v, "node")),
			 (long long)json_integer_value(json_object_get(hp, "page_kb")));
		print_from_to(what, v);
	}
	const json_t *fs = json_object_get(plan, "hugetlbfs");
	if (json_is_object(fs)) {
		const json_t *size = json_object_get(fs, "size_mib");
		printf("  remount the hugetlbfs at %s: %lld MiB -> %lld MiB\n", str(fs, "path"),
		       (long long)json_integer_value(json_object_get(size, "from")),
		       (long long)json_integer_value(json_object_get(size, "to")));
	}
}

int cmd_node_repartition(const struct cli *c, int argc, char **argv)
{
	json_t *req = json_object();
	bool dry;
	int prc = parse_partition_flags(argc, argv, repartition_usage, false, req, &dry);
	if (prc == EXIT_OK && !json_object_size(req)) {
		fprintf(stderr,
			"dsv: node repartition: give what changes (--hpc-cpus, --hpc-mem, "
			"--housekeeping-cpus, --commodity-cpus)\n%s",
			repartition_usage);
		prc = EXIT_USAGE;
	}
	if (prc != EXIT_OK) {
		json_decref(req);
		return prc < 0 ? EXIT_OK : prc;
	}
	json_t *out = NULL;
	int rc = cli_call(c, "PATCH", dry ? "/v1/node/partition?dry_run=1" : "/v1/node/partition",
			  req, &out, NULL);
	json_decref(req);
	if (rc == EXIT_OK && c->json)
		print_json(out);
	else if (rc == EXIT_OK && dry)
		print_change_plan(out);
	else if (rc == EXIT_OK) {
		printf("%s\n", json_is_true(json_object_get(out, "changed"))
				       ? "partition changed"
				       : "the partition already has this split: nothing changed");
		print_node_partition(json_object_get(out, "partition"));
	}
	json_decref(out);
	return rc;
}
