/* dsv bench: runs the project's experiments (they are programs of their own). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char bench_usage[] =
	"usage: dsv bench interference [ARGS...]   the dual-stack interference experiment\n"
	"       dsv bench overhead [ARGS...]       native vs hvmm vs QEMU for each workload\n"
	"Each takes --help and --quick. The experiments start their own dsvd, so --socket does\n"
	"not apply. DSV_BENCH_DIR overrides where the runners are looked for.\n"
	"  e.g. dsv bench interference --hog-kind lwk,image --hog-image IMAGE   commodity hogs\n"
	"       as lwk guests and as Linux VMs from a qcow2/raw image, side by side\n";

int cmd_bench(const struct cli *c, int argc, char **argv)
{
	const char *dir = getenv("DSV_BENCH_DIR");
	char path[4096];

	(void)c;
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(bench_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	if (strcmp(argv[1], "interference") && strcmp(argv[1], "overhead")) {
		fprintf(stderr, "dsv bench: unknown experiment '%s'\n%s", argv[1], bench_usage);
		return EXIT_USAGE;
	}
	if (!dir || !dir[0])
		dir = DSV_BENCH_DIR;
	if (snprintf(path, sizeof(path), "%s/%s/%s", dir, argv[1], argv[1]) >= (int)sizeof(path)) {
		fprintf(stderr, "dsv bench: path too long\n");
		return EXIT_USAGE;
	}
	argv[1] = path;
	execv(path, argv + 1);
	fprintf(stderr, "dsv bench: cannot run %s: %s (build it with 'make')\n", path,
		strerror(errno));
	return EXIT_API;
}
