/* fake_host_tool create | remove ROOT: the fake host tree of fake_host.c for shell tests
 * that run dsvd with --host-root (a partition that changes nothing real). */
#include <stdio.h>
#include <string.h>

#include "fake_host.h"

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "create") == 0) {
		const char *root = fake_host_create();
		if (!root)
			return 1;
		printf("%s\n", root);
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "remove") == 0) {
		fake_host_remove(argv[2]);
		return 0;
	}
	fprintf(stderr, "usage: fake_host_tool create | remove ROOT\n");
	return 2;
}
