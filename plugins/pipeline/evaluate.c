/*
 * The rows of an extraction scenario, once the workers settled: the jobs, the egress to
 * the canned LLM, one decisions row per kind and the memories involved, each compared
 * under its rule key; or, when the scenario cannot be evaluated, each of them an error
 * row that says why (no row is dropped silently).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "normalize.h"
#include "parity/row.h"
#include "parts.h"

/* Sort an array of objects by their "id" string (labels and seeded ids are stable). */
static int by_id(const void *x, const void *y)
{
	const char *a = json_string_value(json_object_get(*(json_t *const *)x, "id"));
	const char *b = json_string_value(json_object_get(*(json_t *const *)y, "id"));

	return strcmp(a ? a : "", b ? b : "");
}

static json_t *sorted_by_id(const json_t *arr)
{
	size_t n = json_array_size(arr), i;
	json_t **v = calloc(n + 1, sizeof(*v)), *out = json_array();

	if (!v)
		return out;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), by_id);
	for (i = 0; i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

int ph_pipeline_compare_row(const struct ph_host *host, struct ph_run *run, const char *feature,
			    const char *case_name, const char *rule_key, const char *summary,
			    const json_t *a, const json_t *b, const char *settle_note,
			    const char *route, enum ph_class *cls)
{
	struct ph_result res = {0};
	struct ph_row row = {0};
	struct ph_err err;
	int rc;

	row.feature = feature;
	row.case_name = case_name;
	row.reference = summary;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	rc = host->compare_json(run, rule_key, a, b, &res, &err);
	if (rc) {
		row.cls = PH_ERROR;
		row.error = err.msg;
		if (cls)
			*cls = PH_ERROR;
		return host->record(run, &row);
	}
	if (settle_note) {
		row.cls = PH_SEMANTIC;
		host->log(run, PH_LOG_INFO, "%s: %s", case_name, settle_note);
	}
	if (cls)
		*cls = res.verdict;
	row.result = &res;
	rc = host->record(run, &row);
	host->result_release(&res);
	if (!rc && route)
		ph_row_annotate_route(host, run, route, "state");
	return rc;
}

/* A row of the scenario su: the effect of su's request, when it has one. */
static int compare_row(const struct ph_host *host, struct ph_run *run, const struct setup *su,
		       const char *feature, const char *case_name, const char *rule_key,
		       const char *summary, const json_t *a, const json_t *b,
		       const char *settle_note)
{
	return ph_pipeline_compare_row(host, run, feature, case_name, rule_key, summary, a, b,
				       settle_note, su->route, NULL);
}

/* "3 jobs: 2 completed, 1 dead" */
static void jobs_summary(const json_t *jobs, char *out, size_t n)
{
	json_t *count = json_object(), *j, *v;
	const char *k, *sep = ": ";
	size_t i, w;

	json_array_foreach(jobs, i, j)
	{
		const char *s = json_string_value(json_object_get(j, "status"));

		s = s ? s : "?";
		json_object_set_new(
		    count, s, json_integer(json_integer_value(json_object_get(count, s)) + 1));
	}
	snprintf(out, n, "%zu jobs", json_array_size(jobs));
	json_object_foreach(count, k, v)
	{
		w = strlen(out);
		if (w + 1 < n)
			snprintf(out + w, n - w, "%s%lld %s", sep, (long long)json_integer_value(v),
				 k);
		sep = ", ";
	}
	json_decref(count);
}

/* {job id: "status, attempt N"} of a jobs array: a new object. */
static json_t *job_status(const json_t *jobs)
{
	json_t *out = json_object(), *j;
	size_t i;

	json_array_foreach(jobs, i, j)
	{
		const char *id = json_string_value(json_object_get(j, "id"));
		const char *st = json_string_value(json_object_get(j, "status"));
		char v[128];

		if (!id)
			continue;
		snprintf(v, sizeof(v), "%s, attempt %lld", st ? st : "?",
			 (long long)json_integer_value(json_object_get(j, "attempts")));
		json_object_set_new(out, id, json_string(v));
	}
	return out;
}

static const char *const kinds[] = {"add", "update", "delete", "none"};

int ph_pipeline_scenario_options(const struct ph_host *host, struct ph_run *run, const json_t *c,
				 long *timeout_ms, const json_t **want, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *timeout = json_object_get(c, "settle_timeout_ms"), *w;
	size_t i;

	*timeout_ms = SETTLE_DEFAULT_MS;
	*want = json_object_get(c, "decisions");
	if (timeout && (!json_is_integer(timeout) || json_integer_value(timeout) <= 0))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"settle_timeout_ms\": expected a positive integer",
				host->suite_dir(run), name);
	if (timeout)
		*timeout_ms = (long)json_integer_value(timeout);
	if (*want && !json_is_array(*want))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"decisions\": expected an array of add, update, "
				"delete, none",
				host->suite_dir(run), name);
	json_array_foreach(*want, i, w)
	{
		if (!json_is_string(w) || !ph_pipeline_event_of(json_string_value(w)))
			return ph_error(
			    err, PH_E_INVALID,
			    "%s: case '%s': decisions[%zu]: expected add, update, delete "
			    "or none",
			    host->suite_dir(run), name, i);
	}
	return 0;
}

