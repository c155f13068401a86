#include "hpc_options.h"

#include <stdio.h>
#include <string.h>

#include "dsv/hvmm_cli.h"
#include "shm_mount.h"

static int parse_mib(const char *s, size_t n, uint64_t *mib)
{
	static const struct {
		char c;
		unsigned shift;
	} units[] = {
		{ 'K', 10 },
		{ 'M', 20 },
		{ 'G', 30 },
		{ 'T', 40 },
	};
	uint64_t v = 0, bytes;
	size_t i = 0;
	unsigned shift = 20; /* a bare number is MiB, as Slurm's --mem */

	if (n == 0 || s[0] < '0' || s[0] > '9')
		return -1;
	for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i < n) {
		size_t u;
		char c = s[i] & ~0x20; /* upper case */

		for (u = 0; u < sizeof(units) / sizeof(units[0]) && units[u].c != c; u++)
			;
		if (u == sizeof(units) / sizeof(units[0]))
			return -1;
		shift = units[u].shift;
		i++;
		if (i < n && (s[i] == 'i' || s[i] == 'I') && i + 1 < n && (s[i + 1] & ~0x20) == 'B')
			i += 2;
		else if (i < n && (s[i] & ~0x20) == 'B')
			i++;
		if (i != n)
			return -1;
	}
	if (v > (UINT64_MAX >> shift))
		return -1;
	bytes = v << shift;
	if (bytes % (1ull << 20))
		return -1;
	*mib = bytes >> 20;
	return 0;
}

static int parse_one(const char *key, size_t klen, const char *val, size_t vlen,
		     struct hpc_options *o, char *err, size_t errlen)
{
	if (klen == 3 && !strncmp(key, "mem", 3)) {
		if (parse_mib(val, vlen, &o->mem_mib) || o->mem_mib < HVMM_MEM_MIN_MIB ||
		    o->mem_mib > HVMM_MEM_MAX_MIB) {
			snprintf(err, errlen,
				 "--dsv-hpc: mem='%.*s': expected a size in whole MiB "
				 "from %dM to %dG, e.g. mem=512M",
				 (int)vlen, val, HVMM_MEM_MIN_MIB, HVMM_MEM_MAX_MIB >> 10);
			return -1;
		}
		return 0;
	}
	if (klen == 5 && !strncmp(key, "share", 5)) {
		if (vlen == 0 || val[0] != '/' || vlen >= sizeof(o->share)) {
			snprintf(err, errlen,
				 "--dsv-hpc: share='%.*s': expected an absolute directory",
				 (int)(vlen > 200 ? 200 : vlen), val);
			return -1;
		}
		memcpy(o->share, val, vlen);
		o->share[vlen] = '\0';
		return 0;
	}
	if (klen == 9 && !strncmp(key, "hugepages", 9)) {
		if (vlen == 4 && !strncmp(val, "auto", 4))
			o->hugepages = HPC_HUGE_AUTO;
		else if (vlen == 2 && !strncmp(val, "on", 2))
			o->hugepages = HPC_HUGE_ON;
		else if (vlen == 3 && !strncmp(val, "off", 3))
			o->hugepages = HPC_HUGE_OFF;
		else {
			snprintf(err, errlen,
				 "--dsv-hpc: hugepages='%.*s': expected auto, on or off",
				 (int)(vlen > 200 ? 200 : vlen), val);
			return -1;
		}
		return 0;
	}
	if (klen == 3 && !strncmp(key, "net", 3)) {
		if (vlen == 4 && !strncmp(val, "none", 4))
			o->net = HPC_NET_NONE;
		else if (vlen == 4 && !strncmp(val, "host", 4))
			o->net = HPC_NET_HOST;
		else {
			snprintf(err, errlen, "--dsv-hpc: net='%.*s': expected none or host",
				 (int)(vlen > 200 ? 200 : vlen), val);
			return -1;
		}
		return 0;
	}
	snprintf(err, errlen,
		 "--dsv-hpc: unknown option '%.*s': expected mem=SIZE, share=DIR, "
		 "hugepages=auto|on|off or net=none|host, separated by commas",
		 (int)(klen > 200 ? 200 : klen), key);
	return -1;
}

