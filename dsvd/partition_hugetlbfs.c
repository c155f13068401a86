/* The last partition step: a private hugetlbfs for the HPC VMs.
 *
 * Raising nr_hugepages alone leaves the pages in the global pool, where any process's
 * MAP_HUGETLB can take them. A hugetlbfs mounted with min_size=S reserves S worth of pages
 * for that mount (HugePages_Rsvd rises): from then on others can only have free pages beyond
 * every reservation, and the HPC VMs map their RAM from files in the mount (hvmm --hugetlbfs).
 * size=S caps the mount at the partition. The reservation is a global count, not per NUMA
 * node, so step_hugepages first adds the pages on the HPC nodes and this step then reserves
 * them. The mount point is root-only (mode 0700, on the directory and the mount). */
#include "partition_steps.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int make_mount_point(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "hugetlbfs: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "hugetlbfs: %s is not a directory", dir);
		return -1;
	}
	if (chmod(dir, 0700) < 0) {
		snprintf(err, errlen, "hugetlbfs: chmod %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int step_hugetlbfs(struct apply_run *r)
{
	struct partition_state *st = r->st;
	const char *dir = r->ctx->hugetlbfs_dir;
	if (!dir)
		return 0;
	if (strlen(dir) >= sizeof(st->hugetlbfs.path)) {
		snprintf(r->err, sizeof(r->err), "hugetlbfs: mount point path too long");
		return -1;
	}
	if (make_mount_point(dir, r->err, sizeof(r->err)) < 0)
		return -1;
	unsigned long long mib = (unsigned long long)st->spec.hpc_mem_mib;
	snprintf(st->hugetlbfs.path, sizeof(st->hugetlbfs.path), "%s", dir);
	snprintf(st->hugetlbfs.options, sizeof(st->hugetlbfs.options),
		 "pagesize=%lluK,size=%lluM,min_size=%lluM,mode=0700,uid=%u,gid=%u",
		 (unsigned long long)st->hugepage_kb, mib, mib, (unsigned)getuid(),
		 (unsigned)getgid());
	/* recorded first: a crash right after mount(2) still leaves it in the state file */
	st->hugetlbfs.mounted = true;
	char why[PARTITION_ERRLEN];
	if (r->ctx->state_path &&
	    partition_state_save(st, r->ctx->state_path, r->err, sizeof(r->err)) < 0) {
		st->hugetlbfs.mounted = false;
		return -1;
	}
	errno = 0;
	if (hostfs_mount(r->ctx->fs, "hugetlbfs", dir, st->hugetlbfs.options, why, sizeof(why)) <
	    0) {
		int e = errno;
		st->hugetlbfs.mounted = false;
		rmdir(dir);
		/* ENOMEM: the kernel could not reserve min_size (someone took the free pages since
         * step_hugepages): memory that does not fit, like a hugepage shortage */
		snprintf(r->err, sizeof(r->err), "%s%s", e == ENOMEM ? "hpc_mem_mib: " : "", why);
		return -1;
	}
	return 0;
}

int partition_hugetlbfs_undo(const struct partition_ctx *ctx, struct partition_state *st, char *err,
			     size_t errlen)
{
	if (!st->hugetlbfs.mounted)
		return 0;
	if (hostfs_umount(ctx->fs, st->hugetlbfs.path, err, errlen) < 0)
		return -1;
	st->hugetlbfs.mounted = false;
	rmdir(st->hugetlbfs.path); /* ours (mkdir'ed by the step); left alone if not empty */
	return 0;
}

/* The mount point of a /proc/PID/mountinfo line that is a hugetlbfs, or NULL. */
static const char *hugetlbfs_mount_point(char *line)
{
	if (!strstr(line, " - hugetlbfs "))
		return NULL;
	char *f = line;
	for (int i = 0; i < 4 && f; i++) { /* id, parent, dev, root, then the mount point */
		f = strchr(f, ' ');
		if (f)
			f++;
	}
	if (!f)
		return NULL;
	f[strcspn(f, " ")] = '\0';
	return f;
}

static bool holds_copy(const char *mountinfo, const char *path)
{
	FILE *f = fopen(mountinfo, "re");
	if (!f)
		return false;
	char line[1024];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *mp = hugetlbfs_mount_point(line);
		found = mp && strcmp(mp, path) == 0;
	}
	fclose(f);
	return found;
}

unsigned partition_hugetlbfs_copies(const struct partition_ctx *ctx,
				    const struct partition_state *st, char *out, size_t len)
{
	out[0] = '\0';
	if (hostfs_is_fake(ctx->fs) || !st->hugetlbfs.mounted)
		return 0; /* a fake tree has no processes, nor namespaces */
	char ours[64] = "", seen[16][64];
	unsigned nseen = 0, n = 0;
	if (readlink("/proc/self/ns/mnt", ours, sizeof(ours) - 1) < 0)
		return 0;
	DIR *d = opendir("/proc");
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		char link[300], ns[64] = "", info[300], comm[64] = "?";
		snprintf(link, sizeof(link), "/proc/%s/ns/mnt", de->d_name);
		if (readlink(link, ns, sizeof(ns) - 1) < 0 || strcmp(ns, ours) == 0)
			continue;
		bool known = false;
		for (unsigned i = 0; i < nseen && !known; i++)
			known = strcmp(seen[i], ns) == 0;
		if (known)
			continue;
		if (nseen < 16)
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", ns);
		snprintf(info, sizeof(info), "/proc/%s/mountinfo", de->d_name);
		if (!holds_copy(info, st->hugetlbfs.path))
			continue;
		snprintf(info, sizeof(info), "/proc/%s/comm", de->d_name);
		char why[64];
		hostfs_read(info, comm, sizeof(comm), why, sizeof(why));
		size_t used = strlen(out);
		snprintf(out + used, len - used, "%s%s (pid %s)", n ? ", " : "", comm, de->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}
