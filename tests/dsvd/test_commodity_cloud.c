/* Cloud VMs on the commodity stack: request fields, image probing and opening with the
 * caller's rights, the image domain's XML, and the checks on an operator's domain XML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commodity_cloud_xml.h"
#include "commodity_image.h"
#include "commodity_operator_xml.h"
#include "commodity_seed.h"
#include "vm_spec.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/dsvd-cloud-test.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_bytes(const char *path, const void *data, size_t len, size_t total, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(ftruncate(fd, (off_t)total), 0);
	fchmod(fd, mode);
	close(fd);
}

static int probe_path(const char *path, struct image_info *info, struct api_error *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);
	assert_true(fd >= 0);
	int rc = image_probe(fd, path, info, "image", err);
	close(fd);
	return rc;
}

static void put_be64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/* A qcow2 v3 header as qemu-img writes it for a 1 GiB image. */
static void qcow2_header(unsigned char *h)
{
	memset(h, 0, 512);
	memcpy(h, "QFI\xfb\0\0\0\3", 8);
	h[23] = 16; /* cluster_bits */
	put_be64(h + 24, 1ULL << 30);
	h[99] = 4; /* refcount_order */
	h[103] = 104;
}

static void test_spec_fields(void **state)
{
	(void)state;
	struct vm_spec s;
	struct api_error err;
	const char *ok =
		"{\"name\":\"c1\",\"stack\":\"commodity\",\"mem_mib\":256,\"image\":\"/i.raw\","
		"\"network\":\"default\",\"cloud_init\":{\"user_data\":\"#!/bin/sh\\necho "
		"hi\\n\"}}";
	assert_int_equal(vm_spec_parse(ok, strlen(ok), &s, &err), 0);
	assert_string_equal(s.image, "/i.raw");
	assert_string_equal(s.network, "default");
	assert_string_equal(s.user_data, "#!/bin/sh\necho hi\n");
	assert_null(s.meta_data);
	/* round trip through the record */
	json_t *o = vm_spec_to_json(&s);
	struct vm_spec back;
	assert_int_equal(vm_spec_from_json(o, &back, &err), 0);
	assert_string_equal(back.user_data, s.user_data);
	assert_string_equal(back.image, s.image);
	json_decref(o);
	vm_spec_free(&back);
	vm_spec_free(&s);

	static const struct {
		const char *body, *field;
	} bad[] = {
		{ "{\"name\":\"c\",\"stack\":\"hpc\",\"mem_mib\":64,\"image\":\"/i\"}", "image" },
		{ "{\"name\":\"c\",\"stack\":\"commodity\",\"mem_mib\":64,\"image\":\"i.raw\"}",
		  "image" },
		{ "{\"name\":\"c\",\"stack\":\"commodity\",\"mem_mib\":64,\"network\":\"n\"}",
		  "network" },
		{ "{\"name\":\"c\",\"stack\":\"commodity\",\"mem_mib\":64,\"image\":\"/"
		  "i\",\"kernel\":\"/k\"}",
		  "kernel" },
		{ "{\"name\":\"c\",\"stack\":\"commodity\",\"mem_mib\":64,\"image\":\"/"
		  "i\",\"network\":\"../x\"}",
		  "network" },
		{ "{\"name\":\"c\",\"stack\":\"commodity\",\"mem_mib\":64,\"image\":\"/"
		  "i\",\"cloud_init\":{}}",
		  "cloud_init" },
		{ "{\"name\":\"c\",\"stack\":\"commodity\",\"mem_mib\":64,\"image\":\"/i\","
		  "\"cloud_init\":{\"user_data\":\"x\",\"vendor_data\":\"y\"}}",
		  "cloud_init" },
		{ "{\"name\":\"c\",\"stack\":\"commodity\",\"image\":\"/"
		  "i\",\"domain_xml\":\"<domain/>\"}",
		  "domain_xml" },
		{ "{\"name\":\"c\",\"stack\":\"commodity\",\"domain_xml\":\"<domain/"
		  ">\",\"network\":\"n\"}",
		  "network" },
		{ "{\"name\":\"c\",\"stack\":\"commodity\",\"domain_xml\":\"\"}", "domain_xml" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (vm_spec_parse(bad[i].body, strlen(bad[i].body), &s, &err) == 0)
			fail_msg("accepted %s", bad[i].body);
		assert_int_equal(err.status, 400);
		if (strcmp(err.field, bad[i].field) != 0)
			fail_msg("%s: field %s (%s), want %s", bad[i].body, err.field, err.message,
				 bad[i].field);
	}
	/* user-data one byte over the limit */
	size_t n = VM_USER_DATA_MAX + 1;
	char *big = malloc(n + 200);
	int len = snprintf(big, 200,
			   "{\"name\":\"c\",\"stack\":\"commodity\",\"mem_mib\":64,"
			   "\"image\":\"/i\",\"cloud_init\":{\"user_data\":\"");
	memset(big + len, 'a', n);
	strcpy(big + len + n, "\"}}");
	assert_int_equal(vm_spec_parse(big, strlen(big), &s, &err), -1);
	assert_string_equal(err.field, "cloud_init");
	assert_non_null(strstr(err.message, "longer than 32768 bytes"));
	free(big);
	/* an operator's XML carries its own size */
	const char *xml = "{\"name\":\"c\",\"stack\":\"commodity\",\"domain_xml\":\"<domain/>\"}";
	assert_int_equal(vm_spec_parse(xml, strlen(xml), &s, &err), 0);
	/* ... and keeps saying so through the record's JSON (no "mem_mib": 0 written) */
	json_t *j = vm_spec_to_json(&s);
	struct vm_spec again;
	assert_non_null(j);
	assert_int_equal(vm_spec_from_json(j, &again, &err), 0);
	assert_int_equal(again.mem_mib, 0);
	assert_string_equal(again.domain_xml, "<domain/>");
	json_decref(j);
	vm_spec_free(&again);
	vm_spec_free(&s);
}

static void test_probe(void **state)
{
	(void)state;
	char path[128];
	struct image_info info;
	struct api_error err;
	unsigned char h[2048];

	qcow2_header(h);
	snprintf(path, sizeof(path), "%s/ok.qcow2", dir);
	write_bytes(path, h, 512, 196608, 0644);
	assert_int_equal(probe_path(path, &info, &err), 0);
	assert_int_equal(info.format, IMAGE_QCOW2);
	assert_int_equal(info.virtual_size, 1ULL << 30);

	put_be64(h + 8, 512); /* a backing file name at offset 512 */
	snprintf(path, sizeof(path), "%s/backing.qcow2", dir);
	write_bytes(path, h, 512, 196608, 0644);
	assert_int_equal(probe_path(path, &info, &err), -1);
	assert_non_null(strstr(err.message, "backing file"));

	qcow2_header(h);
	h[79] = 4; /* incompatible feature: external data file */
	snprintf(path, sizeof(path), "%s/datafile.qcow2", dir);
	write_bytes(path, h, 512, 196608, 0644);
	assert_int_equal(probe_path(path, &info, &err), -1);
	assert_non_null(strstr(err.message, "external file"));

	memset(h, 0, sizeof(h));
	h[510] = 0x55;
	h[511] = 0xaa;
	snprintf(path, sizeof(path), "%s/disk.raw", dir);
	write_bytes(path, h, 512, 1 << 20, 0644);
	assert_int_equal(probe_path(path, &info, &err), 0);
	assert_int_equal(info.format, IMAGE_RAW);
	assert_int_equal(info.virtual_size, 1 << 20);

	snprintf(path, sizeof(path), "%s/odd.raw", dir);
	write_bytes(path, h, 512, 1000, 0644);
	assert_int_equal(probe_path(path, &info, &err), -1);
	assert_non_null(strstr(err.message, "512-byte"));

	const char *text = "just some text, not a disk\n";
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_bytes(path, text, strlen(text), 4096, 0644);
	assert_int_equal(probe_path(path, &info, &err), -1);
	assert_int_equal(err.status, 400);
	assert_non_null(strstr(err.message, "neither a qcow2 image nor a raw disk image"));

	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0644), 0);
	assert_int_equal(probe_path(path, &info, &err), -1); /* opened without blocking */
	assert_non_null(strstr(err.message, "not a regular file"));
}

