/*
 * A case's steps on both runtimes. Each step is sent to both through the case exchange
 * (its "$response.<path>" values taken from the same side's previous answer), and makes
 * up to three rows, all under the feature "METHOD /path":
 *
 *   <case>[/<step>]            the two answers compared under the run's rules, with the
 *                              case's ignoreJsonPaths and redactions left out of both;
 *   <case>[/<step>] expected   each side against the case's expectedResponse and
 *                              expectedInternalState: class expectation when one broke;
 *   <case>[/<step>] state      what the step changed in each database, and the rows the
 *                              case's expectedInternalState selects, compared under the
 *                              rule "REPLAY /state" (annotated depth "state").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parity/exchange.h"
#include "parity/http_case.h"
#include "parity/result.h"
#include "parity/row.h"
#include "replay.h"

#define STATE_RULE "REPLAY /state"

struct step_ctx {
	struct rp_run *r;
	struct rp_case *c;
	const json_t *want;          /* the step's expectedResponse */
	json_t *raw[2];              /* each side's answer as JSON, redactions applied */
	struct ph_result expect;     /* broken expectations of both sides */
	int expect_failed;           /* out of memory while checking */
};

/* Replace the non-empty strings path selects in doc by "<redacted>". */
static void redact(json_t *doc, const json_t *redactions)
{
	json_t *p, *sel, *v;
	size_t i, j;
	char path[300];

	json_array_foreach(redactions, i, p)
	{
		if (!json_is_string(p))
			continue;
		snprintf(path, sizeof(path), "$.%s", json_string_value(p));
		if (!(sel = rp_path_select(doc, path, NULL)))
			continue;
		json_array_foreach(sel, j, v) if (json_is_string(v) && json_string_length(v))
		    json_string_set(v, "<redacted>");
		json_decref(sel);
	}
}

static const json_t *redactions_of(const struct rp_case *c)
{
	return json_object_get(json_object_get(c->doc, "seed"), "redactions");
}

static int rewrite(void *ctx, enum ph_side side, struct ph_response pair[2], struct ph_err *err)
{
	struct step_ctx *s = ctx;
	struct ph_response *r = &pair[side];
	json_t *body, *p;
	size_t i;

	if (r->error)
		return 0;
	body = ph_exchange_body_json(r);
	if (body)
		redact(body, redactions_of(s->c));
	json_decref(s->raw[side]);
	s->raw[side] = body;
	if (s->want && rp_expect_response(s->want, side, r, body, s->c->tolerance, &s->expect))
		s->expect_failed = 1;
	if (!body)
		return 0;
	/* what the case calls volatile is left out of the comparison on both sides */
	body = json_deep_copy(body);
	json_array_foreach(json_object_get(s->want, "ignoreJsonPaths"), i, p)
		if (json_is_string(p))
			rp_path_remove(body, json_string_value(p));
	if (!body || ph_exchange_body_set(r, body, JSON_COMPACT | JSON_SORT_KEYS)) {
		json_decref(body);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	json_decref(body);
	return 0;
}

/*
 * A copy of v with every string "$response.<path>" replaced by what <path> holds in prev
 * (the same side's previous answer; null when it holds nothing).
 */
static json_t *substitute(const json_t *v, const json_t *prev)
{
	const char *k;
	json_t *x, *out;
	size_t i;

	if (json_is_string(v) && !strncmp(json_string_value(v), "$response.", 10)) {
		char path[300];
		json_t *sel;

		snprintf(path, sizeof(path), "$.%s", json_string_value(v) + 10);
		sel = prev ? rp_path_select(prev, path, NULL) : NULL;
		out = json_array_size(sel) ? json_incref(json_array_get(sel, 0)) : json_null();
		json_decref(sel);
		return out;
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, x) json_object_set_new(out, k, substitute(x, prev));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, x) json_array_append_new(out, substitute(x, prev));
		return out;
	}
	return json_deep_copy(v);
}

