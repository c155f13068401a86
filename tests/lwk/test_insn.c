/*
 * Unit tests of the lwk's x86-64 decoder and red-zone scan (lwk/insn.c), built for the host.
 * Every byte sequence below is one instruction as objdump disassembles it (its length and
 * operands checked against objdump -D -b binary -m i386:x86-64 when written); each is also
 * cut short at every length, which must decode as 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../../lwk/insn.h"

#define NONE -1
#define RIP INSN_BASE_RIP

struct known {
	const char *hex; /* the instruction, as objdump shows it */
	int len;
	bool mem;
	int base, index;
	int32_t disp;
	bool rel_branch;
	int32_t rel;
	bool indirect;
};

static const struct known known[] = {
	/* Red-zone stores and loads, frame pointer, RIP-relative, SIB, REX.B/X. */
	{ "48 89 44 24 f8", 5, true, 4, NONE, -8, false, 0, false }, /* mov %rax,-0x8(%rsp) */
	{ "48 89 45 f8", 4, true, 5, NONE, -8, false, 0, false },    /* mov %rax,-0x8(%rbp) */
	{ "48 8b 05 78 56 34 12", 7, true, RIP, NONE, 0x12345678, false, 0,
	  false },						     /* mov 0x12345678(%rip),%rax */
	{ "4c 8b 64 24 10", 5, true, 4, NONE, 16, false, 0, false }, /* mov 0x10(%rsp),%r12 */
	{ "42 8b 04 a4", 4, true, 4, 12, 0, false, 0, false },	     /* mov (%rsp,%r12,4),%eax */
	{ "41 8b 04 24", 4, true, 12, NONE, 0, false, 0, false },    /* mov (%r12),%eax */
	{ "64 48 8b 04 25 28 00 00 00", 9, true, NONE, NONE, 0x28, false, 0,
	  false },						     /* mov %fs:0x28,%rax */
	{ "41 8b 45 00", 4, true, 13, NONE, 0, false, 0, false },    /* mov 0x0(%r13),%eax */
	{ "67 89 44 24 f8", 5, true, 4, NONE, -8, false, 0, false }, /* mov %eax,-0x8(%esp) */
	{ "8b 04 04", 3, true, 4, 0, 0, false, 0, false },	     /* mov (%rsp,%rax,1),%eax */
	/* Immediate sizes. */
	{ "48 b8 88 77 66 55 44 33 22 11", 10, false, NONE, NONE, 0, false, 0,
	  false }, /* movabs $imm64,%rax */
	{ "b8 44 33 22 11", 5, false, NONE, NONE, 0, false, 0, false },
	{ "66 b8 22 11", 4, false, NONE, NONE, 0, false, 0, false },
	{ "66 48 b8 88 77 66 55 44 33 22 11", 11, false, NONE, NONE, 0, false, 0,
	  false }, /* REX.W wins over 66 */
	{ "48 a1 88 77 66 55 44 33 22 11", 10, false, NONE, NONE, 0, false, 0,
	  false },							   /* movabs moffs64,%rax */
	{ "67 a1 44 33 22 11", 6, false, NONE, NONE, 0, false, 0, false }, /* addr32 mov moffs32 */
	{ "f6 c1 01", 3, false, NONE, NONE, 0, false, 0, false },	   /* test $0x1,%cl */
	{ "f6 d1", 2, false, NONE, NONE, 0, false, 0, false },		   /* not %cl */
	{ "f7 c1 44 33 22 11", 6, false, NONE, NONE, 0, false, 0, false }, /* test $imm32,%ecx */
	{ "66 f7 c1 22 11", 5, false, NONE, NONE, 0, false, 0, false },	   /* test $imm16,%cx */
	{ "f7 d8", 2, false, NONE, NONE, 0, false, 0, false },		   /* neg %eax */
	{ "c8 10 00 00", 4, false, NONE, NONE, 0, false, 0, false },	   /* enter $0x10,$0x0 */
	{ "c2 08 00", 3, false, NONE, NONE, 0, false, 0, false },	   /* ret $0x8 */
	{ "69 c0 44 33 22 11", 6, false, NONE, NONE, 0, false, 0, false },
	{ "6b c0 05", 3, false, NONE, NONE, 0, false, 0, false },
	{ "66 0f 73 d0 02", 5, false, NONE, NONE, 0, false, 0, false },	   /* psrlq $0x2,%xmm0 */
	{ "0f ba e0 03", 4, false, NONE, NONE, 0, false, 0, false },	   /* bt $0x3,%eax */
	{ "66 0f 3a 0f c1 08", 6, false, NONE, NONE, 0, false, 0, false }, /* palignr */
	{ "66 0f 38 00 c1", 5, false, NONE, NONE, 0, false, 0, false },	   /* pshufb */
	/* VEX and EVEX (disp8 as encoded: -1 is -0x40 scaled by 64). */
	{ "c5 f8 77", 3, false, NONE, NONE, 0, false, 0, false }, /* vzeroupper */
	{ "c5 fd 6f 44 24 f0", 6, true, 4, NONE, -16, false, 0,
	  false }, /* vmovdqa -0x10(%rsp),%ymm0 */
	{ "c4 e3 7d 18 c1 01", 6, false, NONE, NONE, 0, false, 0, false }, /* vinsertf128 */
	{ "c4 e2 7d 58 c0", 5, false, NONE, NONE, 0, false, 0, false },	   /* vpbroadcastd */
	{ "62 f1 7c 48 10 44 24 ff", 8, true, 4, NONE, -1, false, 0,
	  false }, /* vmovups -0x40(%rsp),%zmm0 */
	{ "62 f3 7d 48 1b c1 01", 7, false, NONE, NONE, 0, false, 0, false }, /* vextractf32x8 */
	{ "62 f1 fd 48 7f 44 24 01", 8, true, 4, NONE, 1, false, 0,
	  false }, /* vmovdqa64 %zmm0,0x40(%rsp) */
	/* Prefixes. */
	{ "66 66 2e 0f 1f 84 00 00 00 00 00", 11, true, 0, 0, 0, false, 0,
	  false }, /* data16 cs nopw */
	{ "66 66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00", 15, true, 0, 0, 0, false, 0,
	  false },						     /* 15 bytes: the most */
	{ "f3 0f 1e fa", 4, false, NONE, NONE, 0, false, 0, false }, /* endbr64 */
	{ "f0 48 0f b1 17", 5, true, 7, NONE, 0, false, 0, false },  /* lock cmpxchg %rdx,(%rdi) */
	{ "f3 48 a5", 3, false, NONE, NONE, 0, false, 0, false },    /* rep movsq */
	{ "f2 0f 10 44 24 f8", 6, true, 4, NONE, -8, false, 0, false }, /* movsd -0x8(%rsp),%xmm0 */
	{ "0f 05", 2, false, NONE, NONE, 0, false, 0, false },		/* syscall */
	/* Branches. */
	{ "3e ff e0", 3, false, NONE, NONE, 0, false, 0, true }, /* notrack jmp *%rax */
	{ "eb fe", 2, false, NONE, NONE, 0, true, -2, false },
	{ "e8 00 00 00 00", 5, false, NONE, NONE, 0, true, 0, false },
	{ "0f 84 10 00 00 00", 6, false, NONE, NONE, 0, true, 16, false },
	{ "e3 05", 2, false, NONE, NONE, 0, true, 5, false },		  /* jrcxz */
	{ "ff d0", 2, false, NONE, NONE, 0, false, 0, true },		  /* call *%rax */
	{ "ff 24 c5 00 00 00 00", 7, true, NONE, 0, 0, false, 0, true },  /* jmp *0x0(,%rax,8) */
	{ "41 ff 14 24", 4, true, 12, NONE, 0, false, 0, true },	  /* call *(%r12) */
	{ "c7 f8 00 00 00 00", 6, false, NONE, NONE, 0, true, 0, false }, /* xbegin */
	{ "c6 f8 07", 3, false, NONE, NONE, 0, false, 0, false },	  /* xabort $0x7 */
};

