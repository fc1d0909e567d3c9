/*
 * Performance measurement of the two runtimes side by side (issue 9): latency
 * distributions (p50, p95, p99, max) over many requests, resident memory and CPU time of a
 * runtime's process tree read from /proc, targets such as "idle_rss_ratio <= 0.1" checked
 * against candidate/reference ratios, and the performance phase of `parity run`, which
 * starts both runtimes on the fixture, lets them idle, measures idle RSS, then sends N
 * requests per endpoint interleaved A B A B after a warm-up and writes metrics.perf =
 * {reference, candidate, ratios, targets?} into the matrix.
 */
#ifndef PARITY_PERF_H
#define PARITY_PERF_H

#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#include "parity/err.h"

struct ph_session;

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

/* What /proc says about a process tree at one instant. */
struct ph_perf_proc {
	long rss_kb;                 /* VmRSS summed over the tree */
	double cpu_ms;               /* utime + stime (and reaped children's) summed */
	int procs;                   /* processes counted */
};

/*
 * Sample the process tree rooted at pid: pid, the members of its process group, and
 * their descendants. Returns 0, or PH_E_NOTFOUND when pid is not running.
 */
int ph_perf_proc_sample(long pid, struct ph_perf_proc *out, struct ph_err *err);

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

/*
 * The performance phase of `parity run`: both runtimes started on a fresh copy of the
 * fixture (folder "perf" of the run), idle for o->idle_ms, idle RSS read, then for each
 * endpoint of suites/read (POST /api/memory/recall and GET /api/memory/search: the cases
 * both runtimes answer 2xx during the warm-up) o->requests requests per runtime, A and B
 * interleaved (the first of each pair alternating), RSS sampled throughout for the peak
 * and CPU time read before and after. Writes metrics.perf into s->matrix (also on failure:
 * then {"error": message}). Runtimes are stopped on return. 0 or PH_E_*.
 */
int ph_perf_run(struct ph_session *s, const struct ph_perf_opts *o, struct ph_err *err);

/*
 * The performance table the renderers show, from a metrics.perf object (borrowed): a new
 * array of rows [metric, reference, candidate, candidate/reference], all display strings
 * ("n/a" for what was not measured): startup, idle and peak RSS, CPU time, then p50, p95,
 * p99 and max per endpoint. NULL when perf holds no measurement (absent, or an error).
 */
json_t *ph_perf_table(const json_t *perf);

/*
 * A few lines for the terminal from a metrics.perf object (borrowed): per runtime idle and
 * peak RSS and CPU time, per endpoint p50/p99 of both, the main ratios and the targets.
 */
void ph_perf_print(const json_t *perf, FILE *f);

#endif
