#include "commodity_image.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "commodity_tool.h"

const char *image_format_name(enum image_format f)
{
	return f == IMAGE_QCOW2 ? "qcow2" : "raw";
}

void image_files_of(const char *state_dir, const char *vm_name, struct image_files *f)
{
	snprintf(f->base, sizeof(f->base), "%s/vms/%s.base", state_dir, vm_name);
	snprintf(f->overlay, sizeof(f->overlay), "%s/vms/%s.qcow2", state_dir, vm_name);
	snprintf(f->seed, sizeof(f->seed), "%s/vms/%s.seed.iso", state_dir, vm_name);
}

void image_files_remove(const struct image_files *f)
{
	unlink(f->overlay);
	unlink(f->base);
	unlink(f->seed);
}

/* The child of image_open_as_caller: becomes the caller, opens, sends the descriptor (or the
 * errno) back. Only system calls here: the parent may have threads. */
static void open_child(int sock, const char *path, const struct caller *who)
{
	int result = 0, fd = -1;
	if (setgroups(who->ngroups, who->groups) < 0 ||
	    setresgid(who->gid, who->gid, who->gid) < 0 ||
	    setresuid(who->uid, who->uid, who->uid) < 0)
		result = -EPERM;
	else if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0)
		result = errno;
	char cbuf[CMSG_SPACE(sizeof(int))];
	memset(cbuf, 0, sizeof(cbuf));
	struct iovec iov = { .iov_base = &result, .iov_len = sizeof(result) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	_exit(sendmsg(sock, &msg, 0) < 0 ? 1 : 0);
}

static int open_failed(int e, const char *path, const struct caller *who, const char *field,
		       struct api_error *err)
{
	if (e == -EPERM)
		return api_fail(err, 500, field, "cannot switch to uid %u to open %s",
				(unsigned)who->uid, path);
	if (e == EACCES || e == EPERM)
		return api_fail(err, 403, field,
				"%s: permission denied to uid %u (dsvd opens images "
				"with the caller's rights)",
				path, (unsigned)who->uid);
	return api_fail(err, 400, field, "cannot open %s: %s", path, strerror(e));
}

int image_open_as_caller(const char *path, const struct caller *who, const char *field,
			 struct api_error *err)
{
	if (!caller_is_other(who)) { /* dsvd itself (root) needs no switch */
		int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return open_failed(errno, path, who, field, err);
		return fd;
	}
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) < 0)
		return api_fail(err, 500, field, "socketpair: %s", strerror(errno));
	pid_t pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return api_fail(err, 500, field, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(sv[0]);
		open_child(sv[1], path, who);
	}
	close(sv[1]);
	int result = -1, fd = -1;
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = &result, .iov_len = sizeof(result) };
	struct msghdr msg = { .msg_iov = &iov,
			      .msg_iovlen = 1,
			      .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	ssize_t got = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
	close(sv[0]);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	struct cmsghdr *c = got > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (got != (ssize_t)sizeof(result))
		return api_fail(err, 500, field, "the helper that opens %s as uid %u failed", path,
				(unsigned)who->uid);
	if (result != 0 || fd < 0)
		return open_failed(result ? result : EIO, path, who, field, err);
	return fd;
}

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define QCOW2_INCOMPAT_DIRTY 1u
#define QCOW2_INCOMPAT_CORRUPT 2u
#define QCOW2_INCOMPAT_DATA_FILE 4u
#define QCOW2_INCOMPAT_COMPRESSION 8u
#define QCOW2_INCOMPAT_EXTL2 16u

