/*
 * The performance section of a matrix (metrics.perf, written by the pass in
 * run/perf_pass.h) as people read it: the table the renderers show (report/) and the few
 * lines `parity run` prints at the end.
 */
#ifndef PARITY_METRICS_TABLE_H
#define PARITY_METRICS_TABLE_H

#include <stdio.h>
#include <jansson.h>

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
