/* VM life cycle: set up everything before the first guest instruction, run, tear down. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "guest_boot.h"
#include "cgroup_join.h"
#include "cpulist.h"
#include "credentials.h"
#include "dsv/hypercall.h"
#include "dsv_config.h"
#include "dsv/hvmm_cli.h"
#include "file_offload.h"
#include "hc_proxy.h"
#include "image_file.h"
#include "launch_report.h"
#include "log.h"
#include "privileges.h"
#include "seccomp_filter.h"
#include "share_limits.h"
#include "vm_setup.h"

void vm_request_exit(struct vm *vm, int code, const char *fmt, ...)
{
	va_list ap;
	uint64_t one = 1;

	pthread_mutex_lock(&vm->exit_lock);
	if (atomic_load(&vm->exiting)) {
		pthread_mutex_unlock(&vm->exit_lock);
		return;
	}
	vm->exit_code = code;
	va_start(ap, fmt);
	vsnprintf(vm->exit_reason, sizeof(vm->exit_reason), fmt, ap);
	va_end(ap);
	vm->times.ns_exit = now_ns();
	atomic_store(&vm->exiting, 1);
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		if (v->run)
			v->run->immediate_exit = 1;
		if (v->started && !pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, SIGUSR1);
	}
	pthread_mutex_unlock(&vm->exit_lock);
	if (write(vm->exit_efd, &one, sizeof(one)) < 0)
		log_warn("cannot wake the housekeeping thread: %s", strerror(errno));
}

static int start_vcpus(struct vm *vm, char *err, size_t errlen)
{
	pthread_barrier_init(&vm->ready, NULL, (unsigned)vm->nvcpus + 1);
	pthread_barrier_init(&vm->go, NULL, (unsigned)vm->nvcpus + 1);
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];
		pthread_attr_t attr;
		cpu_set_t set;
		int rc;

		v->vm = vm;
		v->index = i;
		v->host_cpu = vm->cpus[i];
		v->fd = -1;
		CPU_ZERO(&set);
		CPU_SET(v->host_cpu, &set);
		pthread_attr_init(&attr);
		/* Pinned before it exists: the vCPU never runs anywhere else. */
		pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
		pthread_attr_setstacksize(&attr, 256 << 10);
		rc = pthread_create(&v->thread, &attr, vcpu_thread, v);
		pthread_attr_destroy(&attr);
		if (rc) {
			snprintf(err, errlen, "cannot start vCPU thread %d pinned to CPU %d: %s%s",
				 i, v->host_cpu, strerror(rc),
				 rc == EINVAL ? " (the CPU is no longer available to hvmm: was its "
						"cpuset changed?)"
					      : "");
			/* The threads already started wait on the barrier forever; hvmm exits. */
			for (int j = 0; j < i; j++)
				vm->vcpu[j].started = 0;
			return -1;
		}
		v->started = 1;
	}
	return 0;
}

/* The completion interrupt of an asynchronous call: an MSI to the vCPU's local APIC
 * (fixed delivery, edge, physical destination). */
static int async_wake(void *opaque, uint32_t apic_id, uint32_t vector)
{
	struct vm *vm = opaque;
	struct kvm_msi msi = {
		.address_lo = 0xfee00000u | (apic_id << 12),
		.data = vector,
	};

	return ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

static void *offload_thread(void *arg)
{
	struct vm *vm = arg;
	char err[256];

	if (sec_install(vm->opts, SEC_THREAD_OFFLOAD, -1, err, sizeof(err))) {
		/* One worker fewer: its calls are made synchronously instead. */
		log_warn("offload worker not started: %s", err);
		return NULL;
	}
	hc_async_run(&vm->async);
	return NULL;
}

static void *proxy_thread(void *arg)
{
	struct vm *vm = arg;
	char err[256];

	if (sec_install(vm->opts, SEC_THREAD_PROXY, -1, err, sizeof(err))) {
		/* Nobody polls the ring: end the VM rather than leave its calls unanswered. */
		vm_request_exit(vm, HVMM_EXIT_SETUP, "offload proxy not started: %s", err);
		return NULL;
	}
	hc_proxy_run(&vm->ring, vm->doorbell_efd, vm->exit_efd, &vm->exiting);
	return NULL;
}

/* The offload ring's proxy, born like the workers below; without it, the lwk's DSV_HC_RING
 * is answered -ENOSYS and its calls exit. */
static void start_offload_proxy(struct vm *vm)
{
	pthread_attr_t attr;
	int rc;

	if (!vm->offload_ring)
		return;
	hc_ring_init(&vm->ring, &vm->mem, vm->fio, vm->nasync ? &vm->async : NULL,
		     (uint32_t)vm->nvcpus, async_wake, vm, vm->doorbell_efd);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 << 10);
	rc = pthread_create(&vm->proxy_thread, &attr, proxy_thread, vm);
	pthread_attr_destroy(&attr);
	if (rc) {
		log_warn("offload proxy not started (calls exit instead): %s", strerror(rc));
		return;
	}
	vm->proxy_started = 1;
	vm->hc.ring = &vm->ring;
}

