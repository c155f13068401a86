/* x86-64 instruction length decoding (64-bit mode only): legacy prefixes, REX, the one-byte,
 * 0F, 0F38 and 0F3A maps, VEX and EVEX. Whatever this file does not know decodes as 0. */
#include "insn.h"

/* What follows the opcode (and its ModRM/SIB/displacement). */
enum imm {
	I_NONE,
	I_B,	 /* imm8 */
	I_W,	 /* imm16 */
	I_Z,	 /* imm16 with 66, else imm32 */
	I_V,	 /* imm64 with REX.W, imm16 with 66, else imm32 (b8+r) */
	I_WB,	 /* imm16 then imm8 (enter) */
	I_MOFFS, /* 64-bit address, 32-bit with 67 (a0-a3) */
	I_RELB,	 /* rel8 branch */
	I_RELZ,	 /* rel32 branch */
	I_GRP3B, /* f6: imm8 for /0 and /1 only */
	I_GRP3Z, /* f7: immz for /0 and /1 only */
	I_BAD,
};

#define P_66 1
#define P_67 2
#define P_F2 4
#define P_F3 8
#define P_LOCK 16

struct dec {
	const uint8_t *code;
	size_t avail, pos;
	unsigned pfx;
	uint8_t rex; /* 0x40..0x4f, or 0 */
	bool rex_x, rex_b;
};

static bool fetch(struct dec *d, uint8_t *b)
{
	if (d->pos >= d->avail || d->pos >= INSN_MAX_LEN)
		return false;
	*b = d->code[d->pos++];
	return true;
}

/* Reads a little-endian signed value of n (1, 2 or 4) bytes; skips 8. */
static bool fetch_signed(struct dec *d, unsigned n, int32_t *v)
{
	uint32_t u = 0;
	uint8_t b;
	for (unsigned i = 0; i < n; i++) {
		if (!fetch(d, &b))
			return false;
		if (i < 4)
			u |= (uint32_t)b << (8 * i);
	}
	if (n == 1)
		*v = (int8_t)u;
	else if (n == 2)
		*v = (int16_t)u;
	else if (n == 4)
		*v = (int32_t)u;
	else
		*v = 0;
	return true;
}

static enum imm map0(uint8_t op, bool *modrm)
{
	*modrm = false;
	if (op < 0x40) { /* the ALU block; x6/x7 are invalid or prefixes here */
		switch (op & 7) {
		case 0:
		case 1:
		case 2:
		case 3:
			*modrm = true;
			return I_NONE;
		case 4:
			return I_B;
		case 5:
			return I_Z;
		default:
			return I_BAD;
		}
	}
	if ((op >= 0x50 && op <= 0x5f) || (op >= 0x6c && op <= 0x6f) ||
	    (op >= 0x90 && op <= 0x99) || (op >= 0x9b && op <= 0x9f) ||
	    (op >= 0xa4 && op <= 0xa7) || (op >= 0xaa && op <= 0xaf) || (op >= 0xec && op <= 0xef))
		return I_NONE;
	if (op >= 0x70 && op <= 0x7f)
		return I_RELB;
	if ((op >= 0x84 && op <= 0x8f) || (op >= 0xd0 && op <= 0xd3) ||
	    (op >= 0xd8 && op <= 0xdf)) {
		*modrm = true;
		return I_NONE;
	}
	if (op >= 0xb0 && op <= 0xb7)
		return I_B;
	if (op >= 0xb8 && op <= 0xbf)
		return I_V;
	switch (op) {
	case 0x63:
	case 0xfe:
	case 0xff:
		*modrm = true;
		return I_NONE;
	case 0x69:
	case 0x81:
	case 0xc7:
		*modrm = true;
		return I_Z;
	case 0x6b:
	case 0x80:
	case 0x83:
	case 0xc0:
	case 0xc1:
	case 0xc6:
		*modrm = true;
		return I_B;
	case 0xf6:
		*modrm = true;
		return I_GRP3B;
	case 0xf7:
		*modrm = true;
		return I_GRP3Z;
	case 0x68:
	case 0xa9:
		return I_Z;
	case 0x6a:
	case 0xa8:
	case 0xcd:
	case 0xe4:
	case 0xe5:
	case 0xe6:
	case 0xe7:
		return I_B;
	case 0xa0:
	case 0xa1:
	case 0xa2:
	case 0xa3:
		return I_MOFFS;
	case 0xc2:
	case 0xca:
		return I_W;
	case 0xc8:
		return I_WB;
	case 0xc3:
	case 0xc9:
	case 0xcb:
	case 0xcc:
	case 0xcf:
	case 0xd7:
	case 0xf1:
	case 0xf4:
	case 0xf5:
	case 0xf8:
	case 0xf9:
	case 0xfa:
	case 0xfb:
	case 0xfc:
	case 0xfd:
		return I_NONE;
	case 0xe0:
	case 0xe1:
	case 0xe2:
	case 0xe3:
	case 0xeb:
		return I_RELB;
	case 0xe8:
	case 0xe9:
		return I_RELZ;
	default:
		return I_BAD;
	}
}