static void test_open_as_caller(void **state)
{
	(void)state;
	if (geteuid() != 0)
		skip();
	char secret[128], link[128], mine[128];
	snprintf(secret, sizeof(secret), "%s/root-only.raw", dir);
	snprintf(link, sizeof(link), "%s/link.raw", dir);
	snprintf(mine, sizeof(mine), "%s/readable.raw", dir);
	unsigned char h[512] = { 0 };
	h[510] = 0x55;
	h[511] = 0xaa;
	write_bytes(secret, h, sizeof(h), 4096, 0600);
	write_bytes(mine, h, sizeof(h), 4096, 0644);
	assert_int_equal(symlink(secret, link), 0);
	chmod(dir, 0755);
	struct caller nobody = { .uid = 65534, .gid = 65534 };
	struct caller root = { .uid = 0, .gid = 0 };
	struct api_error err;
	assert_int_equal(image_open_as_caller(secret, &nobody, "image", &err), -1);
	assert_int_equal(err.status, 403);
	assert_int_equal(image_open_as_caller(link, &nobody, "image", &err), -1);
	assert_int_equal(err.status, 403);
	int fd = image_open_as_caller(mine, &nobody, "image", &err);
	assert_true(fd >= 0);
	struct image_info info;
	assert_int_equal(image_probe(fd, mine, &info, "image", &err), 0);
	close(fd);
	fd = image_open_as_caller(link, &root, "image", &err);
	assert_true(fd >= 0);
	close(fd);
	char missing[160];
	snprintf(missing, sizeof(missing), "%s/none.raw", dir);
	assert_int_equal(image_open_as_caller(missing, &nobody, "image", &err), -1);
	assert_int_equal(err.status, 400);
	assert_non_null(strstr(err.message, "No such file"));
}

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

