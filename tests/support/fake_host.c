/*
 * The fake host of fake_host.h: each entry of the host table over the struct fake_host
 * the run handle points at.
 */
#include "fake_host.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/result.h"

static struct fake_host *F(struct ph_run *run)
{
	return (struct fake_host *)run;
}

/* Logged lines are kept whole: "<level>: <text>". */
static void fake_log(struct ph_run *run, enum ph_log_level level, const char *fmt, ...)
{
	static const char *const names[] = {"debug", "info", "warning", "error"};
	json_t *text;
	va_list ap;

	va_start(ap, fmt);
	text = json_vsprintf(fmt, ap);
	va_end(ap);
	if (run && text)
		json_array_append_new(F(run)->log, json_sprintf("%s: %s", names[level],
								json_string_value(text)));
	json_decref(text);
}

static const char *fake_domain(struct ph_run *run)
{
	return F(run)->domain;
}

static const char *fake_suite_dir(struct ph_run *run)
{
	return F(run)->suite_dir;
}

static const char *fake_repo_dir(struct ph_run *run)
{
	return F(run)->repo_dir;
}

static const char *fake_out_dir(struct ph_run *run)
{
	return F(run)->out_dir;
}

static const char *fake_workspace(struct ph_run *run, enum ph_side side)
{
	return F(run)->workspace[side];
}

static const char *fake_home(struct ph_run *run, enum ph_side side)
{
	return F(run)->home[side];
}

static const char *fake_runtime_name(struct ph_run *run, enum ph_side side)
{
	return F(run)->runtime_name[side];
}

static const char *fake_llm_log(struct ph_run *run, enum ph_side side)
{
	return F(run)->llm_log[side];
}

static const char *fake_param(struct ph_run *run, const char *name)
{
	return json_string_value(json_object_get(F(run)->params, name));
}

static const char *fake_runtime_env(struct ph_run *run, enum ph_side side, const char *name)
{
	return json_string_value(json_object_get(F(run)->env[side], name));
}

/* ---- HTTP ---- */

static void record_request(struct fake_host *fh, enum ph_side side, const struct ph_request *req)
{
	json_t *h = json_object();

	for (size_t i = 0; i < req->n_headers; i++)
		json_object_set_new(h, req->headers[i].name, json_string(req->headers[i].value));
	json_t *r = json_pack("{s:i, s:s, s:s, s:o}", "side", (int)side, "method", req->method,
			      "path", req->path, "headers", h);

	if (req->body)
		json_object_set_new(r, "body", json_stringn(req->body, req->body_len));
	json_array_append_new(fh->requests, r);
}

static void scripted(struct fake_host *fh, enum ph_side side, struct ph_response *resp)
{
	size_t n = json_array_size(fh->script[side]);
	json_t *a = n ? json_array_get(fh->script[side], fh->asked[side] < n ?
								  fh->asked[side] :
								  n - 1) :
			NULL;
	json_t *lat = json_object_get(a, "latency_ms");
	const char *body = a ? json_string_value(json_object_get(a, "body")) : "{}";
	const char *error = json_string_value(json_object_get(a, "error"));
	const char *ctype = json_string_value(json_object_get(a, "content_type"));

	resp->status = a ? (long)json_integer_value(json_object_get(a, "status")) : 200;
	resp->latency_ms = json_is_number(lat) ? json_number_value(lat) : 1;
	if (error) {
		resp->status = 0;
		resp->error = strdup(error);
		return;
	}
	if (body) {
		resp->body = strdup(body);
		resp->body_len = strlen(body);
	}
	resp->content_type = strdup(ctype ? ctype : "application/json");
}

static int fake_http(struct ph_run *run, enum ph_side side, const struct ph_request *req,
		     struct ph_response *resp, struct ph_err *err)
{
	struct fake_host *fh = F(run);
	int rc = 0;

	memset(resp, 0, sizeof(*resp));
	resp->latency_ms = -1;
	record_request(fh, side, req);
	if (fh->respond)
		rc = fh->respond(fh, side, req, resp);
	else
		scripted(fh, side, resp);
	fh->asked[side]++;
	if (!rc && resp->error)
		rc = ph_error(err, PH_E_HTTP, "%s", resp->error);
	return rc;
}

static void fake_response_release(struct ph_response *r)
{
	free(r->body);
	free(r->content_type);
	free(r->error);
	json_decref(r->headers);
	memset(r, 0, sizeof(*r));
}

/* ---- comparison ---- */

static void fake_result_release(struct ph_result *r)
{
	ph_result_clear(r);
	free(r->rule);
	r->rule = NULL;
}

