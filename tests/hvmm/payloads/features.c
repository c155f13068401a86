/*
 * Reports the ISA the guest sees (SSE4.2, AVX, AVX2, FMA, AVX-512F) and proves AVX2 and
 * FMA really execute: an HPC guest must be able to use what the host CPU has.
 */
#include "payload.h"

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

static void flag(const char *name, int on)
{
	put_str(0, name);
	put_str(0, on ? " yes\n" : " no\n");
}

/* 8 x (3 * 5 + 1) via vpmulld/vpaddd and vfmadd231pd: 16 and 16.0 in every lane. */
static int avx2_fma_run(void)
{
	static const int32_t three[8] = { 3, 3, 3, 3, 3, 3, 3, 3 };
	static const int32_t five[8] = { 5, 5, 5, 5, 5, 5, 5, 5 };
	static const double d3[4] = { 3, 3, 3, 3 }, d5[4] = { 5, 5, 5, 5 };
	static int32_t out[8] __attribute__((aligned(32)));
	static double dout[4] __attribute__((aligned(32))) = { 1, 1, 1, 1 };
	int ok = 1;

	__asm__ volatile("vmovdqu %1, %%ymm0\n\tvmovdqu %2, %%ymm1\n\t"
			 "vpmulld %%ymm1, %%ymm0, %%ymm2\n\tvpcmpeqd %%ymm3, %%ymm3, %%ymm3\n\t"
			 "vpsrld $31, %%ymm3, %%ymm3\n\tvpaddd %%ymm3, %%ymm2, %%ymm2\n\t"
			 "vmovdqu %%ymm2, %0\n\t"
			 "vmovupd %4, %%ymm4\n\tvmovupd %5, %%ymm5\n\tvmovupd %3, %%ymm6\n\t"
			 "vfmadd231pd %%ymm5, %%ymm4, %%ymm6\n\tvmovupd %%ymm6, %3\n\tvzeroupper"
			 : "=m"(out)
			 : "m"(three), "m"(five), "m"(dout), "m"(d3), "m"(d5)
			 : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "memory");
	for (int i = 0; i < 8; i++)
		ok &= out[i] == 16;
	for (int i = 0; i < 4; i++)
		ok &= dout[i] == 16.0;
	return ok;
}

void payload_main(uint64_t vcpu, const struct dsv_bootinfo *bi)
{
	uint32_t r1[4], r7[4];
	uint32_t xcr0_lo = 0, xcr0_hi = 0;
	int osxsave, avx2, fma;

	(void)bi;
	if (vcpu)
		for (;;)
			__asm__ volatile("hlt");
	cpuid(1, 0, r1);
	cpuid(7, 0, r7);
	osxsave = (r1[2] >> 27) & 1;
	if (osxsave)
		__asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
	avx2 = (r7[1] >> 5) & 1;
	fma = (r1[2] >> 12) & 1;
	flag("sse4.2", (r1[2] >> 20) & 1);
	flag("avx", (r1[2] >> 28) & 1);
	flag("avx2", avx2);
	flag("fma", fma);
	flag("avx512f", (r7[1] >> 16) & 1);
	flag("osxsave", osxsave);
	flag("ymm-state", (xcr0_lo & 6) == 6);
	if (avx2 && fma && (xcr0_lo & 6) == 6)
		flag("avx2-fma-executes", avx2_fma_run());
	guest_exit(0, 0);
}
