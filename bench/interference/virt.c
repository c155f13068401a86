/*
 * libvirt domains the runner defines itself. dsvd always pins commodity VMs inside its
 * commodity partition, so the single-stack baselines (a stock KVM cloud: no partition,
 * unpinned or merely pinned) are made here with the libvirt C API, with the same domain
 * shape as dsvd's commodity VMs: host-passthrough CPU without arch-capabilities, the lwk
 * booted through PVH, the program as initrd, serial to a file. The machine type is the
 * caller's: "pc" (dsvd's, SeaBIOS runs emulated on kvm_pvm: ~3 s of CPU to boot) or
 * "microvm" (no firmware: the guest runs its program ~0.5 s after the create call).
 */
#include "interference.h"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static virConnectPtr conn;

static void quiet(void *data, virErrorPtr e)
{
	(void)data;
	(void)e;
}

static const char *last_error(void)
{
	const char *m = virGetLastErrorMessage();
	return m ? m : "unknown libvirt error";
}

int ix_virt_open(char *err, size_t errlen)
{
	if (conn)
		return 0;
	virSetErrorFunc(NULL, quiet);
	conn = virConnectOpen("qemu:///system");
	if (!conn) {
		snprintf(err, errlen,
			 "libvirt qemu:///system is not reachable: %s (run "
			 "scripts/start-services.sh)",
			 last_error());
		return -1;
	}
	return 0;
}

void ix_virt_close(void)
{
	if (conn)
		virConnectClose(conn);
	conn = NULL;
}

/* Appends text to b (capacity cap), XML-escaped. */
static void esc(char *b, size_t cap, const char *text)
{
	size_t n = strlen(b);
	for (const char *p = text; *p && n + 8 < cap; p++) {
		const char *r = *p == '<'    ? "&lt;"
				: *p == '>'  ? "&gt;"
				: *p == '&'  ? "&amp;"
				: *p == '\'' ? "&apos;"
				: *p == '"'  ? "&quot;"
					     : NULL;
		if (r) {
			memcpy(b + n, r, strlen(r));
			n += strlen(r);
		} else {
			b[n++] = *p;
		}
	}
	b[n] = 0;
}

static void add(char *b, size_t cap, const char *s)
{
	size_t n = strlen(b);
	snprintf(b + n, cap - n, "%s", s);
}

static void destroy_cb(void *arg)
{
	ix_virt_destroy(arg);
	free(arg);
}

int ix_virt_start(const char *name, const char *machine, int mem_mib, const char *kernel,
		  const char *program, const char *args, const char *console, const char *vcpu_pin,
		  const char *emu_pin, char *err, size_t errlen)
{
	static char x[16384];
	char line[512];
	x[0] = 0;
	add(x, sizeof x, "<domain type='kvm'>\n  <name>");
	esc(x, sizeof x, name);
	snprintf(line, sizeof line,
		 "</name>\n  <memory unit='MiB'>%d</memory>\n"
		 "  <vcpu placement='static'>1</vcpu>\n",
		 mem_mib);
	add(x, sizeof x, line);
	if (vcpu_pin || emu_pin) {
		add(x, sizeof x, "  <cputune>\n");
		if (vcpu_pin) {
			snprintf(line, sizeof line, "    <vcpupin vcpu='0' cpuset='%s'/>\n",
				 vcpu_pin);
			add(x, sizeof x, line);
		}
		if (emu_pin) {
			snprintf(line, sizeof line, "    <emulatorpin cpuset='%s'/>\n", emu_pin);
			add(x, sizeof x, line);
		}
		add(x, sizeof x, "  </cputune>\n");
	}
	snprintf(line, sizeof line,
		 "  <os>\n    <type arch='x86_64' machine='%s'>hvm</type>\n"
		 "    <kernel>",
		 machine);
	add(x, sizeof x, line);
	esc(x, sizeof x, kernel);
	add(x, sizeof x, "</kernel>\n    <initrd>");
	esc(x, sizeof x, program);
	add(x, sizeof x, "</initrd>\n    <cmdline>dsv.platform=pvm -- ");
	esc(x, sizeof x, args);
	add(x, sizeof x,
	    "</cmdline>\n  </os>\n"
	    "  <cpu mode='host-passthrough' check='none' migratable='off'>\n"
	    "    <feature policy='disable' name='arch-capabilities'/>\n  </cpu>\n"
	    "  <clock offset='utc'/>\n  <on_poweroff>destroy</on_poweroff>\n"
	    "  <on_reboot>destroy</on_reboot>\n  <on_crash>destroy</on_crash>\n"
	    "  <devices>\n    <serial type='file'>\n      <source path='");
	esc(x, sizeof x, console);
	add(x, sizeof x,
	    "'/>\n      <target port='0'/>\n    </serial>\n"
	    "    <controller type='usb' model='none'/>\n"
	    "    <memballoon model='none'/>\n  </devices>\n</domain>\n");

	char *copy = strdup(name);
	char what[96];
	snprintf(what, sizeof what, "destroy libvirt domain %s", name);
	int h;
	if (!copy || (h = ix_cleanup_push(destroy_cb, copy, what)) < 0) {
		free(copy);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	virDomainPtr d = virDomainCreateXML(conn, x, 0);
	if (!d) {
		snprintf(err, errlen, "libvirt could not start %s: %s", name, last_error());
		ix_cleanup_pop(h, true);
		return -1;
	}
	virDomainFree(d);
	return h;
}

int ix_virt_destroy(const char *name)
{
	if (!conn)
		return -1;
	virDomainPtr d = virDomainLookupByName(conn, name);
	if (!d)
		return 0;
	int r = virDomainDestroy(d);
	virDomainFree(d);
	return r;
}

double ix_virt_cputime(const char *name)
{
	if (!conn)
		return -1;
	virDomainPtr d = virDomainLookupByName(conn, name);
	if (!d)
		return -1;
	virDomainInfo info;
	double t = -1;
	if (virDomainGetInfo(d, &info) == 0 && info.state == VIR_DOMAIN_RUNNING)
		t = (double)info.cpuTime * 1e-9;
	virDomainFree(d);
	return t;
}

int ix_virt_destroy_tagged(const char *tag)
{
	if (!conn)
		return 0;
	virDomainPtr *doms = NULL;
	int n = virConnectListAllDomains(conn, &doms, VIR_CONNECT_LIST_DOMAINS_ACTIVE);
	int killed = 0;
	for (int i = 0; i < n; i++) {
		const char *nm = virDomainGetName(doms[i]);
		if (nm && strstr(nm, tag) && virDomainDestroy(doms[i]) == 0)
			killed++;
		virDomainFree(doms[i]);
	}
	free(doms);
	return killed;
}
