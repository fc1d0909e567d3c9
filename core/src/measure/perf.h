/*
 * Performance measurement of the two runtimes side by side (issue 9): latency
 * distributions (p50, p95, p99, max) over many requests, targets such as
 * "idle_rss_ratio <= 0.1" checked against candidate/reference ratios, and the ratios of
 * two per-runtime measurements. The performance pass of `parity run` that takes the
 * samples is run/perf_pass.h; the table and summary shown of its result are
 * matrix/metrics_table.h.
 */
#ifndef PARITY_PERF_H
#define PARITY_PERF_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

/* Points of the cumulative distribution kept per endpoint (0%, 5%, ... 100%). */
#define PH_PERF_CDF_POINTS 21

/* A latency distribution in milliseconds. Quantiles are nearest-rank. */
struct ph_perf_dist {
	size_t n;
	double p50, p95, p99, max, min, mean;
	double cdf[PH_PERF_CDF_POINTS]; /* the (5*i)-th percentile */
};

/*
 * Distribution of the n samples ms (borrowed, not modified). Returns 0, or PH_E_INVALID
 * when n is 0 or a sample is negative or not a number, PH_E_NOMEM.
 */
int ph_perf_dist_compute(const double *ms, size_t n, struct ph_perf_dist *d, struct ph_err *err);

/* The nearest-rank q-quantile (0 <= q <= 1) of n >= 1 ascending samples. */
double ph_perf_quantile(const double *sorted, size_t n, double q);

/* {n, min_ms, p50_ms, p95_ms, p99_ms, max_ms, mean_ms, cdf_ms: [21]} (new reference). */
json_t *ph_perf_dist_json(const struct ph_perf_dist *d);

/* Milliseconds as a JSON number rounded to microseconds, so reports stay readable. */
json_t *ph_perf_ms_json(double ms);

/* Options of the performance phase (config "perf", --perf-requests, --idle-ms). */
struct ph_perf_opts {
	int requests;                /* measured requests per endpoint and runtime */
	int warmup;                  /* warm-up requests per endpoint and runtime */
	long idle_ms;                /* idle period before the idle RSS is read */
	json_t *targets;             /* {name: "<= 0.1"} or NULL; owned */
};

#define PH_PERF_REQUESTS_DEFAULT 200
#define PH_PERF_WARMUP_DEFAULT 20
#define PH_PERF_IDLE_MS_DEFAULT 2000

/* Defaults, no targets. */
void ph_perf_opts_init(struct ph_perf_opts *o);

/*
 * Read the config's "perf" object ({requests, warmup, idle_ms, targets}) over the
 * defaults; every key optional. Bad shapes are PH_E_INVALID naming source and key
 * ("parity.json: perf.targets.p99_ratio: expected \"<op> <number>\"").
 */
int ph_perf_opts_parse(struct ph_perf_opts *o, const json_t *perf, const char *source,
		       struct ph_err *err);

void ph_perf_opts_release(struct ph_perf_opts *o);

/* A target: ratio name, comparison and bound. */
struct ph_perf_target {
	char op[3];                  /* "<=", "<", ">=", ">", "==" */
	double value;
};

/* Parse "<= 0.1" (spaces optional). 0 or PH_E_INVALID naming what (e.g. the key). */
int ph_perf_target_parse(const char *expr, const char *what, struct ph_perf_target *t,
			 struct ph_err *err);

/* Does v meet the target? */
int ph_perf_target_met(const struct ph_perf_target *t, double v);

/*
 * Parse a --targets argument "idle_rss_ratio<=0.1,p99_ratio<=0.5" into a new object
 * {name: "<= 0.1", ...}. 0 or PH_E_INVALID.
 */
int ph_perf_targets_parse_arg(const char *arg, json_t **targets, struct ph_err *err);

/*
 * The "perf"."targets" object of a config file (new reference, NULL when the file has
 * none). 0, or PH_E_IO/PH_E_PARSE/PH_E_INVALID naming the file and key.
 */
int ph_perf_targets_from_config(const char *path, json_t **targets, struct ph_err *err);

/*
 * Check targets against a ratios object ({name: number|null}). *results (new array, in
 * key order): [{target, expr, value (number or null), met (true, false, or null when the
 * ratio is absent)}]. 0, or PH_E_INVALID for a malformed target, PH_E_NOMEM.
 */
int ph_perf_targets_check(const json_t *targets, const json_t *ratios, json_t **results,
			  struct ph_err *err);

/*
 * candidate/reference ratios of two per-runtime perf objects (as written by the phase):
 * startup_ratio, idle_rss_ratio, peak_rss_ratio, cpu_ratio, and p50/p95/p99/max_ratio as
 * the worst (largest) ratio over the endpoints both measured, with per-endpoint ratios
 * under "endpoints". A ratio whose reference value is 0 or absent is null. New reference.
 */
json_t *ph_perf_ratios(const json_t *reference, const json_t *candidate);

#endif
