/* Prints its arguments and a few environment facts: the smallest end-to-end program, and
 * the "launch to main" probe for bench/overhead. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("hello from the lwk test program\n");
	for (int i = 1; i < argc; i++)
		printf("argv[%d] = %s\n", i, argv[i]);
	return argc > 1 && argv[1][0] == 'x' ? 3 : 0;
}
