/*
 * The host services handed to plugins (parity/plugin.h), implemented over the session:
 * HTTP to either runtime, comparison under the run's rules, declarative HTTP cases,
 * matrix rows, read-only database queries on a runtime's workspace, and runtime restarts.
 */
#include "run/host.h"

#include <math.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/interrupt.h"
#include "parity/jsonio.h"
#include "matrix/matrix.h"
#include "schema/schema.h"
#include "secrets/secrets.h"
#include "run/session.h"
#include "compare/stats.h"
#include "runtime/stdio_channel.h"

static void host_log(struct ph_run *run, enum ph_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };
	char line[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!run) {
		/* init and fini get no run: only warnings and errors are worth showing */
		if (level >= PH_LOG_WARN)
			fprintf(stderr, "parity: plugin %s: %s\n", names[level], line);
		return;
	}
	ph_session_log(run->s, "%s: %s: %s", run->domain, names[level], line);
	if (level >= PH_LOG_WARN)
		fprintf(stderr, "%s%s: %s: %s\n", run->s->tty ? "\r\033[K" : "", run->domain,
			names[level], line);
}

static const char *host_domain(struct ph_run *run)
{
	return run->domain;
}

static const char *host_suite_dir(struct ph_run *run)
{
	return run->suite_dir;
}

static const char *host_repo_dir(struct ph_run *run)
{
	return run->s->cfg.repo;
}

static const char *host_out_dir(struct ph_run *run)
{
	return run->s->out;
}

static const char *host_workspace(struct ph_run *run, enum ph_side side)
{
	return run->s->side[side].workspace;
}

static const char *host_runtime_name(struct ph_run *run, enum ph_side side)
{
	return run->s->cfg.runtimes[side].name;
}

static int host_http(struct ph_run *run, enum ph_side side, const struct ph_request *req,
		     struct ph_response *resp, struct ph_err *err)
{
	struct ph_side_state *st = &run->s->side[side];
	int rc;

	memset(resp, 0, sizeof(*resp));
	resp->latency_ms = -1;
	if (ph_interrupted()) {
		resp->error = strdup("interrupted");
		return ph_error(err, PH_E_INTERRUPTED, "interrupted");
	}
	if (!ph_session_alive(run->s, side)) {
		const char *why = st->died ? st->died : "the runtime is not running";

		resp->error = strdup(why);
		return ph_error(err, PH_E_RUNTIME, "%s", why);
	}
	rc = ph_http_send(st->http, req, resp, err);
	if (rc && !ph_session_alive(run->s, side) && st->died) {
		free(resp->error);
		resp->error = strdup(st->died);
		ph_error(err, PH_E_RUNTIME, "%s", st->died);
	}
	return rc;
}

/*
 * The body in canonical form: a JSON body (parsed as the engine parses it) rewritten as a
 * document, so a replaced number stays a JSON value, then written out compactly in its
 * own key order; any other body, or any body under a "bytes" rule, rewritten as text.
 */
static char *canon_body(const struct ph_canon *c, const char *body, size_t len, int as_json,
			size_t *out_len)
{
	json_t *doc = as_json ? json_loadb(body, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL) :
				NULL, *cd;
	char *text;

	if (!doc)
		return ph_canon_text(c, body, len, out_len);
	cd = ph_canon_json(c, doc);
	json_decref(doc);
	text = cd ? json_dumps(cd, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER) : NULL;
	json_decref(cd);
	if (text)
		*out_len = strlen(text);
	return text;
}

/*
 * A copy of what side answered for endpoint in canonical form (canon.h): body and header
 * values with the side's run-specific values replaced. Release with ph_response_release.
 */
static int canon_response(struct ph_run *run, enum ph_side side, const char *endpoint,
			  const struct ph_response *in, struct ph_response *out,
			  struct ph_err *err)
{
	struct ph_canon *c = ph_session_canon(run->s, side);
	const struct ph_rule *rule = ph_rules_lookup_endpoint(run->s->rules, endpoint);

	*out = *in;
	out->body = NULL;
	out->content_type = in->content_type ? strdup(in->content_type) : NULL;
	out->headers = in->headers ? ph_canon_json(c, in->headers) : NULL;
	out->error = in->error ? strdup(in->error) : NULL;
	out->body_len = 0;
	if (in->body)
		out->body = canon_body(c, in->body, in->body_len,
				       !rule || rule->mode == PH_MODE_JSON, &out->body_len);
	if ((in->body && !out->body) || (in->headers && !out->headers) ||
	    (in->content_type && !out->content_type) || (in->error && !out->error)) {
		ph_response_release(out);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	return 0;
}

/* Compare two responses after both are put in canonical form. */
static int compare_canonical(struct ph_run *run, const char *endpoint,
			     const struct ph_response *a, const struct ph_response *b,
			     struct ph_result *out, struct ph_err *err)
{
	struct ph_response ca, cb;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = canon_response(run, PH_REFERENCE, endpoint, a, &ca, err)))
		return rc;
	if ((rc = canon_response(run, PH_CANDIDATE, endpoint, b, &cb, err))) {
		ph_response_release(&ca);
		return rc;
	}
	rc = ph_compare_responses(run->s->rules, endpoint, &ca, &cb, &run->s->cfg.timing, out,
				  err);
	ph_response_release(&ca);
	ph_response_release(&cb);
	return rc;
}