static void test_image_domain(void **state)
{
	(void)state;
	struct vm vm;
	make_vm(&vm, "{\"name\":\"img\",\"stack\":\"commodity\",\"vcpus\":2,\"mem_mib\":256,"
		     "\"image\":\"/i.raw\",\"cpu_quota_pct\":50}");
	struct image_files f;
	image_files_of("/var/lib/dsv", "img", &f);
	assert_string_equal(f.overlay, "/var/lib/dsv/vms/img.qcow2");
	struct image_info info = { .format = IMAGE_RAW, .virtual_size = 1 << 20 };
	xmlDocPtr doc = cloud_image_domain(&vm, "qemu", &f, &info, "dsv-nat", true);
	int pin[2] = { 1, 0 };
	assert_int_equal(cloud_place(doc, &vm, pin), 0);
	char *xml = cloud_xml_string(doc);
	xmlFreeDoc(doc);
	assert_non_null(strstr(xml, "<domain type=\"qemu\">"));
	assert_non_null(strstr(xml, "machine=\"q35\""));
	assert_null(strstr(xml, "microvm"));
	assert_null(strstr(xml, "host-passthrough")); /* TCG has no host CPU to pass */
	assert_non_null(strstr(xml, "<source file=\"/var/lib/dsv/vms/img.qcow2\">"));
	assert_non_null(strstr(xml, "<format type=\"raw\"/>"));
	assert_non_null(strstr(xml, "<source file=\"/var/lib/dsv/vms/img.base\">"));
	assert_non_null(strstr(xml, "<backingStore/>")); /* the chain ends at the base */
	assert_non_null(strstr(xml, "<seclabel model=\"dac\" relabel=\"no\"/>"));
	assert_non_null(strstr(xml, "<source file=\"/var/lib/dsv/vms/img.seed.iso\">"));
	assert_non_null(strstr(xml, "<readonly/>"));
	assert_non_null(strstr(xml, "<source network=\"dsv-nat\"/>"));
	assert_non_null(strstr(xml, "<model type=\"virtio\"/>"));
	assert_non_null(strstr(xml, "bus=\"virtio\""));
	assert_non_null(strstr(xml, "<vcpu placement=\"static\" cpuset=\"0-1\">2</vcpu>"));
	assert_non_null(strstr(xml, "<vcpupin vcpu=\"0\" cpuset=\"1\"/>"));
	assert_non_null(strstr(xml, "<vcpupin vcpu=\"1\" cpuset=\"0\"/>"));
	assert_non_null(strstr(xml, "<emulatorpin cpuset=\"0-1\"/>"));
	assert_non_null(strstr(xml, "<quota>50000</quota>"));
	assert_non_null(strstr(xml, "<memory unit=\"MiB\">256</memory>"));
	assert_non_null(strstr(xml, "<on_reboot>restart</on_reboot>"));
	free(xml);
	doc = cloud_image_domain(&vm, "kvm", &f, &info, NULL, false);
	xml = cloud_xml_string(doc);
	xmlFreeDoc(doc);
	assert_non_null(strstr(xml, "mode=\"host-passthrough\""));
	assert_null(strstr(xml, "seed.iso"));
	assert_null(strstr(xml, "<interface"));
	free(xml);
	vm_spec_free(&vm.spec);
}

static int read_operator(const char *xml, struct operator_domain *d, struct api_error *err)
{
	struct operator_limits lim = { .hpc_hugepages = true };
	char e[64];
	cpu_bits_parse_list("3", &lim.hpc_cpus, e, sizeof(e));
	return operator_xml_read(xml, &lim, d, err);
}

