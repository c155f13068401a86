#include "uaccess.h"

int64_t user_strlen(uint64_t uva, uint64_t max)
{
	if (!user_ok(uva, 1))
		return -EFAULT;
	uint64_t room = uwin.va + uwin.size - uva;
	uint64_t n = strnlen((const char *)uva, MIN(room, max + 1));
	if (n == room)
		return -EFAULT;
	if (n > max)
		return -ENAMETOOLONG;
	return (int64_t)n;
}
