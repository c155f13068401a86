/* Capabilities and no_new_privs (libcap); see privileges.h. */
#include "privileges.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "credentials.h"
#include "jail.h"
#include "log.h"

static const cap_value_t file_caps[] = {
	CAP_DAC_OVERRIDE,
	CAP_DAC_READ_SEARCH,
	CAP_FOWNER,
	CAP_FSETID,
};
#define NFILE_CAPS ((int)(sizeof(file_caps) / sizeof(file_caps[0])))

static int have_effective(cap_value_t c)
{
	cap_t now = cap_get_proc();
	cap_flag_value_t v = CAP_CLEAR;

	if (now) {
		cap_get_flag(now, c, CAP_EFFECTIVE, &v);
		cap_free(now);
	}
	return v == CAP_SET;
}

int priv_clear_bounding(int keep_file_caps, char *err, size_t errlen)
{
	cap_value_t last = cap_max_bits();

	/* The bounding set only matters for execve (which seccomp forbids); clear it anyway
	 * when allowed to, so nothing regained later could reach it. */
	if (have_effective(CAP_SETPCAP)) {
		for (cap_value_t c = 0; c < last; c++) {
			int keep = 0;

			for (int i = 0; keep_file_caps && i < NFILE_CAPS; i++)
				keep |= file_caps[i] == c;
			if (!keep && cap_drop_bound(c) && errno != EINVAL) {
				snprintf(err, errlen,
					 "cannot drop capability %d from the bounding set: %s",
					 (int)c, strerror(errno));
				return -1;
			}
		}
	}
	return 0;
}

int priv_drop(int keep_file_caps, char *err, size_t errlen)
{
	int kept_n = 0;
	cap_t want;

	if (priv_clear_bounding(keep_file_caps, err, errlen))
		return -1;
	if (cap_reset_ambient() && errno != EINVAL && errno != EPERM) {
		snprintf(err, errlen, "cannot clear the ambient capabilities: %s", strerror(errno));
		return -1;
	}
	want = cap_init(); /* all clear */
	if (!want) {
		snprintf(err, errlen, "cap_init: %s", strerror(errno));
		return -1;
	}
	/* Keep only those of the file capabilities hvmm actually holds. */
	if (keep_file_caps) {
		cap_value_t kept[NFILE_CAPS];

		for (int i = 0; i < NFILE_CAPS; i++)
			if (have_effective(file_caps[i]))
				kept[kept_n++] = file_caps[i];
		if (kept_n && (cap_set_flag(want, CAP_PERMITTED, kept_n, kept, CAP_SET) ||
			       cap_set_flag(want, CAP_EFFECTIVE, kept_n, kept, CAP_SET))) {
			snprintf(err, errlen, "cap_set_flag: %s", strerror(errno));
			cap_free(want);
			return -1;
		}
	}
	if (cap_set_proc(want)) {
		snprintf(err, errlen, "cannot drop capabilities: %s", strerror(errno));
		cap_free(want);
		return -1;
	}
	cap_free(want);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -1;
	}
	log_info("capabilities dropped (%d file capabilities kept for --share); no_new_privs set",
		 kept_n);
	return 0;
}

int harden_after_setup(const struct hvmm_opts *o, char *err, size_t errlen)
{
	char sub[320];

	/* A console reader that goes away must not kill hvmm in the middle of a guest's
	 * flood: writes then fail with EPIPE and the console drops them (console.c). */
	signal(SIGPIPE, SIG_IGN);
	if (o->jail && jail_enter(o->jail, sub, sizeof(sub))) {
		snprintf(err, errlen, "--jail %.150s: %s", o->jail, sub);
		return -1;
	}
	if (o->as_user)
		return cred_become_user(o, err, errlen);
	return priv_drop(o->share != NULL, err, errlen);
}
