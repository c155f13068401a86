/* The program's function symbols (SHT_SYMTAB): which function contains an address. The
 * section table is hostile input like the rest of the file: every field is checked against
 * the file's size, and the work is bounded by it. */
#include "elf.h"

#define SHT_SYMTAB 2
#define STT_FUNC 2
#define SHN_UNDEF 0
#define SHN_LORESERVE 0xff00

struct shdr {
	uint32_t name, type;
	uint64_t flags, addr, offset, size;
	uint32_t link, info;
	uint64_t addralign, entsize;
};

struct sym {
	uint32_t name;
	uint8_t info, other;
	uint16_t shndx;
	uint64_t value, size;
};

/* Where the symbol table lies in the file: false if there is none or it is malformed. */
static bool find_symtab(const struct elf_image *img, uint64_t *off, uint64_t *count)
{
	uint64_t shoff;
	uint16_t shentsize, shnum;
	bool found = false;

	memcpy(&shoff, img->file + 40, sizeof shoff);
	memcpy(&shentsize, img->file + 58, sizeof shentsize);
	memcpy(&shnum, img->file + 60, sizeof shnum);
	/* shnum 0 with a table means extended numbering (sh[0].sh_size): not supported. */
	if (!shoff || !shnum || shentsize != sizeof(struct shdr) || shoff > img->size ||
	    (img->size - shoff) / sizeof(struct shdr) < shnum)
		return false;
	for (uint16_t i = 0; i < shnum; i++) {
		struct shdr sh;
		memcpy(&sh, img->file + shoff + (uint64_t)i * sizeof sh, sizeof sh);
		if (sh.type != SHT_SYMTAB)
			continue;
		if (found) /* two tables: which one is meant? */
			return false;
		if (sh.entsize != sizeof(struct sym) || sh.size % sizeof(struct sym) ||
		    sh.offset > img->size || img->size - sh.offset < sh.size)
			return false;
		*off = sh.offset;
		*count = sh.size / sizeof(struct sym);
		found = true;
	}
	return found;
}

bool elf_func_at(const struct elf_image *img, uint64_t va, uint64_t *start, uint64_t *size)
{
	uint64_t off, count, lo = 0, len = 0;

	if (!img || !img->file || img->size < 64 || va < img->bias ||
	    !find_symtab(img, &off, &count))
		return false;
	uint64_t addr = va - img->bias;
	for (uint64_t i = 0; i < count; i++) {
		struct sym s;
		memcpy(&s, img->file + off + i * sizeof s, sizeof s);
		if ((s.info & 0xf) != STT_FUNC || !s.size || s.shndx == SHN_UNDEF ||
		    s.shndx >= SHN_LORESERVE || addr < s.value || addr - s.value >= s.size)
			continue;
		/* Aliases name the same range; two different ranges around va are refused. */
		if (len && (s.value != lo || s.size != len))
			return false;
		lo = s.value;
		len = s.size;
	}
	if (!len || lo > UINT64_MAX - img->bias || !elf_exec_from_file(img, lo + img->bias, len))
		return false;
	*start = lo + img->bias;
	*size = len;
	return true;
}
