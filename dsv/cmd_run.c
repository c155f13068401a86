/* dsv run: create a VM, stream its console until it stops, delete it, exit with its status. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static const char run_usage[] =
	"usage: dsv [--socket PATH] run --stack hpc|commodity [--name NAME] [--vcpus N] [--mem "
	"SIZE]\n"
	"           [--kernel IMAGE] [--initrd FILE] [--cmdline STR] [--share DIR] [--cpu-quota "
	"PCT]\n"
	"           [--net none|host] [--shm-group NAME] [--env NAME=VALUE]... [--keep]\n"
	"           -- PROGRAM ARGS...\n"
	"Creates the VM, prints its console until it stops, deletes it (unless --keep) and exits\n"
	"with the VM's exit status. Ctrl-C deletes the VM. --shm-group: HPC only, your VMs that\n"
	"name the same group share one /dev/shm. --env: HPC only, repeatable: the program's\n"
	"environment, which holds these variables and no others.\n";

static volatile sig_atomic_t interrupted;
static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

int cmd_run(const struct cli *c, int argc, char **argv)
{
	bool keep = false;
	char **args = calloc((size_t)argc + 1, sizeof(char *));
	int n = 0;
	bool after_dashes = false;
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			after_dashes = true;
		if (!after_dashes && strcmp(argv[i], "--keep") == 0)
			keep = true;
		else
			args[n++] = argv[i];
	}
	json_t *req = json_object();
	int rc = parse_vm_options(n, args, req, false, run_usage);
	free(args);
	if (rc != EXIT_OK) {
		json_decref(req);
		return rc;
	}
	char name[64];
	if (!json_object_get(req, "name")) {
		snprintf(name, sizeof(name), "run-%d", (int)getpid());
		json_object_set_new(req, "name", json_string(name));
	} else {
		snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(req, "name")));
	}
	json_t *vm = NULL;
	rc = cli_call(c, "POST", "/v1/vms", req, &vm, NULL);
	json_decref(req);
	if (rc != EXIT_OK)
		return rc;
	signal(SIGINT, on_interrupt);
	signal(SIGTERM, on_interrupt);
	char path[128];
	snprintf(path, sizeof(path), "/v1/vms/%s", name);
	unsigned long long shown = 0;
	int exit_code = 0;
	for (;;) {
		console_print_from(c, name, &shown);
		if (vm_has_ended(vm)) {
			exit_code = vm_exit_status(vm);
			const char *why = json_string_value(json_object_get(vm, "exit_reason"));
			if (why && exit_code)
				fprintf(stderr, "dsv: %s: %s\n", name, why);
			break;
		}
		if (interrupted) {
			exit_code = 130;
			keep = false;
			break;
		}
		struct timespec ts = { 0, 100 * 1000000L };
		nanosleep(&ts, NULL);
		json_decref(vm);
		vm = NULL;
		if ((rc = cli_call(c, "GET", path, NULL, &vm, NULL)) != EXIT_OK)
			return rc;
	}
	json_decref(vm);
	console_print_from(c, name, &shown);
	if (!keep && (rc = cli_call(c, "DELETE", path, NULL, NULL, NULL)) != EXIT_OK)
		return rc;
	return exit_code;
}
