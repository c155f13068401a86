/* VM life cycle: set up everything before the first guest instruction, run, tear down. */
#include "vm.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <numa.h>
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

#include "boot.h"
#include "cpulist.h"
#include "dsv/hypercall.h"
#include "dsv_config.h"
#include "fileio.h"
#include "image_file.h"
#include "log.h"
#include "privileges.h" /* security hooks (issue 7) */
#include "seccomp_filter.h"

extern char **environ;

#define EXIT_SETUP 125

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

/* --cpus and --housekeeping-cpus against what this process may actually use. */
static int choose_cpus(struct vm *vm, char *err, size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	cpu_set_t allowed;
	int navail = 0, avail[CPU_SETSIZE];
	char buf[256];

	if (sched_getaffinity(0, sizeof(allowed), &allowed)) {
		snprintf(err, errlen, "sched_getaffinity: %s", strerror(errno));
		return -1;
	}
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &allowed))
			avail[navail++] = c;
	vm->nvcpus = o->vcpus;
	if (o->ncpus) {
		memcpy(vm->cpus, o->cpus, sizeof(int) * (size_t)o->ncpus);
	} else {
		if (o->vcpus > navail) {
			snprintf(err, errlen, "%d vCPUs need %d dedicated CPUs; only %d available (%s)",
				 o->vcpus, o->vcpus, navail,
				 cpulist_format(avail, (size_t)navail, buf, sizeof(buf)));
			return -1;
		}
		/* The highest CPUs: CPU 0 usually carries the host's housekeeping already. */
		for (int i = 0; i < o->vcpus; i++)
			vm->cpus[i] = avail[navail - o->vcpus + i];
	}
	for (int i = 0; i < vm->nvcpus; i++) {
		if (vm->cpus[i] >= CPU_SETSIZE || !CPU_ISSET(vm->cpus[i], &allowed)) {
			snprintf(err, errlen, "--cpus: CPU %d does not exist or is not available to "
				 "hvmm (available: %s)", vm->cpus[i],
				 cpulist_format(avail, (size_t)navail, buf, sizeof(buf)));
			return -1;
		}
	}
	if (o->nhk_cpus) {
		for (int i = 0; i < o->nhk_cpus; i++) {
			if (o->hk_cpus[i] >= CPU_SETSIZE || !CPU_ISSET(o->hk_cpus[i], &allowed)) {
				snprintf(err, errlen, "--housekeeping-cpus: CPU %d does not exist or is "
					 "not available to hvmm", o->hk_cpus[i]);
				return -1;
			}
			vm->hk_cpus[vm->nhk_cpus++] = o->hk_cpus[i];
		}
		return 0;
	}
	for (int i = 0; i < navail && vm->nhk_cpus < (int)(sizeof(vm->hk_cpus) / sizeof(int)); i++) {
		int used = 0;

		for (int j = 0; j < vm->nvcpus; j++)
			used |= vm->cpus[j] == avail[i];
		if (!used)
			vm->hk_cpus[vm->nhk_cpus++] = avail[i];
	}
	if (!vm->nhk_cpus) {
		/* Every CPU runs a vCPU: housekeeping has to share (it mostly sleeps). */
		for (int i = 0; i < vm->nvcpus; i++)
			vm->hk_cpus[vm->nhk_cpus++] = vm->cpus[i];
		log_info("no CPU left for housekeeping; it shares the vCPU CPUs");
	}
	return 0;
}

static int numa_node_for(const struct vm *vm)
{
	int node;

	if (numa_available() < 0)
		return -1;
	node = numa_node_of_cpu(vm->cpus[0]);
	for (int i = 1; i < vm->nvcpus; i++)
		if (numa_node_of_cpu(vm->cpus[i]) != node)
			return -1; /* spans nodes: let the kernel place it */
	return node;
}

static int kvm_open_vm(struct vm *vm, char *err, size_t errlen)
{
	int version, nent = 256;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		snprintf(err, errlen, "cannot open /dev/kvm: %s%s", strerror(errno),
			 errno == EACCES ? " (run as root or join the kvm group)" : "");
		return -1;
	}
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		snprintf(err, errlen, "KVM API version %d, expected %d", version, KVM_API_VERSION);
		return -1;
	}
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0) {
		snprintf(err, errlen, "this KVM lacks immediate_exit, ioeventfd or an in-kernel irqchip");
		return -1;
	}
	vm->run_size = (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		snprintf(err, errlen, "KVM_CREATE_VM: %s", strerror(errno));
		return -1;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		snprintf(err, errlen, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		return -1;
	}
	for (;;) {
		vm->cpuid = calloc(1, sizeof(*vm->cpuid) + (size_t)nent * sizeof(vm->cpuid->entries[0]));
		if (!vm->cpuid) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		vm->cpuid->nent = (uint32_t)nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, vm->cpuid) == 0)
			break;
		free(vm->cpuid);
		vm->cpuid = NULL;
		if (errno != E2BIG || nent > 4096) {
			snprintf(err, errlen, "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
			return -1;
		}
		nent *= 2;
	}
	if (vm->plat->cpuid_fixup)
		vm->plat->cpuid_fixup(vm->cpuid);
	for (uint32_t i = 0; i < vm->cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &vm->cpuid->entries[i];

		if (e->function == 1 && (e->ecx & (1u << 26)))
			vm->xsave = 1;
		if (e->function == 0xd && e->index == 0)
			vm->xcr0 = ((uint64_t)e->edx << 32 | e->eax) & 0xe7; /* x87 SSE AVX AVX-512 */
	}
	if (!vm->xsave || ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) <= 0)
		vm->xcr0 = 0;
	return 0;
}

