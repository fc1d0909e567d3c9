/*
 * Timing on live traffic: one slow answer is not a timing divergence (a JIT warming up, a
 * busy core), and the proxy cannot ask again. So latencies are kept per rule key, the last
 * LATENCY_WINDOW of each side, and judged every LATENCY_EVERY exchanges once the window
 * holds that many: a timing divergence when the medians diverge by the fixed rule
 * (compare/timing.h) and the Mann-Whitney test rejects, at alpha, that both sides' samples
 * come from one distribution, as `parity run` confirms a timing divergence. Thread-safe.
 */
#ifndef PARITY_PROXY_LATENCY_H
#define PARITY_PROXY_LATENCY_H

#include <stddef.h>

#include "compare/timing.h"

#define LATENCY_WINDOW 50
#define LATENCY_EVERY 25

struct ph_latency_windows;

/* What a judgement found. */
struct ph_latency_verdict {
	double median_primary, median_shadow;
	double p;                    /* Mann-Whitney */
	size_t n;                    /* samples per side */
};

struct ph_latency_windows *ph_latency_windows_new(const struct ph_timing *t, double alpha);
void ph_latency_windows_free(struct ph_latency_windows *w);

/*
 * Add one exchange's latencies (ms, both known) under key. Returns 1 and fills v when this
 * exchange is a judgement that found the sides diverge, else 0 (also when out of memory).
 */
int ph_latency_add(struct ph_latency_windows *w, const char *key, double primary_ms,
		   double shadow_ms, struct ph_latency_verdict *v);

#endif
