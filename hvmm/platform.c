#include "platform.h"

#include "kvm_host.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Looks for a word in the "flags" line of /proc/cpuinfo. */
static int cpu_has_flag(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[8192];
	int found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5))
			continue;
		for (char *tok = strtok(strchr(line, ':') ? strchr(line, ':') + 1 : line, " \t\n");
		     tok; tok = strtok(NULL, " \t\n"))
			if (!strcmp(tok, flag))
				found = 1;
		break;
	}
	fclose(f);
	return found;
}

const struct platform *platform_detect(void)
{
	if (kvm_host_backend() == KVM_HOST_PVM)
		return &platform_pvm;
	if (access("/sys/module/kvm_amd", F_OK) == 0 || cpu_has_flag("svm"))
		return &platform_svm;
	return &platform_vmx;
}
