/* A conservative x86-64 instruction length decoder (64-bit mode) and the red-zone scan that
 * decides whether a `syscall` of the program may be rewritten to a 2-byte `call *%rax`.
 * The bytes are hostile input: nothing is read outside [code, code + avail), every loop is
 * bounded, and whatever is not known is refused. Freestanding; also built for the host. */
#ifndef LWK_INSN_H
#define LWK_INSN_H

#include "kernel.h"

#define INSN_MAX_LEN 15
#define INSN_BASE_RIP 16
/* insn_red_zone_scan answers UNKNOWN for longer functions (its boundary bitmap is on the stack). */
#define INSN_SCAN_MAX 16384

struct insn {
	uint8_t len;	 /* bytes */
	bool modrm;	 /* has a ModRM byte */
	bool mem;	 /* has a memory operand (ModRM mod != 3), incl. lea */
	int8_t base;	 /* memory base register 0..15 with REX.B (4 = rsp, 5 = rbp), -1 none,
			    16 = rip-relative */
	int8_t index;	 /* SIB index 0..15 with REX.X, -1 none (for VSIB: the vector register's
			    low 4 bits) */
	int32_t disp;	 /* displacement (sign-extended), 0 if none; EVEX disp8 is as encoded,
			    not scaled by N: its sign is right, its magnitude N times too small */
	bool rel_branch; /* jmp/jcc/call/loop/jrcxz (and xbegin) with rel8/rel32 */
	int32_t rel;	 /* its displacement (target = insn end + rel) */
	bool indirect;	 /* jmp/call through register or memory */
};

/* Decodes one instruction at code[0..avail). Returns its length (1..15), or 0 when the bytes
 * are truncated, invalid in 64-bit mode, or an encoding this decoder does not know. */
int insn_decode(const uint8_t *code, size_t avail, struct insn *out);
/* Whether b is a legacy prefix (66 67 f0 f2 f3, segment overrides). */
bool insn_is_legacy_prefix(uint8_t b);

enum insn_verdict {
	INSN_SAFE,
	INSN_UNSAFE,
	INSN_UNKNOWN
};
/* Whether a function's code [code, code+len) may have its `syscall` at offset site rewritten to
 * a 2-byte call: every byte decodes, site is an instruction boundary holding 0f 05, every
 * relative branch into the function lands on a boundary, no memory operand (lea included)
 * uses base rsp or rbp with a negative displacement or with an index register, nor rsp as an
 * index, and no instruction writes rsp other than push/pop/call/ret/leave, add/sub/and of an
 * immediate (64-bit) and lea disp(%rsp),%rsp. UNSAFE: a red-zone access was found; UNKNOWN:
 * the code could not be checked, or it sets rsp some other way. */
enum insn_verdict insn_red_zone_scan(const uint8_t *code, size_t len, size_t site);

#endif