/*
 * DSV_HC_SUBMIT's workers, born from the housekeeping thread (its CPUs and cgroup) before
 * its own seccomp filter, which they would otherwise inherit. Too few is not fatal: a
 * call no worker can take is made synchronously.
 */
static void start_offload_workers(struct vm *vm)
{
	hc_async_init(&vm->async, vm->fio, &vm->mem, (uint32_t)vm->nvcpus, async_wake, vm);
	if (!vm->fio)
		return;
	for (unsigned i = 0; i < DSV_HC_ASYNC_MAX; i++) {
		pthread_attr_t attr;
		int rc;

		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 256 << 10);
		rc = pthread_create(&vm->async_thread[i], &attr, offload_thread, vm);
		pthread_attr_destroy(&attr);
		if (rc) {
			log_warn("offload worker %u not started: %s", i, strerror(rc));
			break;
		}
		vm->nasync++;
	}
	vm->hc.async = &vm->async;
}

/* The housekeeping loop: console ring, signals, and waiting for the end. */
static void housekeeping(struct vm *vm, int sig_fd)
{
	struct pollfd pfd[3] = {
		{ .fd = vm->notify_efd, .events = POLLIN },
		{ .fd = vm->exit_efd, .events = POLLIN },
		{ .fd = sig_fd, .events = POLLIN },
	};

	while (!atomic_load(&vm->exiting)) {
		uint64_t cnt;

		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			if (read(vm->notify_efd, &cnt, sizeof(cnt)) < 0 && errno != EAGAIN)
				log_warn("notify eventfd: %s", strerror(errno));
			console_ring_drain(&vm->con, &vm->mem);
		}
		if (pfd[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				vm_request_exit(vm, 128 + (int)si.ssi_signo, "stopped by signal %u",
						si.ssi_signo);
		}
	}
}

/* The images and the share, opened with the VM user's rights (credentials.h). */
static int open_user_files(struct vm *vm, char *err, size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	char sub[320];
	int rc;

	if (cred_fs_enter(o, err, errlen))
		return -1;
	rc = vm_read_images(vm, err, errlen);
	if (!rc && fileio_create(&vm->fio, o->share, sub, sizeof(sub))) {
		snprintf(err, errlen, "%s", sub);
		rc = -1;
	}
	if (!rc)
		fileio_set_net(vm->fio, o->net_host);
	if (!rc && o->shm && fileio_set_shm(vm->fio, o->shm, sub, sizeof(sub))) {
		snprintf(err, errlen, "%s", sub);
		rc = -1;
	}
	if (!rc && o->prog_argc > 0) {
		const char *slash = strrchr(o->prog_argv[0], '/');
		struct fileio_view_spec vs = {
			.nvcpus = vm->nvcpus,
			.mem_bytes = o->mem,
			.name = slash ? slash + 1 : o->prog_argv[0],
			.net_host = o->net_host,
		};
		if (fileio_make_view(vm->fio, &vs, sub, sizeof(sub))) {
			snprintf(err, errlen, "%s", sub);
			rc = -1;
		}
	}
	for (int i = 0; !rc && i < o->ninherit; i++)
		if (fileio_inherit(vm->fio, o->inherit_fds[i], sub, sizeof(sub))) {
			snprintf(err, errlen, "%s", sub);
			rc = -1;
		}
	if (cred_fs_leave(o, sub, sizeof(sub))) {
		snprintf(err, errlen, "%s", sub);
		rc = -1;
	}
	return rc;
}

