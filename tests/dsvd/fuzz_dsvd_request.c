/* libFuzzer target: dsvd's POST /vms request parser and validation (dsvd/vm_spec.c,
 * dsvd/json_fields.c). Every input must either parse into a spec that survives a JSON round
 * trip unchanged, or be refused with a 4xx that names a field. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vm_spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_spec spec;
	struct api_error err;
	memset(&err, 0, sizeof(err));
	if (vm_spec_parse((const char *)data, size, &spec, &err) < 0) {
		if (err.status < 400 || err.status > 599 || err.message[0] == '\0')
			abort();
		return 0;
	}
	char why[160];
	/* an operator's domain XML says its own memory size: mem_mib 0 then */
	if (vm_name_check(spec.name, why, sizeof(why)) < 0 || spec.vcpus < 1 ||
	    spec.vcpus > VM_VCPUS_MAX || (spec.mem_mib < 1 && !spec.domain_xml) ||
	    spec.mem_mib > VM_MEM_MIB_MAX || (spec.domain_xml && !spec.domain_xml[0]))
		abort(); /* accepted something validation should have refused */
	json_t *j = vm_spec_to_json(&spec);
	struct vm_spec again;
	if (!j || vm_spec_from_json(j, &again, &err) < 0)
		abort();
	if (strcmp(again.name, spec.name) != 0 || again.vcpus != spec.vcpus ||
	    again.mem_mib != spec.mem_mib || again.argc != spec.argc || again.stack != spec.stack)
		abort();
	json_decref(j);
	vm_spec_free(&again);
	vm_spec_free(&spec);
	return 0;
}
