/* dsv vm console [-f] NAME: the console, and with -f what the VM writes until it ends. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "http_client.h"

#define CONSOLE_TAIL (1024 * 1024) /* what a plain read shows (dsvd's API_CONSOLE_MAX) */

static const char console_usage[] =
	"usage: dsv [--socket PATH] vm console [-f|--follow] NAME\n"
	"Prints the VM's console (the last MiB). With -f, then prints what it writes until the VM\n"
	"ends (or Ctrl-C). A commodity VM's console includes the guest kernel's own messages and\n"
	"the program's stderr.\n";

int console_print_from(const struct cli *c, const char *name, unsigned long long *offset)
{
	char path[256];
	if (vm_path(path, sizeof(path) - 32, name, "/console") < 0)
		return EXIT_USAGE;
	snprintf(path + strlen(path), 32, "?offset=%llu", *offset);
	struct http_reply r;
	char err[512];
	if (http_request(c->socket, "GET", path, NULL, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "dsv: %s\n", err);
		return EXIT_UNREACHABLE;
	}
	if (r.status != 200) {
		json_t *j = json_loadb(r.body, r.len, 0, NULL);
		const char *msg = json_string_value(json_object_get(j, "error"));
		fprintf(stderr, "dsv: %s (HTTP %d)\n", msg ? msg : r.body, r.status);
		json_decref(j);
		http_reply_free(&r);
		return r.status == 404 ? EXIT_NOT_FOUND : EXIT_API;
	}
	fwrite(r.body, 1, r.len, stdout);
	fflush(stdout);
	*offset += r.len;
	http_reply_free(&r);
	return EXIT_OK;
}

static int follow(const struct cli *c, const char *name)
{
	char path[256];
	if (vm_path(path, sizeof(path), name, "") < 0)
		return EXIT_USAGE;
	json_t *vm = NULL;
	int rc = cli_call(c, "GET", path, NULL, &vm, NULL);
	if (rc != EXIT_OK)
		return rc;
	/* from the last MiB, as a plain read shows it */
	json_int_t size = json_integer_value(json_object_get(vm, "console_bytes"));
	unsigned long long offset =
		size > CONSOLE_TAIL ? (unsigned long long)(size - CONSOLE_TAIL) : 0;
	for (;;) {
		if ((rc = console_print_from(c, name, &offset)) != EXIT_OK)
			break;
		if (vm_has_ended(vm)) {
			/* what it wrote last, a MiB per read */
			unsigned long long before;
			do {
				before = offset;
				rc = console_print_from(c, name, &offset);
			} while (rc == EXIT_OK && offset > before);
			break;
		}
		struct timespec ts = { 0, 200 * 1000000L };
		nanosleep(&ts, NULL);
		json_decref(vm);
		vm = NULL;
		if ((rc = cli_call(c, "GET", path, NULL, &vm, NULL)) != EXIT_OK)
			break;
	}
	json_decref(vm);
	return rc;
}

int cmd_vm_console(const struct cli *c, int argc, char **argv)
{
	bool follow_it = false;
	const char *name = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(console_usage, stdout);
			return EXIT_OK;
		}
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--follow") == 0)
			follow_it = true;
		else if (argv[i][0] == '-' || name) {
			fprintf(stderr, "dsv: vm console: unexpected argument '%s'\n%s", argv[i],
				console_usage);
			return EXIT_USAGE;
		} else
			name = argv[i];
	}
	if (!name) {
		fprintf(stderr, "dsv: vm console: missing the VM name\n%s", console_usage);
		return EXIT_USAGE;
	}
	if (follow_it)
		return follow(c, name);
	char path[256];
	if (vm_path(path, sizeof(path), name, "/console") < 0)
		return EXIT_USAGE;
	char *text = NULL;
	int rc = cli_call(c, "GET", path, NULL, NULL, &text);
	if (rc == EXIT_OK)
		fputs(text, stdout);
	free(text);
	return rc;
}
