/*
 * The watcher plugin's run, shared by its files: the run's state (struct ctx), the two
 * kinds of case (change.c, reload.c), the row they record, and the effect delays kept
 * per feature for watcher.c's delay rows.
 */
#ifndef WATCHER_WT_RUN_H
#define WATCHER_WT_RUN_H

#include "parity/plugin.h"
#include "watcher.h"

/* Most features whose delays are collected, and samples per feature. */
#define MAX_DELAY_FEATURES 8
#define MAX_DELAY_SAMPLES 64

/* The effect delays of one feature's cases, both sides. */
struct delays {
	char feature[128];
	double v[2][MAX_DELAY_SAMPLES];
	size_t n;
};

struct ctx {
	const struct ph_host *host;
	struct ph_run *run;
	struct wt_settings *set;
	const char *ws[2];
	const char *home[2];
	struct delays delays[MAX_DELAY_FEATURES];
	size_t n_delays;
};

/* change.c: one change case; reload.c: one config reload case. Rows, not errors. */
int wt_run_change(struct ctx *x, const json_t *c, struct ph_err *err);
int wt_run_reload(struct ctx *x, const json_t *c, struct ph_err *err);

/*
 * Apply the steps to both sides in turn (sleep_ms pauses); t_end[s] gets when side s's
 * last step was done.
 */
int wt_apply_steps(struct ctx *x, const json_t *steps, double t_end[2], struct ph_err *err);

/* What a case found, filled as it runs (zeroed, lat -1) and recorded by wt_finish. */
struct wt_outcome {
	struct ph_result hr;  /* the host's comparison, when compared */
	int compared;
	struct ph_result own; /* the case's own divergences */
	char summary[512];    /* what the reference did */
	double lat[2];        /* each side's delay, -1 when it showed no effect */
	struct ph_err why;    /* why the case could not run, when failed */
	int failed;
};

/*
 * Record a case's row from o: the host's comparison, tree divergences beneath a key of
 * drop left out, and the case's own divergences; then release o's results. o->failed: an
 * error row "not evaluated" with o->why's message instead.
 */
int wt_finish(struct ctx *x, const char *feature, const char *case_name, struct wt_outcome *o,
	      const json_t *drop);

/* watcher.c: keep one case's delays (both sides saw the effect) for its feature's delay row. */
void wt_keep_delay(struct ctx *x, const char *feature, const double lat[2]);

#endif
