/*
 * The watcher domain (CONTRACT.md §6): what a runtime does on its own when files change.
 * Each case of suites/watcher changes files in both workspaces (or HOMEs) at once, polls
 * until the files it expects to change have changed on each side or a deadline passes,
 * then loads both file trees (tree.h) and compares them with the rule named by the case's
 * feature, together with the list of files each runtime changed. An effect that one side
 * shows and the other never does is semantic (the file it should have written is then
 * left out of the tree comparison, so a first-time write that never happens is not
 * reported as a missing key); a differently named or shaped output file is structural
 * through the tree. The delay until the effect appeared is recorded with each row; being
 * one sample of a debounce timer whose phase the runtime chooses, it is not judged there:
 * the delays of all cases of a feature are judged together at the end (one "delay" row
 * per feature, by the host's timing test on the samples, with the suite's tolerance as
 * the smallest difference that counts). Config reload cases change agent.yaml's auth mode
 * and poll an HTTP probe until the answer changes, then compare the answers.
 *
 * This file runs the suite and makes the delay rows; settings.c reads the suite's
 * settings, steps.c checks and applies steps, change.c and reload.c run the two kinds of
 * case (wt_run.h).
 */
#define _GNU_SOURCE /* asprintf */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/clock.h"
#include "parity/result.h"
#include "parity/suite.h"
#include "wt_run.h"

/* Keep one case's delays (both sides saw the effect) for its feature's delay row. */
void wt_keep_delay(struct ctx *x, const char *feature, const double lat[2])
{
	struct delays *d = NULL;

	for (size_t i = 0; i < x->n_delays && !d; i++)
		if (!strcmp(x->delays[i].feature, feature))
			d = &x->delays[i];
	if (!d && x->n_delays < MAX_DELAY_FEATURES) {
		d = &x->delays[x->n_delays++];
		snprintf(d->feature, sizeof(d->feature), "%s", feature);
		d->n = 0;
	}
	if (!d || d->n == MAX_DELAY_SAMPLES)
		return;
	d->v[0][d->n] = lat[0];
	d->v[1][d->n] = lat[1];
	d->n++;
}

/* One "delay" row per feature with at least three cases whose effect both sides showed. */
static int delay_rows(struct ctx *x, struct ph_err *err)
{
	for (size_t i = 0; i < x->n_delays; i++) {
		const struct delays *d = &x->delays[i];
		struct ph_result res = {(char *)d->feature, PH_PARITY, 0, NULL};
		struct ph_row row = {0};
		json_t *info = NULL;
		char case_name[64], summary[128];
		int rc;

		if (d->n < 3 || !PH_HOST_HAS(x->host, timing_samples))
			continue;
		if ((rc = x->host->timing_samples(x->run, d->v[0], d->n, d->v[1], d->n,
						  (double)x->set->tolerance_ms, &res, &info, err)))
			return rc;
		snprintf(case_name, sizeof(case_name), "delay over %zu changes", d->n);
		snprintf(summary, sizeof(summary), "median %.0f ms (debounce %ld ms)",
			 json_number_value(json_object_get(json_object_get(info, "median_ms"),
							   "reference")),
			 x->set->debounce_ms);
		row.feature = d->feature;
		row.case_name = case_name;
		row.reference = summary;
		row.result = &res;
		row.latency_reference_ms = json_number_value(
			json_object_get(json_object_get(info, "median_ms"), "reference"));
		row.latency_candidate_ms = json_number_value(
			json_object_get(json_object_get(info, "median_ms"), "candidate"));
		rc = x->host->record(x->run, &row);
		if (!rc && info) {
			x->host->annotate(x->run, "samples_ms", json_object_get(info, "samples_ms"));
			x->host->annotate(x->run, "mann_whitney_p",
					  json_object_get(info, "mann_whitney_p"));
		}
		ph_result_clear(&res);
		json_decref(info);
		if (rc)
			return rc;
	}
	return 0;
}

/* The runtime's HOME: the host's service when it has one, else <workspace>/../home. */
static char *home_of(const struct ph_host *host, struct ph_run *run, int side)
{
	char *ws, *home = NULL;

	if (PH_HOST_HAS(host, home) && host->home(run, side))
		return strdup(host->home(run, side));
	if (!(ws = strdup(host->workspace(run, side))))
		return NULL;
	if (asprintf(&home, "%s/home", dirname(ws)) < 0)
		home = NULL;
	free(ws);
	return home;
}

/* One case of the suite: a change (the default) or a config reload. */
static int watcher_case(void *ctx, json_t *c, size_t i, struct ph_err *err)
{
	const char *kind = json_string_value(json_object_get(c, "kind"));

	(void)i;
	if (kind && !strcmp(kind, "reload"))
		return wt_run_reload(ctx, c, err);
	return wt_run_change(ctx, c, err);
}

static int watcher_run(void *state, const struct ph_host *host, struct ph_run *run,
		       struct ph_err *err)
{
	struct wt_settings set;
	struct ctx x = {.host = host, .run = run, .set = &set};
	char *home[2] = {0};
	json_t *cases = NULL, *c;
	size_t i;
	double t0 = ph_now_ms();
	int rc;

	(void)state;
	if ((rc = wt_settings_load(host->suite_dir(run), &set, err))) {
		wt_settings_release(&set);
		return rc;
	}
	if ((rc = ph_suite_load(host, run, &cases, err)))
		goto out;
	json_array_foreach(cases, i, c) if ((rc = wt_case_check(c, err))) goto out;
	for (int s = 0; s < 2; s++) {
		x.ws[s] = host->workspace(run, s);
		if (!(home[s] = home_of(host, run, s))) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		x.home[s] = home[s];
	}
	/* setup, e.g. the opencode folder in each HOME, so the sync has somewhere to write */
	json_array_foreach(set.setup, i, c)
	{
		char where[64];

		snprintf(where, sizeof(where), "settings.setup[%zu]", i);
		if ((rc = wt_step_check(c, where, err)))
			goto out;
		for (int s = 0; s < 2; s++)
			if ((rc = wt_step_apply(c, x.ws[s], x.home[s], err)))
				goto out;
	}
	if ((rc = ph_suite_each_case(host, run, cases, watcher_case, &x, err)) ||
	    (rc = delay_rows(&x, err)))
		goto out;
	host->log(run, PH_LOG_INFO, "%zu cases in %.1f s (debounce %ld ms)", json_array_size(cases),
		  (ph_now_ms() - t0) / 1000.0, set.debounce_ms);
out:
	json_decref(cases);
	free(home[0]);
	free(home[1]);
	wt_settings_release(&set);
	return rc;
}

PH_PLUGIN_EXPORT(watcher, "1.0.0",
		 "file watcher: harness sync outputs, SIGNET-ARCHITECTURE.md, config reload", NULL,
		 watcher_run, NULL)
