/* A commodity guest's exit status, from the end of its debugcon log (DSV_QEMU_EXIT_LINE). */
#ifndef DSVD_GUEST_EXIT_H
#define DSVD_GUEST_EXIT_H

enum guest_exit_seen {
	GUEST_EXIT_STATUS,    /* the log ends with the line: *status is the guest's exit status */
	GUEST_EXIT_NO_STATUS, /* the guest announced its status but never gave it: QEMU was
                           * killed or crashed */
	GUEST_EXIT_NO_LOG,    /* no announcement (not the lwk, or no log): nothing to tell */
};

/*
 * Reads the log at path (guest-written, so any size and content): it must start with
 * DSV_QEMU_BOOT_LINE; then the last DSV_QEMU_EXIT_LINE in its last 4 KiB, followed by a
 * status 0-255 and a newline, is the exit status.
 */
enum guest_exit_seen guest_exit_from_log(const char *path, int *status);

#endif
