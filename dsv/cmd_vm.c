/* dsv vm create|list|show|delete|console */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char vm_usage[] =
	"usage: dsv [--socket PATH] [--json] vm COMMAND   (dsv vm COMMAND --help for each)\n"
	"  vm create NAME --stack hpc|commodity [options] [-- PROGRAM ARGS...]\n"
	"  vm create NAME --stack commodity --image FILE [options]   an ordinary cloud VM\n"
	"  vm create NAME --stack commodity --domain-xml FILE        an operator's domain (root)\n"
	"  vm list [--all]            every VM, with its exit status and CPU time; --all: also "
	"the\n"
	"                             libvirt domains dsvd did not create (foreign)\n"
	"  vm show NAME               one VM, with its stats\n"
	"  vm wait NAME               until it ends; exits with its status\n"
	"  vm console [-f] NAME       its console (-f: follow)\n"
	"  vm delete NAME             stop it and forget it\n"
	"  vm shutdown NAME [--timeout S (60)] [--no-wait]   ACPI power button, destroyed after S\n"
	"  vm reboot NAME             commodity cloud VMs\n";

static const char create_usage[] =
	"usage: dsv [--socket PATH] [--json] vm create NAME --stack hpc|commodity [--vcpus N (1)]\n"
	"            [--mem SIZE (64M)] [--kernel IMAGE] [--initrd FILE] [--cmdline STR]\n"
	"            [--share DIR] [--net none|host] [--shm-group NAME] [--env NAME=VALUE]...\n"
	"            [--cpu-quota PCT] [-- PROGRAM ARGS...]\n"
	"       dsv vm create NAME --stack commodity --image FILE [--network NET]\n"
	"            [--user-data FILE] [--meta-data FILE] [--vcpus N] [--mem SIZE] [--cpu-quota "
	"PCT]\n"
	"       dsv vm create NAME --stack commodity --domain-xml FILE   (root: an operator's "
	"domain)\n"
	"Creates and starts a VM. --cpu-quota: commodity only, each vCPU capped at PCT % of a "
	"CPU.\n"
	"--share: HPC only, a directory the program may read and write. --net: HPC only, host "
	"gives\n"
	"the program IP sockets in dsvd's network namespace (default none: pipes, socket pairs).\n"
	"--shm-group: HPC only, your VMs that name the same group share one /dev/shm (MPI ranks\n"
	"on one node); letters, digits, '-', '_', '.'; removed with the group's last VM.\n"
	"--env: HPC only, repeatable: the program's environment (e.g. OMP_NUM_THREADS=4); it\n"
	"sees these variables and no others.\n"
	"--image: an ordinary cloud\n"
	"VM from a qcow2 or raw image (docs/commodity.md); without --network it joins dsvd's own\n"
	"NAT network dsv-nat.\n";

static const char list_usage[] =
	"usage: dsv [--socket PATH] [--json] vm list [--all]\n"
	"Every VM: stack, state, exit status, vCPUs, memory, CPUs, CPU time, age. --all: also the\n"
	"libvirt domains dsvd did not create (foreign), with their CPU use.\n";

static const char show_usage[] =
	"usage: dsv [--socket PATH] [--json] vm show NAME\n"
	"One VM: its settings, state, exit status and reason, and its stats (CPU time per vCPU,\n"
	"memory, hugepages).\n";

static const char delete_usage[] =
	"usage: dsv [--socket PATH] [--json] vm delete NAME\n"
	"Stops the VM (hvmm: SIGTERM, then SIGKILL after 2 s; libvirt: destroy) and forgets it.\n";

static json_t *path_value(const char *p)
{
	char *abs = absolute_path(p);
	json_t *v = json_string(abs ? abs : p);
	free(abs);
	return v;
}

/* --env NAME=VALUE into the request's env object; a repeated name takes the last value, as
 * env(1) does. */
static int env_option(const char *arg, json_t *req)
{
	const char *eq = strchr(arg, '=');
	if (!eq || eq == arg) {
		fprintf(stderr, "dsv: --env '%s': expected NAME=VALUE\n", arg);
		return EXIT_USAGE;
	}
	json_t *env = json_object_get(req, "env");
	if (!env) {
		env = json_object();
		json_object_set_new(req, "env", env);
	}
	char *name = strndup(arg, (size_t)(eq - arg));
	if (!name || json_object_set_new(env, name, json_string(eq + 1)) < 0) {
		free(name);
		fprintf(stderr, "dsv: --env '%s': not valid UTF-8, or out of memory\n", arg);
		return EXIT_USAGE;
	}
	free(name);
	return EXIT_OK;
}