static int host_compare(struct ph_run *run, const char *endpoint, const struct ph_response *a,
			const struct ph_response *b, struct ph_result *out, struct ph_err *err)
{
	return compare_canonical(run, endpoint, a, b, out, err);
}

static int host_compare_json(struct ph_run *run, const char *rule_key, const json_t *a,
			     const json_t *b, struct ph_result *out, struct ph_err *err)
{
	const struct ph_rule *rule = ph_rules_find(run->s->rules, rule_key);
	json_t *ca, *cb;
	int rc;

	if (!rule)
		rule = ph_rules_find(run->s->rules, "default");
	/* the engine reads a and b only; canon.h needs a reference to share unchanged parts */
	ca = a ? ph_canon_json(ph_session_canon(run->s, PH_REFERENCE), (json_t *)a) : NULL;
	cb = b ? ph_canon_json(ph_session_canon(run->s, PH_CANDIDATE), (json_t *)b) : NULL;
	if ((a && !ca) || (b && !cb)) {
		json_decref(ca);
		json_decref(cb);
		memset(out, 0, sizeof(*out));
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	rc = ph_compare_json_rule(rule, ca, cb, out, err);
	json_decref(ca);
	json_decref(cb);
	return rc;
}

static void progress_line(struct ph_run *run)
{
	if (!run->s->tty)
		return;
	fprintf(stderr, "\r\033[K  %-9s %d/%d cases", run->domain, run->done, run->total);
	fflush(stderr);
}

static void host_progress(struct ph_run *run, int done, int total)
{
	run->done = done;
	run->total = total;
	progress_line(run);
}

static int host_record(struct ph_run *run, const struct ph_row *row)
{
	struct ph_err err;
	int rc = ph_matrix_add_row(run->s->matrix, run->domain, row, &err);

	if (rc) {
		ph_session_log(run->s, "%s: cannot record row '%s': %s", run->domain,
			       row->feature ? row->feature : "?", err.msg);
		return rc;
	}
	run->rows++;
	if (row->cls == PH_ERROR)
		run->errors++;
	ph_session_log(run->s, "%s: %s [%s]: %s%s%s", run->domain, row->feature,
		       row->case_name ? row->case_name : "",
		       ph_class_name(row->result && row->result->verdict > row->cls ?
					     row->result->verdict :
					     row->cls),
		       row->error ? ": " : "", row->error ? row->error : "");
	return 0;
}

/* Number of elements of the array under key in a JSON body, or -1. */
static long count_of(const struct ph_response *r, const char *key)
{
	json_t *doc, *v;
	long n = -1;

	if (!key || !r->body)
		return -1;
	doc = json_loadb(r->body, r->body_len, 0, NULL);
	v = json_object_get(doc, key);
	if (json_is_array(v))
		n = (long)json_array_size(v);
	json_decref(doc);
	return n;
}

/* Does the JSON body have results[].id == id? -1 when the body is not such a document. */
static int has_result_id(const struct ph_response *r, const char *id)
{
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL), *res, *item;
	size_t i;
	int found = -1;

	res = json_object_get(doc, "results");
	if (json_is_array(res)) {
		found = 0;
		json_array_foreach(res, i, item)
		{
			json_t *v = json_object_get(item, "id");

			if (json_is_string(v) && !strcmp(json_string_value(v), id))
				found = 1;
		}
	}
	json_decref(doc);
	return found;
}

static int add_divergence(struct ph_result *res, enum ph_class cls, const char *kind,
			  const char *path, json_t *a, json_t *b, const char *message)
{
	struct ph_divergence *items =
		realloc(res->items, (res->count + 1) * sizeof(struct ph_divergence));

	if (!items) {
		json_decref(a);
		json_decref(b);
		return PH_E_NOMEM;
	}
	res->items = items;
	items[res->count].cls = cls;
	items[res->count].kind = kind;
	items[res->count].path = strdup(path);
	items[res->count].a = a;
	items[res->count].b = b;
	items[res->count].message = strdup(message);
	res->count++;
	if (cls > res->verdict)
		res->verdict = cls;
	return 0;
}

struct case_req {
	struct ph_request req;
	struct ph_header headers[32];
	char *body;
	char *endpoint;
};

