/* SPDX-License-Identifier: MIT */
/*
 * Descriptor offload (docs/abi.md "Descriptor offload"): the structures and limits of the
 * pipe, socket and polling calls of dsv/file_calls.def. Like every file call, pointers are
 * GPAs; a structure that holds pointers (struct dsv_msg) is a per-call descriptor the
 * guest builds in its own memory and passes by address, so that a shared ring can later
 * carry the same descriptors (exitless offload). hvmm copies each descriptor once, then
 * checks every address and length in it; the guest may change it meanwhile to no effect.
 */
#ifndef DSV_SOCKIO_H
#define DSV_SOCKIO_H

#include <stddef.h>
#include <stdint.h>

#define DSV_MSG_IOV_MAX 64u   /* segments per dsv_msg; more: -EMSGSIZE */
#define DSV_SOCKADDR_MAX 128u /* sizeof(struct sockaddr_storage); longer: -EINVAL */
#define DSV_SOCKOPT_MAX 256u  /* option value bytes; longer ones are cut (get) or -EINVAL (set) */
#define DSV_EPOLL_MAX 1024u   /* events per epoll_wait; more is answered with at most this */
#define DSV_EPOLL_EVENT 12u   /* struct epoll_event on x86-64: u32 events, u64 data, packed */
#define DSV_POLLFD 8u	      /* struct pollfd: int fd, short events, short revents */
/* nfds of a poll: at most DSV_MAX_FILES (dsv/fileio.h), else -EINVAL as over RLIMIT_NOFILE */
#define DSV_IFREQ 40u	      /* struct ifreq on x86-64 */
#define DSV_IFREQ_DATA 16u    /* offset of its ifr_data (SIOCETHTOOL: a GPA) */
#define DSV_IFCONF 16u	      /* struct ifconf: s32 ifc_len, pad, u64 ifc_buf (a GPA) */
#define DSV_IFCONF_MAX 65520u /* ifc_len filled at most: 1638 interfaces of 40 bytes */

struct dsv_iov {
	uint64_t gpa;
	uint64_t len;
};

/*
 * sendmsg and recvmsg (sendto and recvfrom are one-segment messages). The sum of the
 * segment lengths is at most DSV_HC_MAX_IO. No ancillary data travels either way: control
 * must be 0 and controllen 0; a received message whose sender attached some (descriptors
 * among them: the kernel discards them) reports MSG_CTRUNC.
 */
struct dsv_msg {
	uint64_t name;	     /* GPA of a socket address, or 0 */
	uint32_t namelen;    /* its length; recvmsg: the room, and on return the length */
	uint32_t flags;	     /* recvmsg: written with msg_flags; sendmsg: must be 0 */
	uint64_t iov;	     /* GPA of struct dsv_iov[iovlen] */
	uint32_t iovlen;     /* <= DSV_MSG_IOV_MAX */
	uint32_t controllen; /* must be 0 */
	uint64_t control;    /* must be 0 */
};

_Static_assert(sizeof(struct dsv_iov) == 16, "dsv_iov layout (an ABI change)");
_Static_assert(sizeof(struct dsv_msg) == 40 && offsetof(struct dsv_msg, iov) == 16,
	       "dsv_msg layout (an ABI change)");

#endif
