#include <string.h>

#include "cli.h"

bool vm_has_ended(const json_t *vm)
{
	const char *state = json_string_value(json_object_get(vm, "state"));
	return !state || (strcmp(state, "running") != 0 && strcmp(state, "starting") != 0);
}

int vm_exit_status(const json_t *vm)
{
	const char *state = json_string_value(json_object_get(vm, "state"));
	json_t *code = json_object_get(vm, "exit_code");
	if (code)
		return (int)json_integer_value(code);
	/* a VM that failed without a status (its QEMU was killed) must not read as 0 */
	return state && strcmp(state, "failed") == 0 ? 1 : 0;
}
