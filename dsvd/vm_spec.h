/* A VM as a client asks for it (POST /vms), parsed and validated without touching the host. */
#ifndef DSVD_VM_SPEC_H
#define DSVD_VM_SPEC_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api_error.h"
#include "dsv/hvmm_cli.h"
#include "vm_env.h"

#define VM_NAME_MAX 48
#define VM_PATH_MAX 4096
#define VM_CMDLINE_MAX 4096
#define VM_ARGV_MAX 64
#define VM_VCPUS_MAX 256
#define VM_HPC_MEM_MIB_MIN HVMM_MEM_MIN_MIB
#define VM_MEM_MIB_MAX (1024 * 1024) /* 1 TiB: anything above is absurd for one VM */
#define VM_NETWORK_MAX 64
#define VM_USER_DATA_MAX (32 * 1024) /* NoCloud has no limit; EC2 takes 16 KiB */
#define VM_META_DATA_MAX 4096
#define VM_DOMAIN_XML_MAX (48 * 1024)
#define VM_SHM_GROUP_MAX 64 /* a directory name under STATE_DIR/shm/ (shm_group.h) */

enum vm_stack {
	VM_STACK_HPC,
	VM_STACK_COMMODITY
};

struct vm_spec {
	char name[VM_NAME_MAX + 1];
	enum vm_stack stack;
	unsigned vcpus;
	uint64_t mem_mib;
	char *kernel; /* NULL: the default guest */
	char *initrd; /* commodity only */
	char *cmdline;
	char *share;   /* hpc only */
	bool net_host; /* hpc only: IP sockets in dsvd's network namespace (hvmm --net host) */
	/* hpc only: the owner's VMs that name the same group share one /dev/shm (hvmm --shm);
	 * "": none */
	char shm_group[VM_SHM_GROUP_MAX + 1];
	char *argv[VM_ARGV_MAX + 1]; /* program and arguments, NULL-terminated */
	unsigned argc;
	struct vm_env env;	/* hpc only: the program's environment (vm_env.h) */
	unsigned cpu_quota_pct; /* commodity only: each vCPU's share of a CPU, 1-100; 0: no cap */
	/* commodity only: an ordinary cloud VM from a disk image (docs/commodity.md) */
	char *image;	  /* qcow2 or raw; the VM runs on a copy-on-write overlay of it */
	char *network;	  /* a libvirt network; NULL: dsvd's own NAT network */
	char *user_data;  /* cloud-init NoCloud user-data; NULL: no seed */
	char *meta_data;  /* NULL: instance-id and local-hostname from the name */
	char *domain_xml; /* an operator's libvirt domain XML; dsvd adds only placement */
};

const char *vm_stack_name(enum vm_stack s);
/* 0 when name is safe as a file name and a libvirt domain name, else -1 with a reason. */
int vm_name_check(const char *name, char *why, size_t whylen);
/* 0 when name is a shared-memory group's name: 1 to VM_SHM_GROUP_MAX of [A-Za-z0-9._-], not
 * "." or ".." (it names a directory); else -1 with a reason. */
int vm_shm_group_check(const char *name, char *why, size_t whylen);

/* Parses and validates a create request body. On success *spec owns its strings. */
int vm_spec_parse(const char *body, size_t len, struct vm_spec *spec, struct api_error *err);
/* Same, from an already parsed object (used when reloading records). */
int vm_spec_from_json(const json_t *obj, struct vm_spec *spec, struct api_error *err);
json_t *vm_spec_to_json(const struct vm_spec *spec);
void vm_spec_free(struct vm_spec *spec);

#endif
