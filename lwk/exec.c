/* The initial process stack, top down: strings, 16 random bytes, then (16-byte aligned)
 * argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL. */
#include "exec.h"
#include "time.h"
#include "uvm.h"
#include "vdso.h"
#include "x86.h"

#define AT_NULL 0
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_HWCAP2 26
#define AT_EXECFN 31
#define AT_SYSINFO_EHDR 33

const char *prog_name = "program";
const char *prog_path = "program";

void random_bytes(void *buf, size_t len)
{
	static uint64_t state;
	uint8_t *b = buf;
	uint32_t r[4];
	cpuid(1, 0, r);
	bool has_rdrand = r[2] & (1u << 30);
	while (len) {
		uint64_t v = 0;
		unsigned char ok = 0;
		if (has_rdrand)
			__asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok));
		if (!ok) { /* splitmix64 over the TSC */
			state += 0x9e3779b97f4a7c15ull ^ rdtsc();
			v = state;
			v = (v ^ (v >> 30)) * 0xbf58476d1ce4e5b9ull;
			v = (v ^ (v >> 27)) * 0x94d049bb133111ebull;
			v ^= v >> 31;
		}
		size_t n = MIN(len, sizeof v);
		memcpy(b, &v, n);
		b += n;
		len -= n;
	}
}

static uint64_t push_string(uint64_t *sp, const char *s)
{
	size_t n = strlen(s) + 1;
	*sp -= n;
	memcpy((void *)*sp, s, n);
	return *sp;
}

uint64_t exec_build_stack(uint64_t top, uint64_t limit, const struct program_args *a,
			  const struct elf_image *img)
{
	uint64_t sp = top;
	uint64_t strings_size = strlen(a->path) + 16 + 8;
	for (uint32_t i = 0; i < a->argc; i++)
		strings_size += strlen(a->argv[i]) + 1;
	for (uint32_t i = 0; i < a->envc; i++)
		strings_size += strlen(a->envp[i]) + 1;
	uint64_t words = 1 + a->argc + 1 + a->envc + 1 + 2 * 20;
	if (strings_size + words * 8 + 64 > top - limit)
		return 0;

	uint64_t execfn = push_string(&sp, a->path);
	uint64_t platform = push_string(&sp, "x86_64");
	sp -= 16;
	uint64_t rnd = sp;
	random_bytes((void *)rnd, 16);
	/* argv[0] ends up lowest, then the rest of argv, then envp */
	for (uint32_t i = a->envc; i-- > 0;)
		push_string(&sp, a->envp[i]);
	for (uint32_t i = a->argc; i-- > 0;)
		push_string(&sp, a->argv[i]);
	uint64_t str = sp;

	uint32_t r[4];
	cpuid(1, 0, r);
	uint64_t aux[][2] = {
		{ AT_PHDR, img->phdr },
		{ AT_PHENT, 56 },
		{ AT_PHNUM, img->phnum },
		{ AT_PAGESZ, 4096 },
		{ AT_BASE, 0 },
		{ AT_FLAGS, 0 },
		{ AT_ENTRY, img->entry },
		{ AT_UID, 0 },
		{ AT_EUID, 0 },
		{ AT_GID, 0 },
		{ AT_EGID, 0 },
		{ AT_PLATFORM, platform },
		{ AT_HWCAP, r[3] },
		{ AT_CLKTCK, 100 },
		{ AT_SECURE, 0 },
		{ AT_RANDOM, rnd },
		{ AT_HWCAP2, 0 },
		{ AT_EXECFN, execfn },
		{ a->vdso ? AT_SYSINFO_EHDR : AT_NULL, a->vdso },
		{ AT_NULL, 0 },
	};
	uint64_t n = 1 + a->argc + 1 + a->envc + 1 + 2 * ARRAY_SIZE(aux);
	sp = ALIGN_DOWN(sp - n * 8, 16);
	uint64_t *w = (uint64_t *)sp;
	*w++ = a->argc;
	for (uint32_t i = 0; i < a->argc; i++, str += strlen((const char *)str) + 1)
		*w++ = str;
	*w++ = 0;
	for (uint32_t i = 0; i < a->envc; i++, str += strlen((const char *)str) + 1)
		*w++ = str;
	*w++ = 0;
	for (size_t i = 0; i < ARRAY_SIZE(aux); i++) {
		*w++ = aux[i][0];
		*w++ = aux[i][1];
	}
	return sp;
}

uint64_t vdso_map(void)
{
	uint64_t size = PAGE_SIZE + ALIGN_UP(vdso_image_size, PAGE_SIZE);
	int64_t base = uvm_mmap(0, size, 0, 0);
	if (base < 0)
		return 0;
	time_vdso_data((struct vdso_data *)base);
	memcpy((void *)(base + PAGE_SIZE), vdso_image, vdso_image_size);
	return (uint64_t)base + PAGE_SIZE;
}