static int case_request(struct ph_run *run, const json_t *c, struct case_req *cr,
			struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *method = json_object_get(c, "method"), *path = json_object_get(c, "path");
	json_t *body = json_object_get(c, "body"), *text = json_object_get(c, "body_text");
	json_t *hdrs = json_object_get(c, "headers"), *v;
	const char *k;
	size_t n;

	memset(cr, 0, sizeof(*cr));
	if (!name)
		return ph_error(err, PH_E_INVALID, "%s: a case has no \"name\" string",
				run->suite_dir);
	if (!json_is_string(method) || !json_is_string(path) ||
	    json_string_value(path)[0] != '/')
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': expected \"method\" and a \"path\" starting with /",
				run->suite_dir, name);
	if (hdrs && !json_is_object(hdrs))
		return ph_error(err, PH_E_INVALID, "%s: case '%s': headers: expected an object",
				run->suite_dir, name);
	if (text && !json_is_string(text))
		return ph_error(err, PH_E_INVALID, "%s: case '%s': body_text: expected a string",
				run->suite_dir, name);
	cr->req.method = json_string_value(method);
	cr->req.path = json_string_value(path);
	n = 0;
	json_object_foreach(hdrs, k, v)
	{
		if (!json_is_string(v) || n == sizeof(cr->headers) / sizeof(cr->headers[0]))
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': headers.%s: expected a string (at most 32 "
					"headers)",
					run->suite_dir, name, k);
		cr->headers[n].name = k;
		cr->headers[n].value = json_string_value(v);
		n++;
	}
	cr->req.headers = cr->headers;
	cr->req.n_headers = n;
	if (body) {
		cr->body = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!cr->body)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		cr->req.body = cr->body;
		cr->req.body_len = strlen(cr->body);
	} else if (text) {
		cr->req.body = json_string_value(text);
		cr->req.body_len = json_string_length(text);
	}
	n = strlen(cr->req.method) + strlen(cr->req.path) + 2;
	cr->endpoint = malloc(n);
	if (!cr->endpoint)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	snprintf(cr->endpoint, n, "%s %s", cr->req.method, cr->req.path);
	return 0;
}

/* Most samples per side and batch taken to confirm a timing divergence; how many the
 * config says in "timing": {"samples": k} (config.h timing_samples, default 5). */
#define TIMING_SAMPLES_MAX 100

