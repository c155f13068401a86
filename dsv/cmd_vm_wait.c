/* dsv vm wait NAME: blocks until the VM ends and exits with its status, from dsvd's event
 * stream (no polling); a restart of dsvd meanwhile is ridden out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "event_stream.h"

#define RECONNECT_SECONDS 30 /* how long a restarting dsvd is waited for */

static const char wait_usage[] =
	"usage: dsv [--socket PATH] vm wait NAME\n"
	"Waits until the VM has ended (exited or failed) and exits with its exit status (1 for a "
	"VM\n"
	"that failed without one); at once when it has already ended. The VM is kept. Exits 5 "
	"when\n"
	"there is no such VM or it is deleted meanwhile, 3 when dsvd is gone for more than 30 s.\n";

/* The VM's state now: 1 ended (*status set), 0 still running, else an exit code + 100. */
static int check_vm(const struct cli *c, const char *path, int *status)
{
	json_t *vm = NULL;
	int rc = cli_call(c, "GET", path, NULL, &vm, NULL);
	if (rc != EXIT_OK)
		return 100 + rc;
	int ended = vm_has_ended(vm);
	if (ended) {
		*status = vm_exit_status(vm);
		const char *why = json_string_value(json_object_get(vm, "exit_reason"));
		if (why && *status)
			fprintf(stderr, "dsv: %s: %s\n",
				json_string_value(json_object_get(vm, "name")), why);
	}
	json_decref(vm);
	return ended;
}

static struct event_stream *reconnect(const struct cli *c, int *rc)
{
	char err[512];
	int http_status;
	for (int i = 0; i < RECONNECT_SECONDS * 4; i++) {
		struct event_stream *s =
			event_stream_open(c->socket, NULL, &http_status, err, sizeof(err));
		if (s)
			return s;
		if (http_status) { /* dsvd answered and refused: no point retrying */
			fprintf(stderr, "dsv: %s\n", err);
			*rc = EXIT_API;
			return NULL;
		}
		struct timespec ts = { 0, 250 * 1000000L };
		nanosleep(&ts, NULL);
	}
	fprintf(stderr, "dsv: %s\n", err);
	*rc = EXIT_UNREACHABLE;
	return NULL;
}

int cmd_vm_wait(const struct cli *c, int argc, char **argv)
{
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		fputs(wait_usage, stdout);
		return EXIT_OK;
	}
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "dsv: vm wait takes exactly one VM name\n%s", wait_usage);
		return EXIT_USAGE;
	}
	const char *name = argv[1];
	char path[256];
	if (vm_path(path, sizeof(path), name, "") < 0)
		return EXIT_USAGE;
	int rc = EXIT_OK, status = 0;
	char err[512];
	int http_status;
	/* the stream first, then the state: whatever happens after the look is in the stream */
	struct event_stream *s = event_stream_open(c->socket, NULL, &http_status, err, sizeof(err));
	if (!s) {
		fprintf(stderr, "dsv: %s\n", err);
		return http_status ? EXIT_API : EXIT_UNREACHABLE;
	}
	for (;;) {
		int now = check_vm(c, path, &status);
		if (now == 1 || now >= 100) {
			event_stream_close(s);
			return now == 1 ? status : now - 100;
		}
		struct stream_event ev;
		int got;
		while ((got = event_stream_next(s, &ev, err, sizeof(err))) == 1) {
			const char *who = json_string_value(json_object_get(ev.data, "name"));
			bool mine = who && strcmp(who, name) == 0;
			if (mine && (strcmp(ev.type, "vm.exited") == 0 ||
				     strcmp(ev.type, "vm.failed") == 0)) {
				json_t *vm = json_object_get(ev.data, "vm");
				status = vm_exit_status(vm);
				const char *why =
					json_string_value(json_object_get(vm, "exit_reason"));
				if (why && status)
					fprintf(stderr, "dsv: %s: %s\n", name, why);
				json_decref(ev.data);
				event_stream_close(s);
				return status;
			}
			if (mine && strcmp(ev.type, "vm.deleted") == 0) {
				fprintf(stderr, "dsv: %s was deleted before it ended\n", name);
				json_decref(ev.data);
				event_stream_close(s);
				return EXIT_NOT_FOUND;
			}
			json_decref(ev.data);
		}
		/* the stream ended: dsvd stopped or restarted. Reconnect, then look again. */
		event_stream_close(s);
		if (!(s = reconnect(c, &rc)))
			return rc;
	}
}