int parse_vm_options(int argc, char **argv, json_t *req, bool need_name, const char *usage_text)
{
	enum {
		O_STACK = 256,
		O_VCPUS,
		O_MEM,
		O_KERNEL,
		O_INITRD,
		O_CMDLINE,
		O_SHARE,
		O_NAME,
		O_HELP,
		O_QUOTA,
		O_CLOUD,
		O_NET,
		O_SHM_GROUP,
		O_ENV
	};
	static const struct option longopts[] = {
		{ "stack", required_argument, NULL, O_STACK },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "mem", required_argument, NULL, O_MEM },
		{ "kernel", required_argument, NULL, O_KERNEL },
		{ "initrd", required_argument, NULL, O_INITRD },
		{ "cmdline", required_argument, NULL, O_CMDLINE },
		{ "share", required_argument, NULL, O_SHARE },
		{ "net", required_argument, NULL, O_NET },
		{ "shm-group", required_argument, NULL, O_SHM_GROUP },
		{ "env", required_argument, NULL, O_ENV },
		{ "name", required_argument, NULL, O_NAME },
		{ "cpu-quota", required_argument, NULL, O_QUOTA },
		{ "image", required_argument, NULL, O_CLOUD },
		{ "network", required_argument, NULL, O_CLOUD },
		{ "user-data", required_argument, NULL, O_CLOUD },
		{ "meta-data", required_argument, NULL, O_CLOUD },
		{ "domain-xml", required_argument, NULL, O_CLOUD },
		{ "help", no_argument, NULL, O_HELP },
		{ NULL, 0, NULL, 0 },
	};
	int split = argc;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			split = i;
			break;
		}
	optind = 1;
	int c, idx;
	while ((c = getopt_long(split, argv, "", longopts, &idx)) != -1) {
		char *end;
		uint64_t mib;
		int rc;
		switch (c) {
		case O_CLOUD:
			if ((rc = vm_cloud_option(longopts[idx].name, optarg, req)) != EXIT_OK)
				return rc;
			break;
		case O_STACK:
			json_object_set_new(req, "stack", json_string(optarg));
			break;
		case O_VCPUS:
		case O_QUOTA: {
			const char *opt = c == O_VCPUS ? "vcpus" : "cpu-quota";
			long v = strtol(optarg, &end, 10);
			if (*end || end == optarg) {
				fprintf(stderr, "dsv: --%s: '%s' is not a number\n", opt, optarg);
				return EXIT_USAGE;
			}
			/* ranges are checked by dsvd */
			json_object_set_new(req, c == O_VCPUS ? "vcpus" : "cpu_quota_pct",
					    json_integer(v));
			break;
		}
		case O_MEM:
			if (parse_size_mib(optarg, &mib) < 0) {
				fprintf(stderr,
					"dsv: --mem: '%s' is not a size in whole MiB (e.g. 64M, "
					"1G)\n",
					optarg);
				return EXIT_USAGE;
			}
			json_object_set_new(req, "mem_mib", json_integer((json_int_t)mib));
			break;
		case O_KERNEL:
			json_object_set_new(req, "kernel", path_value(optarg));
			break;
		case O_INITRD:
			json_object_set_new(req, "initrd", path_value(optarg));
			break;
		case O_SHARE:
			json_object_set_new(req, "share", path_value(optarg));
			break;
		case O_NET:
			json_object_set_new(req, "net", json_string(optarg));
			break; /* dsvd checks */
		case O_SHM_GROUP:
			json_object_set_new(req, "shm_group", json_string(optarg));
			break; /* dsvd checks */
		case O_ENV:
			if ((rc = env_option(optarg, req)) != EXIT_OK)
				return rc;
			break; /* dsvd checks the name and the value */
		case O_CMDLINE:
			json_object_set_new(req, "cmdline", json_string(optarg));
			break;
		case O_NAME:
			json_object_set_new(req, "name", json_string(optarg));
			break;
		case O_HELP:
			fputs(usage_text, stdout);
			exit(EXIT_OK);
		default:
			fputs(usage_text, stderr);
			return EXIT_USAGE;
		}
	}
	if (need_name) {
		if (optind >= split) {
			fprintf(stderr, "dsv: missing the VM name\n%s", usage_text);
			return EXIT_USAGE;
		}
		json_object_set_new(req, "name", json_string(argv[optind++]));
	}
	if (optind < split) {
		fprintf(stderr, "dsv: unexpected argument '%s' (put the program after --)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (!json_object_get(req, "stack")) {
		fprintf(stderr, "dsv: --stack hpc|commodity is required\n%s", usage_text);
		return EXIT_USAGE;
	}
	if (!json_object_get(req, "mem_mib") && !json_object_get(req, "domain_xml"))
		json_object_set_new(req, "mem_mib", json_integer(64));
	if (split < argc - 1) {
		json_t *prog = json_array();
		for (int i = split + 1; i < argc; i++)
			json_array_append_new(prog, i == split + 1 ? path_value(argv[i])
								   : json_string(argv[i]));
		json_object_set_new(req, "program", prog);
	}
	return EXIT_OK;
}