/* Invalid in 64-bit mode, or encodings the decoder refuses on purpose. */
static const char *const refused[] = {
	"06",			/* push %es */
	"27",			/* daa */
	"d6",			/* salc */
	"9a 00 00 00 00 00 00", /* far call ptr16:32 */
	"0f 0f c1 b4",		/* 3DNow! */
	"8f e8 78 c2 c1 01",	/* AMD XOP */
	"c4 e0 7d 58 c0",	/* VEX map 0 */
	"c4 e4 7d 58 c0",	/* VEX map 4 */
	"62 f1 78 48 10 c0",	/* EVEX with P1 bit 2 clear */
	"62 f4 7c 48 10 c0",	/* EVEX map 4 (APX) */
	"66 c5 f8 77",		/* 66 before VEX */
	"48 c5 f8 77",		/* REX before VEX */
	"48 66 90",		/* REX then a prefix */
	"48 9b",		/* REX then fwait */
	"66 e8 00 00",		/* 66 on a near call: vendors disagree */
	"66 0f 84 00 00",	/* and on jcc rel */
	"ff ff",		/* ff /7 */
	"ff d8",		/* far call through a register */
	"fe d0",		/* fe /2 */
	"c6 c8 00",		/* c6 /1 */
	"c7 c8 00 00 00 00",	/* c7 /1 */
	"d5 00",		/* APX REX2 */
	"0f b8 c0",		/* jmpe (popcnt needs f3) */
	"66 0f 78 c0 01 02",	/* SSE4a extrq */
	"0f 22 98 00 00 00 00", /* mov %rax,%cr3: privileged, mod ignored */
	"48 8d c0",		/* lea with a register operand */
	"0f 38 ff c0",		/* unknown 0F38 opcode */
	"0f 3a ff c0 00",	/* unknown 0F3A opcode */
	/* 16 bytes: too long */
	"66 66 66 66 66 66 66 2e 0f 1f 84 00 00 00 00 00",
};