/* May the case be sent again? GET and HEAD may, other methods when the case says so. */
static int repeatable(const json_t *c, const char *method)
{
	json_t *idem = json_object_get(c, "idempotent");

	if (idem)
		return json_is_true(idem);
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

/*
 * Take k = timing.samples samples per side, interleaved, appending them to ja and jb and to
 * va/vb at *n. Returns 1 when the batch's medians diverge by the fixed timing rule, 0 when
 * they do not, -1 when a request failed. *ma and *mb get the batch's medians.
 */
static int timing_batch(struct ph_run *run, const struct ph_request *ra,
			const struct ph_request *rb, json_t *ja, json_t *jb, double *va,
			double *vb, size_t *n, double *ma, double *mb)
{
	double sa[TIMING_SAMPLES_MAX], sb[TIMING_SAMPLES_MAX];
	size_t i, k = (size_t)run->s->cfg.timing_samples;

	if (k > TIMING_SAMPLES_MAX)
		k = TIMING_SAMPLES_MAX;
	if (k == 0) /* "samples": 0: never re-measure, the first answer stands */
		return -1;
	for (i = 0; i < k; i++) {
		struct ph_response a, b;
		struct ph_err e;
		int ra_rc, rb_rc, ok;

		/* alternate who is asked first: on a busy machine the first is often slower;
		 * both are always asked, so both responses are filled and released */
		if (i % 2) {
			rb_rc = host_http(run, PH_CANDIDATE, rb, &b, &e);
			ra_rc = host_http(run, PH_REFERENCE, ra, &a, &e);
		} else {
			ra_rc = host_http(run, PH_REFERENCE, ra, &a, &e);
			rb_rc = host_http(run, PH_CANDIDATE, rb, &b, &e);
		}
		ok = !ra_rc && !rb_rc && a.latency_ms >= 0 && b.latency_ms >= 0;

		if (ok) {
			va[*n] = sa[i] = a.latency_ms;
			vb[*n] = sb[i] = b.latency_ms;
			(*n)++;
			json_array_append_new(ja, json_real(a.latency_ms));
			json_array_append_new(jb, json_real(b.latency_ms));
		}
		ph_response_release(&a);
		ph_response_release(&b);
		if (!ok)
			return -1;
	}
	*ma = ph_median(sa, k);
	*mb = ph_median(sb, k);
	return ph_timing_diverges(&run->s->cfg.timing, *ma, *mb);
}

/*
 * A single slow answer is not a timing divergence. Re-measure the request in two batches
 * of timing.samples per side, a short pause apart; confirm only when the medians of both
 * batches diverge by the fixed timing rule (a busy machine can slow one process for a
 * while, rarely twice) and the Mann-Whitney U test on all re-measured samples rejects, at
 * timing.alpha, that both sides' latencies come from one distribution (at alpha 0.01 that
 * takes at least 3 samples per batch). The raw samples, the first answer's included, go
 * into *samples (new object); *ma and *mb get the last batch's medians, *p the test's
 * p-value. Returns 1 confirmed, 0 not reproduced, -1 when a repeat failed (the first
 * answer stands).
 */
static int confirm_timing(struct ph_run *run, const struct ph_request *ra,
			  const struct ph_request *rb, double a0, double b0, json_t **samples,
			  double *ma, double *mb, double *p)
{
	double va[2 * TIMING_SAMPLES_MAX], vb[2 * TIMING_SAMPLES_MAX];
	json_t *ja = json_array(), *jb = json_array();
	size_t n = 0;
	int rc;

	json_array_append_new(ja, json_real(a0));
	json_array_append_new(jb, json_real(b0));
	rc = timing_batch(run, ra, rb, ja, jb, va, vb, &n, ma, mb);
	if (rc == 1) {
		struct timespec pause = { 0, 200 * 1000 * 1000 };

		nanosleep(&pause, NULL);
		rc = timing_batch(run, ra, rb, ja, jb, va, vb, &n, ma, mb);
	}
	if (rc == 1) {
		*p = ph_mann_whitney_p(va, n, vb, n);
		rc = *p < run->s->cfg.timing_alpha;
	}
	*samples = json_pack("{s:o, s:o}", "reference", ja, "candidate", jb);
	return rc;
}

/* Drop the timing divergences of res and recompute its verdict. */
static void drop_timing(struct ph_result *res)
{
	size_t i, j = 0;

	res->verdict = PH_PARITY;
	for (i = 0; i < res->count; i++) {
		struct ph_divergence *d = &res->items[i];

		if (d->cls == PH_TIMING) {
			free(d->path);
			free(d->message);
			json_decref(d->a);
			json_decref(d->b);
			continue;
		}
		if (d->cls > res->verdict)
			res->verdict = d->cls;
		res->items[j++] = *d;
	}
	res->count = j;
}

/* Add keys to the row just recorded (the last feature of the run's domain). */
static void annotate_last_row(struct ph_run *run, const char *key, json_t *value)
{
	json_t *features = json_object_get(ph_matrix_domain(run->s->matrix, run->domain),
					   "features");
	json_t *row = json_array_get(features, json_array_size(features) - 1);

	if (row && value)
		json_object_set(row, key, value);
	json_decref(value);
}

/* The first timing divergence of res, or NULL. */
static const struct ph_divergence *timing_of(const struct ph_result *res)
{
	size_t i;

	for (i = 0; i < res->count; i++)
		if (res->items[i].cls == PH_TIMING)
			return &res->items[i];
	return NULL;
}

static int host_timing_confirm(struct ph_run *run, const struct ph_request *ref_req,
			       const struct ph_request *cand_req, struct ph_result *res,
			       json_t **info, struct ph_err *err)
{
	const struct ph_divergence *d = timing_of(res);
	json_t *samples = NULL;
	double ma = 0, mb = 0, p = 1;
	int rc;

	(void)err;
	*info = NULL;
	if (!d || !json_is_number(d->a) || !json_is_number(d->b) ||
	    run->s->cfg.timing_samples <= 0)
		return 0;
	rc = confirm_timing(run, ref_req, cand_req ? cand_req : ref_req, json_number_value(d->a),
			    json_number_value(d->b), &samples, &ma, &mb, &p);
	*info = json_pack("{s:o}", "samples_ms", samples);
	if (rc == 0) {
		drop_timing(res);
		json_object_set_new(*info, "flaky",
				    json_pack("{s:s, s:I}", "class", "timing", "retries",
					      (json_int_t)(json_array_size(json_object_get(
								   samples, "reference")) - 1)));
	} else if (rc == 1) {
		json_object_set_new(*info, "median_ms",
				    json_pack("{s:f, s:f}", "reference", ma, "candidate", mb));
		json_object_set_new(*info, "mann_whitney_p", json_real(p));
	}
	return 0;
}

static int host_http_case(struct ph_run *run, const json_t *c, struct ph_err *err)
{
	json_t *timing = NULL;
	struct ph_session *s = run->s;
	struct case_req cr;
	struct ph_response a, b;
	struct ph_result res;
	struct ph_row row;
	struct ph_err ea, eb;
	const char *feature = json_string_value(json_object_get(c, "feature"));
	const char *count_key = json_string_value(json_object_get(c, "count"));
	const char *expect_id = json_string_value(json_object_get(c, "expect_id"));
	char summary[256], why[1200];
	long n;
	int rc;

	rc = case_request(run, c, &cr, err);
	if (rc) {
		free(cr.body);
		free(cr.endpoint);
		return rc;
	}
	if (!feature)
		feature = ph_rules_lookup_endpoint(s->rules, cr.endpoint)->key;
	memset(&row, 0, sizeof(row));
	memset(&res, 0, sizeof(res));
	row.feature = feature;
	row.case_name = json_string_value(json_object_get(c, "name"));
	ph_err_clear(&ea);
	ph_err_clear(&eb);
	/* alternate who is asked first, case by case: the first is often slower on a busy machine */
	if (run->rows % 2) {
		host_http(run, PH_CANDIDATE, &cr.req, &b, &eb);
		host_http(run, PH_REFERENCE, &cr.req, &a, &ea);
	} else {
		host_http(run, PH_REFERENCE, &cr.req, &a, &ea);
		host_http(run, PH_CANDIDATE, &cr.req, &b, &eb);
	}
	row.latency_reference_ms = a.latency_ms;
	row.latency_candidate_ms = b.latency_ms;
	if (a.error || b.error) {
		snprintf(why, sizeof(why), "%s%s%s%s%s%s", a.error ? "reference: " : "",
			 a.error ? a.error : "", a.error && b.error ? "; " : "",
			 b.error ? "candidate: " : "", b.error ? b.error : "", "");
		row.cls = PH_ERROR;
		row.error = why;
		row.reference = a.error ? "no answer" : "answered";
		rc = host_record(run, &row);
		goto out;
	}
	n = count_of(&a, count_key);
	if (n >= 0)
		snprintf(summary, sizeof(summary), "%ld, %ld %s", a.status, n, count_key);
	else
		snprintf(summary, sizeof(summary), "%ld", a.status);
	row.reference = summary;
	/* a request that may not be sent again is one sample: its latency is kept for the
	 * row, not judged (a single slow answer is never a timing divergence) */
	{
		double la = a.latency_ms, lb = b.latency_ms;

		if (!repeatable(c, cr.req.method))
			a.latency_ms = b.latency_ms = -1;
		rc = compare_canonical(run, cr.endpoint, &a, &b, &res, err);
		a.latency_ms = la;
		b.latency_ms = lb;
	}
	if (rc) {
		row.cls = PH_ERROR;
		row.error = err->msg;
		rc = host_record(run, &row);
		goto out;
	}
	if (expect_id) {
		if (has_result_id(&a, expect_id) != 1) {
			snprintf(why, sizeof(why),
				 "the reference runtime did not return the expected id '%s': the "
				 "suite or fixture is wrong",
				 expect_id);
			row.cls = PH_ERROR;
			row.error = why;
		} else if (has_result_id(&b, expect_id) != 1) {
			snprintf(why, sizeof(why), "the candidate did not recall '%s'", expect_id);
			add_divergence(&res, PH_SEMANTIC, "expect", "results", json_string(expect_id),
				       NULL, why);
		}
	}
	if (res.verdict == PH_TIMING && repeatable(c, cr.req.method)) {
		json_t *med;

		host_timing_confirm(run, &cr.req, NULL, &res, &timing, err);
		if ((med = json_object_get(timing, "median_ms"))) {
			row.latency_reference_ms = json_number_value(json_object_get(med, "reference"));
			row.latency_candidate_ms = json_number_value(json_object_get(med, "candidate"));
		}
	}
	row.result = &res;
	rc = host_record(run, &row);
	if (!rc && timing) {
		annotate_last_row(run, "samples_ms", json_incref(json_object_get(timing, "samples_ms")));
		annotate_last_row(run, "flaky", json_incref(json_object_get(timing, "flaky")));
	}
out:
	json_decref(timing);
	ph_result_release(&res);
	ph_response_release(&a);
	ph_response_release(&b);
	free(cr.body);
	free(cr.endpoint);
	return rc;
}

static json_t *column_value(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer((json_int_t)sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_TEXT: {
		const char *t = (const char *)sqlite3_column_text(st, i);
		json_t *v = json_stringn(t, (size_t)sqlite3_column_bytes(st, i));

		return v ? v : json_string("<invalid UTF-8>");
	}
	case SQLITE_BLOB: {
		const unsigned char *p = sqlite3_column_blob(st, i);
		int n = sqlite3_column_bytes(st, i), k;
		char *hex = malloc((size_t)n * 2 + 4);
		json_t *v;

		if (!hex)
			return NULL;
		strcpy(hex, "x'");
		for (k = 0; k < n; k++)
			snprintf(hex + 2 + k * 2, 3, "%02x", p[k]);
		strcpy(hex + 2 + n * 2, "'");
		v = json_string(hex);
		free(hex);
		return v;
	}
	default:
		return json_null();
	}
}

static int host_db_query(struct ph_run *run, enum ph_side side, const char *sql, json_t **rows,
			 struct ph_err *err)
{
	const char *ws = run->s->side[side].workspace;
	size_t n = strlen(ws) + strlen(run->s->cfg.database) + 2;
	char *path = malloc(n);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	*rows = NULL;
	if (!path)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	snprintf(path, n, "%s/%s", ws, run->s->cfg.database);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open '%s': %s", path,
			      db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "%s: cannot prepare '%s': %s", path, sql,
			      sqlite3_errmsg(db));
		goto out;
	}
	*rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();
		int i;

		for (i = 0; i < sqlite3_column_count(st); i++)
			json_object_set_new(row, sqlite3_column_name(st, i), column_value(st, i));
		json_array_append_new(*rows, row);
	}
	if (rc != SQLITE_DONE) {
		rc = ph_error(err, PH_E_DB, "%s: '%s': %s", path, sql, sqlite3_errmsg(db));
		json_decref(*rows);
		*rows = NULL;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return rc;
}

