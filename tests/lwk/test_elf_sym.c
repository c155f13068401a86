/*
 * Unit tests of elf_func_at (lwk/elf_sym.c), built for the host: a small executable made
 * here with <elf.h>'s structures, its known functions, and hostile section and symbol tables
 * that must be refused without reading outside the file (exactly sized heap copies: ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <elf.h>
#include <stdlib.h>
#include <string.h>

#include "../../lwk/elf.h"

#define BASE 0x400000ull

/* The lwk's uvm.c, which elf.c's elf_load needs; never called here. */
bool uvm_reserve(uint64_t start, uint64_t end)
{
	(void)start;
	(void)end;
	return false;
}

struct file {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[2];
	uint8_t text[64]; /* loaded, executable */
	Elf64_Shdr sh[4]; /* loaded, not executable */
	Elf64_Sym sym[6]; /* not loaded */
	char str[32];
};

#define OFF(f) offsetof(struct file, f)
#define VA(f) (BASE + OFF(f))
#define DATA_VA (BASE + 0x1000 + OFF(sh))

static void make(struct file *m)
{
	memset(m, 0, sizeof *m);
	memcpy(m->eh.e_ident, ELFMAG, SELFMAG);
	m->eh.e_ident[EI_CLASS] = ELFCLASS64;
	m->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	m->eh.e_ident[EI_VERSION] = EV_CURRENT;
	m->eh.e_type = ET_EXEC;
	m->eh.e_machine = EM_X86_64;
	m->eh.e_version = EV_CURRENT;
	m->eh.e_entry = VA(text);
	m->eh.e_phoff = OFF(ph);
	m->eh.e_phentsize = sizeof(Elf64_Phdr);
	m->eh.e_phnum = 2;
	m->eh.e_ehsize = sizeof(Elf64_Ehdr);
	m->eh.e_shoff = OFF(sh);
	m->eh.e_shentsize = sizeof(Elf64_Shdr);
	m->eh.e_shnum = 4;
	m->eh.e_shstrndx = SHN_UNDEF;
	m->ph[0] = (Elf64_Phdr){ .p_type = PT_LOAD,
				 .p_flags = PF_R | PF_X,
				 .p_vaddr = BASE,
				 .p_filesz = OFF(sh),
				 .p_memsz = OFF(sh),
				 .p_align = 4096 };
	m->ph[1] = (Elf64_Phdr){ .p_type = PT_LOAD,
				 .p_flags = PF_R | PF_W,
				 .p_offset = OFF(sh),
				 .p_vaddr = DATA_VA,
				 .p_filesz = sizeof m->sh,
				 .p_memsz = sizeof m->sh,
				 .p_align = 4096 };
	memset(m->text, 0x90, sizeof m->text);
	Elf64_Sym *s = m->sym;
	/* s[0] is the null symbol. f1 [text, +16), its alias, f2 [text+16, +32), an object, an
	 * undefined function and an unsized one. */
	s[1] = (Elf64_Sym){ .st_name = 1,
			    .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
			    .st_shndx = 1,
			    .st_value = VA(text),
			    .st_size = 16 };
	s[2] = s[1];
	s[2].st_name = 4;
	s[3] = (Elf64_Sym){ .st_name = 7,
			    .st_info = ELF64_ST_INFO(STB_LOCAL, STT_FUNC),
			    .st_shndx = 1,
			    .st_value = VA(text) + 16,
			    .st_size = 32 };
	s[4] = (Elf64_Sym){ .st_name = 10,
			    .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_OBJECT),
			    .st_shndx = 1,
			    .st_value = VA(text) + 48,
			    .st_size = 16 };
	s[5] = (Elf64_Sym){ .st_name = 13,
			    .st_info = ELF64_ST_INFO(STB_GLOBAL, STT_FUNC),
			    .st_shndx = 1,
			    .st_value = VA(text) + 48,
			    .st_size = 0 };
	memcpy(m->str, "\0f1\0a1\0f2\0ob\0un", 16);
	m->sh[1] = (Elf64_Shdr){ .sh_type = SHT_PROGBITS,
				 .sh_flags = SHF_ALLOC | SHF_EXECINSTR,
				 .sh_addr = VA(text),
				 .sh_offset = OFF(text),
				 .sh_size = 64 };
	m->sh[2] = (Elf64_Shdr){ .sh_type = SHT_SYMTAB,
				 .sh_offset = OFF(sym),
				 .sh_size = sizeof m->sym,
				 .sh_link = 3,
				 .sh_info = 1,
				 .sh_entsize = sizeof(Elf64_Sym) };
	m->sh[3] = (Elf64_Shdr){ .sh_type = SHT_STRTAB,
				 .sh_offset = OFF(str),
				 .sh_size = sizeof m->str };
}

