/*
 * SysV shared memory (shmget, shmat, shmdt, shmctl): a segment is a file in /dev/shm, the
 * directory hvmm --shm DIR gives the VM, named ".dsv-sysv-<shmid>" (keyed: the shmid is
 * the key; IPC_PRIVATE: a random free one), and shmat maps it MAP_SHARED like any other
 * /dev/shm file (sys_mem_shared.c). The VMs of one job with one --shm DIR therefore see
 * one set of segments: a key, or a shmid handed to another rank, names the same host pages
 * in each VM. Everything goes through the file calls hvmm already checks (the segment
 * cannot leave DIR); without --shm, /dev/shm is EACCES and so is shmget.
 *
 * IPC_RMID renames a segment this VM still has attached to ".dsv-sysv-<shmid>.rm" (its key
 * is free again at once, as on Linux) and removes it at the last shmdt here or when the
 * program ends; attach counts are this VM's own (docs/lwk.md "SysV shared memory").
 */
#include "syscall.h"
#include "errno.h"
#include "exec.h"
#include "host.h"
#include "lock.h"
#include "sys_mem_shared.h"
#include "sys_shm.h"
#include "thread.h"
#include "uaccess.h"
#include <dsv/fileio.h>
#include <dsv/hypercall.h>

#define IPC_PRIVATE 0
#define IPC_CREAT 01000
#define IPC_EXCL 02000
#define IPC_RMID 0
#define IPC_SET 1
#define IPC_STAT 2
#define IPC_INFO 3
#define IPC_64 0x100
#define SHM_LOCK 11
#define SHM_UNLOCK 12
#define SHM_HUGETLB 04000
#define SHM_NORESERVE 010000
#define SHM_HUGE_MASK (0x3fu << 26) /* a huge page size: only with SHM_HUGETLB */
#define SHM_RDONLY 010000
#define SHM_RND 020000
#define SHM_REMAP 040000
#define SHM_EXEC 0100000
#define SHM_DEST 01000

#define O_RDONLY 0
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define PROT_READ 1
#define PROT_WRITE 2
#define STAT_SIZE 144
#define SHM_SEGS 64
#define NAME_MAX_LEN 40

/* A segment this VM created by key, attached or removed: what shmctl reports of it. */
struct seg {
	int32_t id; /* 0: free slot */
	bool keyed, created, removed;
	uint32_t nattch;
};
/* One attachment: shmdt finds the segment by address. */
struct att {
	uint64_t va, len;
	int32_t id; /* 0: free */
};

static struct seg segs[SHM_SEGS];
static struct att atts[DSV_SHM_MAX_MAPS];
/* Held across host calls: only ones that never block (dsv_hc_may_block() is false for
 * open, fstat, ftruncate, rename, unlink, close and the shared mmap), so a thread never
 * gives its vCPU away while holding it. */
static spinlock_t lock;

/* "/dev/shm/.dsv-sysv-<id>" (".rm" appended for a removed one); returns the length. */
static uint64_t seg_path(char *buf, int32_t id, bool removed)
{
	static const char pre[] = "/dev/shm/.dsv-sysv-";
	char digits[12];
	int n = 0;
	uint32_t v = (uint32_t)id;
	do
		digits[n++] = (char)('0' + v % 10);
	while ((v /= 10));
	uint64_t len = sizeof(pre) - 1;
	memcpy(buf, pre, len);
	while (n)
		buf[len++] = digits[--n];
	if (removed) {
		memcpy(buf + len, ".rm", 3);
		len += 3;
	}
	buf[len] = '\0';
	return len;
}

static int64_t seg_open(int32_t id, bool removed, uint64_t flags, uint64_t mode)
{
	char path[NAME_MAX_LEN];
	uint64_t len = seg_path(path, id, removed);
	return host_call(DSV_HC_OPENAT, (uint64_t)(int64_t)DSV_AT_FDCWD, virt_to_phys(path), len,
			 flags | O_NOFOLLOW | O_CLOEXEC, mode, 0);
}

static void fd_close(int64_t fd)
{
	host_call(DSV_HC_CLOSE, (uint64_t)fd, 0, 0, 0, 0, 0);
}

