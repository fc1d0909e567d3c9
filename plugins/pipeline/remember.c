/*
 * A remember scenario (a case with "remember"): the work a runtime queues itself. Each
 * body is POSTed to /api/memory/remember on both runtimes, a few milliseconds apart (so
 * their jobs' created_at, and the order the workers take them in, follow the bodies); the
 * labels the remembers answered and the jobs they queued are compared at once (pipeline
 * remember jobs); jobs one side queued and the other did not are seeded for it
 * (backfill.c); then the scenario is evaluated as a seeded one (evaluate.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/clock.h"
#include "parity/row.h"
#include "parts.h"

#define REMEMBER_MAX 100  /* bodies in one "remember" case */
#define REMEMBER_GAP_MS 3 /* between two bodies: distinct created_at (milliseconds) */
#define REMEMBER_PATH "/api/memory/remember"

/*
 * POST one remember body to a side. *id gets the memory id it answered (malloc'd), or
 * stays NULL with why filled (transport failure, status, no id).
 */
static void remember_one(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			 const char *body, char **id, char *why, size_t wn)
{
	static const struct ph_header json_type = {"Content-Type", "application/json"};
	struct ph_request req = {0};
	struct ph_response resp = {0};
	struct ph_err e;
	json_t *doc = NULL;
	const char *s;

	*id = NULL;
	req.method = "POST";
	req.path = REMEMBER_PATH;
	req.body = body;
	req.body_len = strlen(body);
	req.headers = &json_type;
	req.n_headers = 1;
	ph_err_clear(&e);
	if (host->http(run, side, &req, &resp, &e) || resp.error) {
		snprintf(why, wn, "%s", resp.error ? resp.error : e.msg);
	} else if (resp.status != 200) {
		snprintf(why, wn, "answered %ld: %.200s", resp.status, resp.body ? resp.body : "");
	} else if (!(doc = json_loadb(resp.body, resp.body_len, 0, NULL)) ||
		   !(s = json_string_value(json_object_get(doc, "id"))) || !*s) {
		snprintf(why, wn, "answered 200 without an \"id\": %.200s",
			 resp.body ? resp.body : "");
	} else if (!(*id = strdup(s))) {
		snprintf(why, wn, "out of memory");
	}
	json_decref(doc);
	host->response_release(&resp);
}

/*
 * The jobs a side queued since before: {memory_id, job_type, max_attempts} in queue order,
 * memory ids as their labels; each job id gets the label "<memory label>/<job type>" (and
 * "#n" from the second on) in labels, and that label is appended to job_labels (so its
 * index is the job's). A new array, or NULL with err filled.
 */
static json_t *queued_jobs(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			   const struct snap *before, json_t *labels, json_t *job_labels,
			   struct ph_err *err)
{
	json_t *rows, *r, *out, *used;
	size_t i;

	if (host->db_query(run, side,
			   "SELECT id, memory_id, job_type, max_attempts FROM memory_jobs"
			   " ORDER BY rowid",
			   &rows, err))
		return NULL;
	out = json_array();
	used = json_object();
	json_array_foreach(rows, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *mid = json_string_value(json_object_get(r, "memory_id"));
		const char *type = json_string_value(json_object_get(r, "job_type"));
		const char *ml = mid ? json_string_value(json_object_get(labels, mid)) : NULL;
		char label[256];

		if (!id || json_object_get(before->jobs, id))
			continue;
		snprintf(label, sizeof(label), "%s/%s",
			 ml    ? ml
			 : mid ? mid
			       : "?",
			 type ? type : "?");
		for (int n = 2; json_object_get(used, label); n++)
			snprintf(label, sizeof(label), "%s/%s#%d",
				 ml    ? ml
				 : mid ? mid
				       : "?",
				 type ? type : "?", n);
		json_object_set_new(used, label, json_true());
		json_object_set_new(labels, id, json_string(label));
		json_array_append_new(job_labels, json_string(label));
		json_array_append_new(
		    out, json_pack("{s:s?, s:s?, s:O?}", "memory_id", ml ? ml : mid, "job_type",
				   type, "max_attempts", json_object_get(r, "max_attempts")));
	}
	json_decref(rows);
	json_decref(used);
	return out;
}

