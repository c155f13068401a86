/*
 * A hostile guest: passes every hypercall addresses outside RAM, lengths that overflow,
 * addresses that wrap, bad blocks and unknown numbers. Each call must be refused with
 * the errno Linux would give, and hvmm must keep serving afterwards.
 * Exits with the number of cases that were not refused as expected.
 */
#include "dsv/fileio.h"
#include "expect.h"
#include "payload.h"

#define EFAULT 14
#define EINVAL 22
#define ENOSYS 38

static struct dsv_hc raw __attribute__((aligned(DSV_HC_ALIGN)));

static void expect_neg(const char *name, int64_t got)
{
	put_str(0, got < 0 ? "ok   " : "FAIL ");
	put_str(0, name);
	put_str(0, "\n");
	failures += got >= 0;
}

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	uint64_t top = 0, ok = (uint64_t)(uintptr_t) "x";

	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	for (uint32_t i = 0; i < bi->nr_mem && i < DSV_MAX_MEM_RANGES; i++)
		if (bi->mem[i].base + bi->mem[i].size > top)
			top = bi->mem[i].base + bi->mem[i].size;

	expect("console beyond RAM", hcall(0, DSV_HC_CONSOLE_WRITE, top, 16, 0), -EFAULT);
	expect("console straddling end", hcall(0, DSV_HC_CONSOLE_WRITE, top - 8, 16, 0), -EFAULT);
	expect("console wrapping", hcall(0, DSV_HC_CONSOLE_WRITE, ~0ull - 7, 64, 0), -EFAULT);
	expect("console huge length", hcall(0, DSV_HC_CONSOLE_WRITE, ok, 1ull << 62, 0), -EINVAL);
	expect("console in the hole", hcall(0, DSV_HC_CONSOLE_WRITE, 0xfee00000, 4, 0), -EFAULT);
	expect("log beyond RAM", hcall(0, DSV_HC_LOG, top, 16, 0), -EFAULT);
	expect("log wrapping", hcall(0, DSV_HC_LOG, ~0ull, 2, 0), -EFAULT);
	expect("ring beyond RAM", hcall(0, DSV_HC_CONSOLE_RING, top, 4096, 0), -EFAULT);
	expect("ring size not power of two", hcall(0, DSV_HC_CONSOLE_RING, 0x200000, 1000, 0),
	       -EINVAL);
	expect("ring size huge", hcall(0, DSV_HC_CONSOLE_RING, 0x200000, 1ull << 40, 0), -EINVAL);
	expect("unknown hypercall", hcall(0, 0x7777, 0, 0, 0), -ENOSYS);
	expect("unknown file hypercall", hcall(0, DSV_HC_FILE_LAST + 1, 0, 0, 0), -ENOSYS);

	/* File offload: every buffer and path outside RAM. */
	expect_neg("openat path beyond RAM",
		   hcall(0, DSV_HC_OPENAT, (uint64_t)DSV_AT_FDCWD, top, 8));
	expect("write buffer beyond RAM", hcall(0, DSV_HC_WRITE, 1, top, 16), -EFAULT);
	expect("write buffer wrapping", hcall(0, DSV_HC_WRITE, 1, ~0ull - 3, 16), -EFAULT);
	expect("read buffer beyond RAM", hcall(0, DSV_HC_READ, 0, top, 16), -EFAULT);
	expect("fstat buffer beyond RAM", hcall(0, DSV_HC_FSTAT, 1, top, 0), -EFAULT);
	expect_neg("getcwd buffer beyond RAM", hcall(0, DSV_HC_GETCWD, top, 4096, 0));

	/* Blocks hvmm cannot answer through: must be ignored, not crash it. */
	raw.nr = DSV_HC_NOP;
	raw.flags = 1;
	raw.ret = 1;
	hport_out32(DSV_HC_PORT, (uint32_t)(uintptr_t)&raw);
	expect("non-zero flags", raw.ret, -EINVAL);
	raw.flags = 0;
	raw.reserved = 5;
	hport_out32(DSV_HC_PORT, (uint32_t)(uintptr_t)&raw);
	expect("non-zero reserved", raw.ret, -EINVAL);
	hport_out32(DSV_HC_PORT, (uint32_t)top);		 /* block beyond RAM */
	hport_out32(DSV_HC_PORT, 0xfffffff0u);			 /* block in the hole */
	hport_out32(DSV_HC_PORT, (uint32_t)(uintptr_t)&raw + 8); /* misaligned block */
	hport_out8(DSV_HC_PORT, 1);				 /* wrong width */

	expect("nop still works", hcall(0, DSV_HC_NOP, 0, 0, 0), 0);
	put_str(0, "failures ");
	put_u64(0, (uint64_t)failures);
	put_str(0, "\n");
	guest_exit(0, failures);
}
