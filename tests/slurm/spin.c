/* The step that scancel and the time limit stop (tests/slurm/slurm_node.sh): writes the job's
 * id to the file named by argv[1], so that the test knows it runs and which job to cancel,
 * then waits to be stopped. It ends by itself after an hour, far beyond any test's bound. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	const char *job = getenv("SLURM_JOB_ID");
	FILE *f;

	if (argc != 2 || !(f = fopen(argv[1], "w")))
		return 2;
	fprintf(f, "%s\n", job ? job : "none");
	if (fclose(f))
		return 2;
	for (int i = 0; i < 3600; i++) {
		struct timespec second = { .tv_sec = 1 };

		nanosleep(&second, NULL);
	}
	return 0;
}
