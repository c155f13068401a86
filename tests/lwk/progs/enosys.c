/* An unknown system call answers ENOSYS (and the lwk logs it once on stderr). */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 2; i++) {
		errno = 0;
		long r = syscall(1000, 1, 2, 3);
		printf("syscall 1000: %ld %s\n", r, errno == ENOSYS ? "ENOSYS" : "unexpected");
	}
	return 0;
}
