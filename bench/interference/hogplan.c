/*
 * What each commodity VM (hog) is, as dsvd is asked for it: the POST /vms body. An lwk hog
 * boots the lwk with the hog program as its initrd; an image hog is an ordinary Linux VM
 * from --hog-image whose cloud-init user-data, a shell script, starts the load in the
 * background and says so on the console. A shell script because the image is the user's:
 * it has a shell and dd (a Debian cloud image, busybox in tests/dsvd/images), not our hog.
 */
#include "interference.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

bool ix_hog_via_dsvd(enum ix_scn sc, enum ix_hog_kind k)
{
	/* an image VM needs the overlay and seed dsvd makes; lwk hogs without the partition
	 * are the runner's own domains (dsvd would pin them inside its commodity CPUs) */
	return k == HOG_IMAGE || sc == SCN_DUAL;
}

void ix_hog_token(const char *vm, char *out, size_t cap)
{
	snprintf(out, cap, "dsv-hog: %s running", vm);
}

void ix_hog_failed_token(const char *vm, char *out, size_t cap)
{
	snprintf(out, cap, "dsv-hog: %s stopped", vm);
}

int ix_hog_user_data(const char *hog_mode, const char *vm, char *out, size_t cap)
{
	/* cpu: a shell busy loop; membw: the guest kernel writes 16 MiB buffers of zeroes
	 * (clear_user) again and again, more than any cache holds; syscall: two system calls
	 * per byte */
	static const char *const loads[][2] = {
		{ "cpu", "while :; do :; done" },
		{ "membw",
		  "while :; do dd if=/dev/zero of=/dev/null bs=16M count=64 2>/dev/null; done" },
		{ "syscall", "dd if=/dev/zero of=/dev/null bs=1 2>/dev/null" },
	};
	const char *load = NULL;
	for (size_t i = 0; i < sizeof loads / sizeof loads[0]; i++)
		if (!strcmp(hog_mode, loads[i][0]))
			load = loads[i][1];
	if (!load)
		return -1;
	char token[128], failed[128];
	ix_hog_token(vm, token, sizeof token);
	ix_hog_failed_token(vm, failed, sizeof failed);
	/* "running" only once the load has lasted a second: a load that cannot run (no dd in
	 * the image) says "stopped" instead, and the runner fails the run at once */
	int n = snprintf(out, cap,
			 "#!/bin/sh\n"
			 "# dsv bench interference: the commodity hog of VM %s (--hog-mode %s)\n"
			 "hog() { %s; }\n"
			 "say() { { echo \"$*\" >/dev/console; } 2>/dev/null || echo \"$*\"; }\n"
			 "hog </dev/null >/dev/null 2>&1 &\n"
			 "pid=$!\n"
			 "sleep 1\n"
			 "if kill -0 $pid 2>/dev/null; then say \"%s %s (pid $pid)\"\n"
			 "else say \"%s: the %s hog exited at once\"; fi\n",
			 vm, hog_mode, load, token, hog_mode, failed, hog_mode);
	return n > 0 && (size_t)n < cap ? 0 : -1;
}

char *ix_hog_body(const struct ix_cfg *c, const char *lwk, const char *hog, enum ix_scn sc,
		  enum ix_hog_kind k, const char *vm, char *err, size_t errlen)
{
	json_t *b;
	if (k == HOG_IMAGE) {
		char ud[2048];
		if (ix_hog_user_data(c->hog_mode, vm, ud, sizeof ud) < 0) {
			snprintf(err, errlen, "image hogs have no form of --hog-mode %s",
				 c->hog_mode);
			return NULL;
		}
		/* no network: dsvd gives the VM its NAT network (dsv-nat), as for any image VM */
		b = json_pack("{s:s, s:s, s:i, s:i, s:s, s:{s:s}}", "name", vm, "stack",
			      "commodity", "vcpus", 1, "mem_mib", c->hog_image_mem_mib, "image",
			      c->hog_image, "cloud_init", "user_data", ud);
	} else {
		char args[256];
		snprintf(args, sizeof args, "hog --mode %s --seconds 1000000 --threads 1 --quiet",
			 c->hog_arg);
		json_t *prog = json_array();
		char *save = NULL;
		/* argv[0] is the program's path, whatever characters it has */
		for (char *t = strtok_r(args, " ", &save); t; t = strtok_r(NULL, " ", &save))
			json_array_append_new(prog, json_string(t == args ? hog : t));
		b = json_pack("{s:s, s:s, s:i, s:i, s:s, s:s, s:s, s:o}", "name", vm, "stack",
			      "commodity", "vcpus", 1, "mem_mib", c->hog_mem_mib, "kernel", lwk,
			      "initrd", hog, "cmdline", "dsv.platform=pvm", "program", prog);
	}
	if (!b) {
		snprintf(err, errlen, "cannot build the request for %s", vm);
		return NULL;
	}
	/* dsvd's cap is the dual-stack lever: the single-stack baselines have none */
	if (c->hog_quota_pct && sc == SCN_DUAL)
		json_object_set_new(b, "cpu_quota_pct", json_integer(c->hog_quota_pct));
	char *body = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(b);
	if (!body)
		snprintf(err, errlen, "cannot build the request for %s", vm);
	return body;
}