static size_t parse(const char *hex, uint8_t *buf, size_t cap)
{
	size_t n = 0;
	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		assert_true(n < cap);
		assert_int_equal(sscanf(hex, "%2hhx", &buf[n]), 1);
		n++;
		hex += 2;
	}
	return n;
}

static void known_lengths_and_operands(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		const struct known *k = &known[i];
		uint8_t buf[32];
		struct insn in;
		size_t n = parse(k->hex, buf, sizeof buf);
		print_message("%s\n", k->hex);
		assert_int_equal(n, k->len);
		assert_int_equal(insn_decode(buf, n, &in), k->len);
		assert_int_equal(in.len, k->len);
		assert_int_equal(in.mem, k->mem);
		assert_int_equal(in.base, k->base);
		assert_int_equal(in.index, k->index);
		assert_int_equal(in.disp, k->disp);
		assert_int_equal(in.rel_branch, k->rel_branch);
		assert_int_equal(in.rel, k->rel);
		assert_int_equal(in.indirect, k->indirect);
		/* More bytes after it change nothing. */
		memset(buf + n, 0x90, sizeof buf - n);
		assert_int_equal(insn_decode(buf, sizeof buf, &in), k->len);
	}
}

/* Every truncation, in an exactly sized heap copy: ASan sees a read past it. */
static void truncated(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		uint8_t buf[32];
		struct insn in;
		size_t n = parse(known[i].hex, buf, sizeof buf);
		for (size_t cut = 0; cut < n; cut++) {
			uint8_t *p = malloc(cut ? cut : 1);
			assert_non_null(p);
			memcpy(p, buf, cut);
			assert_int_equal(insn_decode(p, cut, &in), 0);
			free(p);
		}
	}
	assert_int_equal(insn_decode(NULL, 5, &(struct insn){ 0 }), 0);
}

