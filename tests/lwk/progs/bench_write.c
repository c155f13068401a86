/* Offloaded write: 64-byte writes to a file in the current directory (the share under
 * hvmm); prints us per write. usage: bench_write [iterations]. For bench/overhead. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	char buf[64] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\n";
	int fd = open("bench_write.tmp", O_CREAT | O_TRUNC | O_WRONLY, 0644);
	if (fd < 0) {
		perror("open");
		return 1;
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		if (write(fd, buf, sizeof buf) != sizeof buf)
			return 1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	close(fd);
	unlink("bench_write.tmp");
	double us = ((double)(b.tv_sec - a.tv_sec) * 1e6 + (double)(b.tv_nsec - a.tv_nsec) / 1e3) /
		    (double)n;
	printf("write_64B_us %.2f\n", us);
	return 0;
}
