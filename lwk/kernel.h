/* Common definitions for the lwk: types, memory layout constants, logging. */
#ifndef LWK_KERNEL_H
#define LWK_KERNEL_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdarg.h>

#define KERNEL_VMA 0xffffffff80000000ull /* kernel window: VA = PA + KERNEL_VMA */
#define DIRECT_MAP 0xffff888000000000ull /* all RAM: VA = PA + DIRECT_MAP (PML4 slot 273) */
#define PERCPU_VA 0xffffffffffe00000ull	 /* each vCPU sees its own struct cpu here */

#define PAGE_SIZE 4096ull
#define HUGE_SIZE (2ull << 20)
#define KSTACK_SIZE (16u << 10)

#define ALIGN_UP(x, a) (((x) + (a)-1) & ~((uint64_t)(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a)-1))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define NORETURN __attribute__((noreturn))
#define UNUSED __attribute__((unused))

/* Kernel diagnostics go to DSV_HC_LOG (hvmm's stderr), never to the program's stdout. */
void klog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
NORETURN void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* string.c: the compiler may emit calls to these. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *hay, const char *needle);

/* Phys <-> virt for kernel-image and direct-map addresses. */
uint64_t virt_to_phys(const void *va);
void *phys_to_virt(uint64_t pa);

#endif