static void refused_encodings(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		uint8_t buf[32];
		struct insn in;
		size_t n = parse(refused[i], buf, sizeof buf);
		print_message("%s\n", refused[i]);
		memset(buf + n, 0, sizeof buf - n);
		assert_int_equal(insn_decode(buf, sizeof buf, &in), 0);
	}
}

/* Never more than 15 bytes, never past avail, for every 2-byte start (and a ModRM sweep). */
static void bounded(void **state)
{
	(void)state;
	for (unsigned a = 0; a < 256; a++) {
		for (unsigned b = 0; b < 256; b++) {
			uint8_t buf[16] = { (uint8_t)a, (uint8_t)b, 0x44, 0x24, 0xf8 };
			struct insn in;
			int len = insn_decode(buf, sizeof buf, &in);
			assert_true(len >= 0 && len <= 15);
			if (len)
				assert_int_equal(in.len, len);
		}
	}
}

static enum insn_verdict scan(const char *hex, size_t site)
{
	uint8_t buf[256];
	size_t n = parse(hex, buf, sizeof buf);
	uint8_t *p = malloc(n);
	assert_non_null(p);
	memcpy(p, buf, n);
	enum insn_verdict v = insn_red_zone_scan(p, n, site);
	free(p);
	return v;
}

/* endbr64; mov $202,%eax; ... syscall; ret. */
#define HEAD "f3 0f 1e fa b8 ca 00 00 00 "

static void red_zone_scan(void **state)
{
	(void)state;
	assert_int_equal(scan(HEAD "0f 05 c3", 9), INSN_SAFE);
	/* Above %rsp, a call out and a tail call out: fine. */
	assert_int_equal(scan(HEAD "48 89 44 24 08 e8 00 10 00 00 0f 05 e9 00 f0 ff ff", 19),
			 INSN_SAFE);
	/* A branch back to an instruction boundary (the syscall). */
	assert_int_equal(scan(HEAD "0f 05 85 c0 75 fa c3", 9), INSN_SAFE);
	/* Red-zone accesses, before or after the site. */
	assert_int_equal(scan(HEAD "48 89 44 24 f8 0f 05 c3", 14), INSN_UNSAFE);
	assert_int_equal(scan(HEAD "0f 05 48 8b 44 24 f8 c3", 9), INSN_UNSAFE);
	assert_int_equal(scan(HEAD "48 89 45 f8 0f 05 c3", 13), INSN_UNSAFE);
	assert_int_equal(scan(HEAD "48 8d 44 24 f8 0f 05 c3", 14), INSN_UNSAFE);    /* lea */
	assert_int_equal(scan(HEAD "67 89 44 24 f8 0f 05 c3", 14), INSN_UNSAFE);    /* %esp */
	assert_int_equal(scan(HEAD "8b 04 04 0f 05 c3", 12), INSN_UNSAFE);	    /* indexed */
	assert_int_equal(scan(HEAD "c5 fd 7f 44 24 e0 0f 05 c3", 15), INSN_UNSAFE); /* VEX */
	assert_int_equal(scan(HEAD "62 f1 7c 48 11 44 24 ff 0f 05 c3", 17), INSN_UNSAFE); /* EVEX */
	assert_int_equal(scan(HEAD "f2 0f 11 44 24 f8 0f 05 c3", 15), INSN_UNSAFE); /* movsd */
	/* Not checkable. */
	assert_int_equal(scan(HEAD "0f 05 c3", 8), INSN_UNKNOWN);	/* not a boundary */
	assert_int_equal(scan(HEAD "0f 05 c3", 4), INSN_UNKNOWN);	/* not a syscall */
	assert_int_equal(scan(HEAD "0f 05 c3", 11), INSN_UNKNOWN);	/* last byte */
	assert_int_equal(scan(HEAD "0f 05 c3", 12), INSN_UNKNOWN);	/* past the end */
	assert_int_equal(scan(HEAD "0f 05 06", 9), INSN_UNKNOWN);	/* undecodable */
	assert_int_equal(scan(HEAD "0f 05 48 b8 00", 9), INSN_UNKNOWN); /* truncated */
	/* 0f 05 inside an immediate, and a branch into the middle of an instruction. */
	assert_int_equal(scan("48 b8 00 00 0f 05 00 00 00 00 0f 05 c3", 4), INSN_UNKNOWN);
	assert_int_equal(scan(HEAD "eb 01 b8 0f 05 c3 90 0f 05 c3", 16), INSN_UNKNOWN);
	assert_int_equal(scan(HEAD "eb 05 b8 0f 05 c3 90 0f 05 c3", 16), INSN_SAFE);
	assert_int_equal(insn_red_zone_scan(NULL, 12, 9), INSN_UNKNOWN);
}

