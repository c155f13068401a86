/* Host side of the symlink-swap race (tests/hvmm/hostile): in SHARE, keeps replacing "victim"
 * (a file <-> a symlink to OUTSIDE/secret) and "vdir" (a directory <-> a symlink to
 * OUTSIDE) with atomic renames, until killed. usage: swapper SHARE OUTSIDE */
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char target[4096];

	if (argc != 3 || chdir(argv[1]))
		return 2;
	snprintf(target, sizeof(target), "%s/secret", argv[2]);
	for (unsigned long i = 0;; i++) {
		struct timespec hold = { 0, 20000 }; /* each state lasts about one guest open */
		FILE *f;

		nanosleep(&hold, NULL);
		unlink("victim.tmp");
		if (i % 2) {
			if (symlink(target, "victim.tmp") == 0)
				rename("victim.tmp", "victim");
			unlink("vdir/secret");
			if (rmdir("vdir") == 0 && symlink(argv[2], "vdir") != 0)
				return 3;
		} else {
			f = fopen("victim.tmp", "w");
			if (f) {
				fputs("inside\n", f);
				fclose(f);
				rename("victim.tmp", "victim");
			}
			unlink("vdir"); /* the symlink; a directory stays */
			if (mkdir("vdir", 0755) == 0) {
				f = fopen("vdir/secret", "w");
				if (f) {
					fputs("inside\n", f);
					fclose(f);
				}
			}
		}
	}
}
