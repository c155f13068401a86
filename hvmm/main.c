/* hvmm: the dsv HPC virtual machine monitor. One process per VM. */
#include <stdio.h>

#include "dsv_config.h"
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
	return vm_run(&opts);
}