/* The segment's file size, mode and times (struct stat of x86-64), or -errno. */
static int64_t fd_stat(int64_t fd, uint64_t st[STAT_SIZE / 8])
{
	return host_call(DSV_HC_FSTAT, (uint64_t)fd, virt_to_phys(st), 0, 0, 0, 0);
}
#define ST_MODE(st) ((uint32_t)(st)[3])
#define ST_SIZE(st) ((st)[6])
#define ST_ATIME(st) ((st)[9])
#define ST_MTIME(st) ((st)[11])
#define ST_CTIME(st) ((st)[13])

static struct seg *seg_find(int32_t id)
{
	for (unsigned i = 0; i < SHM_SEGS; i++)
		if (segs[i].id == id)
			return &segs[i];
	return NULL;
}

/* This VM's record of id, made if need be; NULL when the table is full. */
static struct seg *seg_get(int32_t id)
{
	struct seg *s = seg_find(id);
	if (!s && (s = seg_find(0)))
		*s = (struct seg){ .id = id };
	return s;
}

/* Forgets a record that says nothing shmctl could not learn from the file. */
static void seg_drop_idle(struct seg *s)
{
	if (s && !s->nattch && !s->removed && !s->keyed && !s->created)
		*s = (struct seg){ 0 };
}

/* Opens the segment's file as this VM knows it (removed or not); -EINVAL if none. */
static int64_t seg_open_id(int32_t id, uint64_t flags)
{
	if (id <= 0)
		return -EINVAL;
	struct seg *s = seg_find(id);
	int64_t fd = seg_open(id, s && s->removed, flags, 0);
	if (fd == -ENOENT || fd == -ENAMETOOLONG)
		return s && s->removed ? -EIDRM : -EINVAL;
	return fd;
}

static int64_t seg_unlink(int32_t id, bool removed)
{
	char path[NAME_MAX_LEN];
	uint64_t len = seg_path(path, id, removed);
	return host_call(DSV_HC_UNLINKAT, (uint64_t)(int64_t)DSV_AT_FDCWD, virt_to_phys(path), len,
			 0, 0, 0);
}

/* Creates the file of a new segment of size bytes; its fd, or -errno (-EEXIST: taken). */
static int64_t seg_create(int32_t id, uint64_t size, uint64_t mode)
{
	int64_t fd = seg_open(id, false, O_RDWR | O_CREAT | O_EXCL, mode & 0777);
	if (fd < 0)
		return fd;
	int64_t e = host_call(DSV_HC_FTRUNCATE, (uint64_t)fd, size, 0, 0, 0, 0);
	if (e < 0) {
		seg_unlink(id, false);
		fd_close(fd);
		return e == -ENOSPC || e == -EFBIG ? -ENOMEM : e;
	}
	return fd;
}

static int64_t shmget_locked(int32_t key, uint64_t size, uint32_t flg)
{
	if (flg & SHM_HUGETLB)
		return -ENOMEM; /* no huge pages reserved for it: Linux's answer then */
	if (flg & ~(0777u | IPC_CREAT | IPC_EXCL | SHM_NORESERVE))
		return -EINVAL;
	if (key < 0)
		return -EINVAL; /* keys are shmids here, and shmids are positive (docs/lwk.md) */
	bool create = key == IPC_PRIVATE || (flg & IPC_CREAT);
	if (create && (size < 1 || size > DSV_SHM_MAX_BYTES))
		return -EINVAL;
	struct seg *s = key ? seg_find(key) : NULL;
	if (s && s->removed)
		return -ENOSPC; /* the key's shmid is still a removed segment's here */
	if (!s && !(s = seg_find(0)))
		return -ENOSPC; /* this VM's table of segments is full */
	int64_t fd = -EEXIST;
	int32_t id = key;
	if (key == IPC_PRIVATE) {
		for (int tries = 0; tries < 16 && fd == -EEXIST; tries++) {
			uint32_t r;
			random_bytes(&r, sizeof(r));
			id = (int32_t)(r & 0x7fffffffu);
			if (id > 0 && !seg_find(id))
				fd = seg_create(id, size, flg);
		}
		if (fd == -EEXIST)
			return -ENOSPC;
	} else if (create) {
		fd = seg_create(id, size, flg);
		if (fd == -EEXIST && (flg & IPC_EXCL))
			return -EEXIST;
	}
	if (fd >= 0) {
		fd_close(fd);
		*s = (struct seg){ .id = id, .keyed = key != IPC_PRIVATE, .created = true };
		return id;
	}
	if (fd != -EEXIST)
		return fd;
	/* an existing keyed segment: the size asked for must fit in it */
	fd = seg_open(id, false, O_RDONLY, 0);
	if (fd < 0)
		return fd; /* ENOENT without IPC_CREAT, as Linux */
	uint64_t st[STAT_SIZE / 8] = { 0 };
	int64_t e = fd_stat(fd, st);
	fd_close(fd);
	if (e < 0)
		return e;
	if (!ST_SIZE(st))
		return -ENOENT; /* another VM is creating it (open, then ftruncate): not yet there */
	if (size > ST_SIZE(st))
		return -EINVAL;
	if (s->id != id)
		*s = (struct seg){ .id = id };
	s->keyed = true;
	return id;
}

