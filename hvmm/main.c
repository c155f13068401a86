/* hvmm: the dsv HPC virtual machine monitor. One process per VM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_join.h"
#include "dsv_config.h"
#include "exit_status_file.h"
#include "launch_report.h"
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
	/* The default of --offload: lets a test run force the ring on or off everywhere. */
	const char *offload = getenv("HVMM_OFFLOAD");
	if (!opts.offload_given && offload && *offload &&
	    opts_parse_offload(offload, &opts.offload)) {
		log_err("HVMM_OFFLOAD='%s': expected auto, ring or exit", offload);
		return HVMM_EXIT_SETUP;
	}
	const char *fastpath = getenv("HVMM_FASTPATH");
	if (!opts.fastpath_given && fastpath && *fastpath &&
	    opts_parse_fastpath(fastpath, &opts.fastpath)) {
		log_err("HVMM_FASTPATH='%s': expected auto, on or off", fastpath);
		return HVMM_EXIT_SETUP;
	}
	if (launch_report_open(opts.ready_fd, err, sizeof(err))) {
		log_err("%s", err);
		return HVMM_EXIT_SETUP;
	}
	/* opened first: at the end hvmm may be jailed, under seccomp */
	int status_fd = -1, status, in_child = 0;
	if (opts.status_file &&
	    (status_fd = exit_status_file_open(opts.status_file, err, sizeof(err))) < 0) {
		log_err("%s", err);
		launch_report_failed(err);
		return HVMM_EXIT_SETUP;
	}
	/* Before anything is allocated, so that all of it is accounted to the cgroups. */
	for (int i = 0; i < opts.ncgroups; i++) {
		if (cgroup_join(opts.cgroups[i], err, sizeof(err))) {
			char why[640];

			snprintf(why, sizeof(why), "--cgroup %s: %s", opts.cgroups[i], err);
			log_err("%s", why);
			launch_report_failed(why);
			status = HVMM_EXIT_SETUP;
			goto record;
		}
	}
	if (opts.jail) {
		switch (pidns_enter(opts.net_host, &status, err, sizeof(err))) {
		case -1: {
			char why[640];

			snprintf(why, sizeof(why), "--jail: %s", err);
			log_err("%s", why);
			launch_report_failed(why);
			status = HVMM_EXIT_SETUP;
			goto record;
		}
		case 1:
			goto record; /* the VM ran in the child: its status is ours */
		}
		in_child = 1;
	}
	status = vm_run(&opts);
	if (in_child)
		return status; /* the parent records it */
record:
	if (status_fd >= 0 && exit_status_file_record(status_fd, status) < 0)
		log_err("--status-file %s: %s", opts.status_file, strerror(errno));
	return status;
}