static int add_memory(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region low = {
		.slot = 0, .guest_phys_addr = 0, .memory_size = vm->mem.low_size,
		.userspace_addr = (uintptr_t)vm->mem.host,
	};
	struct kvm_userspace_memory_region high = {
		.slot = 1, .guest_phys_addr = GM_HIGH_BASE,
		.memory_size = vm->mem.size - vm->mem.low_size,
		.userspace_addr = (uintptr_t)vm->mem.host + vm->mem.low_size,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &low) < 0 ||
	    (high.memory_size && ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &high) < 0)) {
		snprintf(err, errlen, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int add_notify(struct vm *vm, char *err, size_t errlen)
{
	struct kvm_ioeventfd ioe = { .addr = DSV_NOTIFY_PORT, .len = 0,
				     .flags = KVM_IOEVENTFD_FLAG_PIO };

	vm->notify_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	vm->exit_efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (vm->notify_efd < 0 || vm->exit_efd < 0) {
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		return -1;
	}
	ioe.fd = vm->notify_efd;
	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &ioe) < 0) {
		snprintf(err, errlen, "KVM_IOEVENTFD on port 0x%x: %s", DSV_NOTIFY_PORT,
			 strerror(errno));
		return -1;
	}
	return 0;
}

static int load_kernel(struct vm *vm, const struct boot_program *prog, char *err, size_t errlen)
{
	const char *path = vm->opts->kernel ? vm->opts->kernel : DSV_LIBEXECDIR "/lwk.elf";
	struct image_file img;
	uint64_t max = vm->mem.low_size < (2ull << 30) ? vm->mem.low_size : (2ull << 30);
	char sub[256];

	if (prog && prog->region_gpa < max)
		max = prog->region_gpa;
	if (image_file_read(path, 256u << 20, &img, sub, sizeof(sub))) {
		snprintf(err, errlen, "kernel %.200s: %.250s", path, sub);
		return -1;
	}
	if (elf_check_kernel(img.data, img.len, BOOT_AREA_END, max, &vm->kernel, sub, sizeof(sub))) {
		snprintf(err, errlen, "kernel %.200s: %.250s", path, sub);
		image_file_free(&img);
		return -1;
	}
	elf_copy_segments(img.data, &vm->kernel, vm->mem.host);
	vm->entry = vm->kernel.entry;
	image_file_free(&img);
	return 0;
}

static int load_program(struct vm *vm, struct boot_program *prog, char *err, size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	struct image_file img;
	char path[PATH_MAX], sub[256];

	if (image_file_find(o->prog_argv[0], path, sizeof(path), sub, sizeof(sub))) {
		snprintf(err, errlen, "program %.200s: %.200s", o->prog_argv[0], sub);
		return -1;
	}
	if (image_file_read(path, vm->mem.size / 2, &img, sub, sizeof(sub))) {
		snprintf(err, errlen, "program %.200s: %.200s", path, sub);
		return -1;
	}
	if (boot_place_program(&vm->mem, img.data, img.len, o->prog_argc, o->prog_argv, environ,
			       path, prog, sub, sizeof(sub))) {
		snprintf(err, errlen, "%s", sub);
		image_file_free(&img);
		return -1;
	}
	image_file_free(&img);
	return 0;
}

static int pin_self(const int *cpus, int n)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	for (int i = 0; i < n; i++)
		CPU_SET(cpus[i], &set);
	return sched_setaffinity(0, sizeof(set), &set);
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
			snprintf(err, errlen, "cannot start vCPU thread %d pinned to CPU %d: %s%s", i,
				 v->host_cpu, strerror(rc),
				 rc == EINVAL ? " (the CPU is no longer available to hvmm: was its "
						"cpuset changed?)" : "");
			/* The threads already started wait on the barrier forever; hvmm exits. */
			for (int j = 0; j < i; j++)
				vm->vcpu[j].started = 0;
			return -1;
		}
		v->started = 1;
	}
	return 0;
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