static int host_runtime_restart(struct ph_run *run, enum ph_side side, const char *workspace,
				struct ph_err *err)
{
	return ph_session_start_side(run->s, side, workspace, err);
}

static int host_runtime_stop(struct ph_run *run, enum ph_side side, int hard,
			     struct ph_err *err)
{
	return ph_session_stop_side(run->s, side, hard, err);
}

/* The domain's own copy of the side's request log (session.h ph_session_llm_domain). */
static const char *host_llm_log(struct ph_run *run, enum ph_side side)
{
	return run->s->side[side].llm_log;
}

static int host_verify_schema(struct ph_run *run, const char *a, const char *b,
			      json_t **differences, struct ph_err *err)
{
	json_t *sa = NULL, *sb = NULL;
	int rc;

	(void)run;
	*differences = NULL;
	rc = ph_schema_load(a, &sa, err);
	if (!rc)
		rc = ph_schema_load(b, &sb, err);
	if (!rc)
		rc = ph_schema_diff(sa, sb, differences, err);
	json_decref(sa);
	json_decref(sb);
	return rc;
}

static const char *host_param(struct ph_run *run, const char *name)
{
	return json_string_value(json_object_get(run->s->params, name));
}

static const char *host_home(struct ph_run *run, enum ph_side side)
{
	return run->s->side[side].home;
}

