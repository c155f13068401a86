/* Linux errno values used by the lwk. */
#ifndef LWK_ERRNO_H
#define LWK_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define ENXIO 6
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EEXIST 17
#define ENODEV 19
#define ENOTDIR 20
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define ENOTTY 25
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EPIPE 32
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define EIDRM 43
#define EMSGSIZE 90
#define ETIMEDOUT 110
#define EOPNOTSUPP 95

#endif