/* Opened now: the jail and the privilege drop come later, the threads enter later still. */
static int open_thread_cgroups(struct vm *vm, char *err, size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	char sub[256];

	if (o->vcpu_cgroup &&
	    (vm->vcpu_cg_fd = cgroup_open_for_threads(o->vcpu_cgroup, sub, sizeof(sub))) < 0) {
		snprintf(err, errlen, "--vcpu-cgroup %s: %s", o->vcpu_cgroup, sub);
		return -1;
	}
	if (o->hk_cgroup &&
	    (vm->hk_cg_fd = cgroup_open_for_threads(o->hk_cgroup, sub, sizeof(sub))) < 0) {
		snprintf(err, errlen, "--housekeeping-cgroup %s: %s", o->hk_cgroup, sub);
		return -1;
	}
	return 0;
}

static int setup(struct vm *vm, struct boot_program *prog, int *have_prog, char *err, size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	char sub[320];

	if (vm_choose_cpus(vm, err, errlen))
		return -1;
	if (open_thread_cgroups(vm, err, errlen))
		return -1;
	if (vm_pin_self(vm->hk_cpus, vm->nhk_cpus))
		log_warn("cannot pin hvmm to its housekeeping CPUs: %s", strerror(errno));
	/* As the VM's user, and before /dev/kvm: bad input gets its own error first. */
	if (open_user_files(vm, err, errlen))
		return -1;
	vm->plat = platform_detect();
	if (vm_kvm_open(vm, err, errlen))
		return -1;
	/* Zeroing guest RAM is the largest launch cost: spread it over every CPU we own. */
	int pop_cpus[DSV_MAX_VCPUS * 2 + 64], npop = 0;

	for (int i = 0; i < vm->nvcpus; i++)
		pop_cpus[npop++] = vm->cpus[i];
	for (int i = 0; i < vm->nhk_cpus && npop < (int)(sizeof(pop_cpus) / sizeof(int)); i++) {
		int dup = 0;

		for (int j = 0; j < npop; j++)
			dup |= pop_cpus[j] == vm->hk_cpus[i];
		if (!dup)
			pop_cpus[npop++] = vm->hk_cpus[i];
	}
	if (gm_create(&vm->mem, o->mem, o->hugepages, o->hugetlbfs, vm_numa_node(vm), pop_cpus,
		      npop, sub, sizeof(sub))) {
		snprintf(err, errlen, "%s", sub);
		return -1;
	}
	vm->times.populate_ms = vm->mem.populate_ms;
	if (vm_kvm_add_memory(vm, err, errlen) || vm_kvm_add_notify(vm, err, errlen) ||
	    vm_offload_setup(vm, err, errlen))
		return -1;
	*have_prog = o->prog_argc > 0;
	if (*have_prog && vm_load_program(vm, prog, err, errlen))
		return -1;
	if (vm_load_kernel(vm, *have_prog ? prog : NULL, err, errlen))
		return -1;
	hc_init(&vm->hc, &vm->mem, &vm->con, vm->fio);
	shm_slots_init(&vm->shm, gm_top(&vm->mem), vm_kvm_set_slot, vm);
	vm->shm_on = 1;
	vm->hc.shm = &vm->shm;
	vm->cr3 = boot_page_tables(&vm->mem);
	if (o->share_max_file_size &&
	    share_limit_file_size(o->share_max_file_size, sub, sizeof(sub))) {
		snprintf(err, errlen, "--share-max-file-size: %s", sub);
		return -1;
	}
	/* jail, capabilities, no_new_privs: while still single-threaded, so every thread inherits them */
	if (harden_after_setup(o, err, errlen))
		return -1;
	return 0;
}

