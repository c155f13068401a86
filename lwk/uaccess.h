/* Validation of user pointers. The program can only name memory inside the user window
 * (everything else is unmapped for it), and all of the window is always mapped, so a
 * range check is all the kernel needs before it touches user memory directly. */
#ifndef LWK_UACCESS_H
#define LWK_UACCESS_H

#include "mm.h"
#include "errno.h"

static inline bool user_ok(uint64_t uva, uint64_t len)
{
	return uva >= uwin.va && len <= uwin.size && uva - uwin.va <= uwin.size - len;
}

/* Length of the NUL-terminated user string at uva (without the NUL), or -EFAULT /
 * -ENAMETOOLONG. */
int64_t user_strlen(uint64_t uva, uint64_t max);

/* Writes a value to user memory if the address is valid; false otherwise. */
static inline bool put_user_u32(uint64_t uva, uint32_t v)
{
	if (!user_ok(uva, 4))
		return false;
	*(volatile uint32_t *)uva = v;
	return true;
}

#endif