/* Bodies alike: equal JSON when both parse, else equal bytes. */
static int bodies_alike(const struct ph_response *a, const struct ph_response *b)
{
	json_t *ja = a->body ? json_loadb(a->body, a->body_len, JSON_DECODE_ANY, NULL) : NULL;
	json_t *jb = b->body ? json_loadb(b->body, b->body_len, JSON_DECODE_ANY, NULL) : NULL;
	int same;

	if (ja && jb)
		same = json_equal(ja, jb);
	else
		same = a->body_len == b->body_len &&
		       (!a->body_len || !memcmp(a->body, b->body, a->body_len));
	json_decref(ja);
	json_decref(jb);
	return same;
}

static int fake_compare(struct ph_run *run, const char *endpoint, const struct ph_response *a,
			const struct ph_response *b, struct ph_result *out, struct ph_err *err)
{
	(void)run;
	(void)err;
	memset(out, 0, sizeof(*out));
	out->rule = strdup(endpoint);
	if (a->error || b->error)
		return ph_result_add(out, PH_ERROR, "transport", "", NULL, NULL, "no answer");
	if (a->status != b->status)
		ph_result_addf(out, PH_STRUCTURAL, "status", "", json_integer(a->status),
			       json_integer(b->status), "status %ld -> %ld", a->status, b->status);
	else if (!bodies_alike(a, b))
		ph_result_add(out, PH_SEMANTIC, "value", "", NULL, NULL, "the bodies differ");
	if (a->latency_ms >= 0 && b->latency_ms >= 0 &&
	    fabs(a->latency_ms - b->latency_ms) > FAKE_TIMING_GAP_MS)
		ph_result_addf(out, PH_TIMING, "latency", "", json_real(a->latency_ms),
			       json_real(b->latency_ms), "latency %.0f ms -> %.0f ms",
			       a->latency_ms, b->latency_ms);
	return 0;
}

static int fake_compare_json(struct ph_run *run, const char *rule_key, const json_t *a,
			     const json_t *b, struct ph_result *out, struct ph_err *err)
{
	(void)run;
	(void)err;
	memset(out, 0, sizeof(*out));
	out->rule = strdup(rule_key ? rule_key : "default");
	if (!a != !b || (a && !json_equal(a, b)))
		ph_result_add(out, PH_SEMANTIC, "value", "", a ? json_deep_copy(a) : NULL,
			      b ? json_deep_copy(b) : NULL, "the documents differ");
	return 0;
}

/* Keep the timing divergence (confirm_keeps) or drop it as flaky, as the host decides. */
static int fake_timing_confirm(struct ph_run *run, const struct ph_request *ref_req,
			       const struct ph_request *cand_req, struct ph_result *res,
			       json_t **info, struct ph_err *err)
{
	struct fake_host *fh = F(run);
	struct ph_result kept = {0};

	(void)ref_req;
	(void)cand_req;
	(void)err;
	fh->confirms++;
	*info = json_pack("{s:{s:[f], s:[f]}}", "samples_ms", "reference", 1.0, "candidate",
			  200.0);
	if (fh->confirm_keeps) {
		json_object_set_new(*info, "median_ms",
				    json_pack("{s:f, s:f}", "reference", 1.0, "candidate", 200.0));
		return 0;
	}
	for (size_t i = 0; i < res->count; i++) {
		struct ph_divergence *d = &res->items[i];

		if (d->cls != PH_TIMING)
			ph_result_add(&kept, d->cls, d->kind, d->path, json_incref(d->a),
				      json_incref(d->b), d->message);
	}
	ph_result_clear(res);
	res->items = kept.items;
	res->count = kept.count;
	res->verdict = kept.verdict;
	json_object_set_new(*info, "flaky",
			    json_pack("{s:s, s:i}", "class", "timing", "retries", 1));
	return 0;
}

/* ---- rows ---- */

static json_t *divergences_of(const struct ph_result *res)
{
	json_t *arr = json_array();

	for (size_t i = 0; res && i < res->count; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "class",
						     ph_class_name(res->items[i].cls), "kind",
						     res->items[i].kind, "path", res->items[i].path,
						     "message", res->items[i].message));
	return arr;
}

static int fake_record(struct ph_run *run, const struct ph_row *row)
{
	enum ph_class cls = row->cls;

	if (row->result && row->result->verdict > cls)
		cls = row->result->verdict;
	json_array_append_new(
	    F(run)->rows,
	    json_pack("{s:s?, s:s?, s:s?, s:s, s:s?, s:o, s:{s:f, s:f}, s:{}}", "feature",
		      row->feature, "case", row->case_name, "reference", row->reference, "class",
		      ph_class_name(cls), "error", row->error, "divergences",
		      divergences_of(row->result), "latency_ms", "reference",
		      row->latency_reference_ms, "candidate", row->latency_candidate_ms, "notes"));
	return 0;
}

