/* The red-zone scan of a function (issue #15): may its `syscall` become a 2-byte call, which
 * pushes its return address at [rsp-8]? Decided by a linear decode (insn.c); on doubt, no. */
#include "insn.h"

/* A memory operand that may reach below %rsp: rsp or rbp (the frame pointer, often equal to
 * rsp in leaf functions) as base with a negative displacement or any index, or rsp as index. */
static bool red_zone_access(const struct insn *in)
{
	if (!in->mem)
		return false;
	if (in->index == 4)
		return true;
	return (in->base == 4 || in->base == 5) && (in->disp < 0 || in->index >= 0);
}

/* One-byte opcodes (with ModRM) whose r/m operand is written, and whose reg operand is. */
static bool writes_rm(uint8_t op)
{
	if (op < 0x38)
		return (op & 7) <= 1;
	return op == 0x86 || op == 0x87 || op == 0x88 || op == 0x89 || op == 0x8c || op == 0x8f ||
	       op == 0xc0 || op == 0xc1 || op == 0xc6 || op == 0xc7 || (op >= 0xd0 && op <= 0xd3);
}

static bool writes_reg(uint8_t op)
{
	if (op < 0x38)
		return (op & 7) == 2 || (op & 7) == 3;
	return op == 0x63 || op == 0x69 || op == 0x6b || op == 0x86 || op == 0x87 || op == 0x8a ||
	       op == 0x8b || op == 0x8d;
}

/* The one-byte map: reg and rm name rsp (REX.R/B clear), m is the ModRM byte. */
static bool map0_writes_rsp(const struct insn *in, uint8_t op, uint8_t m, bool w, bool reg_rsp,
			    bool rm_rsp)
{
	uint8_t reg = (m >> 3) & 7;
	if (op >= 0xd8 && op <= 0xdf) /* x87: rm is st(i) */
		return false;
	if (op == 0x8d) /* lea disp(%rsp),%rsp moves rsp like add; any other lea into rsp: no */
		return reg_rsp && !(in->base == 4 && in->index < 0);
	if (op >= 0x80 && op <= 0x83) /* add, and, sub (64-bit) and cmp keep the stack valid */
		return rm_rsp && reg != 7 &&
		       !((op == 0x81 || op == 0x83) && w && (reg == 0 || reg == 4 || reg == 5));
	if (op == 0xf6 || op == 0xf7) /* not, neg; test, mul and div do not write r/m */
		return rm_rsp && (reg == 2 || reg == 3);
	if (op == 0xfe || op == 0xff) /* inc, dec */
		return rm_rsp && reg <= 1;
	return (rm_rsp && writes_rm(op)) || (reg_rsp && writes_reg(op));
}

/* The 0F map, and 0F38 f0-f6 (movbe, crc32, adcx/adox: reg written). */
static bool map1_writes_rsp(uint8_t op, uint8_t m, bool reg_rsp, bool rm_rsp)
{
	uint8_t reg = (m >> 3) & 7;
	if ((op >= 0x40 && op <= 0x4f) || op == 0xaf || op == 0xb2 || (op >= 0xb6 && op <= 0xb8) ||
	    (op >= 0xbc && op <= 0xbf) || op == 0x50 || op == 0xc5 || op == 0xd7 || op == 0x2c ||
	    op == 0x2d || op == 0xc0 || op == 0xc1)
		if (reg_rsp)
			return true;
	if ((op >= 0x90 && op <= 0x9f) || op == 0xa4 || op == 0xa5 || op == 0xab || op == 0xac ||
	    op == 0xad || op == 0xb0 || op == 0xb1 || op == 0xb3 || op == 0xbb || op == 0xc0 ||
	    op == 0xc1 || op == 0x7e || (op == 0xba && reg >= 5))
		return rm_rsp;
	return false;
}

/* VEX/EVEX instructions that write a general register: vmovmskps, vpextrw, vpmovmskb,
 * vcvt*2si, vmovd/q to r/m, kmov to r32, vpextr*, BMI1/2 (reg, or vvvv for blsr/blsmsk/blsi). */
