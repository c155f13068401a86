/* SysV shared memory segments as /dev/shm files (sys_shm.c). */
#ifndef LWK_SYS_SHM_H
#define LWK_SYS_SHM_H

/* Removes the segments the program removed while attached: its end detaches them. */
void sysv_shm_exit(void);

#endif
