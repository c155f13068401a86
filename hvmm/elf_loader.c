#include "elf_loader.h"

#include <elf.h>
#include <stdio.h>
#include <string.h>

/* a + b <= limit, without wrapping. */
static int fits(uint64_t a, uint64_t b, uint64_t limit)
{
	return a <= limit && b <= limit - a;
}

static int check_header(const uint8_t *file, size_t len, const Elf64_Ehdr *eh, char *err,
			size_t errlen)
{
	if (len < sizeof(*eh)) {
		snprintf(err, errlen, "not an ELF file: only %zu bytes", len);
		return -1;
	}
	if (memcmp(file, ELFMAG, SELFMAG)) {
		snprintf(err, errlen, "not an ELF file: bad magic");
		return -1;
	}
	if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
		snprintf(err, errlen, "not a 64-bit ELF file (class %u)", eh->e_ident[EI_CLASS]);
		return -1;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, errlen, "not a little-endian ELF file");
		return -1;
	}
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT) {
		snprintf(err, errlen, "unknown ELF version");
		return -1;
	}
	if (eh->e_machine != EM_X86_64) {
		snprintf(err, errlen, "not an x86-64 ELF file (machine %u)", eh->e_machine);
		return -1;
	}
	if (eh->e_type != ET_EXEC) {
		snprintf(err, errlen,
			 "not an executable ELF file (type %u): link the kernel "
			 "non-PIE at fixed addresses",
			 eh->e_type);
		return -1;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 || eh->e_phnum > 64) {
		snprintf(err, errlen, "bad program header table (%u entries of %u bytes)",
			 eh->e_phnum, eh->e_phentsize);
		return -1;
	}
	if (!fits(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len)) {
		snprintf(err, errlen, "truncated ELF file: program headers end past byte %zu", len);
		return -1;
	}
	return 0;
}

static int check_segment(const Elf64_Phdr *ph, size_t len, uint64_t min_paddr, uint64_t max_paddr,
			 int idx, char *err, size_t errlen)
{
	if (ph->p_memsz == 0 || ph->p_filesz > ph->p_memsz) {
		snprintf(err, errlen, "segment %d: file size %llu, memory size %llu", idx,
			 (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
		return -1;
	}
	if (!fits(ph->p_offset, ph->p_filesz, len)) {
		snprintf(err, errlen, "truncated ELF file: segment %d ends past byte %zu", idx,
			 len);
		return -1;
	}
	if (ph->p_paddr < min_paddr || !fits(ph->p_paddr, ph->p_memsz, max_paddr)) {
		snprintf(err, errlen,
			 "segment %d at physical 0x%llx size 0x%llx is outside guest RAM "
			 "available to the kernel [0x%llx, 0x%llx)",
			 idx, (unsigned long long)ph->p_paddr, (unsigned long long)ph->p_memsz,
			 (unsigned long long)min_paddr, (unsigned long long)max_paddr);
		return -1;
	}
	if (ph->p_vaddr != ph->p_paddr && ph->p_vaddr != ph->p_paddr + KERNEL_VBASE) {
		snprintf(err, errlen,
			 "segment %d: virtual 0x%llx is neither its physical address "
			 "nor in the kernel window (physical + 0x%llx)",
			 idx, (unsigned long long)ph->p_vaddr, (unsigned long long)KERNEL_VBASE);
		return -1;
	}
	return 0;
}

static int overlaps(const struct elf_segment *a, const struct elf_segment *b)
{
	return a->paddr < b->paddr + b->memsz && b->paddr < a->paddr + a->memsz;
}

int elf_check_kernel(const uint8_t *file, size_t len, uint64_t min_paddr, uint64_t max_paddr,
		     struct elf_image *img, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	int entry_ok = 0;

	memset(img, 0, sizeof(*img));
	if (len >= sizeof(eh))
		memcpy(&eh, file, sizeof(eh));
	else
		memset(&eh, 0, sizeof(eh));
	if (check_header(file, len, &eh, err, errlen))
		return -1;

	img->phys_lo = UINT64_MAX;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		struct elf_segment *s;

		memcpy(&ph, file + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC) {
			snprintf(err, errlen, "dynamically linked image: a kernel must be static");
			return -1;
		}
		if (ph.p_type != PT_LOAD)
			continue;
		if (img->nseg == ELF_MAX_SEGMENTS) {
			snprintf(err, errlen, "more than %d loadable segments", ELF_MAX_SEGMENTS);
			return -1;
		}
		if (check_segment(&ph, len, min_paddr, max_paddr, i, err, errlen))
			return -1;
		s = &img->seg[img->nseg];
		*s = (struct elf_segment){ ph.p_paddr, ph.p_vaddr, ph.p_filesz, ph.p_memsz,
					   ph.p_flags };
		s->flags = ph.p_flags;
		for (int j = 0; j < img->nseg; j++) {
			if (overlaps(s, &img->seg[j])) {
				snprintf(err, errlen,
					 "segments %d and %d overlap at physical 0x%llx", j,
					 img->nseg, (unsigned long long)s->paddr);
				return -1;
			}
		}
		if ((ph.p_flags & PF_X) && eh.e_entry >= ph.p_vaddr &&
		    eh.e_entry - ph.p_vaddr < ph.p_filesz)
			entry_ok = 1;
		if (s->paddr < img->phys_lo)
			img->phys_lo = s->paddr;
		if (s->paddr + s->memsz > img->phys_hi)
			img->phys_hi = s->paddr + s->memsz;
		img->nseg++;
	}
	if (img->nseg == 0) {
		snprintf(err, errlen, "no loadable (PT_LOAD) segments");
		return -1;
	}
	if (!entry_ok) {
		snprintf(err, errlen,
			 "entry point 0x%llx is not inside a loaded executable segment",
			 (unsigned long long)eh.e_entry);
		return -1;
	}
	img->entry = eh.e_entry;
	return 0;
}

void elf_copy_segments(const uint8_t *file, const struct elf_image *img, uint8_t *ram)
{
	/* Walk the headers again for the file offsets; the image was checked already. */
	Elf64_Ehdr eh;
	int n = 0;

	memcpy(&eh, file, sizeof(eh));
	for (int i = 0; i < eh.e_phnum && n < img->nseg; i++) {
		Elf64_Phdr ph;

		memcpy(&ph, file + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD)
			continue;
		memcpy(ram + ph.p_paddr, file + ph.p_offset, ph.p_filesz);
		memset(ram + ph.p_paddr + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
		n++;
	}
}