/* elf_func_at on an exactly sized copy of the first size bytes of m; false if the copy is
 * not even a loadable program. */
static bool lookup(const struct file *m, size_t size, uint64_t va, uint64_t *start, uint64_t *len)
{
	struct elf_image img;
	const char *why;
	uint8_t *p = malloc(size);
	assert_non_null(p);
	memcpy(p, m, size);
	bool ok = elf_check(p, size, &img, &why) && elf_func_at(&img, va, start, len);
	free(p);
	return ok;
}

static bool at(const struct file *m, uint64_t va)
{
	uint64_t start, len;
	return lookup(m, sizeof *m, va, &start, &len);
}

static void known_functions(void **state)
{
	struct file m;
	uint64_t start = 0, len = 0;
	(void)state;
	make(&m);
	for (uint64_t va = VA(text); va < VA(text) + 16; va++) {
		assert_true(lookup(&m, sizeof m, va, &start, &len));
		assert_int_equal(start, VA(text));
		assert_int_equal(len, 16);
	}
	assert_true(lookup(&m, sizeof m, VA(text) + 47, &start, &len));
	assert_int_equal(start, VA(text) + 16);
	assert_int_equal(len, 32);
	assert_false(at(&m, VA(text) - 1));  /* before any function */
	assert_false(at(&m, VA(text) + 48)); /* an object, an unsized function */
	assert_false(at(&m, 0));
	assert_false(at(&m, UINT64_MAX));
}

static void refused_tables(void **state)
{
	struct file m;
	(void)state;
#define REFUSED(change)                         \
	do {                                    \
		make(&m);                       \
		assert_true(at(&m, VA(text)));  \
		change;                         \
		assert_false(at(&m, VA(text))); \
	} while (0)
	REFUSED(m.sh[2].sh_type = SHT_DYNSYM); /* no symbol table */
	REFUSED(m.eh.e_shoff = 0);
	REFUSED(m.eh.e_shnum = 0); /* extended numbering */
	REFUSED(m.eh.e_shoff = sizeof m);
	REFUSED(m.eh.e_shoff = sizeof m - sizeof(Elf64_Shdr)); /* table cut by the end */
	REFUSED(m.eh.e_shoff = UINT64_MAX - 8);
	REFUSED(m.eh.e_shnum = 0xffff);
	REFUSED(m.eh.e_shentsize = 0);
	REFUSED(m.eh.e_shentsize = sizeof(Elf64_Shdr) + 8);
	REFUSED(m.sh[2].sh_entsize = 0);
	REFUSED(m.sh[2].sh_entsize = 16);
	REFUSED(m.sh[2].sh_size = sizeof m.sym + 1);
	REFUSED(m.sh[2].sh_offset = sizeof m);
	REFUSED(m.sh[2].sh_offset = OFF(sym) + 8); /* runs past the end */
	REFUSED((m.sh[2].sh_offset = 24, m.sh[2].sh_size = UINT64_MAX - 23)); /* wraps */
	REFUSED(m.sh[1] = m.sh[2]);					      /* two tables */
	/* The function itself: outside the executable segment's file part, or wrapping. */
	REFUSED((m.ph[0].p_filesz = OFF(text) + 8)); /* past the segment's file part */
	REFUSED((m.sym[1].st_shndx = m.sym[2].st_shndx = SHN_UNDEF));
	REFUSED((m.sym[1].st_shndx = m.sym[2].st_shndx = SHN_ABS));
	/* Two different functions around the same address. */
	REFUSED((m.sym[3].st_value = VA(text))); /* [text, +32) and [text, +16) */
#undef REFUSED
	/* A function in the loaded but not executable segment, and one that wraps around. */
	make(&m);
	m.sym[3].st_value = DATA_VA;
	assert_false(at(&m, DATA_VA));
	m.sym[3].st_value = UINT64_MAX - 4;
	m.sym[3].st_size = 64;
	assert_false(at(&m, UINT64_MAX - 2));
	assert_false(at(&m, 2));
}

/* Every truncation of the symbol table (the loaded part kept): refused, never read past. The
 * string table is not needed for a lookup. */
static void truncated(void **state)
{
	struct file m;
	uint64_t start, len;
	(void)state;
	make(&m);
	for (size_t size = OFF(sym); size < OFF(str); size++)
		assert_false(lookup(&m, size, VA(text), &start, &len));
	assert_true(lookup(&m, OFF(str), VA(text), &start, &len));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_functions),
		cmocka_unit_test(refused_tables),
		cmocka_unit_test(truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
