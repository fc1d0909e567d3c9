/*
 * The bounded queue between the proxy's primary path and its shadow workers: a fixed
 * ring of pointers allocated once. The primary path only ever try-pushes (never waits:
 * a full queue is an overflow the caller counts); workers pop, waiting until an item
 * comes, the queue is closed, or a deadline passes. The one mutex is held for a few
 * instructions on either side.
 */
#ifndef PARITY_PROXY_QUEUE_H
#define PARITY_PROXY_QUEUE_H

#include <pthread.h>
#include <stddef.h>

struct ph_queue {
	void **items;
	size_t cap, head, len;
	int closed;
	unsigned long pushed, dropped; /* items accepted; items refused (full or closed) */
	pthread_mutex_t lock;
	pthread_cond_t nonempty;
};

/* Make q with room for cap items (cap >= 1). 0, or PH_E_NOMEM / PH_E_INVALID. */
int ph_queue_init(struct ph_queue *q, size_t cap);

/*
 * Add item without waiting: 0, or -1 when the queue is full or closed (counted in
 * dropped; the item stays the caller's).
 */
int ph_queue_try_push(struct ph_queue *q, void *item);

/*
 * Take the oldest item, waiting at most timeout_ms (< 0: until an item comes or the
 * queue is closed). NULL when none came in time, or when closed and empty.
 */
void *ph_queue_pop(struct ph_queue *q, long timeout_ms);

/* Refuse further pushes and wake every waiting pop; items already queued stay poppable. */
void ph_queue_close(struct ph_queue *q);

/* Items queued now. */
size_t ph_queue_len(struct ph_queue *q);

/* Counters read under the lock. */
unsigned long ph_queue_dropped(struct ph_queue *q);

/* Free the ring (the items left in it are the caller's: pop them first). */
void ph_queue_release(struct ph_queue *q);

#endif
