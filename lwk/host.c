/* Dispatches host calls to hvmm or to the QEMU stand-in, plus the kernel's log and exit. */
#include "host.h"
#include "cpu.h"
#include <dsv/hypercall.h>

enum host_kind host_kind = HOST_HVMM;

int64_t host_call(uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
		  uint64_t a5)
{
	const uint64_t args[6] = { a0, a1, a2, a3, a4, a5 };
	if (host_kind != HOST_HVMM)
		return qemu_call(nr, args);
	int64_t ret;
	if (host_call_ring(nr, args, &ret) || host_call_async(nr, args, &ret))
		return ret;
	return hvmm_call(nr, args);
}

void host_log(const char *msg, size_t len)
{
	host_call(DSV_HC_LOG, virt_to_phys(msg), len, 0, 0, 0, 0);
}

NORETURN void host_exit(int status)
{
	host_call(DSV_HC_EXIT, (uint64_t)status & 0xff, 0, 0, 0, 0, 0);
	for (;;)
		__asm__ volatile("hlt");
}

NORETURN void host_abort(const char *msg, size_t len)
{
	host_call(DSV_HC_ABORT, virt_to_phys(msg), len, 0, 0, 0, 0);
	for (;;)
		__asm__ volatile("hlt");
}

void klog(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, sizeof buf - 1, fmt, ap);
	va_end(ap);
	n = MIN(n, (int)sizeof buf - 2);
	buf[n++] = '\n';
	host_log(buf, (size_t)n);
}

NORETURN void panic(const char *fmt, ...)
{
	char buf[256];
	int n = ksnprintf(buf, sizeof buf, "lwk panic (vcpu %u): ", cpu_index());
	va_list ap;
	va_start(ap, fmt);
	n += kvsnprintf(buf + n, sizeof buf - (size_t)n, fmt, ap);
	va_end(ap);
	host_abort(buf, MIN((size_t)n, sizeof buf - 1));
}
