/*
 * The product path: the runner drives VMs through dsvd. By default it starts its own dsvd on
 * a temporary socket and state directory (as dsvd's integration tests do) and stops it at
 * the end; --socket uses a running one instead. HTTP goes through the CLI's client
 * (common/http_client.c, shared with the CLI), bodies are built and read with jansson.
 */
#include "interference.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "http_client.h"

static int call(struct ix_dsvd *d, const char *method, const char *path, const char *body,
		int *status, json_t **out, char *err, size_t errlen)
{
	struct http_reply r;
	char why[512];
	if (http_request(d->sock, method, path, body, &r, why, sizeof why) < 0) {
		snprintf(err, errlen, "dsvd at %s: %s", d->sock, why);
		return -1;
	}
	*status = r.status;
	if (out)
		*out = json_loadb(r.body, r.len, JSON_DECODE_ANY, NULL);
	if (r.status >= 300) {
		json_t *j = json_loadb(r.body, r.len, 0, NULL);
		const char *m = j ? json_string_value(json_object_get(j, "error")) : NULL;
		snprintf(err, errlen, "%s %s: HTTP %d: %s", method, path, r.status, m ? m : r.body);
		json_decref(j);
	}
	http_reply_free(&r);
	return 0;
}

static void stop_cb(void *arg)
{
	ix_dsvd_stop(arg);
}

static bool answers(struct ix_dsvd *d)
{
	int st;
	char err[256];
	return call(d, "GET", "/node", NULL, &st, NULL, err, sizeof err) == 0 && st == 200;
}

int ix_dsvd_start(struct ix_dsvd *d, const struct ix_paths *p, const char *tmpdir,
		  const char *existing, char *err, size_t errlen)
{
	if (existing) {
		snprintf(d->sock, sizeof d->sock, "%s", existing);
		d->pid = 0;
		if (!answers(d)) {
			snprintf(err, errlen, "no dsvd answers on %s", existing);
			return -1;
		}
		return 0;
	}
	snprintf(d->sock, sizeof d->sock, "%s/dsvd.sock", tmpdir);
	snprintf(d->state, sizeof d->state, "%s/state", tmpdir);
	snprintf(d->log, sizeof d->log, "%s/dsvd.log", tmpdir);
	char config[IX_PATH + 16];
	snprintf(config, sizeof config, "%s/no-node.json", tmpdir);
	if (mkdir(d->state, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", d->state, strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* its own process group: a Ctrl-C at the terminal must not stop dsvd before the
		 * runner has deleted its VMs through it */
		setpgid(0, 0);
		int fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		int nul = open("/dev/null", O_RDONLY);
		if (nul >= 0)
			dup2(nul, 0);
		execl(p->dsvd, p->dsvd, "--socket", d->sock, "--state-dir", d->state, "--config",
		      config, "--no-apply-config", "--hvmm", p->hvmm, "--default-kernel", p->lwk,
		      (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", p->dsvd, strerror(errno));
		_exit(127);
	}
	d->pid = pid;
	d->cleanup = ix_cleanup_push(stop_cb, d, "stop our dsvd");
	for (double t0 = ix_now(); ix_now() - t0 < 15;) {
		if (answers(d))
			return 0;
		int st;
		if (waitpid(pid, &st, WNOHANG) == pid) {
			d->pid = 0;
			ix_cleanup_pop(d->cleanup, false);
			snprintf(err, errlen, "dsvd exited at start (status %d); see %s",
				 WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st), d->log);
			return -1;
		}
		if (!ix_sleep(0.05))
			break;
	}
	snprintf(err, errlen, "dsvd did not answer on %s; see %s", d->sock, d->log);
	return -1;
}

void ix_dsvd_stop(struct ix_dsvd *d)
{
	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM); /* our own child */
	int st;
	for (int i = 0; i < 100; i++) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			return;
		}
		struct timespec ts = { 0, 50000000 };
		nanosleep(&ts, NULL);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
}

int ix_dsvd_partitioned(struct ix_dsvd *d, char *err, size_t errlen)
{
	int st;
	json_t *j = NULL;
	if (call(d, "GET", "/node/partition", NULL, &st, &j, err, errlen) < 0 || st != 200) {
		json_decref(j);
		return -1;
	}
	int r = j && json_is_object(j) && json_is_true(json_object_get(j, "active"));
	json_decref(j);
	return r;
}

static int do_release(struct ix_dsvd *d, char *err, size_t errlen)
{
	int st = 0;
	if (call(d, "DELETE", "/node/partition", NULL, &st, NULL, err, errlen) < 0)
		return -1;
	if (st != 200 && !(st == 409 && strstr(err, "not partitioned")))
		return -1;
	d->partitioned = false;
	return 0;
}

static void release_cb(void *arg)
{
	char err[512];
	if (do_release(arg, err, sizeof err) < 0)
		fprintf(stderr, "interference: release failed: %s\n", err);
}

int ix_dsvd_partition(struct ix_dsvd *d, const struct ix_cfg *c, char *err, size_t errlen)
{
	int ratio = (c->hogs + c->ncomm - 1) / (c->ncomm ? c->ncomm : 1);
	if (ratio < 4)
		ratio = 4;
	if (ratio > 64)
		ratio = 64;
	json_t *b = json_pack("{s:s, s:s, s:s, s:i, s:i}", "hpc_cpus", c->hpc_list,
			      "housekeeping_cpus", c->hk_list, "commodity_cpus", c->comm_list,
			      "hpc_mem_mib", c->part_mem_mib, "overcommit_ratio", ratio);
	char *body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	int st = 0;
	/* registered before the call: an interrupted apply is released (or rolled back) too */
	d->partitioned = true;
	int h = ix_cleanup_push(release_cb, d, "release the node partition");
	int r = call(d, "PUT", "/node/partition", body, &st, NULL, err, errlen);
	free(body);
	if (r < 0 || st != 200) {
		ix_cleanup_pop(h, false);
		d->partitioned = false;
		return -1;
	}
	d->part_cleanup = h;
	return 0;
}