/* "45s", "12m03s", "3h05m", "2d04h" */
static void human_duration(long long secs, char *out, size_t len)
{
	if (secs < 0)
		snprintf(out, len, "-");
	else if (secs < 60)
		snprintf(out, len, "%llds", secs);
	else if (secs < 3600)
		snprintf(out, len, "%lldm%02llds", secs / 60, secs % 60);
	else if (secs < 86400)
		snprintf(out, len, "%lldh%02lldm", secs / 3600, secs % 3600 / 60);
	else
		snprintf(out, len, "%lldd%02lldh", secs / 86400, secs % 86400 / 3600);
}

static void print_vm_table(const json_t *vms)
{
	printf("%-20s %-10s %-8s %4s %5s %8s %-8s %9s %7s %s\n", "NAME", "STACK", "STATE", "EXIT",
	       "VCPUS", "MEM_MIB", "CPUS", "CPU_TIME", "AGE", "PID/DOMAIN");
	size_t i;
	const json_t *vm;
	time_t now = time(NULL);
	json_array_foreach(vms, i, vm)
	{
		char where[64] = "-", exit_code[16] = "-", cpu[32] = "-", age[32];
		if (json_object_get(vm, "pid"))
			snprintf(where, sizeof(where), "%lld",
				 (long long)json_integer_value(json_object_get(vm, "pid")));
		else if (json_object_get(vm, "domain"))
			snprintf(where, sizeof(where), "%s",
				 json_string_value(json_object_get(vm, "domain")));
		if (json_object_get(vm, "exit_code"))
			snprintf(exit_code, sizeof(exit_code), "%lld",
				 (long long)json_integer_value(json_object_get(vm, "exit_code")));
		const json_t *secs = json_object_get(json_object_get(vm, "stats"), "cpu_seconds");
		if (json_is_number(secs))
			snprintf(cpu, sizeof(cpu), "%.2fs", json_number_value(secs));
		human_duration((long long)(now - (time_t)json_integer_value(
							 json_object_get(vm, "created"))),
			       age, sizeof(age));
		printf("%-20s %-10s %-8s %4s %5lld %8lld %-8s %9s %7s %s\n",
		       json_string_value(json_object_get(vm, "name")),
		       json_string_value(json_object_get(vm, "stack")),
		       json_string_value(json_object_get(vm, "state")), exit_code,
		       (long long)json_integer_value(json_object_get(vm, "vcpus")),
		       (long long)json_integer_value(json_object_get(vm, "mem_mib")),
		       json_string_value(json_object_get(vm, "cpus")), cpu, age, where);
	}
}

static void print_stats(const json_t *st)
{
	printf("%-14s %.2f s\n", "cpu time", json_number_value(json_object_get(st, "cpu_seconds")));
	size_t i;
	const json_t *v;
	json_array_foreach(json_object_get(st, "vcpus"), i, v) printf(
		"  vcpu %-8lld %.2f s\n", (long long)json_integer_value(json_object_get(v, "vcpu")),
		json_number_value(json_object_get(v, "cpu_seconds")));
	if (json_object_get(st, "rss_bytes"))
		printf("%-14s %lld MiB\n", "rss",
		       (long long)json_integer_value(json_object_get(st, "rss_bytes")) >> 20);
	if (json_object_get(st, "memory_bytes"))
		printf("%-14s %lld MiB\n", "memory",
		       (long long)json_integer_value(json_object_get(st, "memory_bytes")) >> 20);
	const json_t *h = json_object_get(st, "hugepages");
	if (h)
		printf("%-14s %lld of %lld kB\n", "hugepages",
		       (long long)json_integer_value(json_object_get(h, "pages")),
		       (long long)json_integer_value(json_object_get(h, "page_kb")));
	printf("%-14s %s\n", "exits",
	       json_is_null(json_object_get(st, "exits")) ? "not known while it runs"
							  : "see --json");
}

