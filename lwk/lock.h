/* Spinlocks. The kernel never takes interrupts while holding one (handlers take none). */
#ifndef LWK_LOCK_H
#define LWK_LOCK_H

typedef struct {
	volatile int v;
} spinlock_t;

static inline void spin_lock(spinlock_t *l)
{
	while (__atomic_exchange_n(&l->v, 1, __ATOMIC_ACQUIRE))
		while (l->v)
			__asm__ volatile("pause" ::: "memory");
}

static inline void spin_unlock(spinlock_t *l)
{
	__atomic_store_n(&l->v, 0, __ATOMIC_RELEASE);
}

#endif
