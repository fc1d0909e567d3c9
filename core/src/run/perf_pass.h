/*
 * The performance pass of `parity run` (issue 9): both runtimes started on a fresh copy
 * of the fixture, left idle, then sent many requests each, while /proc says how much
 * memory and CPU time their process trees use. What it sends is data: the suite cases
 * marked "perf": true. It writes metrics.perf = {reference, candidate, ratios, targets?}
 * into the matrix; measure/perf.h computes the distributions, ratios and targets.
 */
#ifndef PARITY_PERF_PASS_H
#define PARITY_PERF_PASS_H

#include <stddef.h>

#include "parity/err.h"
#include "measure/perf.h"
#include "run/session.h"

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

/*
 * The pass: the cases marked "perf": true in the suites of domains[0 .. n_domains)
 * (ph_config_suite_dir; a domain without a suite folder marks none), grouped by
 * "METHOD path" (query string dropped) in suite order, each sent as method, path and
 * body. Both runtimes are started on a fresh copy of the fixture (folder "perf" of the
 * run), idle for o->idle_ms, idle RSS read; then the warm-up keeps, per endpoint, the
 * cases both runtimes answer 2xx (an endpoint left without any is skipped, with the
 * reason in metrics.perf.skipped), and o->requests requests per endpoint and runtime
 * follow, A and B interleaved (the first of each pair alternating), RSS sampled
 * throughout for the peak and CPU time read before and after. Writes metrics.perf into
 * s->matrix (also on failure: then {"error": message}); no case marked is PH_E_NOTFOUND
 * naming the config and the suite folders. Runtimes are stopped on return. 0 or PH_E_*.
 */
int ph_perf_run(struct ph_session *s, const struct ph_perf_opts *o, const char *const *domains,
		size_t n_domains, struct ph_err *err);

#endif
