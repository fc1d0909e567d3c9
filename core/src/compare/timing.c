/*
 * The fixed timing rule and the parser of the config's "timing" block (timing.h). The
 * engine and the shadow reader each had their own copy of the rule, and the copies
 * disagreed at 0 ms; this is the one left, its edge cases pinned by
 * core/tests/test_timing.c.
 */
#include "compare/timing.h"

#include <math.h>

int ph_timing_diverges(const struct ph_timing *t, double a_ms, double b_ms)
{
	double lo = a_ms < b_ms ? a_ms : b_ms, hi = a_ms < b_ms ? b_ms : a_ms, d = hi - lo;
	double ratio;

	/* written as "not at least" so that a NaN latency is never a divergence */
	if (!(d >= t->floor_ms))
		return 0;
	if (d > t->delta_ms)
		return 1;
	/* 0/0: equal latencies are equal whatever their size; x/0: infinitely slower */
	ratio = lo > 0 ? hi / lo : hi > 0 ? INFINITY : 1.0;
	return ratio > t->ratio;
}

/* A "timing" key that must be a non-negative number; absent leaves *out as it is. */
static int get_bound(const json_t *timing, const char *key, const char *source, double *out,
		     struct ph_err *err)
{
	const json_t *v = json_object_get(timing, key);

	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0)
		return ph_error(err, PH_E_INVALID, "%s: timing.%s: expected a non-negative number",
				source, key);
	*out = json_number_value(v);
	return 0;
}

static int get_confirm(const json_t *timing, const char *source, struct ph_timing_confirm *c,
		       struct ph_err *err)
{
	const json_t *v;

	if ((v = json_object_get(timing, "samples"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100)
			return ph_error(err, PH_E_INVALID,
					"%s: timing.samples: expected an integer from 0 to 100",
					source);
		c->samples = (int)json_integer_value(v);
	}
	if ((v = json_object_get(timing, "alpha"))) {
		if (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) >= 1)
			return ph_error(err, PH_E_INVALID,
					"%s: timing.alpha: expected a number between 0 and 1",
					source);
		c->alpha = json_number_value(v);
	}
	return 0;
}

int ph_timing_parse(const json_t *doc, const char *source, struct ph_timing *t,
		    struct ph_timing_confirm *confirm, struct ph_err *err)
{
	const json_t *timing = json_object_get(doc, "timing");
	int rc;

	if (!timing)
		return 0;
	if (!json_is_object(timing))
		return ph_error(err, PH_E_INVALID, "%s: timing: expected an object", source);
	if ((rc = get_bound(timing, "ratio", source, &t->ratio, err)) ||
	    (rc = get_bound(timing, "delta_ms", source, &t->delta_ms, err)) ||
	    (rc = get_bound(timing, "floor_ms", source, &t->floor_ms, err)))
		return rc;
	return confirm ? get_confirm(timing, source, confirm, err) : 0;
}
