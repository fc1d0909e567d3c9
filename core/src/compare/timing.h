/*
 * The timing rule (DESIGN.md "Comparison", fixed): two latencies are a timing divergence
 * when they differ by more than `ratio` times or by more than `delta_ms`, ignoring
 * differences under `floor_ms`. The comparison engine, the shadow-log reader and the
 * run's timing confirmation all ask this one function, and the config's "timing" block
 * is read by this one parser, so a verdict never depends on who asks.
 */
#ifndef PARITY_TIMING_H
#define PARITY_TIMING_H

#include <jansson.h>

#include "parity/err.h"

/* Timing thresholds (config "timing"). */
struct ph_timing {
	double ratio;                /* slower side / faster side above this is timing */
	double delta_ms;             /* or an absolute difference above this */
	double floor_ms;             /* differences below this are never timing */
};

#define PH_TIMING_DEFAULT ((struct ph_timing){ 2.0, 100.0, 5.0 })

/*
 * How `parity run` confirms a timing divergence before it reports one: re-measure
 * `samples` times per side and batch, then the Mann-Whitney test at level `alpha`
 * (config "timing": "samples", "alpha").
 */
struct ph_timing_confirm {
	int samples;                 /* 0: never re-measure, the first answer stands */
	double alpha;
};

#define PH_TIMING_CONFIRM_DEFAULT ((struct ph_timing_confirm){ 5, 0.01 })

/*
 * The timing rule for latencies a_ms and b_ms (milliseconds, >= 0; callers leave out an
 * unknown one): timing when the difference is at least floor_ms and either above
 * delta_ms or the slower side is more than ratio times the faster. Equal latencies have
 * the ratio 1, zero ones included; against 0 ms any slower latency has an infinite
 * ratio, which no finite ratio bound admits and an infinite one (the ratio test off)
 * does. Returns 1 for a timing divergence, else 0.
 */
int ph_timing_diverges(const struct ph_timing *t, double a_ms, double b_ms);

/*
 * Read the "timing" object of the config document doc ({ratio, delta_ms, floor_ms,
 * samples, alpha}, each optional) into t and, when confirm is not NULL, confirm; a key
 * that is absent leaves its field as it is, so callers fill in the defaults (or their
 * own) first. With confirm NULL, "samples" and "alpha" are neither read nor checked: a
 * reader that takes one latency per side has nothing to re-measure. doc not an object,
 * or without "timing", reads nothing. Messages name source and the key ("parity.json:
 * timing.ratio: expected a non-negative number"). Returns 0 or PH_E_INVALID.
 */
int ph_timing_parse(const json_t *doc, const char *source, struct ph_timing *t,
		    struct ph_timing_confirm *confirm, struct ph_err *err);

#endif
