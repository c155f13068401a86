/*
 * Hostile guest: a storm of n random hypercalls (seed from the command line). Every
 * argument is drawn from values that leave RAM, wrap, sit on RAM's last bytes, exceed the
 * per-call limit, or are paths that try to leave the share ("..", absolute, symlinks).
 * Raw port accesses of every width, misaligned and outside-RAM blocks and reads of hvmm's
 * ports are mixed in. EXIT and ABORT are never chosen. Buffers hvmm may write into are
 * kept out of the guest's own code and page tables, so only hvmm's checks are tested.
 * Prints "storm done" and exits 0 unless a result was neither a value nor an errno.
 */
#include "payload.h"
#include "dsv/fileio.h"

#define SCRATCH (128ull << 20)
#define SCRATCH_SIZE (32ull << 20)

static struct dsv_hc blk __attribute__((aligned(DSV_HC_ALIGN)));
static uint64_t state = 0x9e3779b97f4a7c15ull;
static const char *const paths[] = {
	"..",
	"../outside/secret",
	"/etc/passwd",
	"/",
	"link_out",
	"link_dir/secret",
	"sub/../../outside/secret",
	"a",
	"sub",
	"new",
	"sub/new",
	".",
	"",
	"/proc/self/mem",
	"../../../../../../../../etc/shadow",
	"link_abs",
};
static uint64_t path_gpa[sizeof(paths) / sizeof(paths[0])];

static uint64_t rnd(void)
{
	state ^= state << 13;
	state ^= state >> 7;
	state ^= state << 17;
	return state;
}

static uint64_t pick(uint64_t ram, int *is_path, uint64_t *path_len)
{
	uint64_t i;

	*is_path = 0;
	switch (rnd() % 11) {
	case 0:
		return rnd() % 8;
	case 1:
		return SCRATCH + rnd() % SCRATCH_SIZE;
	case 2:
		return ram - rnd() % 4096; /* RAM's last bytes, or just past */
	case 3:
		return ~0ull - rnd() % 4096; /* wraps */
	case 4:
		return (1ull << 63) | rnd();
	case 5:
		return 0xc0000000ull + rnd() % (1ull << 30); /* the hole / above RAM */
	case 6:
		return (uint64_t)(int64_t)DSV_AT_FDCWD;
	case 7:
		return DSV_HC_MAX_IO - 2 + rnd() % 4; /* around the limit */
	case 8:
		return rnd();
	case 9:
		return 0xffffffffull + rnd() % 3; /* 32-bit truncation */
	default:
		i = rnd() % (sizeof(paths) / sizeof(paths[0]));
		*is_path = 1;
		*path_len = pl_strlen(paths[i]);
		return path_gpa[i];
	}
}

/* Arguments hvmm writes through: never below SCRATCH inside RAM (our code, page tables). */
static void guard(uint32_t nr, uint64_t *a)
{
	int idx = -1;

	switch (nr) {
	case DSV_HC_READ:
	case DSV_HC_PREAD:
	case DSV_HC_GETDENTS64:
	case DSV_HC_FSTAT:
	case DSV_HC_WINSIZE:
		idx = 1;
		break;
	case DSV_HC_GETCWD:
	case DSV_HC_CONSOLE_RING:
		idx = 0;
		break;
	case DSV_HC_READLINKAT:
	case DSV_HC_FSTATAT:
		idx = 3;
		break;
	case DSV_HC_STATX:
		idx = 5;
		break;
	default:
		break;
	}
	if (idx >= 0 && a[idx] < SCRATCH)
		a[idx] = SCRATCH + (a[idx] & 0xfff);
	/* Keep the share and hvmm's output small: accepted lengths of at most 4 KiB. */
	if ((nr == DSV_HC_WRITE || nr == DSV_HC_PWRITE) && a[2] <= DSV_HC_MAX_IO)
		a[2] &= 0xfff;
	if ((nr == DSV_HC_CONSOLE_WRITE || nr == DSV_HC_LOG) && a[1] <= DSV_HC_MAX_IO)
		a[1] &= 0xfff;
}

static void raw_port(void)
{
	uint16_t port = (uint16_t)(DSV_PORT_BASE + rnd() % 16);
	uint32_t v = (uint32_t)rnd();

	/* Blocks hvmm must refuse: misaligned, or above RAM (the test runs with 256M). */
	v = (rnd() & 1) ? (v | 1) : (0x10000000u | (v & 0xffffffc0u));
	switch (rnd() % 4) {
	case 0:
		__asm__ volatile("outb %b0, %w1" : : "a"(v), "Nd"(port));
		break;
	case 1:
		__asm__ volatile("outw %w0, %w1" : : "a"(v), "Nd"(port));
		break;
	case 2:
		__asm__ volatile("outl %0, %w1" : : "a"(v), "Nd"(port));
		break;
	default:
		__asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(port));
		break;
	}
}

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	uint64_t n = cmdline_u64(bi, "n", 20000), ram = bi->ram_size, bad = 0, refused = 0;
	char *s = (char *)(uintptr_t)SCRATCH;

	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	state ^= cmdline_u64(bi, "seed", 1) * 0x2545f4914f6cdd1dull;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		path_gpa[i] = (uint64_t)(uintptr_t)s;
		for (const char *p = paths[i]; *p; p++)
			*s++ = *p;
		*s++ = 0;
	}
	for (uint64_t k = 0; k < n; k++) {
		uint32_t nr;
		int64_t ret;

		if (rnd() % 16 == 0) {
			raw_port();
			continue;
		}
		/* File calls and two unknown numbers past them. Descriptor calls (pipes, sockets,
		 * polling) may block by design, so hostile_offload.c attacks them instead. */
		do
			nr = rnd() % 2 ? (uint32_t)(rnd() % 6)
				       : DSV_HC_FILE_BASE + (uint32_t)(rnd() % 0x19);
		while (nr == DSV_HC_EXIT || nr == DSV_HC_ABORT);
		if (nr >= DSV_HC_PIPE2 && nr < DSV_HC_FILE_BASE + 0x19)
			nr += DSV_HC_FILE_LAST + 1 - DSV_HC_PIPE2;
		blk.nr = nr;
		blk.flags = rnd() % 64 == 0;
		blk.reserved = 0;
		for (int i = 0; i < 6; i++) {
			int is_path;
			uint64_t len = 0;

			blk.args[i] = pick(ram, &is_path, &len);
			if (is_path && i < 5)
				blk.args[++i] = len;
		}
		guard(nr, blk.args);
		blk.ret = 1;
		hport_out32(DSV_HC_PORT, (uint32_t)(uintptr_t)&blk);
		ret = blk.ret;
		if (ret < -4095)
			bad++;
		refused += ret < 0;
	}
	put_str(vcpu, "\nstorm done calls ");
	put_u64(vcpu, n);
	put_str(vcpu, " refused ");
	put_u64(vcpu, refused);
	put_str(vcpu, " bad ");
	put_u64(vcpu, bad);
	put_str(vcpu, "\n");
	guest_exit(vcpu, bad != 0);
}