/* Run one remember scenario case. Returns non-zero only for a malformed case. */
int ph_pipeline_remember_scenario(const struct ph_host *host, struct ph_run *run, const json_t *c,
				  struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *bodies = json_object_get(c, "remember"), *body;
	json_t *answered[2] = {NULL, NULL}, *queued[2] = {NULL, NULL};
	json_t *job_labels[2] = {NULL, NULL};
	const json_t *want;
	char cname[256], summary[256], why[1400], note[256];
	char *known[2] = {NULL, NULL};
	struct setup su;
	enum ph_class cls = PH_PARITY;
	long timeout_ms;
	size_t k;
	int rc = 0, s;

	memset(&su, 0, sizeof(su));
	su.route = "POST " REMEMBER_PATH; /* every row below compares what the remembers did */
	if (!json_is_array(bodies) || !json_array_size(bodies) ||
	    json_array_size(bodies) > REMEMBER_MAX)
		return ph_error(
		    err, PH_E_INVALID,
		    "%s: case '%s': \"remember\": expected an array of 1 to %d remember "
		    "bodies",
		    host->suite_dir(run), name, REMEMBER_MAX);
	json_array_foreach(bodies, k, body)
	{
		if (!json_is_object(body) || !json_is_string(json_object_get(body, "content")))
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': remember[%zu]: expected an object with a "
					"\"content\" string",
					host->suite_dir(run), name, k);
	}
	if ((rc = ph_pipeline_scenario_options(host, run, c, &timeout_ms, &want, err)))
		return rc;

	snprintf(cname, sizeof(cname), "%s/remember-jobs", name);
	for (s = 0; s < 2; s++) {
		su.labels[s] = json_object();
		answered[s] = json_array();
		job_labels[s] = json_array();
		if ((rc = ph_pipeline_snap(host, run, (enum ph_side)s, &su.before[s], err))) {
			snprintf(why, sizeof(why), "%s: %s", ph_pipeline_sides[s], err->msg);
			rc = ph_row_error(host, run, F_REMEMBER_JOBS, cname, "not evaluated", why);
			goto failed;
		}
	}
	json_array_foreach(bodies, k, body)
	{
		char *text = json_dumps(body, JSON_COMPACT);

		if (k)
			ph_sleep_ms(REMEMBER_GAP_MS);
		for (s = 0; s < 2 && text; s++) {
			char *id, label[32], w[1024];
			const char *l;

			remember_one(host, run, (enum ph_side)s, text, &id, w, sizeof(w));
			if (!id) {
				snprintf(why, sizeof(why), "%s: remember[%zu]: %s",
					 ph_pipeline_sides[s], k, w);
				free(text);
				rc = ph_row_error(host, run, F_REMEMBER_JOBS, cname,
						  "not evaluated", why);
				goto failed;
			}
			if (!(l = json_string_value(json_object_get(su.labels[s], id)))) {
				snprintf(label, sizeof(label), "remember-%zu", k + 1);
				json_object_set_new(su.labels[s], id, json_string(label));
				l = label;
			}
			json_array_append_new(answered[s], json_string(l));
			free(id);
		}
		if (!text) {
			rc = ph_row_error(host, run, F_REMEMBER_JOBS, cname, "not evaluated",
					  "out of memory");
			goto failed;
		}
		free(text);
	}

	/* the remembered ids are named, not new-N: quote them for collect */
	for (s = 0; s < 2; s++) {
		const char *id;
		json_t *v;
		size_t n = 1;

		json_object_foreach(su.labels[s], id, v) n += strlen(id) + 3;
		if (!(known[s] = calloc(1, n))) {
			rc = ph_row_error(host, run, F_REMEMBER_JOBS, cname, "not evaluated",
					  "out of memory");
			goto failed;
		}
		json_object_foreach(su.labels[s], id, v)
		{
			strcat(known[s], "'");
			strcat(known[s], id);
			strcat(known[s], "' ");
		}
		su.known[s] = known[s];
	}

	/* what the remembers queued, read at once: job types and limits, not progress */
	for (s = 0; s < 2; s++) {
		if (!(queued[s] = queued_jobs(host, run, (enum ph_side)s, &su.before[s],
					      su.labels[s], job_labels[s], err))) {
			snprintf(why, sizeof(why), "%s: %s", ph_pipeline_sides[s], err->msg);
			rc = ph_row_error(host, run, F_REMEMBER_JOBS, cname, "not evaluated", why);
			goto failed;
		}
	}
	{
		json_t *a = json_pack("{s:O, s:O}", "answered", answered[0], "queued", queued[0]);
		json_t *b = json_pack("{s:O, s:O}", "answered", answered[1], "queued", queued[1]);

		snprintf(summary, sizeof(summary), "%zu remembers, %zu jobs queued",
			 json_array_size(bodies), json_array_size(queued[0]));
		rc = ph_pipeline_compare_row(host, run, F_REMEMBER_JOBS, cname, R_REMEMBER_JOBS,
					     summary, a, b, NULL, su.route, &cls);
		json_decref(a);
		json_decref(b);
		if (rc)
			goto out;
	}
	/*
	 * The remembers queued other work (the Rust daemon queues none): that is the row
	 * above. Each side gets the jobs only the other queued, so what follows compares the
	 * extraction itself.
	 */
	if (cls != PH_PARITY) {
		if (ph_pipeline_backfill(host, run, name, &su, queued, job_labels, note,
					 sizeof(note), why, sizeof(why))) {
			rc = ph_pipeline_error_rows(host, run, name, want, why);
			goto out;
		}
		su.jobs_note = note[0] ? note : NULL;
	}
	rc = ph_pipeline_evaluate(host, run, name, &su, timeout_ms, want, err);
	goto out;
failed:
	/* the remember-jobs row is an error: the rest cannot be evaluated either */
	if (!rc) {
		snprintf(why, sizeof(why), "not evaluated: see %s", cname);
		rc = ph_pipeline_error_rows(host, run, name, want, why);
	}
out:
	for (s = 0; s < 2; s++) {
		json_decref(su.before[s].jobs);
		json_decref(su.labels[s]);
		json_decref(answered[s]);
		json_decref(queued[s]);
		json_decref(job_labels[s]);
		free(known[s]);
	}
	return rc;
}
