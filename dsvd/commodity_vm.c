#include "commodity_vm.h"

#include "dsv/abi.h"
#include "commodity_cloud.h"
#include "commodity_events.h"
#include "guest_exit.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct commodity_conn {
	char uri[256];
	virConnectPtr conn;
	int events_id; /* lifecycle events on conn, -1 when none */
};

/* A growing string buffer for the XML. */
struct sbuf {
	char *s;
	size_t len, cap;
	bool failed;
};

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	if (b->failed)
		return;
	for (;;) {
		va_list ap;
		va_start(ap, fmt);
		int n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if (b->s && (size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		size_t cap = (b->cap ? b->cap : 1024) * 2 + (size_t)n;
		char *s = realloc(b->s, cap);
		if (!s) {
			b->failed = true;
			return;
		}
		b->s = s;
		b->cap = cap;
	}
}

static void sb_escaped(struct sbuf *b, const char *text)
{
	for (const char *p = text; *p; p++) {
		switch (*p) {
		case '<':
			sb_printf(b, "&lt;");
			break;
		case '>':
			sb_printf(b, "&gt;");
			break;
		case '&':
			sb_printf(b, "&amp;");
			break;
		case '\'':
			sb_printf(b, "&apos;");
			break;
		case '"':
			sb_printf(b, "&quot;");
			break;
		default:
			if ((unsigned char)*p < 0x20 && *p != '\t')
				sb_printf(b, " ");
			else
				sb_printf(b, "%c", *p);
		}
	}
}

char *commodity_domain_xml(const struct vm *vm, const char *kernel, const int *pin,
			   enum kvm_host_kind host)
{
	bool pvm_host = host == KVM_HOST_PVM, tcg = host == KVM_HOST_NONE;
	struct sbuf b = { 0 };
	char cpus[1024];
	cpu_bits_format_list(&vm->cpus, cpus, sizeof(cpus));
	/* the qemu namespace passes the two ISA devices the lwk uses under QEMU: isa-debug-exit
     * (guest exit ends the domain) and debugcon (its stderr and kernel log) */
	sb_printf(&b,
		  "<domain type='%s' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n  "
		  "<name>",
		  tcg ? "qemu" : "kvm");
	sb_escaped(&b, vm->commodity.domain);
	sb_printf(&b, "</name>\n  <memory unit='MiB'>%llu</memory>\n",
		  (unsigned long long)vm->spec.mem_mib);
	sb_printf(&b, "  <vcpu placement='static' cpuset='%s'>%u</vcpu>\n", cpus, vm->spec.vcpus);
	sb_printf(&b, "  <cputune>\n");
	for (unsigned i = 0; i < vm->spec.vcpus; i++)
		sb_printf(&b, "    <vcpupin vcpu='%u' cpuset='%d'/>\n", i, pin[i]);
	sb_printf(&b, "    <emulatorpin cpuset='%s'/>\n", cpus);
	/* a CPU cap per vCPU (CFS bandwidth): the one lever on what a commodity VM takes from
     * the memory system when the hardware cannot partition it (no resctrl MBA) */
	if (vm->spec.cpu_quota_pct)
		sb_printf(&b, "    <period>100000</period>\n    <quota>%u</quota>\n",
			  vm->spec.cpu_quota_pct * 1000);
	sb_printf(&b, "  </cputune>\n");
	/* machine microvm: no firmware (pc's SeaBIOS runs in the instruction emulator of a PVM
     * host, about 3 s of CPU per boot), no PCI, USB or VGA. It keeps ACPI (the lwk finds its
     * CPUs in the MADT) and a PIT (the lwk calibrates the TSC with it when KVM has no timing
     * leaf), but microvm's irqchip is split, so the PIT is emulated by QEMU's own threads
     * (pinned with the emulator) instead of a kvm-pit kernel thread that could run on any
     * CPU, the HPC CPUs included (docs/interference.md, "channels"). */
	sb_printf(&b, "  <os>\n    <type arch='x86_64' machine='microvm'>hvm</type>\n    <kernel>");
	sb_escaped(&b, kernel);
	sb_printf(&b, "</kernel>\n");
	/* the lwk under QEMU runs the initrd as its program: a program without an initrd is
     * passed that way */
	const char *initrd = vm->spec.initrd ? vm->spec.initrd
			     : vm->spec.argc ? vm->spec.argv[0]
					     : NULL;
	if (vm->commodity.initrd_copy[0] ||
	    vm->program_copy[0]) /* the copies made as the caller (vm_files.h) */
		initrd =
			vm->commodity.initrd_copy[0] ? vm->commodity.initrd_copy : vm->program_copy;
	if (initrd) {
		sb_printf(&b, "    <initrd>");
		sb_escaped(&b, initrd);
		sb_printf(&b, "</initrd>\n");
	}
	if (vm->spec.cmdline || vm->spec.argc || pvm_host) {
		sb_printf(&b, "    <cmdline>");
		const char *sep = "";
		if (pvm_host) { /* the lwk opts in to PVM from its command line */
			sb_printf(&b, "dsv.platform=pvm");
			sep = " ";
		}
		if (vm->spec.cmdline) {
			sb_printf(&b, "%s", sep);
			sb_escaped(&b, vm->spec.cmdline);
			sep = " ";
		}
		if (vm->spec.argc) {
			/* the program and its arguments follow "--", the way hvmm passes them */
			sb_printf(&b, "%s--", sep);
			for (unsigned i = 0; i < vm->spec.argc; i++) {
				sb_printf(&b, " ");
				sb_escaped(&b, vm->spec.argv[i]);
			}
		}
		sb_printf(&b, "</cmdline>\n");
	}
	sb_printf(&b, "  </os>\n");
	if (tcg) /* every feature TCG can emulate: the lwk needs no more than an x86-64 */
		sb_printf(&b, "  <cpu mode='maximum' check='none'/>\n");
	else /* QEMU aborts on a PVM host when it sees MSR 0x10a (arch-capabilities) */
		sb_printf(&b,
			  "  <cpu mode='host-passthrough' check='none' migratable='off'>\n"
			  "    <feature policy='disable' name='arch-capabilities'/>\n  </cpu>\n");
	sb_printf(&b, "  <clock offset='utc'/>\n  <on_poweroff>destroy</on_poweroff>\n"
		      "  <on_reboot>destroy</on_reboot>\n  <on_crash>destroy</on_crash>\n");
	sb_printf(&b, "  <devices>\n    <serial type='file'>\n      <source path='");
	sb_escaped(&b, vm->console_path);
	/* appended to: the debugcon's copy (below) goes into the same file */
	sb_printf(&b, "' append='on'/>\n      <target port='0'/>\n    </serial>\n"
		      "    <controller type='usb' model='none'/>\n"
		      "    <memballoon model='none'/>\n  </devices>\n");
	sb_printf(
		&b,
		"  <qemu:commandline>\n"
		"    <qemu:arg value='-device'/>\n"
		"    <qemu:arg value='isa-debug-exit,iobase=0xf4,iosize=0x04'/>\n"
		"    <qemu:arg value='-chardev'/>\n    <qemu:arg value='file,id=dsvdebugcon,path=");
	sb_escaped(&b, vm->console_path);
	/* and a copy into the console, so the user sees the lwk's messages and the program's
     * stderr there, in order with its stdout */
	sb_printf(&b, ".debug,logfile=");
	sb_escaped(&b, vm->console_path);
	sb_printf(&b,
		  ",logappend=on'/>\n"
		  "    <qemu:arg value='-device'/>\n"
		  "    <qemu:arg value='isa-debugcon,iobase=0xe9,chardev=dsvdebugcon'/>\n"
		  "    <qemu:arg value='-chardev'/>\n    <qemu:arg value='file,id=dsvstatus,path=");
	/* the exit status on a port of its own, never copied into the console */
	sb_escaped(&b, vm->console_path);
	sb_printf(&b,
		  ".status'/>\n"
		  "    <qemu:arg value='-device'/>\n"
		  "    <qemu:arg value='isa-debugcon,iobase=%#x,chardev=dsvstatus'/>\n"
		  "  </qemu:commandline>\n</domain>\n",
		  DSV_QEMU_STATUS_PORT);
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static void ignore_libvirt_error(void *data, virErrorPtr e)
{
	(void)data;
	(void)e; /* errors are reported through the API results instead of stderr */
}

struct commodity_conn *commodity_conn_new(const char *uri)
{
	struct commodity_conn *c = calloc(1, sizeof(*c));
	if (c) {
		snprintf(c->uri, sizeof(c->uri), "%s", uri);
		c->events_id = -1;
	}
	virSetErrorFunc(NULL, ignore_libvirt_error);
	events_init();
	return c;
}

void commodity_conn_free(struct commodity_conn *c)
{
	if (!c)
		return;
	if (c->conn) {
		events_unwatch(c->conn, c->events_id);
		virConnectClose(c->conn);
	}
	free(c);
}

static const char *last_error(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

virConnectPtr commodity_connection(struct commodity_conn *c, struct api_error *err)
{
	if (c->conn && virConnectIsAlive(c->conn) == 1)
		return c->conn;
	if (c->conn) {
		events_unwatch(c->conn, c->events_id);
		virConnectClose(c->conn);
		c->conn = NULL;
	}
	c->conn = virConnectOpen(c->uri);
	c->events_id = c->conn ? events_watch(c->conn) : -1;
	if (!c->conn && err)
		api_fail(err, 503, "stack",
			 "libvirt at %s is not reachable: %s (is libvirtd running? "
			 "see scripts/start-services.sh)",
			 c->uri, last_error());
	return c->conn;
}

int commodity_start(struct commodity_conn *c, struct vm *vm, const char *xml, struct api_error *err)
{
	virConnectPtr conn = commodity_connection(c, err);
	if (!conn)
		return -1;
	virDomainPtr dom = virDomainCreateXML(conn, xml, 0);
	if (!dom)
		return api_fail(err, 500, "", "libvirt could not start domain %s: %s",
				vm->commodity.domain, last_error());
	virDomainFree(dom);
	vm->state = VM_RUNNING;
	vm->exit_code = -1;
	return 0;
}

int commodity_refresh(struct commodity_conn *c, struct vm *vm)
{
	if (vm->state != VM_RUNNING && vm->state != VM_STARTING)
		return 0;
	virConnectPtr conn = commodity_connection(c, NULL);
	if (!conn)
		return 0;
	if (commodity_is_cloud(vm))
		commodity_cloud_tick(c, vm);
	virDomainPtr dom = virDomainLookupByName(conn, vm->commodity.domain);
	int active = dom ? virDomainIsActive(dom) : 0;
	if (dom)
		virDomainFree(dom);
	if (active == 1)
		return 0;
	if (commodity_is_cloud(vm)) {
		commodity_cloud_ended(vm);
		return 1;
	}
	/* libvirt does not pass QEMU's exit code on: the lwk leaves its status in its log */
	char log[sizeof(vm->console_path) + 8];
	snprintf(log, sizeof(log), "%s.status", vm->console_path);
	int status = -1;
	switch (guest_exit_from_log(log, &status)) {
	case GUEST_EXIT_STATUS:
		vm->state = VM_EXITED;
		vm->exit_code = status;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason),
			 "the guest exited with status %d", status);
		break;
	case GUEST_EXIT_NO_STATUS:
		vm->state = VM_FAILED;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason),
			 "QEMU of libvirt domain %s ended before the guest exited (killed or "
			 "crashed)",
			 vm->commodity.domain);
		break;
	case GUEST_EXIT_NO_LOG:
		vm->state = VM_EXITED;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason),
			 "libvirt domain %s is no longer running (the guest reported no status)",
			 vm->commodity.domain);
		break;
	}
	return 1;
}