/* The key for machine_id (NULL: this machine's), after libsodium is initialised. */
static int secrets_key(const char *machine_id, unsigned char key[PH_SECRETS_KEYBYTES],
		       struct ph_err *err)
{
	char mid[PH_SECRETS_MACHINE_ID_MAX];
	int rc;

	if ((rc = ph_secrets_init(err)) || (rc = ph_secrets_machine_id(machine_id, mid,
								       sizeof(mid), err)))
		return rc;
	rc = ph_secrets_derive_key(mid, key, err);
	sodium_memzero(mid, sizeof(mid));
	return rc;
}

static int host_secrets_check(struct ph_run *run, const char *path, const char *machine_id,
			      json_t **report, struct ph_err *err)
{
	unsigned char key[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f = { 0 };
	struct ph_secrets_check c = { 0 };
	json_t *entries;
	size_t i;
	int rc;

	(void)run;
	*report = NULL;
	if ((rc = secrets_key(machine_id, key, err)))
		return rc;
	if (!(rc = ph_secrets_file_load(path, &f, err)))
		rc = ph_secrets_check(&f, key, &c, err);
	sodium_memzero(key, sizeof(key));
	if (rc) {
		ph_secrets_file_release(&f);
		return rc;
	}
	entries = json_array();
	for (i = 0; i < c.n; i++)
		json_array_append_new(entries,
				      json_pack("{s:s, s:s}", "name", c.items[i].name, "status",
						c.items[i].name_valid ?
							ph_secret_status_str(c.items[i].status) :
							"invalid name"));
	*report = json_pack("{s:o, s:I, s:I}", "entries", entries, "n_ok", (json_int_t)c.n_ok,
			    "n_failed", (json_int_t)c.n_failed);
	ph_secrets_check_release(&c);
	ph_secrets_file_release(&f);
	return *report ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
}

static int host_secrets_verify(struct ph_run *run, const char *a, const char *b,
			       const char *machine_id_a, const char *machine_id_b,
			       json_t **report, struct ph_err *err)
{
	unsigned char ka[PH_SECRETS_KEYBYTES], kb[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file fa = { 0 }, fb = { 0 };
	struct ph_secrets_verify v = { 0 };
	json_t *diffs;
	size_t i;
	int rc;

	(void)run;
	*report = NULL;
	if (!(rc = secrets_key(machine_id_a, ka, err)) && !(rc = secrets_key(machine_id_b, kb, err)) &&
	    !(rc = ph_secrets_file_load(a, &fa, err)) && !(rc = ph_secrets_file_load(b, &fb, err)))
		rc = ph_secrets_verify(&fa, ka, &fb, kb, &v, err);
	sodium_memzero(ka, sizeof(ka));
	sodium_memzero(kb, sizeof(kb));
	if (!rc) {
		diffs = json_array();
		for (i = 0; i < v.n_diffs; i++) {
			const struct ph_secrets_diff *d = &v.diffs[i];
			json_t *o = json_pack("{s:s, s:s}", "name", d->name, "kind",
					      ph_secrets_diff_kind_str(d->kind));

			if (d->kind == PH_SECRETS_FAILS_A || d->kind == PH_SECRETS_FAILS_B)
				json_object_set_new(o, "status",
						    json_string(ph_secret_status_str(d->status)));
			json_array_append_new(diffs, o);
		}
		*report = json_pack("{s:I, s:o}", "n_same", (json_int_t)v.n_same, "diffs", diffs);
		if (!*report)
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
	}
	ph_secrets_verify_release(&v);
	ph_secrets_file_release(&fa);
	ph_secrets_file_release(&fb);
	return rc;
}

static int host_secrets_copy(struct ph_run *run, const char *src, const char *src_machine_id,
			     const char *dst, const char *dst_machine_id, struct ph_err *err)
{
	unsigned char ks[PH_SECRETS_KEYBYTES], kd[PH_SECRETS_KEYBYTES];
	struct ph_secrets_file f = { 0 };
	const char **names = NULL;
	size_t i, n;
	int rc;

	(void)run;
	if (!strcmp(src, dst))
		return ph_error(err, PH_E_INVALID, "'%s': a secrets file is never copied onto itself",
				src);
	if ((rc = secrets_key(src_machine_id, ks, err)) || (rc = secrets_key(dst_machine_id, kd, err)))
		goto out;
	if (sodium_memcmp(ks, kd, sizeof(ks)) == 0) {
		/* same key: the very bytes, once they are known to be a secrets file */
		char *data = NULL;
		size_t len = 0;

		if (!(rc = ph_file_read(src, PH_SECRETS_FILE_MAX, &data, &len, err)) &&
		    !(rc = ph_secrets_file_parse(src, data, len, &f, err)))
			rc = ph_file_write_atomic(dst, data, len, 0600, err);
		free(data);
		goto out;
	}
	if ((rc = ph_secrets_file_load(src, &f, err)))
		goto out;
	{
		n = ph_secrets_file_names(&f, &names);
		if (n == (size_t)-1) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < n && !rc; i++) {
			struct ph_secret_entry e;
			enum ph_secret_status st;
			unsigned char *value = NULL;
			size_t len = 0;
			char *updated;

			if (ph_secrets_file_entry(&f, names[i], &e) || !e.ciphertext)
				continue;
			if (ph_secrets_decrypt(ks, e.ciphertext, &st, &value, &len)) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				break;
			}
			if (st == PH_SECRET_OK) {
				updated = e.updated ? strdup(e.updated) : NULL;
				rc = ph_secrets_file_put(&f, kd, names[i], value, len, updated, err);
				free(updated);
			}
			ph_secrets_value_free(value, len);
		}
	}
	if (!rc)
		rc = ph_secrets_file_save(&f, dst, err);
out:
	sodium_memzero(ks, sizeof(ks));
	sodium_memzero(kd, sizeof(kd));
	free(names);
	ph_secrets_file_release(&f);
	return rc;
}

