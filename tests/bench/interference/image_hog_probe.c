/*
 * One image hog through the runner's own code path, without the HPC side (which needs
 * KVM): the runner's option checks, its own dsvd, ix_start_hogs for an image hog (POST /vms
 * with the image and the user-data, then the wait for the hog's console line), the alive
 * check, and the deletion. it_image_hog.sh runs it against real libvirtd; without /dev/kvm
 * the guest runs on TCG. Prints what it saw as "key value" lines for the script to check.
 *
 *   image_hog_probe --hog-image IMAGE [runner options]
 * Exit status: 0 the hog ran and was deleted, 1 it did not, 2 bad usage.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "interference.h"

static int vm_files_left(const char *state, const char *vm)
{
	char dir[IX_PATH + 8];
	snprintf(dir, sizeof dir, "%s/vms", state);
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (!strncmp(e->d_name, vm, strlen(vm)) && e->d_name[strlen(vm)] == '.') {
			printf("left %s\n", e->d_name);
			n++;
		}
	if (d)
		closedir(d);
	return n;
}

int main(int argc, char **argv)
{
	static struct ix_cfg cfg;
	static struct ix_paths paths;
	static struct ix_ctx x;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (ix_parse_args(argc, argv, &cfg) != 0 || !cfg.kind_on[HOG_IMAGE])
		return 2;
	const char *b = getenv("DSV_BUILD_DIR");
	if (!b)
		return 2;
	snprintf(paths.hvmm, sizeof paths.hvmm, "%s/hvmm/hvmm", b);
	snprintf(paths.lwk, sizeof paths.lwk, "%s/lwk/lwk.elf", b);
	snprintf(paths.dsvd, sizeof paths.dsvd, "%s/dsvd/dsvd", b);
	snprintf(paths.workloads, sizeof paths.workloads, "%s/bench/workloads", b);
	x.cfg = &cfg;
	x.paths = &paths;
	cfg.hogs = 1;
	snprintf(cfg.run_id, sizeof cfg.run_id, "ix%d", (int)getpid());
	printf("run_id %s\n", cfg.run_id);
	ix_signals_install();
	snprintf(x.tmp, sizeof x.tmp, "/tmp/dsv-%s.XXXXXX", cfg.run_id);
	if (!mkdtemp(x.tmp))
		return 1;
	char err[2048];
	int rc = 1;
	if (ix_virt_open(err, sizeof err) < 0 ||
	    ix_dsvd_start(&x.dsvd, &paths, x.tmp, NULL, err, sizeof err) < 0) {
		printf("setup_failed %s\n", err);
		goto out;
	}
	struct ix_hogs h;
	struct ix_sample s = { 0 };
	/* single-stack: no partition, as on this host the HPC side cannot run */
	if (ix_start_hogs(&x, SCN_SINGLE, HOG_IMAGE, 0, &h, &s) < 0) {
		printf("start_failed %s\n", s.note);
		goto out;
	}
	printf("started %s %s\n", h.vm[0], h.dom[0]);
	char token[128];
	ix_hog_token(h.vm[0], token, sizeof token);
	printf("console_token %s\n",
	       ix_dsvd_console_has(&x.dsvd, h.vm[0], token) == 1 ? "yes" : "no");
	printf("alive %s\n", ix_hogs_alive(&h, &s) ? "yes" : "no");
	char vm[64];
	snprintf(vm, sizeof vm, "%s", h.vm[0]);
	char dom[64];
	snprintf(dom, sizeof dom, "%s", h.dom[0]);
	ix_stop_hogs(&x, &h);
	printf("domain_gone %s\n", ix_virt_cputime(dom) < 0 ? "yes" : "no");
	printf("files_left %d\n", vm_files_left(x.dsvd.state, vm));
	rc = 0;
out:
	ix_cleanup_all();
	ix_virt_close();
	char cmd[IX_PATH + 16];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", x.tmp);
	if (system(cmd) != 0)
		printf("tmp_left %s\n", x.tmp);
	return rc;
}