/* The fast path pays where every system call is a trap to the host (kvm_pvm: 2-50 us a
 * round trip); under VT-x or SVM a guest system call never leaves the CPU. */
static bool vm_fastpath(const struct vm *vm)
{
	switch (vm->opts->fastpath) {
	case FASTPATH_ON:
		return true;
	case FASTPATH_OFF:
		return false;
	default:
		return vm->plat->kind == DSV_PLATFORM_PVM;
	}
}

static int start(struct vm *vm, const struct boot_program *prog, int have_prog, char *err,
		 size_t errlen)
{
	struct boot_params bp;
	int failed = 0;

	if (start_vcpus(vm, err, errlen))
		return -1;
	pthread_barrier_wait(&vm->ready);
	for (int i = 0; i < vm->nvcpus; i++) {
		if (vm->vcpu[i].setup_err[0] && !failed) {
			snprintf(err, errlen, "%s", vm->vcpu[i].setup_err);
			failed = 1;
		}
	}
	/* Only now: the vCPU threads, pinned to CPUs the housekeeping cgroup lacks, are born
	 * from this thread, in its cgroup. Pinned again after, as entering widens the mask. */
	if (!failed && vm->hk_cg_fd >= 0 &&
	    (cgroup_enter_thread(vm->hk_cg_fd) || vm_pin_self(vm->hk_cpus, vm->nhk_cpus))) {
		snprintf(err, errlen, "--housekeeping-cgroup %s: cannot enter: %s",
			 vm->opts->hk_cgroup, strerror(errno));
		failed = 1;
	}
	if (!failed) {
		bp = (struct boot_params){
			.platform = vm->plat->kind,
			.flags = (vm->mem.backing == GM_BACKING_HUGETLB ||
						  vm->mem.backing == GM_BACKING_HUGETLBFS
					  ? DSV_BOOT_HUGEPAGES
					  : 0) |
				 (vm->opts->verbose ? DSV_BOOT_VERBOSE : 0) |
				 (vm_fastpath(vm) ? DSV_BOOT_FASTPATH : 0),
			.tsc_khz = vm->tsc_khz,
			.nr_vcpus = vm->nvcpus,
			.host_cpus = vm->cpus,
			.vif_pages = vm->plat->uses_vif,
			.cmdline = vm->opts->cmdline,
			.kernel = &vm->kernel,
			.program = have_prog ? prog : NULL,
		};
		boot_write_info(&vm->mem, &bp);
		start_offload_workers(vm);
		start_offload_proxy(vm);
		/* the housekeeping thread's seccomp filter */
		if (sec_install(vm->opts, SEC_THREAD_MAIN, -1, err, errlen))
			failed = 1;
	}
	atomic_store(&vm->abort_start, failed);
	pthread_barrier_wait(&vm->go);
	return failed ? -1 : 0;
}

/*
 * A vCPU or offload thread may be blocked in an offloaded call (accept, a read on a pipe).
 * The exit kick interrupts it with EINTR, but a kick that lands just before the call
 * begins is lost: kick again until the thread has ended.
 */
static void join_kicking(pthread_t t)
{
	for (;;) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000)
			ts.tv_sec++, ts.tv_nsec -= 1000000000;
		if (pthread_timedjoin_np(t, NULL, &ts) != ETIMEDOUT)
			return;
		pthread_kill(t, SIGUSR1);
	}
}

static void join_vcpu(struct vcpu *v)
{
	join_kicking(v->thread);
}

