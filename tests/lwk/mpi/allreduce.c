/* Sums of known values over all ranks (integers, and a vector of doubles that are exact in
 * binary), checked on every rank against the closed form; rank 0 prints them. With a repeat
 * count argument it also times the vector allreduce, on stderr (for bench/mpi). */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#define LEN 4096

int main(int argc, char **argv)
{
	static double in[LEN], out[LEN];
	int rank, size, bad = 0;

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	long mine = rank + 1, total = 0;
	MPI_Allreduce(&mine, &total, 1, MPI_LONG, MPI_SUM, MPI_COMM_WORLD);
	for (int i = 0; i < LEN; i++)
		in[i] = (double)i * (rank + 1) / 4.0;
	MPI_Allreduce(in, out, LEN, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
	double ranks = (double)size * (size + 1) / 2.0;
	for (int i = 0; i < LEN; i++)
		bad += out[i] != (double)i * ranks / 4.0;
	int bad_any = 0;
	MPI_Allreduce(&bad, &bad_any, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
	int reps = argc > 1 ? atoi(argv[1]) : 0;
	if (reps > 0) {
		MPI_Barrier(MPI_COMM_WORLD);
		double start = MPI_Wtime();
		for (int r = 0; r < reps; r++)
			MPI_Allreduce(in, out, LEN, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
		double per = (MPI_Wtime() - start) / reps;
		if (rank == 0)
			fprintf(stderr, "allreduce %d doubles: %.2f us\n", LEN, per * 1e6);
	}
	if (rank == 0)
		printf("allreduce over %d ranks: sum %ld, %d-element vector %s\n", size, total, LEN,
		       bad_any ? "WRONG" : "exact");
	MPI_Finalize();
	return bad_any ? 1 : 0;
}
