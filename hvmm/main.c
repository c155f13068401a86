/* hvmm: the dsv HPC virtual machine monitor. One process per VM. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dsv_config.h"
#include "exit_status_file.h"
#include "log.h"
#include "options.h"
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
	/* opened now: at the end hvmm may be jailed, under seccomp */
	int status_fd = -1;
	if (opts.status_file && (status_fd = exit_status_file_open(opts.status_file, err,
								   sizeof(err))) < 0) {
		log_err("%s", err);
		return HVMM_EXIT_SETUP;
	}
	int status = vm_run(&opts);
	if (status_fd >= 0 && exit_status_file_record(status_fd, status) < 0)
		log_err("--status-file %s: %s", opts.status_file, strerror(errno));
	return status;
}