static int probe_qcow2(const unsigned char *h, size_t n, const char *path, struct image_info *info,
		       const char *field, struct api_error *err)
{
	uint32_t version = be32(h + 4);
	if (n < 104 || (version != 2 && version != 3))
		return api_fail(err, 400, field,
				"%s: qcow2 version %" PRIu32 " is not supported (2 or 3)", path,
				version);
	if (be64(h + 8) != 0)
		return api_fail(err, 400, field,
				"%s has a backing file, which QEMU would open as root: "
				"give a standalone image (qemu-img convert -O qcow2)",
				path);
	if (be32(h + 32) != 0)
		return api_fail(err, 400, field, "%s is an encrypted qcow2 image (not supported)",
				path);
	uint64_t incompat = version == 3 ? be64(h + 72) : 0;
	if (incompat & QCOW2_INCOMPAT_DATA_FILE)
		return api_fail(err, 400, field,
				"%s keeps its data in an external file, which QEMU would "
				"open as root: give a standalone image",
				path);
	if (incompat & QCOW2_INCOMPAT_CORRUPT)
		return api_fail(err, 400, field, "%s is marked corrupt (qemu-img check -r all)",
				path);
	if (incompat &
	    ~(uint64_t)(QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_COMPRESSION | QCOW2_INCOMPAT_EXTL2))
		return api_fail(err, 400, field,
				"%s uses qcow2 features this host does not know "
				"(incompatible bits 0x%" PRIx64 ")",
				path, incompat);
	info->format = IMAGE_QCOW2;
	info->virtual_size = be64(h + 24);
	if (info->virtual_size == 0)
		return api_fail(err, 400, field, "%s is a qcow2 image of size 0", path);
	return 0;
}

int image_probe(int fd, const char *path, struct image_info *info, const char *field,
		struct api_error *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return api_fail(err, 500, field, "fstat %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return api_fail(err, 400, field, "%s is not a regular file", path);
	unsigned char h[2048];
	memset(h, 0, sizeof(h));
	ssize_t n = pread(fd, h, sizeof(h), 0);
	if (n < 0)
		return api_fail(err, 400, field, "cannot read %s: %s", path, strerror(errno));
	if (n >= 4 && memcmp(h, "QFI\xfb", 4) == 0)
		return probe_qcow2(h, (size_t)n, path, info, field, err);
	bool boot_sector = n >= 512 && h[510] == 0x55 && h[511] == 0xaa;
	bool gpt = n >= 520 && memcmp(h + 512, "EFI PART", 8) == 0;
	bool ext = n >= 1082 && h[1080] == 0x53 && h[1081] == 0xef;
	if (!boot_sector && !gpt && !ext)
		return api_fail(err, 400, field,
				"%s is neither a qcow2 image nor a raw disk image (no "
				"boot sector, GPT or ext file system)",
				path);
	if (st.st_size % 512)
		return api_fail(err, 400, field,
				"%s: a raw disk image is a whole number of 512-byte "
				"sectors (%lld bytes)",
				path, (long long)st.st_size);
	info->format = IMAGE_RAW;
	info->virtual_size = (uint64_t)st.st_size;
	return 0;
}

/* A private copy when the image is on another file system than the state directory. */
static int copy_image(int fd, const char *to, struct api_error *err)
{
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return api_fail(err, 500, "image", "cannot create %s: %s", to, strerror(errno));
	off_t off = 0;
	for (;;) {
		ssize_t n = copy_file_range(fd, &off, out, NULL, 1 << 30, 0);
		if (n == 0)
			break;
		if (n < 0) {
			int e = errno;
			close(out);
			unlink(to);
			return api_fail(err, 500, "image", "copying the image to %s: %s", to,
					strerror(e));
		}
	}
	close(out);
	return 0;
}

int image_prepare(int fd, const struct image_info *info, const struct image_files *f,
		  struct api_error *err)
{
	unlink(f->base);
	unlink(f->overlay);
	/* the very inode the caller could open: a path would be resolved again, as root */
	if (linkat(fd, "", AT_FDCWD, f->base, AT_EMPTY_PATH) < 0) {
		if (errno != EXDEV)
			return api_fail(err, 500, "image", "cannot link the image to %s: %s",
					f->base, strerror(errno));
		if (copy_image(fd, f->base, err) < 0)
			return -1;
	}
	char size[32], why[1200];
	snprintf(size, sizeof(size), "%" PRIu64, info->virtual_size);
	/* -u: qemu-img does not open the base (the size comes from the probe) */
	char *argv[] = { "qemu-img",
			 "create",
			 "-q",
			 "-u",
			 "-f",
			 "qcow2",
			 "-F",
			 (char *)image_format_name(info->format),
			 "-b",
			 (char *)f->base,
			 (char *)f->overlay,
			 size,
			 NULL };
	if (tool_run(argv, 60, why, sizeof(why)) < 0) {
		unlink(f->overlay);
		unlink(f->base);
		return api_fail(err, 500, "image", "creating the overlay %s: %s", f->overlay, why);
	}
	return 0;
}