int ph_pipeline_error_rows(const struct ph_host *host, struct ph_run *run, const char *name,
			   const json_t *want, const char *why)
{
	char cname[256];
	json_t *w;
	size_t i;
	int rc;

	snprintf(cname, sizeof(cname), "%s/jobs", name);
	if ((rc = ph_row_error(host, run, F_JOBS, cname, "not evaluated", why)))
		return rc;
	snprintf(cname, sizeof(cname), "%s/egress", name);
	if ((rc = ph_row_error(host, run, F_EGRESS, cname, "not evaluated", why)))
		return rc;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		int wanted = 0;

		json_array_foreach(want, i, w) wanted |= !strcmp(json_string_value(w), kinds[k]);
		snprintf(cname, sizeof(cname), "%s/decision-%s", name, kinds[k]);
		if (wanted &&
		    (rc = ph_row_error(host, run, F_DECISIONS, cname, "not evaluated", why)))
			return rc;
	}
	snprintf(cname, sizeof(cname), "%s/memories", name);
	return ph_row_error(host, run, F_DECISIONS, cname, "not evaluated", why);
}

int ph_pipeline_evaluate(const struct ph_host *host, struct ph_run *run, const char *name,
			 const struct setup *su, long timeout_ms, const json_t *want,
			 struct ph_err *err)
{
	char cname[256], summary[256], why[1400];
	struct state st[2] = {{0}};
	json_int_t left[2] = {0, 0};
	json_t *w;
	size_t i;
	int rc = 0, s;

	snprintf(cname, sizeof(cname), "%s/jobs", name);
	if ((rc = ph_pipeline_settle(host, run, timeout_ms, left, err)))
		return ph_pipeline_error_rows(host, run, name, want, err->msg);
	if (left[0]) {
		snprintf(why, sizeof(why),
			 "the reference runtime still had %lld job(s) to run after %ld ms: the "
			 "scenario cannot be evaluated (is its pipeline worker running, and its "
			 "extraction endpoint the canned LLM?)",
			 (long long)left[0], timeout_ms);
		return ph_pipeline_error_rows(host, run, name, want, why);
	}
	for (s = 0; s < 2; s++) {
		if ((rc = ph_pipeline_collect(host, run, (enum ph_side)s, name, &su->before[s],
					      su->known[s], su->labels[s], &st[s], err))) {
			snprintf(why, sizeof(why), "%s: %s", ph_pipeline_sides[s], err->msg);
			rc = ph_pipeline_error_rows(host, run, name, want, why);
			goto out;
		}
	}

	/* jobs, by id: seeded ids, or the labels of the jobs a remember queued */
	jobs_summary(st[0].jobs, summary, sizeof(summary));
	if (su->jobs_note) {
		size_t w = strlen(summary);

		snprintf(summary + w, sizeof(summary) - w, " (%s)", su->jobs_note);
	}
	if (left[1]) {
		/*
		 * Unfinished work: compare how many jobs are left and each job's status and
		 * attempts only (a result still missing is not a second, structural finding).
		 */
		json_t *a =
		    json_pack("{s:i, s:o}", "jobs_left", 0, "status", job_status(st[0].jobs));
		json_t *b =
		    json_pack("{s:I, s:o}", "jobs_left", left[1], "status", job_status(st[1].jobs));

		snprintf(why, sizeof(why),
			 "the candidate still had %lld job(s) to run after %ld ms; egress and "
			 "decisions are not compared, they would only repeat this",
			 (long long)left[1], timeout_ms);
		rc = compare_row(host, run, su, F_JOBS, cname, R_JOBS, summary, a, b, why);
		json_decref(a);
		json_decref(b);
		goto out;
	}
	{
		json_t *a = sorted_by_id(st[0].jobs), *b = sorted_by_id(st[1].jobs);

		rc = compare_row(host, run, su, F_JOBS, cname, R_JOBS, summary, a, b, NULL);
		json_decref(a);
		json_decref(b);
		if (rc)
			goto out;
	}