/* The declarative case (parity/http_case.h) of a step's request on one side (new). */
static json_t *side_case(const char *name, const json_t *req, const json_t *prev)
{
	json_t *c = json_pack("{s:s, s:O, s:O}", "name", name, "method",
			      json_object_get(req, "method"), "path", json_object_get(req, "path"));
	const json_t *body = json_object_get(req, "body"), *hdrs = json_object_get(req, "headers");
	json_t *h;
	const char *k;

	if (!c)
		return NULL;
	if (body && !json_is_null(body))
		json_object_set_new(c, json_is_string(body) ? "body_text" : "body",
				    substitute(body, prev));
	if (json_is_object(hdrs)) {
		/* a header whose value is not text (a $response that held none) is not sent */
		json_t *sub = substitute(hdrs, prev), *out = json_object();

		json_object_foreach(sub, k, h) if (json_is_string(h)) json_object_set(out, k, h);
		json_object_set_new(c, "headers", out);
		json_decref(sub);
	}
	return c;
}

static void summary(void *ctx, const struct ph_response *ref, char *buf, size_t cap)
{
	(void)ctx;
	snprintf(buf, cap, "%ld", ref->status);
}

static const char *held(size_t broken, char *buf, size_t cap)
{
	if (!broken)
		return "held";
	snprintf(buf, cap, "%zu broken", broken);
	return buf;
}

/* The row of the step's expectations on both sides. */
static int record_expected(struct step_ctx *s, const char *feature, const char *case_name)
{
	char name[400], ref[200], b0[40], b1[40];
	size_t nb[2] = {0, 0}, i;
	struct ph_row row = {0};

	for (i = 0; i < s->expect.count; i++)
		nb[strncmp(s->expect.items[i].message, "candidate:", 10) == 0]++;
	snprintf(name, sizeof(name), "%s expected", case_name);
	snprintf(ref, sizeof(ref), "reference: %s; candidate: %s", held(nb[0], b0, sizeof(b0)),
		 held(nb[1], b1, sizeof(b1)));
	row.feature = feature;
	row.case_name = name;
	row.reference = ref;
	row.cls = s->expect.count ? PH_EXPECTATION : PH_PARITY;
	row.result = &s->expect;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	if (s->expect_failed)
		row.error = "out of memory while checking the expectations";
	return s->r->host->record(s->r->run, &row);
}

/* The state row: each side's changes since before[side] (which becomes the new state). */
static int record_state(struct step_ctx *s, const json_t *step, const char *feature,
			const char *route, const char *case_name, json_t *before[2])
{
	const struct ph_host *h = s->r->host;
	const json_t *norm = json_object_get(s->c->doc, "normalization");
	const json_t *want = json_object_get(step, "expectedInternalState");
	json_t *after[2] = {NULL, NULL}, *doc[2] = {NULL, NULL};
	struct ph_result res = {0};
	struct ph_err err;
	char name[400], ref[120];
	int side, rc = 0;

	snprintf(name, sizeof(name), "%s state", case_name);
	for (side = 0; side < 2; side++) {
		json_t *changes, *results = NULL;

		if (rp_state_snapshot(s->r, (enum ph_side)side, &after[side], &err) ||
		    (want && rp_state_expect(s->r, (enum ph_side)side, want, s->c->tolerance,
					     &results, &s->expect, &err))) {
			ph_error_prefix(&err, "%s", rp_sides[side]);
			rc = ph_row_error(h, s->r->run, feature, name, "not evaluated", err.msg);
			json_decref(results);
			goto out;
		}
		rp_state_name_new_rows(s->r, (enum ph_side)side, before[side], after[side], norm);
		changes = rp_state_changes(before[side], after[side], norm);
		doc[side] = json_pack("{s:o}", "changes", changes);
		if (results)
			json_object_set_new(doc[side], "expected", results);
	}
	if (h->compare_json(s->r->run, STATE_RULE, doc[0], doc[1], &res, &err)) {
		rc = ph_row_error(h, s->r->run, feature, name, "not evaluated", err.msg);
		goto out;
	}
	snprintf(ref, sizeof(ref), "%zu table%s changed",
		 json_object_size(json_object_get(doc[0], "changes")),
		 json_object_size(json_object_get(doc[0], "changes")) == 1 ? "" : "s");
	{
		struct ph_row row = {feature, name, ref, PH_PARITY, &res, -1, -1, NULL};

		rc = h->record(s->r->run, &row);
	}
	h->result_release(&res);
	if (!rc)
		ph_row_annotate_route(h, s->r->run, route, "state");
out:
	for (side = 0; side < 2; side++) {
		if (after[side]) { /* the state this step left is where the next one starts */
			json_decref(before[side]);
			before[side] = after[side];
			after[side] = NULL;
		}
		json_decref(doc[side]);
	}
	return rc;
}

