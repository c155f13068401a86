/* The agent's state and operations, independent of HTTP: the partition, the VMs, admission,
 * persistence under the state directory, and re-adoption after a restart. */
#ifndef DSVD_AGENT_H
#define DSVD_AGENT_H

#include <stdbool.h>
#include <sys/types.h>

#include "admission.h"
#include "agent_config.h"
#include "caller.h"
#include "api_error.h"
#include "events.h"
#include "commodity_vm.h"
#include "host_topology.h"
#include "hostfs.h"
#include "node_config.h"
#include "node_lock.h"
#include "partition.h"
#include "vm_record.h"

struct agent_options {
	const char *state_dir;
	const char *socket_path;
	const char *config_path;
	const char *hvmm_path;
	const char *default_kernel; /* commodity guests without a kernel */
	const char *libvirt_uri;
	const char *socket_group;  /* NULL: root only */
	const char *host_root;	   /* NULL: $DSV_HOST_ROOT or the real host */
	unsigned overcommit_ratio; /* 0: from the config file, else the default */
	bool no_apply_config;	   /* do not apply the config file's partition at start */
	uint64_t shm_group_mib;	   /* each shm_group's tmpfs; 0: SHM_MOUNT_MIB_DEFAULT */
};

struct agent {
	struct agent_options opts;
	char state_dir[512];
	char partition_path[600];
	char hugetlbfs_dir[600]; /* STATE_DIR/hugepages: the HPC partition's hugetlbfs */
	struct hostfs fs;
	struct node_lock lock; /* held while this agent's partition is applied */
	struct host_topology topo;
	struct partition_state partition;
	unsigned overcommit_ratio;
	uint64_t mem_total_mib;
	gid_t socket_gid;
	bool has_socket_gid;
	struct vm *vms;
	struct commodity_conn *virt;
	const char *fail_after;	    /* $DSV_PARTITION_FAIL_AT, for rollback tests */
	unsigned adopted;	    /* VMs re-adopted at start */
	struct agent_config config; /* share roots, console cap (node.json) */
	char state_real[4096];	    /* the state directory, resolved: no share may reach it */
	struct caller caller;	    /* who makes the request being handled (one at a time); the VMs
                             * it creates run with these rights */
	struct event_log *events;   /* what changed, for GET /events (events.h) */
};

/* What the host keeps when the HPC partition takes memory: the larger of these. */
#define AGENT_HOST_MEM_MIB_MIN 1024
#define AGENT_HOST_MEM_PERCENT 10

int agent_init(struct agent *a, const struct agent_options *opts, char *err, size_t errlen);
void agent_fini(struct agent *a);

/* Brings every VM's state up to date (exits, thread placement) and saves what changed. */
void agent_reconcile(struct agent *a);

struct vm *agent_find(struct agent *a, const char *name);
/* Validated spec in, running VM out (owned by the agent). The spec is moved into the VM. */
struct vm *agent_create_vm(struct agent *a, struct vm_spec *spec, struct api_error *err);
/* Stops and forgets a VM; only its owner, root or dsvd's own user may (403 otherwise). */
int agent_delete_vm(struct agent *a, const char *name, struct api_error *err);
/* Whether the caller may act on the VM or read its console: its owner, root or dsvd's user. */
int agent_check_owner(const struct agent *a, const struct vm *vm, struct api_error *err);
/* Commodity VMs: the ACPI power button, destroyed after timeout_s if still running. */
int agent_shutdown_vm(struct agent *a, const char *name, unsigned timeout_s, struct api_error *err);
int agent_reboot_vm(struct agent *a, const char *name, struct api_error *err);

/* Applies a partition (idempotent: the same one again is a no-op, *changed false). */
int agent_partition(struct agent *a, const struct node_config *cfg, bool *changed,
		    struct api_error *err);
int agent_release(struct agent *a, struct api_error *err);
/* Changes the applied partition live (agent_repartition.c): cfg's fields replace the applied
 * ones. dry_run: *plan gets what would change and nothing does. *changed false when the split
 * is the applied one. 409 naming the VMs and CPUs when running VMs are in the way. */
int agent_repartition(struct agent *a, const struct node_config *cfg, bool dry_run, json_t **plan,
		      bool *changed, struct api_error *err);

/* For the partition code: its context, the host memory the host keeps (400 on hpc_mem_mib),
 * and dsvd itself on the housekeeping CPUs. */
struct partition_ctx agent_partition_ctx(const struct agent *a);
int agent_check_host_memory(const struct agent *a, const struct partition_spec *spec,
			    struct api_error *err);
void agent_pin_self_to_housekeeping(const struct agent *a);

void agent_hpc_pool(const struct agent *a, struct hpc_pool *p);
/* For the stacks (stack.h): writes the VM's record; how hvmm is started on this node. */
void agent_save_vm(const struct agent *a, const struct vm *vm);
struct hpc_launch;
void agent_hpc_launch(const struct agent *a, struct hpc_launch *l);
void agent_commodity_pool(const struct agent *a, struct commodity_pool *p);

#endif