int commodity_stop(struct commodity_conn *c, struct vm *vm, struct api_error *err)
{
	virConnectPtr conn = commodity_connection(c, err);
	if (!conn)
		return -1;
	virDomainPtr dom = virDomainLookupByName(conn, vm->commodity.domain);
	if (!dom) {
		vm->state = VM_EXITED;
		return 0; /* already gone */
	}
	int rc = 0;
	if (virDomainIsActive(dom) == 1 && virDomainDestroy(dom) < 0)
		rc = api_fail(err, 500, "", "libvirt could not destroy %s: %s",
			      vm->commodity.domain, last_error());
	virDomainFree(dom);
	if (rc == 0) {
		vm->state = VM_EXITED;
		snprintf(vm->exit_reason, sizeof(vm->exit_reason), "destroyed on request");
	}
	return rc;
}

int commodity_stats(struct commodity_conn *c, const struct vm *vm, uint64_t *cpu_ns,
		    uint64_t *mem_kib)
{
	virConnectPtr conn = commodity_connection(c, NULL);
	if (!conn)
		return -1;
	virDomainPtr dom = virDomainLookupByName(conn, vm->commodity.domain);
	if (!dom)
		return -1;
	virDomainInfo info;
	int rc = virDomainGetInfo(dom, &info);
	virDomainFree(dom);
	if (rc < 0)
		return -1;
	*cpu_ns = info.cpuTime;
	*mem_kib = info.memory;
	return 0;
}

int commodity_vcpu_times(struct commodity_conn *c, const struct vm *vm, uint64_t *ns, int max)
{
	virConnectPtr conn = commodity_connection(c, NULL);
	virDomainPtr dom = conn ? virDomainLookupByName(conn, vm->commodity.domain) : NULL;
	if (!dom)
		return -1;
	virVcpuInfo info[VM_VCPUS_MAX];
	int n = virDomainGetVcpus(dom, info, max < VM_VCPUS_MAX ? max : VM_VCPUS_MAX, NULL, 0);
	virDomainFree(dom);
	for (int i = 0; i < n; i++)
		ns[info[i].number < (unsigned)n ? info[i].number : (unsigned)i] = info[i].cpuTime;
	return n;
}
