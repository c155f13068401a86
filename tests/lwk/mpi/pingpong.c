/* Rank 0 sends messages of growing size to rank 1, which sends each back; every byte is
 * checked. With a repeat count argument it reports latency and bandwidth on stderr (for
 * bench/mpi); stdout only says what was verified. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BYTES (1 << 20)

static const int lengths[] = { 8, 64, 512, 4096, 32768, 262144, MAX_BYTES };

static int check(const unsigned char *buf, int len, int seed)
{
	for (int i = 0; i < len; i++)
		if (buf[i] != (unsigned char)(i * 7 + seed))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	int rank, size, reps = argc > 1 ? atoi(argv[1]) : 3, bad = 0;
	const int sizes = (int)(sizeof(lengths) / sizeof(lengths[0]));
	unsigned char *buf = malloc(MAX_BYTES);

	MPI_Init(&argc, &argv);
	MPI_Comm_rank(MPI_COMM_WORLD, &rank);
	MPI_Comm_size(MPI_COMM_WORLD, &size);
	if (size != 2 || !buf || reps < 1) {
		if (rank == 0)
			fprintf(stderr,
				"pingpong: needs exactly 2 ranks and a repeat count >= 1\n");
		MPI_Abort(MPI_COMM_WORLD, 2);
	}
	for (int s = 0; s < sizes; s++) {
		int len = lengths[s];
		double start = 0;
		for (int r = 0; r < reps; r++) {
			if (r == 1 || reps == 1)
				start = MPI_Wtime();
			if (rank == 0) {
				for (int i = 0; i < len; i++)
					buf[i] = (unsigned char)(i * 7 + r);
				MPI_Send(buf, len, MPI_BYTE, 1, r, MPI_COMM_WORLD);
				memset(buf, 0, len);
				MPI_Recv(buf, len, MPI_BYTE, 1, r, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
			} else {
				MPI_Recv(buf, len, MPI_BYTE, 0, r, MPI_COMM_WORLD,
					 MPI_STATUS_IGNORE);
				MPI_Send(buf, len, MPI_BYTE, 0, r, MPI_COMM_WORLD);
			}
			bad += check(buf, len, r) != 0;
		}
		double per = (MPI_Wtime() - start) / (reps > 1 ? reps - 1 : 1);
		if (rank == 0 && argc > 1)
			fprintf(stderr, "pingpong %d B: %.2f us round trip, %.1f MB/s\n", len,
				per * 1e6, 2.0 * len / per / 1e6);
	}
	int bad_any = 0;
	MPI_Allreduce(&bad, &bad_any, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
	if (rank == 0)
		printf("pingpong: %d sizes from 8 B to 1 MiB, %s\n", sizes,
		       bad_any ? "CORRUPTED" : "every byte back");
	MPI_Finalize();
	free(buf);
	return bad_any ? 1 : 0;
}