static void annotate_case(struct rp_run *r, struct rp_case *c)
{
	if (json_array_size(c->unknown))
		r->host->annotate(r->run, "unknown_keys", c->unknown);
	if (json_array_size(c->not_applied))
		r->host->annotate(r->run, "not_applied", c->not_applied);
}

static int run_step(struct rp_run *r, struct rp_case *c, const json_t *step, size_t i,
		    json_t *prev[2], json_t *before[2], struct ph_err *err)
{
	const struct ph_host *h = r->host;
	const json_t *req = json_object_get(step, "request");
	const char *sname = json_string_value(json_object_get(step, "name"));
	struct step_ctx s = {r, c, json_object_get(step, "expectedResponse"), {NULL, NULL},
			     {0}, 0};
	struct ph_case_request cr[2];
	struct ph_exchange x;
	char case_name[300], feature[300];
	json_t *dc[2] = {NULL, NULL};
	int rc = 0, side;
	long settle = 100;
	const char *p = h->param(r->run, "settle_ms");

	memset(cr, 0, sizeof(cr));
	if (p)
		settle = atol(p);
	if (json_array_size(c->steps) == 1)
		snprintf(case_name, sizeof(case_name), "%s", c->id);
	else
		snprintf(case_name, sizeof(case_name), "%s/%s", c->id, sname);
	/* the feature is the route: "METHOD /path", without the query */
	snprintf(feature, sizeof(feature), "%s %.*s",
		 json_string_value(json_object_get(req, "method")),
		 (int)strcspn(json_string_value(json_object_get(req, "path")), "?"),
		 json_string_value(json_object_get(req, "path")));
	for (side = 0; side < 2; side++) {
		dc[side] = side_case(case_name, req, prev[side]);
		if (!dc[side] || (rc = ph_case_request_build(h, r->run, dc[side], &cr[side], err)))
			break;
	}
	if (!rc && (!dc[0] || !dc[1]))
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
	if (rc)
		goto out;
	memset(&x, 0, sizeof(x));
	x.req[PH_REFERENCE] = cr[0].req;
	x.req[PH_CANDIDATE] = cr[1].req;
	x.endpoint = cr[0].endpoint;
	x.feature = feature;
	x.case_name = case_name;
	x.repeatable = !strcmp(json_string_value(json_object_get(req, "method")), "GET");
	x.turn = r->turn++;
	x.ctx = &s;
	x.rewrite = rewrite;
	x.summary = summary;
	if ((rc = ph_exchange(h, r->run, &x, err)))
		goto out;
	if (i == 0)
		annotate_case(r, c);
	if (!x.answered)
		goto out; /* the exchange recorded why: nothing to check */
	if (settle > 0)
		usleep((useconds_t)settle * 1000);
	if ((rc = record_state(&s, step, feature, cr[0].endpoint, case_name, before)))
		goto out;
	rc = record_expected(&s, feature, case_name);
	for (side = 0; side < 2; side++) {
		json_decref(prev[side]);
		prev[side] = s.raw[side];
		s.raw[side] = NULL;
	}
out:
	for (side = 0; side < 2; side++) {
		ph_case_request_release(&cr[side]);
		json_decref(dc[side]);
		json_decref(s.raw[side]);
	}
	ph_result_clear(&s.expect);
	return rc;
}

int rp_case_run(struct rp_run *r, struct rp_case *c, struct ph_err *err)
{
	json_t *prev[2] = {NULL, NULL}, *before[2] = {NULL, NULL}, *step;
	size_t i;
	int rc = 0, side;

	r->n_case++;
	for (side = 0; side < 2; side++)
		if (rp_state_snapshot(r, (enum ph_side)side, &before[side], err)) {
			r->host->log(r->run, PH_LOG_WARN, "replay: %s: %s: no state before the steps: %s",
				     c->id, rp_sides[side], err->msg);
			ph_err_clear(err);
		}
	json_array_foreach(c->steps, i, step)
		if ((rc = run_step(r, c, step, i, prev, before, err)))
			break;
	for (side = 0; side < 2; side++) {
		json_decref(prev[side]);
		json_decref(before[side]);
	}
	return rc;
}
