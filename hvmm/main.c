/* hvmm: the dsv HPC virtual machine monitor. One process per VM. */
#include <stdio.h>

#include "cgroup_join.h"
#include "dsv_config.h"
#include "log.h"
#include "options.h"
#include "pid_namespace.h"
#include "vm.h"

int main(int argc, char **argv)
{
	struct hvmm_opts opts;
	char err[512];

	switch (opts_parse(&opts, argc, argv, err, sizeof(err))) {
	case OPTS_HELP:
		fputs(opts_usage(), stdout);
		return 0;
	case OPTS_VERSION:
		printf("hvmm %s (dsv ABI %u)\n", DSV_VERSION, DSV_ABI_VERSION);
		return 0;
	case OPTS_ERROR:
		log_err("%s", err);
		return HVMM_EXIT_SETUP;
	case OPTS_RUN:
		break;
	}
	/* Before anything is allocated, so that all of it is accounted to the cgroups. */
	for (int i = 0; i < opts.ncgroups; i++) {
		if (cgroup_join(opts.cgroups[i], err, sizeof(err))) {
			log_err("--cgroup %s: %s", opts.cgroups[i], err);
			return 125;
		}
	}
	if (opts.jail) {
		int status;

		switch (pidns_enter(&status, err, sizeof(err))) {
		case -1:
			log_err("--jail: %s", err);
			return 125;
		case 1:
			return status;  /* the VM ran in the child */
		}
	}
	return vm_run(&opts);
}