static int setup(struct vm *vm, struct boot_program *prog, int *have_prog, char *err,
		 size_t errlen)
{
	const struct hvmm_opts *o = vm->opts;
	char sub[320];

	if (choose_cpus(vm, err, errlen))
		return -1;
	if (pin_self(vm->hk_cpus, vm->nhk_cpus))
		log_warn("cannot pin hvmm to its housekeeping CPUs: %s", strerror(errno));
	vm->plat = platform_detect();
	if (kvm_open_vm(vm, err, errlen))
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
	if (gm_create(&vm->mem, o->mem, o->hugepages, numa_node_for(vm), pop_cpus, npop,
		      sub, sizeof(sub))) {
		snprintf(err, errlen, "%s", sub);
		return -1;
	}
	vm->times.populate_ms = vm->mem.populate_ms;
	if (add_memory(vm, err, errlen) || add_notify(vm, err, errlen))
		return -1;
	*have_prog = o->prog_argc > 0;
	if (*have_prog && load_program(vm, prog, err, errlen))
		return -1;
	if (load_kernel(vm, *have_prog ? prog : NULL, err, errlen))
		return -1;
	if (fileio_create(&vm->fio, o->share, sub, sizeof(sub))) {
		snprintf(err, errlen, "--share %s: %s", o->share ? o->share : "", sub);
		return -1;
	}
	hc_init(&vm->hc, &vm->mem, &vm->con, vm->fio);
	vm->cr3 = boot_page_tables(&vm->mem);
	/* security hook (issue 7): jail, capabilities, no_new_privs; still single-threaded */
	if (harden_after_setup(o, err, errlen))
		return -1;
	return 0;
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
	if (!failed) {
		bp = (struct boot_params){
			.platform = vm->plat->kind,
			.flags = (vm->mem.backing == GM_BACKING_HUGETLB ? DSV_BOOT_HUGEPAGES : 0) |
				 (vm->opts->verbose ? DSV_BOOT_VERBOSE : 0),
			.tsc_khz = vm->tsc_khz,
			.nr_vcpus = vm->nvcpus,
			.host_cpus = vm->cpus,
			.is_pvm = vm->plat->kind == DSV_PLATFORM_PVM,
			.cmdline = vm->opts->cmdline,
			.kernel = &vm->kernel,
			.program = have_prog ? prog : NULL,
		};
		boot_write_info(&vm->mem, &bp);
		/* security hook (issue 7): the housekeeping thread's seccomp filter */
		if (sec_install(vm->opts, SEC_THREAD_MAIN, -1, err, errlen))
			failed = 1;
	}
	atomic_store(&vm->abort_start, failed);
	pthread_barrier_wait(&vm->go);
	return failed ? -1 : 0;
}

static void teardown(struct vm *vm)
{
	for (int i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpu[i];

		if (v->started)
			pthread_join(v->thread, NULL);
		if (v->run)
			munmap(v->run, vm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	if (vm->fio)
		fileio_destroy(vm->fio);
	gm_destroy(&vm->mem);
	free(vm->cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}

static int open_console(const struct hvmm_opts *o, FILE **log_file)
{
	int fd;

	*log_file = NULL;
	if (!o->log)
		return STDOUT_FILENO;
	fd = open(o->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
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
	vm.kvm_fd = vm.vm_fd = vm.notify_efd = vm.exit_efd = -1;
	vm.times.ns_start = now_ns();
	pthread_mutex_init(&vm.exit_lock, NULL);
	log_set_verbose(opts->verbose);

	out_fd = open_console(opts, &log_file);
	if (out_fd < 0) {
		log_err("--log %s: %s", opts->log, strerror(errno));
		return EXIT_SETUP;
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
		atomic_store(&vm.exiting, 1);
		teardown(&vm);
		return EXIT_SETUP;
	}
	log_info("%d vCPU(s) on CPUs %s, %llu MiB %s memory, platform %s", vm.nvcpus,
		 cpulist_format(vm.cpus, (size_t)vm.nvcpus, err, sizeof(err)),
		 (unsigned long long)(vm.mem.size >> 20), gm_backing_name(vm.mem.backing),
		 vm.plat->name);
	housekeeping(&vm, sig_fd);
	for (int i = 0; i < vm.nvcpus; i++)
		if (vm.vcpu[i].started)
			pthread_join(vm.vcpu[i].thread, NULL), vm.vcpu[i].started = 0;
	console_ring_drain(&vm.con, &vm.mem);
	code = vm.exit_code;
	if (strncmp(vm.exit_reason, "guest exited", 12)) {
		log_err("%s", vm.exit_reason);
		if (opts->verbose && !strncmp(vm.exit_reason, "stopped by signal", 17))
			for (int i = 0; i < vm.nvcpus; i++)
				vcpu_dump_regs(&vm.vcpu[i]);
	}
	else
		log_info("%s", vm.exit_reason);
	if (opts->stats != STATS_NONE)
		stats_print(log_file ? log_file : stderr, &vm, opts->stats == STATS_JSON);
	teardown(&vm);
	if (log_file)
		fclose(log_file);
	close(sig_fd);
	return code;
}