static void print_vm(const json_t *vm)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)vm, key, v)
	{
		if (strcmp(key, "stats") == 0)
			continue;
		if (strcmp(key, "created") == 0) {
			time_t t = (time_t)json_integer_value(v);
			char when[32] = "?", age[32];
			struct tm tm;
			if (localtime_r(&t, &tm))
				strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
			human_duration((long long)(time(NULL) - t), age, sizeof(age));
			printf("%-14s %s (%s ago)\n", key, when, age);
			continue;
		}
		char *s = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		printf("%-14s %s\n", key, s ? s : json_string_value(v));
		free(s);
	}
	const json_t *st = json_object_get(vm, "stats");
	if (json_is_object(st))
		print_stats(st);
}

int vm_path(char *out, size_t len, const char *name, const char *suffix)
{
	if (strchr(name, '/') || strchr(name, '?') || strchr(name, '#') || strchr(name, '%') ||
	    strchr(name, ' ') || !name[0]) {
		fprintf(stderr, "dsv: '%s' is not a valid VM name\n", name);
		return -1;
	}
	snprintf(out, len, "/v1/vms/%s%s", name, suffix);
	return 0;
}

static bool wants_help(int argc, char **argv)
{
	return argc > 2 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0);
}

static int vm_create(const struct cli *c, int argc, char **argv)
{
	json_t *req = json_object(), *out = NULL;
	int rc = parse_vm_options(argc - 1, argv + 1, req, true, create_usage);
	if (rc == EXIT_OK)
		rc = cli_call(c, "POST", "/v1/vms", req, &out, NULL);
	json_decref(req);
	if (rc == EXIT_OK)
		c->json ? print_json(out) : print_vm(out);
	json_decref(out);
	return rc;
}

/* show and delete: one VM name */
static int vm_one(const struct cli *c, int argc, char **argv, const char *usage)
{
	const char *sub = argv[1];
	if (wants_help(argc, argv)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (argc != 3) {
		fprintf(stderr, "dsv: vm %s takes exactly one VM name\n%s", sub, usage);
		return EXIT_USAGE;
	}
	char path[256];
	if (vm_path(path, sizeof(path), argv[2], "") < 0)
		return EXIT_USAGE;
	bool delete = strcmp(sub, "delete") == 0;
	json_t *out = NULL;
	int rc = cli_call(c, delete ? "DELETE" : "GET", path, NULL, &out, NULL);
	if (rc == EXIT_OK) {
		if (c->json)
			print_json(out);
		else if (delete)
			printf("deleted %s\n", argv[2]);
		else
			print_vm(out);
	}
	json_decref(out);
	return rc;
}

int cmd_vm(const struct cli *c, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(vm_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	const char *sub = argv[1];
	if (strcmp(sub, "create") == 0)
		return vm_create(c, argc, argv);
	if (strcmp(sub, "wait") == 0)
		return cmd_vm_wait(c, argc - 1, argv + 1);
	if (strcmp(sub, "console") == 0)
		return cmd_vm_console(c, argc - 1, argv + 1);
	if (strcmp(sub, "show") == 0)
		return vm_one(c, argc, argv, show_usage);
	if (strcmp(sub, "delete") == 0)
		return vm_one(c, argc, argv, delete_usage);
	if (strcmp(sub, "list") == 0) {
		if (wants_help(argc, argv)) {
			fputs(list_usage, stdout);
			return EXIT_OK;
		}
		bool all = argc > 2 && strcmp(argv[2], "--all") == 0;
		if (argc > 2 + all) {
			fprintf(stderr, "dsv: vm list: unexpected argument '%s'\n%s", argv[2 + all],
				list_usage);
			return EXIT_USAGE;
		}
		json_t *out = NULL;
		int rc = cli_call(c, "GET", all && c->json ? "/v1/node/domains" : "/v1/vms", NULL,
				  &out, NULL);
		if (rc == EXIT_OK)
			c->json ? print_json(out) : print_vm_table(out);
		json_decref(out);
		if (rc == EXIT_OK && all && !c->json)
			rc = vm_list_foreign(c);
		return rc;
	}
	if (strcmp(sub, "shutdown") == 0 || strcmp(sub, "reboot") == 0) {
		if (wants_help(argc, argv)) {
			fputs(vm_usage, stdout);
			return EXIT_OK;
		}
		return vm_lifecycle(c, argc, argv, vm_usage);
	}
	fprintf(stderr, "dsv: unknown vm command '%s'\n%s", sub, vm_usage);
	return EXIT_USAGE;
}
