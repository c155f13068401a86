/* The event log (dsvd/events.c): changes in the agent's VMs and partition become events in
 * the order they happened, numbered from 1; readers get whole events, wait when there is
 * nothing new (and are woken by the next event), and get the oldest kept ones after falling
 * behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "events.h"

static struct vm *add_vm(struct agent *a, const char *name, enum vm_state state)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	assert_non_null(vm);
	snprintf(vm->spec.name, sizeof(vm->spec.name), "%s", name);
	vm->spec.stack = VM_STACK_HPC;
	vm->spec.vcpus = 1;
	vm->spec.mem_mib = 4;
	vm->state = state;
	vm->exit_code = -1;
	vm->next = a->vms;
	a->vms = vm;
	return vm;
}

static void remove_vm(struct agent *a, const char *name)
{
	for (struct vm **p = &a->vms; *p; p = &(*p)->next)
		if (strcmp((*p)->spec.name, name) == 0) {
			struct vm *vm = *p;
			*p = vm->next;
			vm_destroy(vm);
			return;
		}
}

static int woken;
static void count_wake(void *ctx)
{
	(void)ctx;
	woken++;
}
static int suspended;
static void count_suspend(void *ctx)
{
	(void)ctx;
	suspended++;
}

/* Every "event: T" line of what a reader gets from *next on, space-separated. */
static void read_types(struct event_log *log, uint64_t *next, char *out, size_t len)
{
	char buf[65536];
	size_t got;
	struct event_waiter w = { .wake = count_wake };
	out[0] = '\0';
	enum event_read r =
		event_log_read(log, next, buf, sizeof(buf) - 1, &got, &w, count_suspend);
	if (r == EVENT_READ_WAIT) {
		event_log_forget(log, &w);
		return;
	}
	assert_int_equal(r, EVENT_READ_DATA);
	buf[got] = '\0';
	for (char *p = strstr(buf, "event: "); p; p = strstr(p + 1, "event: ")) {
		size_t n = strcspn(p + 7, "\n");
		snprintf(out + strlen(out), len - strlen(out), "%s%.*s", out[0] ? " " : "", (int)n,
			 p + 7);
	}
}

static void test_lifecycle_in_order(void **state)
{
	(void)state;
	struct agent a;
	memset(&a, 0, sizeof(a));
	partition_state_init(&a.partition, true);
	add_vm(&a, "old", VM_RUNNING); /* there before the log: no events for it */
	struct event_log *log = event_log_new(&a);
	assert_non_null(log);
	assert_int_equal(event_log_next_seq(log), 1);
	uint64_t next = 1;
	char types[512];

	events_observe(log, &a);
	read_types(log, &next, types, sizeof(types));
	assert_string_equal(types, ""); /* nothing changed */

	a.partition.active = true;
	events_observe(log, &a);
	struct vm *vm = add_vm(&a, "h1", VM_RUNNING);
	events_observe(log, &a);
	vm->state = VM_EXITED;
	vm->exit_code = 7;
	events_observe(log, &a);
	events_observe(log, &a); /* no change, no event */
	remove_vm(&a, "h1");
	remove_vm(&a, "old");
	events_observe(log, &a);
	/* a VM that was created and ended between two looks: every step, in order */
	struct vm *fast = add_vm(&a, "fast", VM_FAILED);
	(void)fast;
	events_observe(log, &a);
	a.partition.active = false;
	events_observe(log, &a);
	read_types(log, &next, types, sizeof(types));
	assert_string_equal(types, "partition.applied vm.created vm.running vm.exited vm.deleted "
				   "vm.deleted vm.created vm.running vm.failed partition.released");
	assert_int_equal(next, 11);
	assert_int_equal(event_log_next_seq(log), 11);

	/* a new reader from 4 gets the exited event first, with the VM's exit status */
	uint64_t from4 = 4;
	char buf[4096];
	size_t got;
	struct event_waiter w = { .wake = count_wake };
	assert_int_equal(event_log_read(log, &from4, buf, 200, &got, &w, count_suspend),
			 EVENT_READ_DATA);
	buf[got] = '\0';
	assert_non_null(strstr(buf, "id: 4\nevent: vm.exited\ndata: {"));
	assert_non_null(strstr(buf, "\"exit_code\":7"));
	assert_int_equal(from4, 5); /* only whole events fit in 200 bytes: one */

	remove_vm(&a, "fast");
	event_log_free(log);
	partition_state_free(&a.partition);
}

static void test_waiting_and_waking(void **state)
{
	(void)state;
	struct agent a;
	memset(&a, 0, sizeof(a));
	partition_state_init(&a.partition, true);
	struct event_log *log = event_log_new(&a);
	uint64_t next = event_log_next_seq(log);
	char buf[4096];
	size_t got;
	struct event_waiter w = { .wake = count_wake };
	woken = suspended = 0;
	assert_int_equal(event_log_read(log, &next, buf, sizeof(buf), &got, &w, count_suspend),
			 EVENT_READ_WAIT);
	assert_int_equal(suspended, 1);
	assert_int_equal(woken, 0);
	add_vm(&a, "v", VM_RUNNING);
	events_observe(log, &a);
	assert_int_equal(woken, 1); /* once, for both events */
	assert_int_equal(event_log_read(log, &next, buf, sizeof(buf), &got, &w, count_suspend),
			 EVENT_READ_DATA);
	/* a keep-alive wake: the next read sends a comment, not an event */
	assert_int_equal(event_log_read(log, &next, buf, sizeof(buf), &got, &w, count_suspend),
			 EVENT_READ_WAIT);
	event_log_wake_all(log);
	assert_int_equal(woken, 2);
	assert_int_equal(event_log_read(log, &next, buf, sizeof(buf), &got, &w, count_suspend),
			 EVENT_READ_DATA);
	buf[got] = '\0';
	assert_string_equal(buf, ": keep-alive\n\n");
	/* closing wakes the waiters, and readers are told to end */
	assert_int_equal(event_log_read(log, &next, buf, sizeof(buf), &got, &w, count_suspend),
			 EVENT_READ_WAIT);
	event_log_close(log);
	assert_int_equal(woken, 3);
	assert_int_equal(event_log_read(log, &next, buf, sizeof(buf), &got, &w, count_suspend),
			 EVENT_READ_CLOSED);
	remove_vm(&a, "v");
	event_log_free(log);
	partition_state_free(&a.partition);
}

static void test_reader_left_behind(void **state)
{
	(void)state;
	struct agent a;
	memset(&a, 0, sizeof(a));
	partition_state_init(&a.partition, true);
	struct event_log *log = event_log_new(&a);
	for (int i = 0; i < EVENT_LOG_SIZE; i++) { /* 2 events each */
		add_vm(&a, "x", VM_STARTING);
		events_observe(log, &a);
		remove_vm(&a, "x");
		events_observe(log, &a);
	}
	assert_int_equal(event_log_next_seq(log), 2 * EVENT_LOG_SIZE + 1);
	uint64_t next = 1;
	static char buf[1 << 20];
	size_t got;
	struct event_waiter w = { .wake = count_wake };
	assert_int_equal(event_log_read(log, &next, buf, 80, &got, &w, count_suspend),
			 EVENT_READ_DATA);
	char want[64];
	snprintf(want, sizeof(want), "id: %d\n", EVENT_LOG_SIZE + 1); /* the oldest kept */
	assert_memory_equal(buf, want, strlen(want));
	event_log_free(log);
	partition_state_free(&a.partition);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_in_order),
		cmocka_unit_test(test_waiting_and_waking),
		cmocka_unit_test(test_reader_left_behind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