static void teardown(struct vm *vm)
{
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		if (v->started)
			join_vcpu(v);
		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	/* Before guest memory and the descriptors go: the proxy and the workers may still be
	 * in a call; the proxy first, as it hands calls to the workers. */
	if (vm->proxy_started)
		join_kicking(vm->proxy_thread);
	if (vm->nasync) {
		hc_async_stop(&vm->async);
		for (unsigned i = 0; i < vm->nasync; i++)
			join_kicking(vm->async_thread[i]);
	}
	if (vm->fio)
		fileio_destroy(vm->fio);
	if (vm->shm_on)
		shm_slots_destroy(&vm->shm);
	image_file_free(&vm->kernel_img);
	image_file_free(&vm->prog_img);
	gm_destroy(&vm->mem);
	free(vm->cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->vcpu_cg_fd >= 0)
		close(vm->vcpu_cg_fd);
	if (vm->hk_cg_fd >= 0)
		close(vm->hk_cg_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}

/* --log is opened as the VM's user (--uid): it is that user's path, not root's. A FIFO is
 * fine (a log collector reads it); open() then waits for its reader. */
static int open_console(const struct hvmm_opts *o, FILE **log_file, char *err, size_t errlen)
{
	char sub[256];
	int fd, e;

	*log_file = NULL;
	if (!o->log)
		return STDOUT_FILENO;
	if (cred_fs_enter(o, sub, sizeof(sub))) {
		snprintf(err, errlen, "--log %s: %s", o->log, sub);
		return -1;
	}
	fd = open(o->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	e = errno;
	if (cred_fs_leave(o, sub, sizeof(sub))) {
		snprintf(err, errlen, "--log %s: %s", o->log, sub);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0) {
		snprintf(err, errlen, "--log %s: %s", o->log, strerror(e));
		return -1;
	}
	*log_file = fdopen(fd, "w");
	return fd;
}

int vm_run(const struct hvmm_opts *opts)
{
	static struct vm vm; /* large (per-vCPU state); one VM per process */
	struct boot_program prog;
	int have_prog = 0, sig_fd, out_fd, code;
	FILE *log_file;
	sigset_t sigs;
	char err[512];

	memset(&vm, 0, sizeof(vm));
	vm.opts = opts;
	vm.kvm_fd = vm.vm_fd = vm.notify_efd = vm.exit_efd = vm.doorbell_efd = -1;
	vm.vcpu_cg_fd = vm.hk_cg_fd = -1;
	vm.times.ns_start = now_ns();
	pthread_mutex_init(&vm.exit_lock, NULL);
	log_set_verbose(opts->verbose);

	out_fd = open_console(opts, &log_file, err, sizeof(err));
	if (out_fd < 0) {
		log_err("%s", err);
		launch_report_failed(err);
		return HVMM_EXIT_SETUP;
	}
	log_set_file(log_file);
	console_init(&vm.con, out_fd);

	/* Signals go to the housekeeping thread only; vCPU threads inherit the mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	sig_fd = signalfd(-1, &sigs, SFD_CLOEXEC);
	vcpu_kick_signal_init();

	if (setup(&vm, &prog, &have_prog, err, sizeof(err)) ||
	    start(&vm, &prog, have_prog, err, sizeof(err))) {
		log_err("%s", err);
		launch_report_failed(err);
		atomic_store(&vm.exiting, 1);
		teardown(&vm);
		return HVMM_EXIT_SETUP;
	}
	log_info("%d vCPU(s) on CPUs %s, %llu MiB %s memory, platform %s", vm.nvcpus,
		 cpulist_format(vm.cpus, (size_t)vm.nvcpus, err, sizeof(err)),
		 (unsigned long long)(vm.mem.size >> 20), gm_backing_name(vm.mem.backing),
		 vm.plat->name);
	launch_report_ready();
	housekeeping(&vm, sig_fd);
	for (int i = 0; i < vm.nvcpus; i++)
		if (vm.vcpu[i].started)
			join_vcpu(&vm.vcpu[i]), vm.vcpu[i].started = 0;
	console_ring_drain(&vm.con, &vm.mem);
	code = vm.exit_code;
	if (strncmp(vm.exit_reason, "guest exited", 12)) {
		log_err("%s", vm.exit_reason);
		if (opts->verbose && !strncmp(vm.exit_reason, "stopped by signal", 17))
			for (int i = 0; i < vm.nvcpus; i++)
				vcpu_dump_regs(&vm.vcpu[i]);
	} else
		log_info("%s", vm.exit_reason);
	if (opts->stats != STATS_NONE)
		stats_print(log_file ? log_file : stderr, &vm, opts->stats == STATS_JSON);
	teardown(&vm);
	if (log_file)
		fclose(log_file);
	close(sig_fd);
	return code;
}
