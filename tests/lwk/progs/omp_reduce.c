/* OpenMP parallel reduction (libgomp, static): deterministic sum over all threads. */
#include <omp.h>
#include <stdio.h>

int main(void)
{
	long n = 20000000, sum = 0;
	double dot = 0;
#pragma omp parallel for reduction(+ : sum, dot)
	for (long i = 0; i < n; i++) {
		sum += i % 7;
		dot += (double)(i % 3);
	}
	int threads = 0;
#pragma omp parallel
	{
#pragma omp atomic
		threads++;
	}
	printf("sum %ld dot %.0f threads>=1 %d\n", sum, dot, threads >= 1);
	return 0;
}
