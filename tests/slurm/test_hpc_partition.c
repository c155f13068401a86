/* dsvd's partition state as the plugin reads it, and the CPU check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hpc_partition.h"

static char dir[] = "/tmp/dsv-slurm-part.XXXXXX", path[64], err[1024];
static struct hpc_partition p;

static void write_state(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* The fields as dsvd's partition_state_save writes them (dsvd/partition_state.c). */
static const char active_state[] =
	"{\"active\": true, \"applying\": false, \"spec\": {\"hpc_cpus\": \"2-5,7\", "
	"\"housekeeping_cpus\": \"0\", \"commodity_cpus\": \"1,6\", \"hpc_mem_mib\": 1024}, "
	"\"cgroup_mode\": \"v1\"}";

static void inside_and_outside(void **state)
{
	int in[] = { 2, 5, 7 }, out[] = { 3, 6 }, far[] = { 4095 };

	(void)state;
	write_state(active_state);
	assert_int_equal(hpc_partition_load(path, &p, err, sizeof(err)), 0);
	assert_int_equal(hpc_partition_check(&p, in, 3, err, sizeof(err)), 0);
	assert_int_equal(hpc_partition_check(&p, out, 2, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "Slurm gave this task CPU 6, which is not in dsv's HPC partition "
			    "(HPC CPUs 2-5,7): no HPC VM runs outside it; set CpuSpecList to the "
			    "other CPUs ('dsv node slurm-conf' prints it)");
	assert_int_equal(hpc_partition_check(&p, far, 1, err, sizeof(err)), -1);
}

static void refused_states(void **state)
{
	(void)state;
	unlink(path);
	assert_int_equal(hpc_partition_load(path, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "dsv's HPC partition is not applied on this node (no "));
	write_state("{\"active\": false, \"spec\": {\"hpc_cpus\": \"1\"}}");
	assert_int_equal(hpc_partition_load(path, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "is not active"));
	write_state("{\"active\": true, \"spec\": {}}");
	assert_int_equal(hpc_partition_load(path, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "spec.hpc_cpus is missing"));
	write_state("{\"active\": true, \"spec\": {\"hpc_cpus\": \"3-1\"}}");
	assert_int_equal(hpc_partition_load(path, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "spec.hpc_cpus"));
	write_state("{\"active\": tru");
	assert_int_equal(hpc_partition_load(path, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cannot read dsv's partition state"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(inside_and_outside),
		cmocka_unit_test(refused_states),
	};
	int rc;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/partition.json", dir);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(path);
	rmdir(dir);
	return rc;
}