int64_t sys_shmget(struct regs *r)
{
	spin_lock(&lock);
	int64_t ret = shmget_locked((int32_t)r->rdi, r->rsi, (uint32_t)r->rdx);
	spin_unlock(&lock);
	return ret;
}

static int64_t shmat_locked(int32_t id, uint64_t addr, uint32_t flg)
{
	if (flg & ~(SHM_RDONLY | SHM_RND | SHM_REMAP | SHM_EXEC))
		return -EINVAL;
	if (addr) {
		/* Shared mappings are placed by the lwk: the one fixed address it can honour is
		 * the segment's own attachment there again (SHM_REMAP onto itself, which UCX's
		 * start-up does), which leaves everything as it was. */
		for (unsigned i = 0; i < DSV_SHM_MAX_MAPS; i++)
			if (atts[i].id == id && atts[i].va == addr && (flg & SHM_REMAP))
				return (int64_t)addr;
		return -EINVAL;
	}
	bool ro = flg & SHM_RDONLY;
	int64_t fd = seg_open_id(id, ro ? O_RDONLY : O_RDWR);
	if (fd < 0)
		return fd == -EIDRM ? -EINVAL : fd;
	uint64_t st[STAT_SIZE / 8] = { 0 };
	int64_t ret = fd_stat(fd, st);
	struct att *a = NULL;
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS && !a; i++)
		if (!atts[i].id)
			a = &atts[i];
	struct seg *s = seg_get(id);
	if (ret >= 0 && (!a || !s))
		ret = -ENOMEM;
	else if (ret >= 0 && !ST_SIZE(st))
		ret = -EINVAL; /* a file someone emptied: no segment */
	else if (ret >= 0)
		ret = shm_mmap(ST_SIZE(st), PROT_READ | (ro ? 0 : PROT_WRITE), (int)fd, 0);
	fd_close(fd);
	if (ret < 0) {
		seg_drop_idle(s);
		return ret;
	}
	*a = (struct att){ .va = (uint64_t)ret, .len = ST_SIZE(st), .id = id };
	s->nattch++;
	return ret;
}

int64_t sys_shmat(struct regs *r)
{
	spin_lock(&lock);
	int64_t ret = shmat_locked((int32_t)r->rdi, r->rsi, (uint32_t)r->rdx);
	spin_unlock(&lock);
	return ret;
}

int64_t sys_shmdt(struct regs *r)
{
	int64_t ret = -EINVAL;
	spin_lock(&lock);
	for (unsigned i = 0; i < DSV_SHM_MAX_MAPS; i++) {
		struct att *a = &atts[i];
		if (!a->id || a->va != r->rdi)
			continue;
		ret = shm_munmap(a->va, a->len);
		if (ret < 0)
			break;
		struct seg *s = seg_find(a->id);
		if (s && s->nattch && !--s->nattch && s->removed) {
			seg_unlink(s->id, true); /* the last attachment of a removed segment */
			*s = (struct seg){ 0 };
		}
		seg_drop_idle(s);
		*a = (struct att){ 0 };
		break;
	}
	spin_unlock(&lock);
	return ret;
}