static bool vex_writes_rsp(const uint8_t *c, size_t len)
{
	uint8_t r, vvvv, op, m;
	unsigned map;
	if (c[0] == 0xc5) {
		if (len < 4)
			return true;
		r = c[1] >> 7, vvvv = (~c[1] >> 3) & 15, map = 1, op = c[2], m = c[3];
	} else if (c[0] == 0xc4) {
		if (len < 5)
			return true;
		r = c[1] >> 7, vvvv = (~c[2] >> 3) & 15, map = c[1] & 0x1f, op = c[3], m = c[4];
	} else {
		if (len < 6)
			return true;
		r = c[1] >> 7, vvvv = (~c[2] >> 3) & 15, map = c[1] & 7, op = c[4], m = c[5];
	}
	bool reg_rsp = r && ((m >> 3) & 7) == 4, rm_rsp = (m >> 6) == 3 && (m & 7) == 4;
	if ((map == 1 || map == 5) &&
	    (op == 0x2c || op == 0x2d || op == 0x50 || op == 0x93 || op == 0xc5 || op == 0xd7))
		return reg_rsp;
	if ((map == 1 && op == 0x7e) || (map == 3 && op >= 0x14 && op <= 0x17))
		return rm_rsp;
	if ((map == 2 && op >= 0xf0) || (map == 3 && op == 0xf0))
		return reg_rsp || vvvv == 4;
	return false;
}

/* Whether the instruction sets rsp other than by push/pop/call/ret/leave, add/sub/and of an
 * immediate or lea disp(%rsp),%rsp: a stack switch or a computed rsp, which the red-zone
 * rules above cannot follow. Over-approximates (an 8-bit op on %ah or %spl counts). */
static bool writes_rsp(const uint8_t *c, const struct insn *in)
{
	size_t i = 0, len = in->len;
	uint8_t rex = 0, op, m;
	while (i < len && insn_is_legacy_prefix(c[i]))
		i++;
	if (i < len && (c[i] & 0xf0) == 0x40)
		rex = c[i++];
	if (i >= len)
		return true;
	op = c[i];
	bool b = rex & 1, r = rex & 4, w = rex & 8;
	if (op == 0x5c || op == 0x94 || op == 0xbc) /* pop, xchg with rax, mov imm */
		return !b;
	if (op == 0xc4 || op == 0xc5 || op == 0x62)
		return vex_writes_rsp(c + i, len - i);
	if (op == 0x0f) {
		if (i + 1 >= len)
			return true;
		op = c[i + 1];
		if (op == 0xcc) /* bswap */
			return !b;
		if (op == 0x38 && i + 3 < len && c[i + 2] >= 0xf0 && c[i + 2] <= 0xf6)
			return !r && ((c[i + 3] >> 3) & 7) == 4;
		if (op == 0x3a && i + 3 < len && c[i + 2] >= 0x14 && c[i + 2] <= 0x17)
			return !b && (c[i + 3] >> 6) == 3 && (c[i + 3] & 7) == 4;
		if (!in->modrm || op == 0x38 || op == 0x3a || i + 2 >= len)
			return false;
		m = c[i + 2];
		return map1_writes_rsp(op, m, !r && ((m >> 3) & 7) == 4,
				       !b && (m >> 6) == 3 && (m & 7) == 4);
	}
	if (!in->modrm || i + 1 >= len)
		return false;
	m = c[i + 1];
	return map0_writes_rsp(in, op, m, w, !r && ((m >> 3) & 7) == 4,
			       !b && (m >> 6) == 3 && (m & 7) == 4);
}

enum insn_verdict insn_red_zone_scan(const uint8_t *code, size_t len, size_t site)
{
	uint8_t starts[INSN_SCAN_MAX / 8] = { 0 };
	struct insn in;
	size_t off;
	bool site_ok = false, moves_rsp = false;

	if (!code || !len || len > INSN_SCAN_MAX || site >= len || len - site < 2)
		return INSN_UNKNOWN;
	for (off = 0; off < len; off += in.len) {
		if (!insn_decode(code + off, len - off, &in))
			return INSN_UNKNOWN;
		starts[off / 8] |= (uint8_t)(1u << (off % 8));
		if (off == site)
			site_ok = in.len == 2 && code[off] == 0x0f && code[off + 1] == 0x05;
		if (red_zone_access(&in))
			return INSN_UNSAFE;
		moves_rsp |= writes_rsp(code + off, &in);
	}
	if (!site_ok || moves_rsp)
		return INSN_UNKNOWN;
	/* Second pass: a branch into the middle of an instruction means the linear decode is not
	 * what runs. Targets outside the function (calls, tail calls) are not checked here. */
	for (off = 0; off < len; off += in.len) {
		/* The program may rewrite its own code meanwhile (another vCPU): what does not
		 * decode on the first pass's boundaries is not what was checked. */
		if (!(starts[off / 8] & (1u << (off % 8))) ||
		    !insn_decode(code + off, len - off, &in))
			return INSN_UNKNOWN;
		if (!in.rel_branch)
			continue;
		int64_t t = (int64_t)(off + in.len) + in.rel;
		if (t >= 0 && (uint64_t)t < len && !(starts[t / 8] & (1u << (t % 8))))
			return INSN_UNKNOWN;
	}
	return INSN_SAFE;
}
