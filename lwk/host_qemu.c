/* Stand-in for hvmm when booted by QEMU through PVH: stdout goes to COM1, stderr and the
 * kernel log to the debugcon port 0xe9, exit to isa-debug-exit (QEMU exits with
 * (status << 1) | 1). There is no file system: only the standard descriptors exist. */
#include "host.h"
#include "x86.h"
#include <dsv/abi.h>
#include <dsv/fileio.h>
#include <dsv/hypercall.h>

#define COM1_PORT 0x3f8
#define DEBUGCON_PORT 0xe9
#define DEBUG_EXIT 0xf4

#define EBADF 9
#define EACCES 13
#define ESPIPE 29
#define ENOTTY 25
#define ENOSYS 38
#define ERANGE 34

static void port_write(uint16_t port, const void *buf, uint64_t len)
{
	__asm__ volatile("rep outsb" : "+S"(buf), "+c"(len) : "d"(port) : "memory");
}

static int64_t write_fd(uint64_t fd, uint64_t gpa, uint64_t len)
{
	if (fd != 1 && fd != 2)
		return -EBADF;
	port_write(fd == 1 ? COM1_PORT : DEBUGCON_PORT, phys_to_virt(gpa), len);
	return (int64_t)len;
}

/* A FIFO, as when a test harness captures the output. */
static int64_t fstat_std(uint64_t fd, uint64_t gpa)
{
	if (fd > 2)
		return -EBADF;
	uint8_t *st = phys_to_virt(gpa);
	memset(st, 0, 144);
	*(uint32_t *)(st + 24) = 0010600; /* st_mode: S_IFIFO | 0600 */
	*(uint64_t *)(st + 16) = 1;	  /* st_nlink */
	*(int64_t *)(st + 56) = 4096;	  /* st_blksize */
	return 0;
}

/*
 * QEMU's own exit status does not reach a libvirt user, so the status also goes to the
 * status log's last line (DSV_QEMU_EXIT_LINE, port DSV_QEMU_STATUS_PORT): dsvd reads it
 * from there.
 */
void qemu_announce(void)
{
	static const char line[] = DSV_QEMU_BOOT_LINE "\n";
	port_write(DSV_QEMU_STATUS_PORT, line, sizeof line - 1);
}

static NORETURN void qemu_exit(uint32_t status)
{
	char line[48];
	int n = ksnprintf(line, sizeof line, "\n" DSV_QEMU_EXIT_LINE "%u\n", status & 0xff);
	if (n > 0)
		port_write(DSV_QEMU_STATUS_PORT, line, (uint64_t)n);
	outl(DEBUG_EXIT, status & 0xff);
	for (;;)
		__asm__ volatile("hlt");
}

static const uint8_t file_kind[DSV_FILE_CALLS] = {
#define DSV_FILE_CALL(NAME, name, nr, kind, args) [nr - DSV_HC_FILE_BASE] = DSV_FILE_##kind,
#include <dsv/file_calls.def>
#undef DSV_FILE_CALL
};

int64_t qemu_call(uint32_t nr, const uint64_t a[6])
{
	switch (nr) {
	case DSV_HC_NOP:
		return 0;
	case DSV_HC_CONSOLE_WRITE:
		return write_fd(1, a[0], a[1]);
	case DSV_HC_LOG:
		return write_fd(2, a[0], a[1]);
	case DSV_HC_EXIT:
		qemu_exit((uint32_t)a[0]);
	case DSV_HC_ABORT:
		write_fd(2, a[0], a[1]);
		qemu_exit(126);
	case DSV_HC_WRITE:
	case DSV_HC_PWRITE:
		return write_fd(a[0], a[1], a[2]);
	case DSV_HC_READ:
	case DSV_HC_PREAD:
		return a[0] == 0 ? 0 : -EBADF;
	case DSV_HC_CLOSE:
	case DSV_HC_FSYNC:
		return a[0] <= 2 ? 0 : -EBADF;
	case DSV_HC_FSTAT:
		return fstat_std(a[0], a[1]);
	case DSV_HC_LSEEK:
		return a[0] <= 2 ? -ESPIPE : -EBADF;
	case DSV_HC_WINSIZE:
	case DSV_HC_IOCTL: /* the serial console knows no socket request, nor FIONREAD here */
		return a[0] <= 2 ? -ENOTTY : -EBADF;
	case DSV_HC_FCNTL:
		return a[0] <= 2 ? (a[1] == 3 /* F_GETFL */ ? 2 : 0) : -EBADF;
	case DSV_HC_GETCWD:
		if (a[1] < 2)
			return -ERANGE;
		memcpy(phys_to_virt(a[0]), "/", 2);
		return 2;
	default:
		/* No file system: paths are refused as outside the share, and no descriptor
		 * but the standard three exists. */
		if (nr < DSV_HC_FILE_BASE || nr > DSV_HC_FILE_LAST)
			return -ENOSYS;
		if (nr >= DSV_HC_PIPE2 && file_kind[nr - DSV_HC_FILE_BASE] == DSV_FILE_TABLE)
			return -ENOSYS; /* no pipes, sockets or polling without hvmm */
		return file_kind[nr - DSV_HC_FILE_BASE] == DSV_FILE_PATH ? -EACCES : -EBADF;
	}
}
