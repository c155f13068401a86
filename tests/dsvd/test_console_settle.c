/* console_settled: a console is complete when no other process holds it open to write; a
 * reader (`tail -f`) does not count. Real processes and a real file, no fakes. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "console_settle.h"

/* A child that opens path with flags, says so on a pipe, and waits to be killed. */
static pid_t holder(const char *path, int flags)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		int fd = open(path, flags);
		char ok = fd >= 0 ? 'y' : 'n';
		if (write(p[1], &ok, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	char ok = 0;
	assert_int_equal(read(p[0], &ok, 1), 1);
	close(p[0]);
	assert_int_equal(ok, 'y');
	return pid;
}

static void end(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void writer_then_none(void **state)
{
	(void)state;
	char path[] = "/tmp/dsv-settle-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	assert_true(console_settled(path)); /* nobody */
	pid_t r = holder(path, O_RDONLY);
	assert_true(console_settled(path)); /* a reader only */
	pid_t w = holder(path, O_WRONLY | O_APPEND);
	assert_false(console_settled(path));
	assert_false(console_settle(path, 100)); /* bounded */
	end(w);
	assert_true(console_settle(path, 5000));
	end(r);
	/* this process's own descriptors do not count: it is the agent itself */
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_true(console_settled(path));
	close(fd);
	unlink(path);
	assert_true(console_settled(path)); /* no file: nothing to wait for */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(writer_then_none),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
