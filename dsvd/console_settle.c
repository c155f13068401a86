#include "console_settle.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* fdinfo's "flags:" (octal) of /proc/PID/fd/FD: whether it was opened to write. */
static bool opened_to_write(const char *pid, const char *fd)
{
	char path[300], line[128];
	snprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	bool w = false;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags:", 6) == 0) {
			unsigned long flags = strtoul(line + 6, NULL, 8);
			w = (flags & O_ACCMODE) != O_RDONLY;
			break;
		}
	}
	fclose(f);
	return w;
}

static bool process_writes(const char *pid, const struct stat *target)
{
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/%s/fd", pid);
	DIR *d = opendir(dir);
	if (!d)
		return false; /* gone, or not ours to look at */
	bool found = false;
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char link[300];
		struct stat st;
		snprintf(link, sizeof(link), "%s/%s", dir, de->d_name);
		if (stat(link, &st) == 0 && st.st_dev == target->st_dev &&
		    st.st_ino == target->st_ino)
			found = opened_to_write(pid, de->d_name);
	}
	closedir(d);
	return found;
}

bool console_settled(const char *path)
{
	struct stat target;
	if (stat(path, &target) < 0)
		return true;
	DIR *d = opendir("/proc");
	if (!d)
		return true;
	char self[24];
	snprintf(self, sizeof(self), "%d", (int)getpid());
	bool writer = false;
	struct dirent *de;
	while (!writer && (de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]) && strcmp(de->d_name, self) != 0)
			writer = process_writes(de->d_name, &target);
	closedir(d);
	return !writer;
}

bool console_settle(const char *path, int wait_ms)
{
	for (int waited = 0;; waited += 20) {
		if (console_settled(path))
			return true;
		if (waited >= wait_ms)
			return false;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}