static int64_t rmid_locked(int32_t id)
{
	if (id <= 0)
		return -EINVAL;
	struct seg *s = seg_find(id);
	if (s && s->removed)
		return -EIDRM;
	int64_t e;
	if (s && s->nattch) { /* attached here: keep the pages reachable under another name */
		char from[NAME_MAX_LEN], to[NAME_MAX_LEN];
		uint64_t flen = seg_path(from, id, false), tlen = seg_path(to, id, true);
		uint64_t at = (uint64_t)(int64_t)DSV_AT_FDCWD;
		e = host_call(DSV_HC_RENAMEAT, at, virt_to_phys(from), flen, at, virt_to_phys(to),
			      tlen);
	} else {
		e = seg_unlink(id, false);
	}
	if (e == -ENOENT)
		return -EINVAL;
	if (e < 0)
		return e;
	if (s && s->nattch)
		s->removed = true;
	else if (s)
		*s = (struct seg){ 0 };
	return 0;
}

/* struct shmid64_ds of x86-64 (112 bytes). */
struct shmid_ds_k {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint16_t mode, pad1, seq, pad2;
	uint64_t unused1, unused2;
	uint64_t segsz;
	int64_t atime, dtime, ctime;
	int32_t cpid, lpid;
	uint64_t nattch, unused4, unused5;
};
_Static_assert(sizeof(struct shmid_ds_k) == 112, "struct shmid64_ds");

static int64_t stat_locked(int32_t id, uint64_t buf)
{
	int64_t fd = seg_open_id(id, O_RDONLY);
	if (fd < 0)
		return fd;
	uint64_t st[STAT_SIZE / 8] = { 0 };
	int64_t e = fd_stat(fd, st);
	fd_close(fd);
	if (e < 0)
		return e;
	const struct seg *s = seg_find(id);
	struct shmid_ds_k d = {
		.key = s && s->keyed && !s->removed ? id : IPC_PRIVATE,
		.mode = (uint16_t)((ST_MODE(st) & 0777) | (s && s->removed ? SHM_DEST : 0)),
		.segsz = ST_SIZE(st),
		.atime = (int64_t)ST_ATIME(st),
		.ctime = (int64_t)ST_CTIME(st),
		.cpid = s && s->created ? PROGRAM_PID : 0,
		.lpid = s && s->nattch ? PROGRAM_PID : 0,
		.nattch = s ? s->nattch : 0,
	};
	if (!user_ok(buf, sizeof(d)))
		return -EFAULT;
	memcpy((void *)buf, &d, sizeof(d));
	return 0;
}

int64_t sys_shmctl(struct regs *r)
{
	int32_t id = (int32_t)r->rdi;
	int cmd = (int)r->rsi & ~IPC_64;
	uint64_t buf = r->rdx;
	int64_t ret = -EINVAL;
	spin_lock(&lock);
	switch (cmd) {
	case IPC_RMID:
		ret = rmid_locked(id);
		break;
	case IPC_STAT:
		ret = stat_locked(id, buf);
		break;
	case IPC_INFO: {
		/* struct shminfo: shmmax, shmmin, shmmni, shmseg, shmall (pages) */
		const uint64_t info[5] = { DSV_SHM_MAX_BYTES, 1, SHM_SEGS, DSV_SHM_MAX_MAPS,
					   DSV_SHM_MAX_BYTES / PAGE_SIZE };
		ret = user_ok(buf, sizeof(info)) ? 0 : -EFAULT;
		if (!ret)
			memcpy((void *)buf, info, sizeof(info));
		break;
	}
	case SHM_LOCK:
	case SHM_UNLOCK: { /* memory is never paged out: only check that the segment is */
		int64_t fd = seg_open_id(id, O_RDONLY);
		ret = fd < 0 ? fd : 0;
		if (fd >= 0)
			fd_close(fd);
		break;
	}
	default: /* IPC_SET, SHM_STAT, SHM_INFO: not supported (docs/lwk.md) */
		break;
	}
	spin_unlock(&lock);
	return ret;
}

void sysv_shm_exit(void)
{
	spin_lock(&lock);
	/* A removed segment's last attachment ends with the program. */
	for (unsigned i = 0; i < SHM_SEGS; i++)
		if (segs[i].id && segs[i].removed)
			seg_unlink(segs[i].id, true);
	spin_unlock(&lock);
}
