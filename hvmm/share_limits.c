/* --share-max-file-size: see share_limits.h. */
#include "share_limits.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

int share_limit_file_size(uint64_t max, char *err, size_t errlen)
{
	struct rlimit rl = { .rlim_cur = (rlim_t)max, .rlim_max = (rlim_t)max };

	if (signal(SIGXFSZ, SIG_IGN) == SIG_ERR) {
		snprintf(err, errlen, "ignoring SIGXFSZ: %s", strerror(errno));
		return -1;
	}
	if (setrlimit(RLIMIT_FSIZE, &rl)) {
		snprintf(err, errlen, "setrlimit(RLIMIT_FSIZE, %llu): %s", (unsigned long long)max,
			 strerror(errno));
		return -1;
	}
	return 0;
}
