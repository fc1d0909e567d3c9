/*
 * A watcher "change" case: the same steps applied to both runtimes' folders, each side
 * polled until the files it expects have changed or the deadline passes, then both trees
 * compared under the case's feature together with the list of files each runtime changed.
 * An effect one side shows and the other never does is the case's own semantic divergence
 * (the file is then left out of the tree comparison); the delay until the effect is kept
 * for the feature's delay row (watcher.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/clock.h"
#include "parity/result.h"
#include "wt_run.h"

static int under_tree_key(const char *p, const char *key)
{
	size_t n = strlen(key);

	return p && !strncmp(p, "tree.", 5) && !strncmp(p + 5, key, n) &&
	       (p[5 + n] == '\0' || p[5 + n] == '.');
}

/*
 * Record a row from the host's comparison (hr, may be NULL) and the case's own
 * divergences; tree divergences beneath a key of drop are left out.
 */
static int record(const struct ph_host *host, struct ph_run *run, const char *feature,
		  const char *case_name, const char *summary, const struct ph_result *hr,
		  const struct ph_result *own, const json_t *drop, double lat_a, double lat_b,
		  const char *error)
{
	size_t n = (hr ? hr->count : 0) + own->count, k = 0;
	struct ph_divergence *items = calloc(n ? n : 1, sizeof(*items));
	struct ph_result res = {hr ? hr->rule : (char *)feature, PH_PARITY, 0, items};
	struct ph_row row = {0};
	int rc;

	if (!items)
		return PH_E_NOMEM;
	for (size_t i = 0; hr && i < hr->count; i++) {
		size_t j;
		const json_t *key;
		int skip = 0;

		json_array_foreach(drop, j, key) skip |=
		    under_tree_key(hr->items[i].path, json_string_value(key));
		if (!skip)
			items[k++] = hr->items[i];
	}
	for (size_t i = 0; i < own->count; i++)
		items[k++] = own->items[i];
	res.count = k;
	for (size_t i = 0; i < k; i++)
		if (items[i].cls > res.verdict)
			res.verdict = items[i].cls;
	row.feature = feature;
	row.case_name = case_name;
	row.reference = summary;
	row.cls = error ? PH_ERROR : PH_PARITY;
	row.result = error ? NULL : &res;
	row.latency_reference_ms = lat_a;
	row.latency_candidate_ms = lat_b;
	row.error = error;
	rc = host->record(run, &row);
	free(items);
	return rc;
}

int wt_finish(struct ctx *x, const char *feature, const char *case_name, struct wt_outcome *o,
	      const json_t *drop)
{
	const char *error = NULL, *summary = o->summary;
	int rc;

	if (o->failed) {
		error = o->why.msg[0] ? o->why.msg : "the case could not run";
		summary = "not evaluated";
	}
	rc = record(x->host, x->run, feature, case_name, summary, o->compared ? &o->hr : NULL,
		    &o->own, drop, o->lat[0], o->lat[1], error);
	if (o->compared)
		x->host->result_release(&o->hr);
	ph_result_clear(&o->own);
	return rc;
}

static json_t *load_tree(struct ctx *x, int side, struct ph_err *err)
{
	json_t *t = json_object();

	if (!t)
		return NULL;
	if (wt_tree_add(t, x->ws[side], "workspace", x->set->exclude, &x->set->masks, err) ||
	    wt_tree_add(t, x->home[side], "home", x->set->exclude, &x->set->masks, err)) {
		json_decref(t);
		return NULL;
	}
	return t;
}

/* The keys the steps touch and every folder above them: the runtime's changes leave them out. */
static json_t *step_keys(const json_t *steps)
{
	json_t *keys = json_array();
	size_t i;
	const json_t *st;

	json_array_foreach(steps, i, st)
	{
		const char *t = wt_step_target(st);
		char *k = t ? strdup(t) : NULL;

		while (k && strchr(k, '/')) {
			json_array_append_new(keys, json_string(k));
			*strrchr(k, '/') = '\0';
		}
		free(k);
	}
	return keys;
}

int wt_apply_steps(struct ctx *x, const json_t *steps, double t_end[2], struct ph_err *err)
{
	size_t i;
	const json_t *st;

	json_array_foreach(steps, i, st)
	{
		json_t *ms = json_object_get(st, "sleep_ms");

		if (ms) {
			ph_sleep_ms((double)json_integer_value(ms));
			continue;
		}
		for (int side = 0; side < 2; side++) {
			int rc = wt_step_apply(st, x->ws[side], x->home[side], err);

			if (rc)
				return ph_error_prefix(err, "%s: step %zu",
						       side ? "candidate" : "reference", i);
			t_end[side] = ph_now_ms();
		}
	}
	return 0;
}

/* An expectation: the key, and whether existing is enough ("exists": true) or it must change. */

