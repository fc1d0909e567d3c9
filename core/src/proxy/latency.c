/*
 * Latency windows per rule key (latency.h): a jansson object from key to a slot index,
 * slots of two rings each.
 */
#include "proxy/latency.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "compare/stats.h"

struct window {
	double a[LATENCY_WINDOW], b[LATENCY_WINDOW];
	size_t n, next, since;       /* samples held, where the next goes, added since judged */
};

struct ph_latency_windows {
	pthread_mutex_t lock;
	struct ph_timing timing;
	double alpha;
	json_t *index;               /* key -> slot */
	struct window *slots;
	size_t n, cap;
};

struct ph_latency_windows *ph_latency_windows_new(const struct ph_timing *t, double alpha)
{
	struct ph_latency_windows *w = calloc(1, sizeof(*w));

	if (!w || !(w->index = json_object())) {
		free(w);
		return NULL;
	}
	pthread_mutex_init(&w->lock, NULL);
	w->timing = *t;
	w->alpha = alpha;
	return w;
}

void ph_latency_windows_free(struct ph_latency_windows *w)
{
	if (!w)
		return;
	json_decref(w->index);
	free(w->slots);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

static struct window *slot_of(struct ph_latency_windows *w, const char *key)
{
	json_t *i = json_object_get(w->index, key);

	if (i)
		return &w->slots[json_integer_value(i)];
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct window *s = realloc(w->slots, cap * sizeof(*s));

		if (!s)
			return NULL;
		w->slots = s;
		w->cap = cap;
	}
	if (json_object_set_new(w->index, key, json_integer((json_int_t)w->n)))
		return NULL;
	memset(&w->slots[w->n], 0, sizeof(w->slots[w->n]));
	return &w->slots[w->n++];
}

int ph_latency_add(struct ph_latency_windows *w, const char *key, double primary_ms,
		   double shadow_ms, struct ph_latency_verdict *v)
{
	double a[LATENCY_WINDOW], b[LATENCY_WINDOW];
	struct window *s;
	size_t n;
	int found = 0;

	pthread_mutex_lock(&w->lock);
	if (!(s = slot_of(w, key))) {
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	s->a[s->next] = primary_ms;
	s->b[s->next] = shadow_ms;
	s->next = (s->next + 1) % LATENCY_WINDOW;
	if (s->n < LATENCY_WINDOW)
		s->n++;
	if (++s->since < LATENCY_EVERY || s->n < LATENCY_EVERY) {
		pthread_mutex_unlock(&w->lock);
		return 0;
	}
	s->since = 0;
	n = s->n;
	memcpy(a, s->a, n * sizeof(double));
	memcpy(b, s->b, n * sizeof(double));
	pthread_mutex_unlock(&w->lock);
	v->n = n;
	v->p = ph_mann_whitney_p(a, n, b, n);
	v->median_primary = ph_median(a, n); /* sorts its copy */
	v->median_shadow = ph_median(b, n);
	found = ph_timing_diverges(&w->timing, v->median_primary, v->median_shadow) &&
		v->p < w->alpha;
	return found;
}
