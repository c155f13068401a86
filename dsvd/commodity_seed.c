#include "commodity_seed.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commodity_tool.h"

void seed_default_meta_data(const char *vm_name, char *out, size_t len)
{
	snprintf(out, len, "instance-id: dsv-%s\nlocal-hostname: %s\n", vm_name, vm_name);
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t n = write(fd, text + done, len - done);
		if (n < 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

int seed_build(const char *seed_path, const char *vm_name, const char *user_data,
	       const char *meta_data, struct api_error *err)
{
	char dir[700], ud[760], md[760], meta[256];
	snprintf(dir, sizeof(dir), "%s.d.XXXXXX", seed_path);
	if (!mkdtemp(dir))
		return api_fail(err, 500, "cloud_init", "cannot create %s: %s", dir,
				strerror(errno));
	snprintf(ud, sizeof(ud), "%s/user-data", dir);
	snprintf(md, sizeof(md), "%s/meta-data", dir);
	if (!meta_data) {
		seed_default_meta_data(vm_name, meta, sizeof(meta));
		meta_data = meta;
	}
	int rc = 0;
	if (write_file(ud, user_data) < 0 || write_file(md, meta_data) < 0) {
		rc = api_fail(err, 500, "cloud_init", "cannot write the seed files in %s: %s", dir,
			      strerror(errno));
	} else {
		char why[1200];
		char *argv[] = { "genisoimage",
				 "-quiet",
				 "-output",
				 (char *)seed_path,
				 "-volid",
				 "cidata",
				 "-joliet",
				 "-rock",
				 ud,
				 md,
				 NULL };
		unlink(seed_path);
		if (tool_run(argv, 60, why, sizeof(why)) < 0) {
			unlink(seed_path);
			rc = api_fail(err, 500, "cloud_init", "building the NoCloud seed: %s", why);
		}
	}
	unlink(ud);
	unlink(md);
	rmdir(dir);
	return rc;
}