static const char *host_runtime_env(struct ph_run *run, enum ph_side side, const char *name)
{
	const struct ph_runtime_spec *spec = &run->s->cfg.runtimes[side];
	size_t i, n = strlen(name);

	for (i = 0; spec->env && spec->env[i]; i++)
		if (!strncmp(spec->env[i], name, n) && spec->env[i][n] == '=')
			return spec->env[i] + n + 1;
	return NULL;
}

static int host_annotate(struct ph_run *run, const char *key, json_t *value)
{
	if (!value)
		return PH_E_INVALID;
	annotate_last_row(run, key, json_incref(value));
	return 0;
}

/* ---- stdio companions (MCP over stdio) ---- */

#define MAX_OPEN_STDIO 8

/* The channels plugins have open, with the run that opened them. */
static struct {
	struct ph_run *run;
	struct ph_stdio *io;
} open_stdio[MAX_OPEN_STDIO];

static int host_stdio_open(struct ph_run *run, enum ph_side side, const char *key,
			   struct ph_stdio **io, struct ph_err *err)
{
	const struct ph_runtime_spec *rt = &run->s->cfg.runtimes[side], *cmd;
	struct ph_placeholders ph;
	char *logp;
	size_t slot;
	int rc;

	if (io)
		*io = NULL;
	if (!key || !ph_runtime_companion_key(key))
		return ph_error(err, PH_E_INVALID, "stdio_open: unknown command key '%s'",
				key ? key : "(null)");
	if (!(cmd = ph_runtime_spec_companion(rt, key)))
		return ph_error(err, PH_E_NOTFOUND, "%s runtime '%s': %s names no %s", rt->role,
				rt->name, run->s->cfg.path, key);
	if (!io)
		return 0;
	for (slot = 0; slot < MAX_OPEN_STDIO && open_stdio[slot].io; slot++)
		;
	if (slot == MAX_OPEN_STDIO)
		return ph_error(err, PH_E_INVALID, "stdio_open: more than %d open at once",
				MAX_OPEN_STDIO);
	ph_session_placeholders(run->s, side, &ph);
	/* the log takes the companion's name after the runtime's: "-<key, '_' as '-'>" */
	if (!(logp = ph_session_log_path(run->s, side, cmd->name + strlen(rt->name))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = ph_stdio_open(io, cmd, &ph, logp, err);
	if (!rc) {
		open_stdio[slot].run = run;
		open_stdio[slot].io = *io;
		ph_session_log(run->s, "%s: %s: %.*s stdio started, log %s", run->domain,
			       side ? "candidate" : "reference",
			       (int)(strlen(key) - strlen("_stdio")), key, logp);
	}
	free(logp);
	return rc;
}

static void host_stdio_close(struct ph_stdio *io)
{
	if (!io)
		return;
	for (size_t i = 0; i < MAX_OPEN_STDIO; i++)
		if (open_stdio[i].io == io)
			open_stdio[i].io = NULL, open_stdio[i].run = NULL;
	ph_stdio_close(io);
}

static int host_runtimes_fresh(struct ph_run *run, const char *label, struct ph_err *err)
{
	if (!label)
		return ph_error(err, PH_E_INVALID, "runtimes_fresh: no label");
	return ph_session_restart_fresh(run->s, run->domain, label, err);
}

static int host_canon_add(struct ph_run *run, enum ph_side side, const char *value,
			  const char *name, struct ph_err *err)
{
	struct ph_canon *c = ph_session_canon(run->s, side);

	if (!name || name[0] != '{' || name[strlen(name) - 1] != '}')
		return ph_error(err, PH_E_INVALID, "canon_add: name '%s' is not of the form {...}",
				name ? name : "(null)");
	if (!c)
		return ph_error(err, PH_E_INVALID, "canon_add: the %s runtime is not running",
				side ? "candidate" : "reference");
	return ph_canon_add(c, value, name, PH_CANON_SUBSTRING, err);
}

static int host_timing_samples(struct ph_run *run, const double *a, size_t na, const double *b,
			       size_t nb, double min_delta_ms, struct ph_result *res,
			       json_t **info, struct ph_err *err)
{
	double *sa = NULL, *sb = NULL, ma, mb, p;
	json_t *ja = json_array(), *jb = json_array();
	size_t i;
	int rc = 0;

	if (info)
		*info = NULL;
	if (!na || !nb || !ja || !jb || !(sa = malloc(na * sizeof(*sa))) ||
	    !(sb = malloc(nb * sizeof(*sb)))) {
		json_decref(ja);
		json_decref(jb);
		free(sa);
		return na && nb ? ph_error(err, PH_E_NOMEM, "out of memory") : 0;
	}
	for (i = 0; i < na; i++)
		json_array_append_new(ja, json_real(sa[i] = a[i]));
	for (i = 0; i < nb; i++)
		json_array_append_new(jb, json_real(sb[i] = b[i]));
	ma = ph_median(sa, na);
	mb = ph_median(sb, nb);
	p = ph_mann_whitney_p(a, na, b, nb);
	if (ph_timing_diverges(&run->s->cfg.timing, ma, mb) && fabs(ma - mb) > min_delta_ms &&
	    p < run->s->cfg.timing_alpha) {
		char msg[200];

		snprintf(msg, sizeof(msg),
			 "median %.1f ms -> %.1f ms over %zu and %zu samples (Mann-Whitney p %.3g)",
			 ma, mb, na, nb, p);
		rc = add_divergence(res, PH_TIMING, "latency", "", json_real(ma), json_real(mb),
				    msg);
	}
	if (info)
		*info = json_pack("{s:{s:o, s:o}, s:{s:f, s:f}, s:f}", "samples_ms", "reference", ja,
				  "candidate", jb, "median_ms", "reference", ma, "candidate", mb,
				  "mann_whitney_p", p);
	else {
		json_decref(ja);
		json_decref(jb);
	}
	free(sa);
	free(sb);
	return rc;
}

void ph_host_run_finish(struct ph_run *run)
{
	for (size_t i = 0; i < MAX_OPEN_STDIO; i++)
		if (open_stdio[i].io && open_stdio[i].run == run)
			host_stdio_close(open_stdio[i].io);
}

static const struct ph_host host = {
	.abi_major = PH_ABI_MAJOR,
	.abi_minor = PH_ABI_MINOR,
	.size = sizeof(struct ph_host),
	.log = host_log,
	.domain = host_domain,
	.suite_dir = host_suite_dir,
	.repo_dir = host_repo_dir,
	.out_dir = host_out_dir,
	.workspace = host_workspace,
	.runtime_name = host_runtime_name,
	.http = host_http,
	.response_release = ph_response_release,
	.compare = host_compare,
	.compare_json = host_compare_json,
	.result_release = ph_result_release,
	.http_case = host_http_case,
	.record = host_record,
	.progress = host_progress,
	.db_query = host_db_query,
	.runtime_restart = host_runtime_restart,
	.runtime_stop = host_runtime_stop,
	.llm_log = host_llm_log,
	.verify_schema = host_verify_schema,
	.param = host_param,
	.home = host_home,
	.secrets_check = host_secrets_check,
	.secrets_verify = host_secrets_verify,
	.secrets_copy = host_secrets_copy,
	.runtime_env = host_runtime_env,
	.timing_confirm = host_timing_confirm,
	.annotate = host_annotate,
	.stdio_open = host_stdio_open,
	.stdio_send = ph_stdio_send,
	.stdio_recv = ph_stdio_recv,
	.stdio_close = host_stdio_close,
	.runtimes_fresh = host_runtimes_fresh,
	.canon_add = host_canon_add,
	.timing_samples = host_timing_samples,
};

const struct ph_host *ph_host_table(void)
{
	return &host;
}
