/* Shared pieces of the dsv CLI: global options, talking to dsvd, exit codes. */
#ifndef DSV_CLI_H
#define DSV_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Exit codes (documented in docs/api.md and dsv --help). */
enum {
	EXIT_OK = 0,
	EXIT_API = 1,	      /* dsvd refused the request (4xx other than below) or failed (5xx) */
	EXIT_USAGE = 2,	      /* bad command line */
	EXIT_UNREACHABLE = 3, /* dsvd not running / socket not accessible */
	EXIT_CONFLICT = 4,    /* 409: does not fit (admission), duplicate name, partition state */
	EXIT_NOT_FOUND = 5,   /* 404: no such VM */
};

struct cli {
	const char *socket;
	bool json;
};

/* Sends a request; on 2xx stores the parsed JSON (or NULL for text) and the raw text.
 * Prints the error and returns the exit code otherwise. */
int cli_call(const struct cli *c, const char *method, const char *path, json_t *body, json_t **out,
	     char **text);
/* "64M", "2G", "512" (MiB), "1048576K" -> MiB. Returns -1 on a bad or non-MiB-multiple size. */
int parse_size_mib(const char *s, uint64_t *mib);
/* Makes a path absolute (for paths the agent opens). Returns a malloc'd string. */
char *absolute_path(const char *p);
void print_json(const json_t *o);

/* A VM (dsvd's JSON) that is neither starting nor running. */
bool vm_has_ended(const json_t *vm);
/* How dsv exits for an ended VM: its exit_code, else 1 when it failed, else 0. */
int vm_exit_status(const json_t *vm);
/* /v1/vms/NAME + suffix into out; -1 (after a message) for a name that cannot be a path. */
int vm_path(char *out, size_t len, const char *name, const char *suffix);

/* Prints the console of VM name from byte *offset on and advances it. */
int console_print_from(const struct cli *c, const char *name, unsigned long long *offset);

int cmd_events(const struct cli *c, int argc, char **argv);
int cmd_vm_wait(const struct cli *c, int argc, char **argv);
int cmd_vm_console(const struct cli *c, int argc, char **argv);
int cmd_node(const struct cli *c, int argc, char **argv);
/* dsv node slurm-conf (cmd_slurm.c) */
/* The partition as dsv node show prints it; one "what from -> to" line of a plan. */
void print_node_partition(const json_t *p);
void print_from_to(const char *what, const json_t *ch);
int cmd_node_repartition(const struct cli *c, int argc, char **argv);
/* The partition flags of dsv node partition and repartition into req. EXIT_OK, EXIT_USAGE, or
 * -1 after printing usage for --help. with_ratio: --overcommit-ratio is accepted. */
int parse_partition_flags(int argc, char **argv, const char *usage, bool with_ratio, json_t *req,
			  bool *dry);
int cmd_node_slurm_conf(const struct cli *c, int argc, char **argv);
int cmd_vm(const struct cli *c, int argc, char **argv);
int cmd_run(const struct cli *c, int argc, char **argv);
int cmd_bench(const struct cli *c, int argc, char **argv);
/* Parses VM options shared by "vm create" and "run" into a request object. */
int parse_vm_options(int argc, char **argv, json_t *req, bool need_name, const char *usage_text);
/* Cloud VM options (cmd_vm_cloud.c): --image, --network, --user-data, --meta-data, --domain-xml. */
int vm_cloud_option(const char *opt, const char *arg, json_t *req);
int vm_lifecycle(const struct cli *c, int argc, char **argv, const char *usage);
int vm_list_foreign(const struct cli *c);

#endif