static int fake_annotate(struct ph_run *run, const char *key, json_t *value)
{
	json_t *rows = F(run)->rows, *last = json_array_get(rows, json_array_size(rows) - 1);

	if (!last || !value)
		return PH_E_INVALID;
	json_object_set(json_object_get(last, "notes"), key, value);
	return 0;
}

static void fake_progress(struct ph_run *run, int done, int total)
{
	F(run)->done = done;
	F(run)->total = total;
}

/* ---- runtimes ---- */

static int fake_runtime_restart(struct ph_run *run, enum ph_side side, const char *workspace,
				struct ph_err *err)
{
	(void)side;
	(void)workspace;
	(void)err;
	F(run)->restarts++;
	return 0;
}

static int fake_runtime_stop(struct ph_run *run, enum ph_side side, int hard, struct ph_err *err)
{
	(void)side;
	(void)hard;
	(void)err;
	F(run)->stops++;
	return 0;
}

static int fake_runtimes_fresh(struct ph_run *run, const char *label, struct ph_err *err)
{
	(void)label;
	(void)err;
	F(run)->fresh++;
	return 0;
}

static int fake_canon_add(struct ph_run *run, enum ph_side side, const char *value,
			  const char *name, struct ph_err *err)
{
	(void)err;
	json_array_append_new(F(run)->canon, json_pack("{s:i, s:s, s:s}", "side", (int)side,
						       "value", value, "name", name));
	return 0;
}

/* ---- the fake ---- */

void fake_host_init(struct fake_host *fh)
{
	memset(fh, 0, sizeof(*fh));
	fh->host.abi_major = PH_ABI_MAJOR;
	fh->host.abi_minor = PH_ABI_MINOR;
	fh->host.size = sizeof(struct ph_host);
	fh->host.log = fake_log;
	fh->host.domain = fake_domain;
	fh->host.suite_dir = fake_suite_dir;
	fh->host.repo_dir = fake_repo_dir;
	fh->host.out_dir = fake_out_dir;
	fh->host.workspace = fake_workspace;
	fh->host.runtime_name = fake_runtime_name;
	fh->host.http = fake_http;
	fh->host.response_release = fake_response_release;
	fh->host.compare = fake_compare;
	fh->host.compare_json = fake_compare_json;
	fh->host.result_release = fake_result_release;
	fh->host.record = fake_record;
	fh->host.progress = fake_progress;
	fh->host.runtime_restart = fake_runtime_restart;
	fh->host.runtime_stop = fake_runtime_stop;
	fh->host.llm_log = fake_llm_log;
	fh->host.param = fake_param;
	fh->host.home = fake_home;
	fh->host.runtime_env = fake_runtime_env;
	fh->host.timing_confirm = fake_timing_confirm;
	fh->host.annotate = fake_annotate;
	fh->host.runtimes_fresh = fake_runtimes_fresh;
	fh->host.canon_add = fake_canon_add;
	fh->domain = "fake";
	fh->runtime_name[PH_REFERENCE] = "reference";
	fh->runtime_name[PH_CANDIDATE] = "candidate";
	fh->params = json_object();
	fh->env[0] = json_object();
	fh->env[1] = json_object();
	fh->script[0] = json_array();
	fh->script[1] = json_array();
	fh->requests = json_array();
	fh->rows = json_array();
	fh->log = json_array();
	fh->canon = json_array();
}

void fake_host_release(struct fake_host *fh)
{
	json_decref(fh->params);
	json_decref(fh->env[0]);
	json_decref(fh->env[1]);
	json_decref(fh->script[0]);
	json_decref(fh->script[1]);
	json_decref(fh->requests);
	json_decref(fh->rows);
	json_decref(fh->log);
	json_decref(fh->canon);
	memset(fh, 0, sizeof(*fh));
}

struct ph_run *fake_host_run(struct fake_host *fh)
{
	return (struct ph_run *)fh;
}

struct fake_host *fake_host_of(struct ph_run *run)
{
	return F(run);
}

void fake_host_answer(struct fake_host *fh, enum ph_side side, long status, const char *body,
		      double latency_ms)
{
	json_array_append_new(fh->script[side], json_pack("{s:I, s:s?, s:f}", "status",
							  (json_int_t)status, "body", body,
							  "latency_ms", latency_ms));
}

void fake_host_fail(struct fake_host *fh, enum ph_side side, const char *error)
{
	json_array_append_new(fh->script[side], json_pack("{s:s}", "error", error));
}

json_t *fake_host_row(const struct fake_host *fh, const char *case_name)
{
	json_t *row, *found = NULL;
	size_t i;

	json_array_foreach(fh->rows, i, row)
	{
		const char *c = json_string_value(json_object_get(row, "case"));

		if (c && !strcmp(c, case_name))
			found = row;
	}
	return found;
}

const char *fake_host_row_class(const struct fake_host *fh, const char *case_name)
{
	return json_string_value(json_object_get(fake_host_row(fh, case_name), "class"));
}
