/* One HPC virtual machine: its KVM handles, memory, vCPUs and their outcome. */
#ifndef HVMM_VM_H
#define HVMM_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "console.h"
#include "elf_loader.h"
#include "guest_mem.h"
#include "hc_ring.h"
#include "hypercall_dispatch.h"
#include "image_file.h"
#include "options.h"
#include "platform.h"
#include "shm_slots.h"
#include "stats.h"

struct vm;

struct vcpu {
	struct vm *vm;
	int index;
	int host_cpu;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	int started;
	char setup_err[256]; /* non-empty: setup failed */
	struct vcpu_stats st;
};

struct vm {
	const struct hvmm_opts *opts;
	const struct platform *plat;
	int kvm_fd, vm_fd;
	size_t run_size;
	struct guest_mem mem;
	struct image_file kernel_img; /* read before guest memory exists, freed once copied */
	struct image_file prog_img;
	char prog_path[4096]; /* the program's canonical path */
	struct elf_image kernel;
	uint64_t entry;
	uint64_t cr3;
	uint64_t tsc_khz;
	struct kvm_cpuid2 *cpuid;
	uint64_t xcr0; /* 0: leave XCR0 alone */
	int xsave;
	int nvcpus;
	int cpus[DSV_MAX_VCPUS];
	int hk_cpus[DSV_MAX_VCPUS + 64];
	int nhk_cpus;
	struct vcpu vcpu[DSV_MAX_VCPUS];
	struct console con;
	struct fileio *fio;
	struct hc_ctx hc;
	struct hc_async async; /* DSV_HC_SUBMIT's workers */
	struct shm_slots shm;  /* DSV_HC_MMAP_SHARED's mappings */
	int shm_on;
	pthread_t async_thread[DSV_HC_ASYNC_MAX];
	unsigned nasync;
	int offload_ring;	/* --offload resolved: the lwk's calls go through the ring */
	struct hc_ring ring;	/* the offload ring's consumer (hc_ring.c) */
	pthread_t proxy_thread; /* polls it (hc_proxy.c) */
	int proxy_started;
	int doorbell_efd;	  /* ioeventfd on DSV_RING_DOORBELL_PORT; -1 without the ring */
	int vcpu_cg_fd, hk_cg_fd; /* --vcpu-cgroup, --housekeeping-cgroup; -1 = none */
	int notify_efd;		  /* ioeventfd on DSV_NOTIFY_PORT */
	int exit_efd;		  /* signalled when the VM is to end */

	pthread_barrier_t ready; /* vCPUs set up */
	pthread_barrier_t go;	 /* boot info written, start running */
	atomic_int abort_start;

	pthread_mutex_t exit_lock;
	atomic_int exiting;
	int exit_code;
	char exit_reason[320];

	struct vm_times times;
};

/* Builds and runs the VM described by opts. Returns hvmm's exit status. */
int vm_run(const struct hvmm_opts *opts);

/* Ends the VM (first caller wins): stops every vCPU, records code and reason. */
void vm_request_exit(struct vm *vm, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* vcpu.c */
void *vcpu_thread(void *arg);
int vcpu_kick_signal_init(void);
void vcpu_dump_regs(struct vcpu *v);

#endif
