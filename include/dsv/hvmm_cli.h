/*
 * hvmm's contract with the programs that launch it (dsvd, scripts, a resource manager's
 * plugin): the exit statuses it reserves and the guest memory it accepts. Host-only: the
 * guest never sees these.
 */
#ifndef DSV_HVMM_CLI_H
#define DSV_HVMM_CLI_H

/* A guest's own status is 0-255; hvmm reports its own failures with these. A guest that
 * exits with one of them looks the same from the status alone. */
#define HVMM_EXIT_SETUP 125   /* hvmm could not start the VM (bad option, image, memory) */
#define HVMM_EXIT_CRASH 126   /* the guest crashed: triple fault, shutdown, kernel abort */
#define HVMM_EXIT_KVM 127     /* KVM failed under a running guest */
#define HVMM_EXIT_SIGNAL 128  /* + N: hvmm was stopped by signal N */
#define HVMM_EXIT_SECCOMP 159 /* 128 + SIGSYS: hvmm made a call its seccomp filter forbids */

/* --net: the program's network (docs/abi.md "Network policy"). none (the default): pipes
 * and AF_UNIX socket pairs only, socket() for AF_INET/AF_INET6 fails with EAFNOSUPPORT;
 * host: IPv4/IPv6 sockets and abstract AF_UNIX names in hvmm's network namespace. */
#define HVMM_NET_NONE "none"
#define HVMM_NET_HOST "host"

/* --inherit-fd N (repeatable, N from 3 to DSV_MAX_FILES - 1): descriptor N that hvmm was
 * started with becomes the guest's N (e.g. PMI_FD); hvmm fails with HVMM_EXIT_SETUP when
 * N is not open. No other descriptor of hvmm's is visible to the guest. */

/*
 * hvmm run --ready-fd N: hvmm writes one line to the inherited descriptor N and closes it:
 * HVMM_READY_LINE once the guest is about to run, or HVMM_READY_ERROR followed by the
 * reason when the VM cannot start. The line, newline included, is at most
 * HVMM_READY_LINE_MAX bytes and comes in one write. The end of file without a line means
 * hvmm died before it could tell (killed, or a broken command line).
 */
#define HVMM_READY_LINE "ready"
#define HVMM_READY_ERROR "error: "
#define HVMM_READY_LINE_MAX 512

/* Guest memory hvmm accepts, in MiB. */
#define HVMM_MEM_MIN_MIB 4
#define HVMM_MEM_MAX_MIB (1024 * 1024)

#endif