/* The 0F map (legacy encoding). */
static enum imm map1(uint8_t op, unsigned pfx, bool *modrm)
{
	*modrm = true;
	if (op >= 0x80 && op <= 0x8f) {
		*modrm = false;
		return I_RELZ;
	}
	if ((op >= 0x05 && op <= 0x09) || op == 0x0b || (op >= 0x30 && op <= 0x35) || op == 0x37 ||
	    op == 0x77 || (op >= 0xa0 && op <= 0xa2) || (op >= 0xa8 && op <= 0xaa) ||
	    (op >= 0xc8 && op <= 0xcf)) {
		*modrm = false;
		return I_NONE;
	}
	switch (op) {
	case 0x70:
	case 0x71:
	case 0x72:
	case 0x73:
	case 0xa4:
	case 0xac:
	case 0xba:
	case 0xc2:
	case 0xc4:
	case 0xc5:
	case 0xc6:
		return I_B;
	case 0x78: /* vmread; with 66/f2 SSE4a extrq/insertq, not known here */
	case 0x79:
		return pfx & (P_66 | P_F2) ? I_BAD : I_NONE;
	case 0xb8: /* popcnt; jmpe without f3 */
		return pfx & P_F3 ? I_NONE : I_BAD;
	case 0x20: /* mov to/from cr and dr: privileged, and their ModRM ignores mod */
	case 0x21:
	case 0x22:
	case 0x23:
	case 0x04:
	case 0x0a:
	case 0x0c:
	case 0x0e: /* femms, 0f 0f: 3DNow! */
	case 0x0f:
	case 0x24:
	case 0x25:
	case 0x26:
	case 0x27:
	case 0x36:
	case 0x39:
	case 0x3b:
	case 0x3c:
	case 0x3d:
	case 0x3e:
	case 0x3f:
	case 0x7a:
	case 0x7b:
	case 0xa6:
	case 0xa7:
		return I_BAD;
	default:
		return I_NONE; /* 00-03, 0d, 10-2f, 40-7f, 90-ff with a ModRM and no immediate */
	}
}

/* The 0F38 map (legacy encoding): ModRM, no immediate; the opcodes compilers and libcs use. */
static bool map2_known(uint8_t op)
{
	return op <= 0x0b || op == 0x10 || op == 0x14 || op == 0x15 || op == 0x17 ||
	       (op >= 0x1c && op <= 0x1e) || (op >= 0x20 && op <= 0x25) ||
	       (op >= 0x28 && op <= 0x2b) || (op >= 0x30 && op <= 0x35) ||
	       (op >= 0x37 && op <= 0x41) || (op >= 0x80 && op <= 0x82) ||
	       (op >= 0xc8 && op <= 0xcd) || op == 0xcf || (op >= 0xdc && op <= 0xdf) ||
	       op == 0xf0 || op == 0xf1 || op == 0xf5 || op == 0xf6 || (op >= 0xf8 && op <= 0xfc);
}

/* The 0F3A map (legacy encoding): ModRM and imm8. */
static bool map3_known(uint8_t op)
{
	return (op >= 0x08 && op <= 0x0f) || (op >= 0x14 && op <= 0x17) ||
	       (op >= 0x20 && op <= 0x22) || (op >= 0x40 && op <= 0x42) || op == 0x44 ||
	       (op >= 0x60 && op <= 0x63) || op == 0xcc || op == 0xce || op == 0xcf || op == 0xdf;
}