	/* egress */
	snprintf(cname, sizeof(cname), "%s/egress", name);
	if (st[0].egress_error || st[1].egress_error) {
		snprintf(why, sizeof(why), "%s: %s", st[0].egress_error ? "reference" : "candidate",
			 st[0].egress_error ? st[0].egress_error : st[1].egress_error);
		rc = ph_row_error(host, run, F_EGRESS, cname, "not evaluated", why);
	} else {
		snprintf(summary, sizeof(summary), "%zu distinct LLM requests (%zu sent)",
			 json_array_size(st[0].egress), st[0].requests);
		if (st[0].malformed || st[1].malformed)
			host->log(run, PH_LOG_WARN,
				  "%s: %zu/%zu unreadable canned-LLM log lines skipped", cname,
				  st[0].malformed, st[1].malformed);
		rc = compare_row(host, run, su, F_EGRESS, cname, R_EGRESS, summary, st[0].egress,
				 st[1].egress, NULL);
	}
	if (rc)
		goto out;

	/* decisions, one row per kind: the acceptance check's named group */
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *event = ph_pipeline_event_of(kinds[k]);
		json_t *a = ph_pipeline_select_event(st[0].history, event, NULL);
		json_t *b = ph_pipeline_select_event(st[1].history, event, NULL);
		int wanted = 0;

		json_array_foreach(want, i, w) wanted |= !strcmp(json_string_value(w), kinds[k]);
		snprintf(cname, sizeof(cname), "%s/decision-%s", name, kinds[k]);
		if (wanted || json_array_size(a) || json_array_size(b)) {
			/*
			 * A reference that makes none of a wanted kind is compared too (the
			 * candidate must make none either); the summary and the log say the
			 * scenario did not exercise it there, which on refd means the canned
			 * answers are wrong.
			 */
			if (wanted && !json_array_size(a))
				host->log(
				    run, PH_LOG_WARN,
				    "%s: the reference runtime made no '%s' decision (history "
				    "event '%s'): the scenario does not exercise it there",
				    cname, kinds[k], event);
			snprintf(summary, sizeof(summary), "%zu %s decision(s)%s",
				 json_array_size(a), kinds[k],
				 wanted && !json_array_size(a) ? " (the scenario wants some)" : "");
			rc = compare_row(host, run, su, F_DECISIONS, cname, R_DECISIONS,
					 summary, a, b, NULL);
		}
		json_decref(a);
		json_decref(b);
		if (rc)
			goto out;
	}
	/* history events that are none of the four kinds, when either side wrote any */
	{
		json_t *o[2];

		for (s = 0; s < 2; s++) {
			json_t *r;

			o[s] = json_array();
			json_array_foreach(st[s].history, i, r)
			{
				const char *e = json_string_value(json_object_get(r, "event"));
				int known = 0;

				for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
					known |= e && !strcmp(e, ph_pipeline_event_of(kinds[k]));
				if (!known)
					json_array_append(o[s], r);
			}
		}
		if (json_array_size(o[0]) || json_array_size(o[1])) {
			snprintf(cname, sizeof(cname), "%s/decision-other", name);
			snprintf(summary, sizeof(summary), "%zu other history event(s)",
				 json_array_size(o[0]));
			rc = compare_row(host, run, su, F_DECISIONS, cname, R_DECISIONS,
					 summary, o[0], o[1], NULL);
		}
		json_decref(o[0]);
		json_decref(o[1]);
		if (rc)
			goto out;
	}
	/* the memories the scenario created or touched */
	{
		json_t *a = sorted_by_id(st[0].memories), *b = sorted_by_id(st[1].memories);

		snprintf(cname, sizeof(cname), "%s/memories", name);
		snprintf(summary, sizeof(summary), "%zu memories", json_array_size(a));
		rc = compare_row(host, run, su, F_DECISIONS, cname, R_MEMORIES, summary, a, b,
				 NULL);
		json_decref(a);
		json_decref(b);
	}
out:
	for (s = 0; s < 2; s++)
		ph_pipeline_state_release(&st[s]);
	return rc;
}
