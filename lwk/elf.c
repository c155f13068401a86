/* ELF64 validation and loading for static x86-64 executables (ET_EXEC, static-pie). */
#include "elf.h"
#include "uvm.h"

#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_TLS 7
#define PF_X 1
#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define MAX_PHNUM 128
#define USER_TOP (1ull << 47)

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

static const struct phdr *phdrs(const struct elf_image *img)
{
	const struct ehdr *eh = (const void *)img->file;
	return (const void *)(img->file + eh->phoff);
}

static const char *check_header(const struct ehdr *eh, uint64_t size)
{
	if (size < sizeof *eh || memcmp(eh->ident, "\177ELF", 4))
		return "not an ELF executable";
	if (eh->ident[4] != 2 || eh->ident[5] != 1 || eh->ident[6] != 1)
		return "not a little-endian ELF64 file";
	if (eh->ident[7] != 0 && eh->ident[7] != 3)
		return "not a Linux ELF file";
	if (eh->machine != EM_X86_64 || eh->version != 1)
		return "not an x86-64 executable";
	if (eh->type != ET_EXEC && eh->type != ET_DYN)
		return "not an executable (ELF type)";
	if (eh->ehsize != sizeof *eh || eh->phentsize != sizeof(struct phdr) || !eh->phnum ||
	    eh->phnum > MAX_PHNUM)
		return "bad ELF header";
	if (eh->phoff % 8 || eh->phoff > size ||
	    size - eh->phoff < (uint64_t)eh->phnum * sizeof(struct phdr))
		return "program headers outside the file";
	return NULL;
}

/* Whether [va, va + len) lies in the file-backed part of one loadable segment that has all of
 * the flags (PF_*) asked for. */
static bool loaded_from_file(const struct phdr *ph, int phnum, uint64_t va, uint64_t len,
			     uint32_t flags)
{
	for (int i = 0; i < phnum; i++)
		if (ph[i].type == PT_LOAD && (ph[i].flags & flags) == flags && va >= ph[i].vaddr &&
		    va - ph[i].vaddr <= ph[i].filesz && ph[i].filesz - (va - ph[i].vaddr) >= len)
			return true;
	return false;
}

bool elf_exec_from_file(const struct elf_image *img, uint64_t va, uint64_t len)
{
	const struct ehdr *eh = (const void *)img->file;
	if (va < img->bias)
		return false;
	return loaded_from_file(phdrs(img), eh->phnum, va - img->bias, len, PF_X);
}

static const char *check_segments(struct elf_image *img, const struct ehdr *eh)
{
	const struct phdr *ph = phdrs(img);
	uint64_t prev_end = 0, phdr_va = 0;
	bool have_load = false, entry_ok = false, dynamic = false;
	img->lo = UINT64_MAX;
	img->hi = 0;
	for (int i = 0; i < eh->phnum; i++) {
		const struct phdr *p = &ph[i];
		if (p->type == PT_INTERP)
			return "dynamically linked: link it with -static";
		if (p->type == PT_DYNAMIC)
			dynamic = true;
		if (p->type == PT_PHDR)
			phdr_va = p->vaddr;
		if (p->type == PT_TLS && p->filesz > p->memsz)
			return "bad TLS segment";
		if (p->type != PT_LOAD)
			continue;
		if (p->filesz > p->memsz || p->offset > img->size ||
		    img->size - p->offset < p->filesz)
			return "segment outside the file";
		if (p->memsz > USER_TOP || p->vaddr >= USER_TOP - p->memsz)
			return "segment outside the user address space";
		if (p->align & (p->align - 1))
			return "bad segment alignment";
		if ((p->vaddr - p->offset) % 4096)
			return "segment offset and address disagree";
		if (p->vaddr < prev_end)
			return "segments overlap or are out of order";
		if (!p->memsz)
			continue;
		prev_end = p->vaddr + p->memsz;
		img->lo = MIN(img->lo, ALIGN_DOWN(p->vaddr, 4096));
		img->hi = MAX(img->hi, prev_end);
		have_load = true;
		if ((p->flags & PF_X) && eh->entry >= p->vaddr && eh->entry < prev_end)
			entry_ok = true;
		if (!phdr_va && eh->phoff >= p->offset &&
		    eh->phoff + (uint64_t)eh->phnum * sizeof *p <= p->offset + p->filesz)
			phdr_va = p->vaddr + (eh->phoff - p->offset);
	}
	if (!have_load)
		return "no loadable segment";
	if (!entry_ok)
		return "entry point outside the executable segments";
	if (!phdr_va ||
	    !loaded_from_file(ph, eh->phnum, phdr_va, (uint64_t)eh->phnum * sizeof *ph, 0))
		return "program headers are not loaded";
	if (eh->type == ET_DYN && !dynamic)
		return "position-independent executable without dynamic section";
	img->bias = eh->type == ET_DYN ? ELF_PIE_BASE - img->lo : 0;
	if (img->lo + img->bias < ELF_MIN_VADDR)
		return "linked below 2 MiB";
	if (img->hi + img->bias > USER_TOP)
		return "segment outside the user address space";
	img->lo += img->bias;
	img->hi += img->bias;
	img->entry = eh->entry + img->bias;
	img->phdr = phdr_va + img->bias;
	img->phnum = eh->phnum;
	return NULL;
}

bool elf_check(const void *file, uint64_t size, struct elf_image *img, const char **why)
{
	const struct ehdr *eh = file;
	img->file = file;
	img->size = size;
	*why = check_header(eh, size);
	if (!*why)
		*why = check_segments(img, eh);
	return !*why;
}

bool elf_load(const struct elf_image *img)
{
	const struct ehdr *eh = (const void *)img->file;
	const struct phdr *ph = phdrs(img);
	for (int i = 0; i < eh->phnum; i++) {
		const struct phdr *p = &ph[i];
		if (p->type != PT_LOAD || !p->memsz)
			continue;
		uint64_t va = p->vaddr + img->bias;
		if (!uvm_reserve(va, va + p->memsz))
			return false;
		memcpy((void *)va, img->file + p->offset, p->filesz);
		memset((void *)(va + p->filesz), 0, p->memsz - p->filesz);
	}
	return true;
}