/* Instructions that set rsp: a stack switch or a computed rsp is UNKNOWN; the usual frame
 * moves are SAFE. Bytes from as(1), as objdump shows them. */
static void rsp_writes(void **state)
{
	static const char *const moves[] = {
		"48 89 c4",			 /* mov %rax,%rsp */
		"4c 89 d4",			 /* mov %r10,%rsp */
		"48 8b e0",			 /* mov %rax,%rsp (8b form) */
		"48 29 c4",			 /* sub %rax,%rsp */
		"48 01 c4",			 /* add %rax,%rsp */
		"48 87 e0",			 /* xchg %rsp,%rax */
		"48 94",			 /* xchg %rax,%rsp */
		"5c",				 /* pop %rsp */
		"48 bc 05 00 00 00 00 00 00 00", /* movabs $0x5,%rsp */
		"49 8d 62 f0",			 /* lea -0x10(%r10),%rsp */
		"48 83 cc 08",			 /* or $0x8,%rsp */
		"48 0f 45 e0",			 /* cmovne %rax,%rsp */
		"48 0f cc",			 /* bswap %rsp */
		"66 48 0f 7e c4",		 /* movq %xmm0,%rsp */
		"c4 e1 f9 7e c4",		 /* vmovq %xmm0,%rsp */
		"c4 e3 f9 16 c4 01",		 /* vpextrq $0x1,%xmm0,%rsp */
		"c4 e2 d8 f3 c8",		 /* blsr %rax,%rsp (vvvv) */
		"c4 e2 f9 f7 e3",		 /* shlx %rax,%rbx,%rsp */
		"c4 e3 fb f0 e0 03",		 /* rorx $0x3,%rax,%rsp */
	};
	static const char *const fine[] = {
		"48 83 c4 08",		/* add $0x8,%rsp */
		"48 81 ec 00 10 00 00", /* sub $0x1000,%rsp */
		"48 83 e4 f0",		/* and $-16,%rsp */
		"48 8d 64 24 08",	/* lea 0x8(%rsp),%rsp */
		"48 89 e5",		/* mov %rsp,%rbp */
		"49 89 c4",		/* mov %rax,%r12 */
		"48 39 c4",		/* cmp %rax,%rsp */
		"c4 e2 98 f3 c8",	/* blsr %rax,%r12 */
		"55 48 89 e5 5d c9",	/* push %rbp; mov %rsp,%rbp; pop %rbp; leave */
	};
	char hex[128];
	(void)state;
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
		snprintf(hex, sizeof hex, HEAD "%s 0f 05 c3", moves[i]);
		uint8_t buf[64];
		size_t n = parse(moves[i], buf, sizeof buf);
		print_message("%s\n", moves[i]);
		assert_int_equal(scan(hex, 9 + n), INSN_UNKNOWN);
	}
	for (size_t i = 0; i < sizeof fine / sizeof fine[0]; i++) {
		snprintf(hex, sizeof hex, HEAD "%s 0f 05 c3", fine[i]);
		uint8_t buf[64];
		size_t n = parse(fine[i], buf, sizeof buf);
		print_message("%s\n", fine[i]);
		assert_int_equal(scan(hex, 9 + n), INSN_SAFE);
	}
}

