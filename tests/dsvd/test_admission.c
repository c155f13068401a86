/* Admission: HPC never overcommits; commodity up to the ratio (dsvd/admission.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "admission.h"
#include "vm_fixture.h"

static void test_hpc(void **state)
{
	(void)state;
	struct hpc_pool pool = { .partitioned = true, .mem_mib = 256 };
	char err_text[64];
	cpu_bits_parse_list("2-5", &pool.cpus, err_text, sizeof(err_text));
	struct vm a = fixture_vm(VM_STACK_HPC, "vm", 2, 128, "2-3", VM_RUNNING);
	struct vm gone = fixture_vm(VM_STACK_HPC, "vm", 2, 128, "4-5", VM_EXITED);
	a.next = &gone;
	struct vm_spec spec = { .stack = VM_STACK_HPC, .vcpus = 2, .mem_mib = 128 };
	struct cpu_bits cpus;
	struct api_error err;
	assert_int_equal(admit_hpc(&pool, &a, &spec, &cpus, &err), 0);
	char out[64];
	cpu_bits_format_list(&cpus, out, sizeof(out));
	assert_string_equal(out, "4-5"); /* the exited VM's CPUs are free again */
	spec.vcpus = 3;
	assert_int_equal(admit_hpc(&pool, &a, &spec, &cpus, &err), -1);
	assert_int_equal(err.status, 409);
	assert_string_equal(err.field, "vcpus");
	spec.vcpus = 1;
	spec.mem_mib = 130;
	assert_int_equal(admit_hpc(&pool, &a, &spec, &cpus, &err), -1);
	assert_int_equal(err.status, 409);
	assert_string_equal(err.field, "mem_mib");
	pool.partitioned = false;
	spec.mem_mib = 2;
	assert_int_equal(admit_hpc(&pool, NULL, &spec, &cpus, &err), -1);
	assert_int_equal(err.status, 409);
}

static void test_commodity(void **state)
{
	(void)state;
	struct commodity_pool pool = { .overcommit_ratio = 4, .mem_mib = 1000 };
	char e[64];
	cpu_bits_parse_list("0-1", &pool.cpus, e, sizeof(e));
	struct vm a = fixture_vm(VM_STACK_COMMODITY, "vm", 4, 100, "0-1", VM_RUNNING);
	struct vm h = fixture_vm(VM_STACK_HPC, "vm", 8, 100, "2-9",
				 VM_RUNNING); /* other stack: ignored */
	a.next = &h;
	struct vm_spec spec = { .stack = VM_STACK_COMMODITY, .vcpus = 4, .mem_mib = 100 };
	int pin[8];
	struct api_error err;
	assert_int_equal(admit_commodity(&pool, &a, &spec, pin, &err), 0); /* 8 = 2 CPUs x 4 */
	assert_int_equal(pin[0], 0);
	assert_int_equal(pin[1], 1);
	struct vm b = fixture_vm(VM_STACK_COMMODITY, "vm", 4, 100, "0-1", VM_RUNNING);
	b.next = &a;
	spec.vcpus = 1;
	assert_int_equal(admit_commodity(&pool, &b, &spec, pin, &err), -1);
	assert_int_equal(err.status, 409);
	assert_string_equal(err.field, "vcpus");
	spec.mem_mib = 901;
	assert_int_equal(admit_commodity(&pool, &a, &spec, pin, &err), -1);
	assert_string_equal(err.field, "mem_mib");
	pool.overcommit_ratio = 1;
	spec.mem_mib = 1;
	spec.vcpus = 2;
	assert_int_equal(admit_commodity(&pool, NULL, &spec, pin, &err), 0);
	spec.vcpus = 3;
	assert_int_equal(admit_commodity(&pool, NULL, &spec, pin, &err), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hpc),
		cmocka_unit_test(test_commodity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
