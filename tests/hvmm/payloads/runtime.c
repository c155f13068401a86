#include "payload.h"

static struct dsv_hc blocks[DSV_MAX_VCPUS] __attribute__((aligned(DSV_HC_ALIGN)));

void hport_out32(uint16_t port, uint32_t value)
{
	__asm__ volatile("outl %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

void hport_out8(uint16_t port, uint8_t value)
{
	__asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port) : "memory");
}

int64_t hcall(uint64_t vcpu, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct dsv_hc *b = &blocks[vcpu % DSV_MAX_VCPUS];

	b->nr = nr;
	b->flags = 0;
	b->args[0] = a0;
	b->args[1] = a1;
	b->args[2] = a2;
	b->ret = -1;
	b->reserved = 0;
	/* Identity-mapped: the block's virtual address is its GPA. */
	hport_out32(DSV_HC_PORT, (uint32_t)(uintptr_t)b);
	return b->ret;
}

size_t pl_strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

void put_str(uint64_t vcpu, const char *s)
{
	hcall(vcpu, DSV_HC_CONSOLE_WRITE, (uint64_t)(uintptr_t)s, pl_strlen(s), 0);
}

void put_u64(uint64_t vcpu, uint64_t v)
{
	char buf[24];
	int i = 23;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put_str(vcpu, buf + i);
}

void put_hex(uint64_t vcpu, uint64_t v)
{
	char buf[19];

	buf[0] = '0';
	buf[1] = 'x';
	for (int i = 0; i < 16; i++)
		buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
	buf[18] = '\0';
	put_str(vcpu, buf);
}

void guest_exit(uint64_t vcpu, int status)
{
	hcall(vcpu, DSV_HC_EXIT, (uint64_t)status, 0, 0);
	for (;;)
		__asm__ volatile("hlt");
}

uint64_t cmdline_u64(const struct dsv_bootinfo *bi, const char *key, uint64_t def)
{
	const char *c = (const char *)(uintptr_t)bi->cmdline_gpa;
	size_t klen = pl_strlen(key);

	for (uint32_t i = 0; i < bi->cmdline_len; i++) {
		uint32_t j = 0;
		uint64_t v = 0;

		if (i && c[i - 1] != ' ')
			continue;
		while (j < klen && i + j < bi->cmdline_len && c[i + j] == key[j])
			j++;
		if (j != klen || c[i + j] != '=')
			continue;
		for (j++; i + j < bi->cmdline_len && c[i + j] >= '0' && c[i + j] <= '9'; j++)
			v = v * 10 + (uint64_t)(c[i + j] - '0');
		return v;
	}
	return def;
}
