/* The libvirt domain XML of commodity VMs (dsvd/commodity_vm.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "commodity_vm.h"

static void make_vm(struct vm *vm, const char *body)
{
	struct api_error err;
	memset(vm, 0, sizeof(*vm));
	if (vm_spec_parse(body, strlen(body), &vm->spec, &err) < 0)
		fail_msg("%s", err.message);
	char e[64];
	cpu_bits_parse_list("0-1", &vm->cpus, e, sizeof(e));
	snprintf(vm->commodity.domain, sizeof(vm->commodity.domain), "dsv-%s", vm->spec.name);
	snprintf(vm->console_path, sizeof(vm->console_path), "/var/lib/dsv/vms/%s.console",
		 vm->spec.name);
}

static void test_pinning_and_cpu(void **state)
{
	(void)state;
	struct vm vm;
	make_vm(&vm, "{\"name\":\"w\",\"stack\":\"commodity\",\"vcpus\":3,\"mem_mib\":64,"
		     "\"kernel\":\"/k.elf\",\"cmdline\":\"a<b & c\"}");
	int pin[3] = { 1, 0, 1 };
	char *xml = commodity_domain_xml(&vm, "/k.elf", pin, KVM_HOST_HW);
	assert_non_null(xml);
	assert_non_null(strstr(xml, "<name>dsv-w</name>"));
	assert_non_null(strstr(xml, "<memory unit='MiB'>64</memory>"));
	assert_non_null(strstr(xml, "<vcpu placement='static' cpuset='0-1'>3</vcpu>"));
	assert_non_null(strstr(xml, "<vcpupin vcpu='0' cpuset='1'/>"));
	assert_non_null(strstr(xml, "<vcpupin vcpu='1' cpuset='0'/>"));
	assert_non_null(strstr(xml, "<vcpupin vcpu='2' cpuset='1'/>"));
	assert_non_null(strstr(xml, "<emulatorpin cpuset='0-1'/>"));
	assert_non_null(strstr(xml, "mode='host-passthrough'"));
	assert_non_null(strstr(xml, "<feature policy='disable' name='arch-capabilities'/>"));
	assert_non_null(strstr(xml, "<kernel>/k.elf</kernel>"));
	assert_non_null(strstr(xml, "<cmdline>a&lt;b &amp; c</cmdline>")); /* escaped */
	assert_null(strstr(xml, "<initrd>"));
	assert_non_null(strstr(xml, "<source path='/var/lib/dsv/vms/w.console' append='on'/>"));
	/* the debugcon (the lwk's messages, the program's stderr) also goes into the console */
	assert_non_null(strstr(xml, "file,id=dsvdebugcon,path=/var/lib/dsv/vms/w.console.debug,"
				    "logfile=/var/lib/dsv/vms/w.console,logappend=on"));
	assert_non_null(strstr(xml, "isa-debug-exit,iobase=0xf4,iosize=0x04"));
	assert_non_null(strstr(xml, "isa-debugcon,iobase=0xe9,chardev=dsvdebugcon"));
	/* microvm: no firmware, no kvm-pit kernel thread; nothing that needs PCI or USB */
	assert_non_null(strstr(xml, "<type arch='x86_64' machine='microvm'>hvm</type>"));
	assert_null(strstr(xml, "machine='pc'"));
	assert_non_null(strstr(xml, "<controller type='usb' model='none'/>"));
	assert_non_null(strstr(xml, "<memballoon model='none'/>"));
	assert_non_null(strstr(xml, "<serial type='file'>"));
	assert_null(strstr(xml, "<quota>")); /* no cap unless asked */
	free(xml);
	vm_spec_free(&vm.spec);
}

static void test_cpu_quota(void **state)
{
	(void)state;
	struct vm vm;
	make_vm(&vm, "{\"name\":\"q\",\"stack\":\"commodity\",\"mem_mib\":64,"
		     "\"kernel\":\"/k.elf\",\"cpu_quota_pct\":25}");
	int pin[1] = { 0 };
	char *xml = commodity_domain_xml(&vm, "/k.elf", pin, KVM_HOST_HW);
	assert_non_null(xml);
	/* 25 % of each 100 ms period, inside cputune */
	const char *period = strstr(xml, "<period>100000</period>");
	const char *quota = strstr(xml, "<quota>25000</quota>");
	const char *end = strstr(xml, "</cputune>");
	assert_non_null(period);
	assert_non_null(quota);
	assert_true(period < end && quota < end);
	free(xml);
	vm_spec_free(&vm.spec);
}

static void test_program_as_initrd(void **state)
{
	(void)state;
	struct vm vm;
	make_vm(&vm, "{\"name\":\"p\",\"stack\":\"commodity\",\"mem_mib\":64,"
		     "\"program\":[\"/bin/busybox\",\"echo\",\"hi\"]}");
	int pin[1] = { 0 };
	char *xml = commodity_domain_xml(&vm, "/lwk.elf", pin, KVM_HOST_PVM);
	assert_non_null(strstr(xml, "<initrd>/bin/busybox</initrd>"));
	assert_non_null(strstr(xml, "<cmdline>dsv.platform=pvm -- /bin/busybox echo hi</cmdline>"));
	free(xml);
	vm_spec_free(&vm.spec);
	make_vm(&vm, "{\"name\":\"q\",\"stack\":\"commodity\",\"mem_mib\":64,\"initrd\":\"/i\","
		     "\"cmdline\":\"quiet\",\"program\":[\"/bin/app\"]}");
	xml = commodity_domain_xml(&vm, "/lwk.elf", pin, KVM_HOST_HW);
	assert_non_null(strstr(xml, "<initrd>/i</initrd>")); /* an explicit initrd wins */
	assert_non_null(strstr(xml, "<cmdline>quiet -- /bin/app</cmdline>"));
	free(xml);
	vm_spec_free(&vm.spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pinning_and_cpu),
		cmocka_unit_test(test_program_as_initrd),
		cmocka_unit_test(test_cpu_quota),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
