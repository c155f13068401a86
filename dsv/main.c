/* dsv: the command-line client of dsvd. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage[] =
	"usage: dsv [--socket PATH] [--json] COMMAND ...\n"
	"  node show|partition|release     the node and its partition (dsv node --help)\n"
	"  vm create|list|show|wait|console|delete  VMs (dsv vm --help)\n"
	"  events [--since N]              what happens, as it happens (dsv events --help)\n"
	"  run --stack hpc|commodity ... -- PROGRAM   create, follow, delete (dsv run --help)\n"
	"  bench interference|overhead ...  the experiments (dsv bench --help)\n\n"
	"  --socket PATH   dsvd's socket (default $DSV_SOCKET, else /run/dsv/dsvd.sock)\n"
	"  --json          print dsvd's JSON instead of tables\n"
	"  --help, --version\n\n"
	"exit status: 0 ok; 1 dsvd refused or failed the request; 2 bad usage; 3 dsvd not\n"
	"reachable; 4 conflict (does not fit, duplicate name, partition state); 5 no such VM;\n"
	"dsv run: the VM's exit status.\n";

int main(int argc, char **argv)
{
	struct cli c = { .socket = getenv("DSV_SOCKET"), .json = false };
	if (!c.socket || !c.socket[0])
		c.socket = "/run/dsv/dsvd.sock";
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			c.json = true;
		} else if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc) {
			c.socket = argv[++i];
		} else if (strncmp(argv[i], "--socket=", 9) == 0) {
			c.socket = argv[i] + 9;
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("dsv %s\n", DSV_CLI_VERSION);
			return EXIT_OK;
		} else {
			fprintf(stderr, "dsv: unknown option '%s'\n%s", argv[i], usage);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[i];
	/* --json may also follow the command */
	for (int j = i + 1; j < argc && strcmp(argv[j], "--") != 0; j++)
		if (strcmp(argv[j], "--json") == 0) {
			c.json = true;
			memmove(&argv[j], &argv[j + 1], (size_t)(argc - j) * sizeof(char *));
			argc--;
			j--;
		}
	if (strcmp(cmd, "node") == 0)
		return cmd_node(&c, argc - i, argv + i);
	if (strcmp(cmd, "vm") == 0)
		return cmd_vm(&c, argc - i, argv + i);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(&c, argc - i, argv + i);
	if (strcmp(cmd, "events") == 0)
		return cmd_events(&c, argc - i, argv + i);
	if (strcmp(cmd, "bench") == 0)
		return cmd_bench(&c, argc - i, argv + i);
	fprintf(stderr, "dsv: unknown command '%s'\n%s", cmd, usage);
	return EXIT_USAGE;
}
