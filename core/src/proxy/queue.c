/*
 * The bounded queue of proxy.h's shadow work (queue.h): a ring under one mutex and one
 * condition variable. try_push never waits on the condition, so the primary path holds
 * the mutex only for the few instructions of an append.
 */
#include "proxy/queue.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "parity/err.h"

int ph_queue_init(struct ph_queue *q, size_t cap)
{
	pthread_condattr_t ca;

	if (!q || !cap)
		return PH_E_INVALID;
	q->items = calloc(cap, sizeof(*q->items));
	if (!q->items)
		return PH_E_NOMEM;
	q->cap = cap;
	q->head = q->len = 0;
	q->closed = 0;
	q->pushed = q->dropped = 0;
	pthread_mutex_init(&q->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&q->nonempty, &ca);
	pthread_condattr_destroy(&ca);
	return 0;
}

int ph_queue_try_push(struct ph_queue *q, void *item)
{
	int rc = -1;

	pthread_mutex_lock(&q->lock);
	if (!q->closed && q->len < q->cap) {
		q->items[(q->head + q->len) % q->cap] = item;
		q->len++;
		q->pushed++;
		rc = 0;
		pthread_cond_signal(&q->nonempty);
	} else {
		q->dropped++;
	}
	pthread_mutex_unlock(&q->lock);
	return rc;
}

void *ph_queue_pop(struct ph_queue *q, long timeout_ms)
{
	struct timespec deadline;
	void *item = NULL;

	if (timeout_ms >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout_ms / 1000;
		deadline.tv_nsec += (timeout_ms % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&q->lock);
	while (!q->len && !q->closed) {
		if (timeout_ms < 0)
			pthread_cond_wait(&q->nonempty, &q->lock);
		else if (pthread_cond_timedwait(&q->nonempty, &q->lock, &deadline) == ETIMEDOUT)
			break;
	}
	if (q->len) {
		item = q->items[q->head];
		q->items[q->head] = NULL;
		q->head = (q->head + 1) % q->cap;
		q->len--;
	}
	pthread_mutex_unlock(&q->lock);
	return item;
}

void ph_queue_close(struct ph_queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->closed = 1;
	pthread_cond_broadcast(&q->nonempty);
	pthread_mutex_unlock(&q->lock);
}

size_t ph_queue_len(struct ph_queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->len;
	pthread_mutex_unlock(&q->lock);
	return n;
}

unsigned long ph_queue_dropped(struct ph_queue *q)
{
	unsigned long n;

	pthread_mutex_lock(&q->lock);
	n = q->dropped;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void ph_queue_release(struct ph_queue *q)
{
	if (!q || !q->items)
		return;
	free(q->items);
	q->items = NULL;
	pthread_cond_destroy(&q->nonempty);
	pthread_mutex_destroy(&q->lock);
}