/* Map 1 under VEX/EVEX: which opcodes take an imm8, which do not exist. */
static enum imm vex_map1(uint8_t op)
{
	if (op <= 0x0f || (op >= 0x18 && op <= 0x27) || (op >= 0x30 && op <= 0x40) ||
	    (op >= 0x80 && op <= 0x8f) || (op >= 0xa0 && op <= 0xad) ||
	    (op >= 0xaf && op <= 0xc1) || op == 0xc3 || (op >= 0xc7 && op <= 0xcf) || op == 0xff)
		return I_BAD;
	if ((op >= 0x70 && op <= 0x73) || op == 0xc2 || (op >= 0xc4 && op <= 0xc6))
		return I_B;
	return I_NONE;
}

/* ModRM, SIB and displacement; fills the operand fields of out. */
static bool decode_modrm(struct dec *d, struct insn *out, uint8_t *modrm)
{
	uint8_t m, sib;
	out->modrm = true;
	if (!fetch(d, &m))
		return false;
	uint8_t mod = m >> 6, rm = m & 7;
	*modrm = m;
	if (mod == 3)
		return true;
	out->mem = true;
	unsigned disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	if (rm == 4) {
		if (!fetch(d, &sib))
			return false;
		uint8_t idx = ((sib >> 3) & 7) | (d->rex_x ? 8 : 0), base = sib & 7;
		out->index = idx == 4 ? -1 : (int8_t)idx;
		if (base == 5 && mod == 0) {
			out->base = -1;
			disp = 4;
		} else {
			out->base = (int8_t)(base | (d->rex_b ? 8 : 0));
		}
	} else if (rm == 5 && mod == 0) {
		out->base = INSN_BASE_RIP;
		disp = 4;
	} else {
		out->base = (int8_t)(rm | (d->rex_b ? 8 : 0));
	}
	return !disp || fetch_signed(d, disp, &out->disp);
}

static bool decode_imm(struct dec *d, enum imm imm, bool rexw, struct insn *out)
{
	int32_t v;
	switch (imm) {
	case I_NONE:
		return true;
	case I_B:
		return fetch_signed(d, 1, &v);
	case I_W:
		return fetch_signed(d, 2, &v);
	case I_Z:
		return fetch_signed(d, (d->pfx & P_66) && !rexw ? 2 : 4, &v);
	case I_V:
		return fetch_signed(d, rexw ? 8 : d->pfx & P_66 ? 2 : 4, &v);
	case I_WB:
		return fetch_signed(d, 2, &v) && fetch_signed(d, 1, &v);
	case I_MOFFS:
		return fetch_signed(d, d->pfx & P_67 ? 4 : 8, &v);
	case I_RELB:
	case I_RELZ:
		/* 66 on a near branch: Intel ignores it, AMD truncates the target; refused. */
		if (d->pfx & P_66)
			return false;
		out->rel_branch = true;
		return fetch_signed(d, imm == I_RELB ? 1 : 4, &out->rel);
	default:
		return false;
	}
}

/* VEX (c4/c5) and EVEX (62): prefix payload, opcode, ModRM, imm8. */
static bool decode_vex(struct dec *d, uint8_t esc, struct insn *out)
{
	uint8_t p0, p1, p2, op, m;
	unsigned map;
	enum imm imm;
	/* 66, f2, f3, lock or REX before VEX/EVEX raise #UD. */
	if (d->rex || (d->pfx & (P_66 | P_F2 | P_F3 | P_LOCK)))
		return false;
	if (!fetch(d, &p0))
		return false;
	if (esc == 0xc5) {
		map = 1;
	} else {
		if (!fetch(d, &p1))
			return false;
		if (esc == 0x62) {
			/* P0 bit 3 and P1 bit 2 (fixed bits before APX) and maps 4, 7 are unknown. */
			if ((p0 & 0x08) || !(p1 & 0x04) || !fetch(d, &p2))
				return false;
			map = p0 & 7;
			if (map != 1 && map != 2 && map != 3 && map != 5 && map != 6)
				return false;
		} else {
			map = p0 & 0x1f;
			if (map < 1 || map > 3)
				return false;
		}
		d->rex_x = !(p0 & 0x40);
		d->rex_b = !(p0 & 0x20);
	}
	if (!fetch(d, &op))
		return false;
	if (map == 1) {
		imm = vex_map1(op);
		if (imm == I_BAD)
			return false;
		if (op == 0x77) /* vzeroupper/vzeroall: no ModRM (VEX only) */
			return esc != 0x62;
	} else {
		imm = map == 3 ? I_B : I_NONE;
	}
	return decode_modrm(d, out, &m) && decode_imm(d, imm, false, out);
}

