/* An outside process that wants hugepages: maps PAGES 2 MiB pages with anonymous MAP_HUGETLB
 * (as any program, or hvmm --hugepages auto, would) and touches them. Exit 0 when it got them,
 * 3 when the kernel refused (the pages are reserved for someone else), 2 on bad usage. Used by
 * it_hugetlbfs.sh to show that a partition's pages cannot be taken. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

int main(int argc, char **argv)
{
	char *end;
	unsigned long pages = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
	if (argc != 2 || *end || pages == 0 || pages > (1ul << 20)) {
		fprintf(stderr, "usage: hugetlb_grab PAGES (2 MiB pages, 1..%lu)\n", 1ul << 20);
		return 2;
	}
	size_t len = pages << 21;
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB,
		       -1, 0);
	if (p == MAP_FAILED) {
		printf("refused: %s\n", strerror(errno));
		return 3;
	}
	if (madvise(p, len, MADV_POPULATE_WRITE) < 0) {
		printf("refused while touching: %s\n", strerror(errno));
		return 3;
	}
	printf("got %lu pages\n", pages);
	return 0;
}