int hpc_options_parse(const char *text, struct hpc_options *o, char *err, size_t errlen)
{
	const char *p = text;

	memset(o, 0, sizeof(*o));
	err[0] = '\0';
	if (!p || !*p)
		return 0;
	for (;;) {
		size_t n = strcspn(p, ","), klen = strcspn(p, "=");

		if (klen >= n) {
			snprintf(err, errlen,
				 "--dsv-hpc: '%.*s' is not KEY=VALUE: expected mem=SIZE, "
				 "share=DIR, hugepages=auto|on|off or net=none|host, separated by "
				 "commas",
				 (int)(n > 200 ? 200 : n), p);
			return -1;
		}
		if (parse_one(p, klen, p + klen + 1, n - klen - 1, o, err, errlen))
			return -1;
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static int set_path(char *dst, size_t len, const char *arg, const char *key, char *err,
		    size_t errlen)
{
	const char *v = arg + strlen(key) + 1;

	if (v[0] != '/' || strlen(v) >= len) {
		snprintf(err, errlen, "dsv plugin: %s: expected an absolute path", arg);
		return -1;
	}
	snprintf(dst, len, "%s", v);
	return 0;
}

int plugin_config_parse(int argc, char **argv, struct plugin_config *c, char *err, size_t errlen)
{
	snprintf(c->hvmm, sizeof(c->hvmm), "%s", PLUGIN_DEFAULT_HVMM);
	snprintf(c->partition_state, sizeof(c->partition_state), "%s", PLUGIN_DEFAULT_STATE);
	snprintf(c->shm_root, sizeof(c->shm_root), "%s", PLUGIN_DEFAULT_SHM_ROOT);
	c->shm_mib = SHM_MOUNT_MIB_DEFAULT;
	err[0] = '\0';
	for (int i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "hvmm=", 5)) {
			if (set_path(c->hvmm, sizeof(c->hvmm), argv[i], "hvmm", err, errlen))
				return -1;
		} else if (!strncmp(argv[i], "partition_state=", 16)) {
			if (set_path(c->partition_state, sizeof(c->partition_state), argv[i],
				     "partition_state", err, errlen))
				return -1;
		} else if (!strncmp(argv[i], "shm_root=", 9)) {
			if (set_path(c->shm_root, sizeof(c->shm_root), argv[i], "shm_root", err,
				     errlen))
				return -1;
			if (strspn(c->shm_root, "/") == strlen(c->shm_root)) {
				snprintf(err, errlen,
					 "dsv plugin: %s: not /, a directory of its own for the "
					 "steps' /dev/shm",
					 argv[i]);
				return -1;
			}
		} else if (!strncmp(argv[i], "shm_mib=", 8)) {
			if (shm_mount_parse_mib(argv[i] + 8, &c->shm_mib)) {
				snprintf(err, errlen,
					 "dsv plugin: %.200s: expected the size of each step's "
					 "/dev/shm in MiB, 1 to %d",
					 argv[i], SHM_MOUNT_MIB_MAX);
				return -1;
			}
		} else {
			snprintf(err, errlen,
				 "dsv plugin: unknown argument '%.200s' in plugstack.conf: "
				 "expected hvmm=PATH, partition_state=PATH, shm_root=PATH or "
				 "shm_mib=N",
				 argv[i]);
			return -1;
		}
	}
	return 0;
}

const char *hpc_hugepages_name(enum hpc_hugepages h)
{
	switch (h) {
	case HPC_HUGE_AUTO:
		return "auto";
	case HPC_HUGE_ON:
		return "on";
	case HPC_HUGE_OFF:
		return "off";
	default:
		return NULL;
	}
}
