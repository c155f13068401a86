/*
 * dsv.so, the SPANK plugin: `srun --dsv-hpc[=OPTIONS] PROGRAM` runs each task of the step as
 * an HPC VM (hvmm) on the CPUs Slurm gave the task. See docs/slurm.md and launcher.h.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "hpc_options.h"
#include "launcher.h"
#include "step_shm.h"

SPANK_PLUGIN(dsv, 1);

static int requested;
static char option_text[4096];
static struct plugin_config config;
static struct launcher launcher = { .pid = -1, .sock = -1 };
static char launch_error[1024]; /* from the privileged hook, reported where stderr is the job's */
/* The step's /dev/shm on this node (step_shm.h), made before the tasks are forked */
static char step_shm[PATH_MAX], step_shm_error[1024];
static uint32_t shm_ids[3]; /* job, step, this node's index in the step */

static int option_cb(int val, const char *optarg, int remote)
{
	struct hpc_options o;
	char err[512];

	(void)val;
	(void)remote;
	if (hpc_options_parse(optarg, &o, err, sizeof(err))) {
		slurm_error("%s", err);
		return -1;
	}
	if (optarg && strlen(optarg) >= sizeof(option_text)) {
		slurm_error("--dsv-hpc: the options are longer than %zu bytes",
			    sizeof(option_text) - 1);
		return -1;
	}
	snprintf(option_text, sizeof(option_text), "%s", optarg ? optarg : "");
	requested = 1;
	return 0;
}

static struct spank_option hpc_option = {
	"dsv-hpc",
	"[mem=SIZE,share=DIR,hugepages=auto|on|off]",
	"run each task as an HPC VM (hvmm) on dsv's HPC partition; mem: guest RAM per task, "
	"share: the directory the program sees (default: the working directory)",
	2,
	0,
	option_cb,
};

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	char err[512];

	if (spank_option_register(sp, &hpc_option) != ESPANK_SUCCESS) {
		slurm_error("dsv: cannot register --dsv-hpc");
		return -1;
	}
	if (spank_remote(sp) && plugin_config_parse(ac, av, &config, err, sizeof(err))) {
		slurm_error("%s", err);
		return -1;
	}
	return 0;
}

/* Only the tasks of ordinary steps: the batch script and the extern step stay native. */
static int wraps_this_step(spank_t sp)
{
	uint32_t step;

	if (!requested || !spank_remote(sp))
		return 0;
	if (spank_get_item(sp, S_JOB_STEPID, &step) != ESPANK_SUCCESS)
		return 0;
	return step <= SLURM_MAX_NORMAL_STEP_ID;
}

/* In slurmstepd, as root, once per step before its tasks: the step's /dev/shm. */
int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	uid_t uid;
	gid_t gid;

	(void)ac;
	(void)av;
	if (!wraps_this_step(sp))
		return 0;
	if (spank_get_item(sp, S_JOB_ID, &shm_ids[0]) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_STEPID, &shm_ids[1]) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_NODEID, &shm_ids[2]) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
		snprintf(step_shm_error, sizeof(step_shm_error),
			 "cannot read the job's ids and user for its /dev/shm");
		return 0;
	}
	if (step_shm_create(config.shm_root, shm_ids, config.shm_mib, uid, gid, step_shm,
			    sizeof(step_shm), step_shm_error, sizeof(step_shm_error))) {
		step_shm[0] = '\0';
		slurm_error("dsv: %s", step_shm_error);
	}
	return 0; /* each task reports the error where the job sees it */
}

/* In slurmstepd, as root, when the step ends: its /dev/shm goes with what is in it. */
int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	char err[1024];

	(void)ac;
	(void)av;
	if (!spank_remote(sp) || !step_shm[0])
		return 0;
	if (step_shm_remove(config.shm_root, shm_ids, err, sizeof(err)))
		slurm_error("dsv: %s", err);
	step_shm[0] = '\0';
	return 0;
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	struct launcher_identity id = { 0 };
	gid_t *groups = NULL;
	int ngroups = 0;

	(void)ac;
	(void)av;
	launch_error[0] = '\0';
	if (!wraps_this_step(sp))
		return 0;
	if (step_shm_error[0]) {
		snprintf(launch_error, sizeof(launch_error), "%s", step_shm_error);
		return 0;
	}
	if (spank_get_item(sp, S_JOB_UID, &id.uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &id.gid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &groups, &ngroups) != ESPANK_SUCCESS) {
		snprintf(launch_error, sizeof(launch_error),
			 "cannot read the job's user and groups");
		return 0;
	}
	if (ngroups > LAUNCHER_MAX_GROUPS) {
		snprintf(launch_error, sizeof(launch_error),
			 "the job's user has %d groups; hvmm "
			 "takes at most %d",
			 ngroups, LAUNCHER_MAX_GROUPS);
		return 0;
	}
	for (int i = 0; i < ngroups; i++)
		id.groups[i] = groups[i];
	id.ngroups = ngroups;
	launcher_start(&launcher, &id, &config, step_shm, launch_error, sizeof(launch_error));
	return 0;
}

/* The CPUs Slurm bound this task to, as a list ("2-3"). */
static int task_cpus(char *buf, size_t len)
{
	cpu_set_t set;
	size_t off = 0;

	if (sched_getaffinity(0, sizeof(set), &set))
		return -1;
	buf[0] = '\0';
	for (int c = 0; c < CPU_SETSIZE && off + 12 < len; c++)
		if (CPU_ISSET(c, &set))
			off += (size_t)snprintf(buf + off, len - off, "%s%d", off ? "," : "", c);
	return buf[0] ? 0 : -1;
}

static int report(const char *what)
{
	dprintf(STDERR_FILENO, "dsv: cannot start the HPC VM: %s\n", what);
	slurm_error("dsv: cannot start the HPC VM: %s", what);
	return -1;
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	static char cpus[16384], cwd[PATH_MAX];
	struct launch_request r = { .options = option_text, .cpus = cpus, .cwd = cwd };
	char err[1024], pmi[16];
	int pmi_fd = -1;

	(void)ac;
	(void)av;
	if (!wraps_this_step(sp))
		return 0;
	if (launch_error[0] || launcher.pid < 0)
		return report(launch_error[0] ? launch_error : "no launcher");
	if (spank_get_item(sp, S_JOB_ARGV, &r.argc, &r.argv) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_ENV, &r.env) != ESPANK_SUCCESS)
		return report("cannot read the task's command and environment");
	for (r.envc = 0; r.env && r.env[r.envc]; r.envc++)
		;
	if (task_cpus(cpus, sizeof(cpus)))
		return report("cannot read the task's CPUs");
	if (!getcwd(cwd, sizeof(cwd)))
		return report("cannot read the task's working directory");
	if (spank_getenv(sp, "PMI_FD", pmi, sizeof(pmi)) == ESPANK_SUCCESS) {
		char *end;
		long v = strtol(pmi, &end, 10);

		if (!*end && end != pmi && v > 2 && v < 65536)
			pmi_fd = (int)v;
	}
	launcher_run_task(&launcher, &r, pmi_fd, err, sizeof(err));
	return report(err);
}