static void test_operator_xml(void **state)
{
	(void)state;
	struct operator_domain d;
	struct api_error err;
	const char *good =
		"<domain "
		"type='kvm'><name>nova-123</name><uuid>c7a5fdbd-cdaf-9455-926a-d65c16db1809</uuid>"
		"<memory unit='GiB'>1</memory><vcpu cpuset='0-2'>2</vcpu>"
		"<cputune><vcpupin vcpu='0' cpuset='1'/><shares>2048</shares></cputune>"
		"<os><type>hvm</type></os><devices><disk type='file' device='disk'>"
		"<source file='/var/lib/nova/disk'/><target dev='vda'/></disk></devices></domain>";
	assert_int_equal(read_operator(good, &d, &err), 0);
	assert_int_equal(d.vcpus, 2);
	assert_int_equal(d.mem_mib, 1024);
	struct vm vm;
	make_vm(&vm, "{\"name\":\"op\",\"stack\":\"commodity\",\"domain_xml\":\"<domain/>\"}");
	vm.spec.vcpus = d.vcpus;
	vm.spec.mem_mib = d.mem_mib;
	int pin[2] = { 0, 1 };
	assert_int_equal(cloud_place(d.doc, &vm, pin), 0);
	char *xml = cloud_xml_string(d.doc);
	xmlFreeDoc(d.doc);
	assert_non_null(strstr(xml, "<name>dsv-op</name>"));
	assert_null(strstr(xml, "<uuid>"));
	assert_null(strstr(xml, "<shares>")); /* dsvd's cputune replaces the operator's */
	assert_non_null(strstr(xml, "<vcpupin vcpu=\"1\" cpuset=\"1\"/>"));
	assert_non_null(strstr(xml, "<vcpu cpuset=\"0-1\" placement=\"static\">2</vcpu>"));
	assert_non_null(strstr(xml, "/var/lib/nova/disk")); /* the rest is the operator's */
	free(xml);
	vm_spec_free(&vm.spec);

	static const struct {
		const char *xml, *why;
	} bad[] = {
		{ "<domain><memory>1024</memory><vcpu cpuset='2-3'>1</vcpu></domain>",
		  "HPC partition" },
		{ "<domain><memory>1024</memory><cputune><vcpupin vcpu='0' "
		  "cpuset='3'/></cputune></domain>",
		  "<vcpupin> cpuset '3' reaches into the HPC partition" },
		{ "<domain><memory>1024</memory><cputune><emulatorpin "
		  "cpuset='0,3'/></cputune></domain>",
		  "<emulatorpin>" },
		{ "<domain><memory>1024</memory><memoryBacking><hugepages/></memoryBacking></"
		  "domain>",
		  "hugepages" },
		{ "<domain><memory>1024</memory><devices><hostdev mode='subsystem' "
		  "type='pci'/></devices>"
		  "</domain>",
		  "passthrough" },
		{ "<domain><memory>1024</memory><devices><interface "
		  "type='hostdev'/></devices></domain>",
		  "passthrough" },
		{ "<domain "
		  "xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><memory>1024</memory>"
		  "<qemu:commandline><qemu:arg value='-S'/></qemu:commandline></domain>",
		  "qemu:commandline" },
		{ "<!DOCTYPE domain [<!ENTITY x SYSTEM "
		  "'file:///etc/shadow'>]><domain><name>&x;</name>"
		  "<memory>1</memory></domain>",
		  "DOCTYPE" },
		{ "<domain><memory unit='parsec'>1</memory></domain>", "unknown unit" },
		{ "<domain><vcpu>1</vcpu></domain>", "no <memory>" },
		{ "<domain><memory>1024</memory><vcpu>0</vcpu></domain>", "<vcpu> must be" },
		{ "<network/>", "root element" },
		{ "<domain><memory>1024", "not well-formed" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (read_operator(bad[i].xml, &d, &err) == 0)
			fail_msg("accepted %s", bad[i].xml);
		assert_int_equal(err.status, 400);
		assert_string_equal(err.field, "domain_xml");
		if (!strstr(err.message, bad[i].why))
			fail_msg("%s: '%s' does not say '%s'", bad[i].xml, err.message, bad[i].why);
	}
}

static void test_seed_meta_data(void **state)
{
	(void)state;
	char md[256];
	seed_default_meta_data("web1", md, sizeof(md));
	assert_string_equal(md, "instance-id: dsv-web1\nlocal-hostname: web1\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_fields),    cmocka_unit_test(test_probe),
		cmocka_unit_test(test_open_as_caller), cmocka_unit_test(test_image_domain),
		cmocka_unit_test(test_operator_xml),   cmocka_unit_test(test_seed_meta_data),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
