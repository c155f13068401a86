/* Dereferences NULL: killed by SIGSEGV, exit status 139 as a shell reports it. */
#include <stdio.h>

int main(int argc, char **argv)
{
	(void)argv;
	printf("before the fault\n");
	fflush(stdout);
	volatile int *p = (int *)(long)(argc - 1);
	*p = 42;
	printf("not reached\n");
	return 0;
}