/* Opcodes whose ModRM reg field selects the instruction: refuse the undefined ones, find the
 * immediates of f6/f7, c6/c7, and mark indirect branches. */
static bool group_fixup(uint8_t op, uint8_t m, enum imm *imm, struct insn *out)
{
	uint8_t reg = (m >> 3) & 7;
	switch (op) {
	case 0x8d:
		return out->mem; /* lea of a register is #UD */
	case 0x8f:
		return reg == 0; /* pop; otherwise AMD XOP */
	case 0xc6:
	case 0xc7:
		if (reg == 0)
			return true;
		if (m == 0xf8) { /* xabort imm8, xbegin rel32 */
			*imm = op == 0xc6 ? I_B : I_RELZ;
			return true;
		}
		return false;
	case 0xf6:
	case 0xf7:
		if (reg > 1)
			*imm = I_NONE;
		else
			*imm = op == 0xf6 ? I_B : I_Z;
		return true;
	case 0xfe:
		return reg <= 1;
	case 0xff:
		if (reg == 7 || ((reg == 3 || reg == 5) && !out->mem))
			return false;
		out->indirect = reg >= 2 && reg <= 5;
		return true;
	default:
		return true;
	}
}

bool insn_is_legacy_prefix(uint8_t b)
{
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 || b == 0x26 ||
	       b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65;
}

int insn_decode(const uint8_t *code, size_t avail, struct insn *out)
{
	struct dec d = { .code = code, .avail = avail };
	uint8_t b, op, m = 0;
	bool modrm;
	enum imm imm;

	*out = (struct insn){ .base = -1, .index = -1 };
	if (!code)
		return 0;
	for (;;) { /* legacy prefixes: fetch stops at 15 bytes */
		if (!fetch(&d, &b))
			return 0;
		if (b == 0x66)
			d.pfx |= P_66;
		else if (b == 0x67)
			d.pfx |= P_67;
		else if (b == 0xf2)
			d.pfx |= P_F2;
		else if (b == 0xf3)
			d.pfx |= P_F3;
		else if (b == 0xf0)
			d.pfx |= P_LOCK;
		else if (b != 0x26 && b != 0x2e && b != 0x36 && b != 0x3e && b != 0x64 && b != 0x65)
			break;
	}
	/* REX must come last: one followed by a prefix, or by fwait (which objdump reads as a
	 * prefix too), is refused. */
	if ((b & 0xf0) == 0x40) {
		d.rex = b;
		d.rex_x = b & 2;
		d.rex_b = b & 1;
		if (!fetch(&d, &b) || (b & 0xf0) == 0x40 || insn_is_legacy_prefix(b) || b == 0x9b)
			return 0;
	}
	bool rexw = d.rex & 8;
	op = b;
	if (op == 0xc4 || op == 0xc5 || op == 0x62) {
		if (!decode_vex(&d, op, out))
			return 0;
	} else if (op == 0x0f) {
		if (!fetch(&d, &op))
			return 0;
		if (op == 0x38 || op == 0x3a) {
			uint8_t op3;
			if (!fetch(&d, &op3))
				return 0;
			if (op == 0x38 ? !map2_known(op3) : !map3_known(op3))
				return 0;
			imm = op == 0x3a ? I_B : I_NONE;
			modrm = true;
		} else {
			imm = map1(op, d.pfx, &modrm);
		}
		if (imm == I_BAD || (modrm && !decode_modrm(&d, out, &m)) ||
		    !decode_imm(&d, imm, rexw, out))
			return 0;
	} else {
		imm = map0(op, &modrm);
		if (imm == I_BAD || (modrm && !decode_modrm(&d, out, &m)))
			return 0;
		if (modrm && !group_fixup(op, m, &imm, out))
			return 0;
		if (!decode_imm(&d, imm, rexw, out))
			return 0;
	}
	out->len = (uint8_t)d.pos;
	return (int)d.pos;
}
