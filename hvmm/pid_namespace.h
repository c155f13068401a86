/*
 * --jail's PID namespace, as Firecracker's jailer does it: the VM runs as PID 1 of a new
 * namespace, where it sees no other process and none can be signalled from it. KVM ties a
 * VM to the process that creates it, so the namespace is made before anything else: the
 * first process forks the VM's and only relays signals and the exit status.
 */
#ifndef HVMM_PID_NAMESPACE_H
#define HVMM_PID_NAMESPACE_H

#include <stddef.h>

/*
 * Returns 0 in the child (PID 1 of the new namespace, in a new IPC namespace too, and a new,
 * empty network namespace unless keep_net (--net host: the program's sockets are hvmm's
 * network namespace's), killed if the first process dies),
 * which goes on to run the VM; 1 in the first process once the child has ended, with the
 * child's exit status (128 + N if signal N killed it) in *status; -1 with a reason in err
 * when the namespace cannot be made (needs CAP_SYS_ADMIN).
 */
int pidns_enter(int keep_net, int *status, char *err, size_t errlen);

#endif