int wt_run_change(struct ctx *x, const json_t *c, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *feature = json_string_value(json_object_get(c, "feature"));
	const json_t *steps = json_object_get(c, "steps"), *expect = json_object_get(c, "expect");
	size_t ne = json_array_size(expect), i;
	long deadline = wt_num(c, "deadline_ms", x->set->deadline_ms);
	long quiet = wt_num(c, "quiet_ms", x->set->quiet_ms);
	char before_fp[2][WT_MAX_EXPECT][64];
	double seen[2][WT_MAX_EXPECT], t_end[2];
	const char *keys[WT_MAX_EXPECT];
	int exists[WT_MAX_EXPECT], done[2] = {0, 0}, missed[2] = {0, 0};
	json_t *before[2] = {0}, *after[2] = {0}, *doc[2] = {0}, *skip = NULL, *drop = NULL;
	struct wt_outcome o = {.lat = {-1, -1}};
	int rc = 0;

	if (!feature)
		feature = "WATCHER /harness-sync";
	for (i = 0; i < ne; i++)
		wt_expectation(json_array_get(expect, i), &keys[i], &exists[i]);
	/* the state before: trees for the change lists, fingerprints for the effects */
	for (int s = 0; s < 2; s++) {
		if (!(before[s] = load_tree(x, s, &o.why)))
			goto error;
		for (i = 0; i < ne; i++) {
			char *p = NULL;

			wt_resolve(keys[i], x->ws[s], x->home[s], &p);
			wt_fingerprint(p ? p : "", before_fp[s][i], sizeof(before_fp[s][i]));
			free(p);
			seen[s][i] = -1;
		}
	}
	t_end[0] = t_end[1] = ph_now_ms();
	if (wt_apply_steps(x, steps, t_end, &o.why))
		goto error;
	if (!ne) {
		ph_sleep_ms((double)quiet);
	} else {
		double start = t_end[0] < t_end[1] ? t_end[0] : t_end[1];

		while (!(done[0] && done[1]) && ph_now_ms() - start <= (double)deadline) {
			for (int s = 0; s < 2; s++) {
				if (done[s])
					continue;
				done[s] = 1;
				for (i = 0; i < ne; i++) {
					char fp[64], *p = NULL;

					if (seen[s][i] >= 0)
						continue;
					wt_resolve(keys[i], x->ws[s], x->home[s], &p);
					wt_fingerprint(p ? p : "", fp, sizeof(fp));
					free(p);
					if (exists[i] ? strcmp(fp, "missing") != 0
						      : strcmp(fp, before_fp[s][i]) != 0)
						seen[s][i] = ph_now_ms() - t_end[s];
					else
						done[s] = 0;
				}
			}
			if (!(done[0] && done[1]))
				ph_sleep_ms((double)x->set->poll_ms);
		}
		ph_sleep_ms((double)x->set->settle_ms);
	}
	skip = step_keys(steps);
	drop = json_array();
	for (int s = 0; s < 2; s++) {
		if (!(after[s] = load_tree(x, s, &o.why)))
			goto error;
		doc[s] = json_pack("{s:o, s:O}", "changed", wt_tree_changes(before[s], after[s], skip),
				   "tree", after[s]);
		if (!doc[s]) {
			ph_error(&o.why, PH_E_NOMEM, "out of memory");
			goto error;
		}
	}
	/* effects: which appeared where, and after how long */
	for (i = 0; i < ne; i++) {
		double a = seen[0][i], b = seen[1][i];

		if (a >= 0 && b < 0) {
			ph_result_addf(&o.own, PH_SEMANTIC, "effect", keys[i], json_real(a), NULL,
				"the candidate never %s %s within %ld ms (the reference did after "
				"%.0f ms)",
				exists[i] ? "wrote" : "changed", keys[i], deadline, a);
			json_array_append_new(drop, json_string(keys[i]));
		} else if (a < 0 && b >= 0) {
			ph_result_addf(&o.own, PH_SEMANTIC, "effect", keys[i], NULL, json_real(b),
				"the candidate %s %s after %.0f ms; the reference never did within "
				"%ld ms",
				exists[i] ? "wrote" : "changed", keys[i], b, deadline);
			json_array_append_new(drop, json_string(keys[i]));
		} else if (a < 0 && b < 0) {
			x->host->log(x->run, PH_LOG_WARN,
				     "case '%s': neither runtime changed %s within %ld ms", name,
				     keys[i], deadline);
		}
		if (a > o.lat[0])
			o.lat[0] = a;
		if (b > o.lat[1])
			o.lat[1] = b;
		if (a < 0)
			missed[0] = 1;
		if (b < 0)
			missed[1] = 1;
	}
	/* a side's delay is when its last effect appeared; none when one never did */
	for (int s = 0; s < 2; s++)
		if (missed[s])
			o.lat[s] = -1;
	if (ne && o.lat[0] >= 0 && o.lat[1] >= 0)
		wt_keep_delay(x, feature, o.lat); /* judged with the feature's other cases */
	if ((rc = x->host->compare_json(x->run, feature, doc[0], doc[1], &o.hr, &o.why)))
		goto error;
	o.compared = 1;
	{
		size_t nch = json_array_size(json_object_get(doc[0], "changed")), got = 0;
		double last = -1;

		for (i = 0; i < ne; i++)
			if (seen[0][i] >= 0) {
				got++;
				if (seen[0][i] > last)
					last = seen[0][i];
			}
		if (!ne)
			snprintf(o.summary, sizeof(o.summary), "%zu file%s changed in %ld ms", nch,
				 nch == 1 ? "" : "s", quiet);
		else if (got == ne)
			snprintf(o.summary, sizeof(o.summary),
				 "%zu of %zu effects after %.0f ms, %zu file%s changed", got, ne,
				 last, nch, nch == 1 ? "" : "s");
		else
			snprintf(o.summary, sizeof(o.summary),
				 "%zu of %zu effects within %ld ms, %zu file%s changed", got, ne,
				 deadline, nch, nch == 1 ? "" : "s");
	}
	goto out;
error:
	o.failed = 1;
out:
	rc = wt_finish(x, feature, name, &o, drop);
	for (int s = 0; s < 2; s++) {
		json_decref(before[s]);
		json_decref(after[s]);
		json_decref(doc[s]);
	}
	json_decref(skip);
	json_decref(drop);
	(void)err;
	return rc;
}