static void scan_size_limit(void **state)
{
	(void)state;
	size_t n = INSN_SCAN_MAX + 1;
	uint8_t *p = malloc(n);
	assert_non_null(p);
	memset(p, 0x90, n);
	p[0] = 0x0f;
	p[1] = 0x05;
	assert_int_equal(insn_red_zone_scan(p, n, 0), INSN_UNKNOWN);
	assert_int_equal(insn_red_zone_scan(p, n - 1, 0), INSN_SAFE);
	free(p);
}

/* The program rewrites its own code while the kernel scans it (another vCPU; the window is
 * writable): page protections stop the scan when its first pass reaches the middle page,
 * and when its second pass starts, where a byte of that page becomes an invalid opcode.
 * The scan must end, and not call the function safe. */
static uint8_t *flip_code;
static long flip_pg;

static void flip_on_fault(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	uint8_t *a = si->si_addr;
	if (a >= flip_code + flip_pg && a < flip_code + 2 * flip_pg) {
		mprotect(flip_code + flip_pg, (size_t)flip_pg, PROT_READ | PROT_WRITE);
		mprotect(flip_code, (size_t)flip_pg, PROT_NONE);
	} else if (a >= flip_code && a < flip_code + flip_pg) {
		mprotect(flip_code, (size_t)flip_pg, PROT_READ | PROT_WRITE);
		flip_code[flip_pg + 16] = 0x06; /* push %es: invalid in 64-bit mode */
	} else {
		_exit(3);
	}
}

static void on_hang(int sig)
{
	(void)sig;
	static const char m[] = "insn_red_zone_scan did not end after its code changed\n";
	if (write(2, m, sizeof(m) - 1) < 0)
		_exit(4);
	_exit(2);
}

static void code_rewritten_during_scan(void **state)
{
	(void)state;
	flip_pg = sysconf(_SC_PAGESIZE);
	size_t len = 3 * (size_t)flip_pg;
	assert_true(len <= INSN_SCAN_MAX);
	flip_code = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(flip_code != MAP_FAILED);
	memset(flip_code, 0x90, len); /* nops */
	flip_code[0] = 0x0f;	      /* the site: syscall */
	flip_code[1] = 0x05;
	flip_code[len - 1] = 0xc3; /* ret */
	assert_int_equal(insn_red_zone_scan(flip_code, len, 0), INSN_SAFE);
	struct sigaction sa = { .sa_sigaction = flip_on_fault, .sa_flags = SA_SIGINFO }, old_segv;
	struct sigaction hang = { .sa_handler = on_hang }, old_alrm;
	sigaction(SIGSEGV, &sa, &old_segv);
	sigaction(SIGALRM, &hang, &old_alrm);
	mprotect(flip_code + flip_pg, (size_t)flip_pg, PROT_NONE);
	alarm(20);
	enum insn_verdict v = insn_red_zone_scan(flip_code, len, 0);
	alarm(0);
	sigaction(SIGSEGV, &old_segv, NULL);
	sigaction(SIGALRM, &old_alrm, NULL);
	assert_int_equal(flip_code[flip_pg + 16], 0x06); /* the byte did change mid-scan */
	assert_int_equal(v, INSN_UNKNOWN);
	munmap(flip_code, len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(known_lengths_and_operands),
		cmocka_unit_test(truncated),
		cmocka_unit_test(refused_encodings),
		cmocka_unit_test(bounded),
		cmocka_unit_test(red_zone_scan),
		cmocka_unit_test(rsp_writes),
		cmocka_unit_test(scan_size_limit),
		cmocka_unit_test(code_rewritten_during_scan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