int ix_dsvd_release(struct ix_dsvd *d, char *err, size_t errlen)
{
	if (!d->partitioned)
		return 0;
	if (do_release(d, err, errlen) < 0)
		return -1; /* stays on the cleanup list: tried again at exit */
	ix_cleanup_pop(d->part_cleanup, false);
	return 0;
}

struct vm_item {
	struct ix_dsvd *d;
	char name[64];
	int handle;
};
static struct vm_item *vms[IX_MAX_HOGS + 8];

static void delete_cb(void *arg)
{
	struct vm_item *v = arg;
	int st;
	char err[512], path[128];
	snprintf(path, sizeof path, "/vms/%s", v->name);
	if (call(v->d, "DELETE", path, NULL, &st, NULL, err, sizeof err) < 0 ||
	    (st != 200 && st != 404)) {
		fprintf(stderr,
			"interference: dsvd could not delete %s (%s); destroying its "
			"domain directly\n",
			v->name, err);
		ix_virt_destroy_tagged(v->name);
	}
	for (size_t i = 0; i < sizeof vms / sizeof vms[0]; i++)
		if (vms[i] == v)
			vms[i] = NULL;
	free(v);
}

int ix_dsvd_create(struct ix_dsvd *d, const char *name, const char *body, char *err, size_t errlen)
{
	size_t slot = 0;
	while (slot < sizeof vms / sizeof vms[0] && vms[slot])
		slot++;
	struct vm_item *v = calloc(1, sizeof *v);
	if (!v || slot == sizeof vms / sizeof vms[0]) {
		free(v);
		snprintf(err, errlen, "too many VMs");
		return -1;
	}
	v->d = d;
	snprintf(v->name, sizeof v->name, "%s", name);
	char what[96];
	snprintf(what, sizeof what, "delete VM %s", name);
	v->handle = ix_cleanup_push(delete_cb, v, what);
	vms[slot] = v;
	int st = 0;
	if (call(d, "POST", "/vms", body, &st, NULL, err, errlen) < 0 || st != 201) {
		ix_cleanup_pop(v->handle, true); /* a half-made VM is deleted too */
		return -1;
	}
	return 0;
}

int ix_dsvd_delete(struct ix_dsvd *d, const char *name)
{
	(void)d;
	for (size_t i = 0; i < sizeof vms / sizeof vms[0]; i++)
		if (vms[i] && !strcmp(vms[i]->name, name)) {
			ix_cleanup_pop(vms[i]->handle, true);
			return 0;
		}
	return -1;
}

int ix_dsvd_vm(struct ix_dsvd *d, const char *name, char *state, size_t slen, int *exit_code,
	       char *console, size_t clen, int *pid)
{
	int st;
	json_t *j = NULL;
	char err[512], path[128];
	snprintf(path, sizeof path, "/vms/%s", name);
	if (call(d, "GET", path, NULL, &st, &j, err, sizeof err) < 0 || st != 200 || !j) {
		json_decref(j);
		return -1;
	}
	const char *s = json_string_value(json_object_get(j, "state"));
	const char *con = json_string_value(json_object_get(j, "console"));
	json_t *ec = json_object_get(j, "exit_code");
	snprintf(state, slen, "%s", s ? s : "?");
	snprintf(console, clen, "%s", con ? con : "");
	*exit_code = json_is_integer(ec) ? (int)json_integer_value(ec) : -1;
	json_t *jp = json_object_get(j, "pid");
	*pid = json_is_integer(jp) ? (int)json_integer_value(jp) : 0;
	json_decref(j);
	return 0;
}

int ix_dsvd_hpc_cgroup(struct ix_dsvd *d, char *err, size_t errlen)
{
	int st;
	json_t *j = NULL;
	d->hpc_tasks[0] = 0;
	if (call(d, "GET", "/node/partition", NULL, &st, &j, err, errlen) < 0 || st != 200) {
		json_decref(j);
		return -1;
	}
	const char *dir = json_string_value(json_object_get(json_object_get(j, "cgroups"), "hpc"));
	const char *mode = json_string_value(json_object_get(j, "cgroup_mode"));
	if (dir)
		snprintf(d->hpc_tasks, sizeof d->hpc_tasks, "%s/%s", dir,
			 mode && !strcmp(mode, "v1") ? "tasks" : "cgroup.procs");
	else
		snprintf(err, errlen, "dsvd reports no HPC cgroup");
	json_decref(j);
	return dir ? 0 : -1;
}

int ix_dsvd_console_has(struct ix_dsvd *d, const char *name, const char *text)
{
	struct http_reply r;
	char why[512], path[128];
	snprintf(path, sizeof path, "/vms/%s/console", name);
	if (http_request(d->sock, "GET", path, NULL, &r, why, sizeof why) < 0)
		return -1;
	int found =
		r.status == 200 ? r.body && memmem(r.body, r.len, text, strlen(text)) != NULL : -1;
	http_reply_free(&r);
	return found;
}
