/*
 * One case of the write suite: its steps, each sent to both runtimes through the case
 * exchange (parity/exchange.h) and recorded as one row, then the database state the case
 * left (dbstate.c). A step's "{id:<step>}" references are replaced by the id that runtime
 * answered to that earlier step (parity/labels.h), and each answer's known ids by their
 * labels (ids.c) before it is compared. A step that cannot be sent on a side, or that a
 * runtime did not answer, stops the case; what it left is compared anyway.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/exchange.h"
#include "parity/http_case.h"
#include "parity/labels.h"
#include "parity/row.h"
#include "parts.h"

/*
 * One side's request of a step: the step as a declarative case (parity/http_case.h) named
 * by its row, "<case>/<step>", with that side's ids in its path and body.
 */
struct step_req {
	json_t *step;
	struct ph_case_request cr; /* borrows from step */
};

static void step_req_release(struct step_req *sr)
{
	ph_case_request_release(&sr->cr);
	json_decref(sr->step);
	memset(sr, 0, sizeof(*sr));
}

/* A path segment that is a known id (seeded or captured) is touched by the case. */
static void touch_path(struct ph_write_state *ws, int side, const char *path)
{
	char *copy = strdup(path), *seg, *save = NULL;

	if (!copy)
		return;
	copy[strcspn(copy, "?")] = '\0';
	for (seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		const char *l = ph_write_label_of(ws, side, seg);

		if (l)
			json_object_set_new(ws->touched, l, json_true());
	}
	free(copy);
}

/*
 * Build side's request for step s (where: "case '<case>' step '<step>'", label: its row's
 * case name): its "{id:<step>}" references replaced by captured, the ids it names
 * touched. Returns 0, 1 when a capture is missing (*why set, caller frees), or a negative
 * code for a malformed step.
 */
static int build_request(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
			 int side, const json_t *s, const char *where, const char *label,
			 const json_t *captured, struct step_req *sr, char **why,
			 struct ph_err *err)
{
	json_t *path = json_object_get(s, "path"), *body = json_object_get(s, "body"), *v;
	char *missing = NULL, *p;
	int rc;

	memset(sr, 0, sizeof(*sr));
	*why = NULL;
	if (!(sr->step = json_copy((json_t *)s)) ||
	    json_object_set_new(sr->step, "name", json_string(label)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (json_is_string(path)) {
		if (!(p = ph_labels_substitute(json_string_value(path), captured, &missing)))
			goto missing;
		touch_path(ws, side, p);
		json_object_set_new(sr->step, "path", json_string(p));
		free(p);
	}
	if (body) {
		if (!(v = ph_labels_substitute_json(body, captured, &missing)))
			goto missing;
		json_decref(ph_write_rewrite_ids(ws, side, v, 1));
		json_object_set_new(sr->step, "body", v);
	}
	if ((rc = ph_case_request_build(host, run, sr->step, &sr->cr, err)))
		step_req_release(sr);
	return rc;
missing:
	*why = ph_write_dupf("%s: no id was captured from step '%s' on the %s", where,
			     missing ? missing : "?", ph_write_sides[side]);
	free(missing);
	step_req_release(sr);
	return 1;
}

/* What the exchange hooks of one step share. */
struct step {
	struct ph_write_state *ws;
	const char *label;     /* "<case>/<step>": the label of an id the step creates */
	const char *step_name; /* what later steps name its id by */
	json_t **captured;     /* per side: step name -> id */
	char *rule;            /* the rules key the comparison matched (check) */
	int compared;          /* the pair was compared: its latencies count (timing.c) */
};

/*
 * An answer both sides gave: keep the "id" it names under the step's name (a new id gets
 * the step's label), then rewrite its known ids to labels for the comparison. An answer
 * that is not JSON is compared as it is; when a side did not answer, the case stops here
 * and nothing is kept.
 */
static int step_rewrite(void *ctx, enum ph_side side, struct ph_response pair[2],
			struct ph_err *err)
{
	struct step *st = ctx;
	json_t *doc, *id, *rw;

	(void)err;
	if (pair[0].error || pair[1].error || !(doc = ph_exchange_body_json(&pair[side])))
		return 0;
	id = json_object_get(doc, "id");
	if (json_is_string(id)) {
		if (!ph_write_label_of(st->ws, side, json_string_value(id)))
			json_object_set_new(st->ws->labels[side], json_string_value(id),
					    json_string(st->label));
		json_object_set(st->captured[side], st->step_name, id);
	}
	rw = ph_write_rewrite_ids(st->ws, side, doc, 1);
	/* out of memory: the answer is compared as it came */
	ph_exchange_body_set(&pair[side], rw, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	json_decref(rw);
	json_decref(doc);
	return 0;
}

/* After the comparison: the rule it matched names the step's feature for the timing rows. */
static int step_check(void *ctx, const struct ph_response pair[2], struct ph_result *res,
		      struct ph_err *why)
{
	struct step *st = ctx;

	(void)pair;
	(void)why;
	free(st->rule);
	st->rule = res->rule ? strdup(res->rule) : NULL;
	st->compared = 1;
	return 0;
}

/* "200 deleted", "200 deduped": the status and what the answer says it did. */
static void step_summary(void *ctx, const struct ph_response *ref, char *buf, size_t cap)
{
	json_t *doc = ph_exchange_body_json(ref);
	const char *status = json_string_value(json_object_get(doc, "status"));

	(void)ctx;
	snprintf(buf, cap, "%ld%s%s%s", ref->status, status ? " " : "", status ? status : "",
		 json_is_true(json_object_get(doc, "deduped")) ? " deduped" : "");
	json_decref(doc);
}

/* A request the case sent, kept once: its database rows show what it did (dbstate.c). */
static void note_route(struct ph_write_state *ws, const char *endpoint)
{
	size_t i;
	json_t *v;

	json_array_foreach(ws->routes, i, v)
	{
		if (!strcmp(json_string_value(v), endpoint))
			return;
	}
	json_array_append_new(ws->routes, json_string(endpoint));
}

/* Run step k of case c on both sides; returns 0, 1 to stop the case, or a negative code. */
static int run_step(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
		    const char *case_name, const json_t *c, const json_t *s, size_t k,
		    json_t *captured[2], struct ph_err *err)
{
	const char *step_name = json_string_value(json_object_get(s, "name")), *feature;
	char defname[32], *where = NULL, *label = NULL, *why[2] = {NULL, NULL};
	struct step_req sr[2];
	struct ph_exchange x;
	struct step st = {0};
	int rc = 0, i;

	memset(sr, 0, sizeof(sr));
	if (!step_name) {
		snprintf(defname, sizeof(defname), "step%zu", k + 1);
		step_name = defname;
	}
	feature = json_string_value(json_object_get(s, "feature"));
	if (!feature)
		feature = json_string_value(json_object_get(c, "feature"));
	where = ph_write_dupf("case '%s' step '%s'", case_name, step_name);
	label = ph_write_dupf("%s/%s", case_name, step_name);
	if (!where || !label) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < 2; i++)
		if ((rc = build_request(host, run, ws, i, s, where, label, captured[i], &sr[i],
					&why[i], err)) < 0)
			goto out;
	if (why[0] || why[1]) {
		rc = ph_row_error(host, run, feature ? feature : "write step", label, "not sent",
				  why[0] ? why[0] : why[1]);
		rc = rc ? rc : 1;
		goto out;
	}
	st = (struct step){ws, label, step_name, captured, NULL, 0};
	memset(&x, 0, sizeof(x));
	x.req[0] = sr[0].cr.req;
	x.req[1] = sr[1].cr.req;
	x.endpoint = sr[0].cr.endpoint;
	x.feature = feature;
	x.case_name = label;
	x.repeatable = 0; /* one write is one sample: timing is judged per feature (timing.c) */
	x.turn = (unsigned)ws->steps++;
	x.keep = 1;
	x.ctx = &st;
	x.rewrite = step_rewrite;
	x.check = step_check;
	x.summary = step_summary;
	rc = ph_exchange(host, run, &x, err);
	note_route(ws, sr[0].cr.endpoint);
	if (!rc && !x.answered)
		rc = 1;
	else if (!rc && st.compared && (feature || st.rule))
		ph_write_latency_add(ws, feature ? feature : st.rule, sr[0].cr.endpoint,
				     x.resp[0].latency_ms, x.resp[1].latency_ms);
	ph_exchange_release(host, &x);
out:
	step_req_release(&sr[0]);
	step_req_release(&sr[1]);
	free(st.rule);
	free(why[0]);
	free(why[1]);
	free(where);
	free(label);
	return rc;
}

int ph_write_case(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
		  const json_t *c, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *steps = json_object_get(c, "steps"), *one = NULL, *s;
	json_t *captured[2] = {json_object(), json_object()};
	size_t k;
	int rc = 0;

	json_object_clear(ws->touched);
	json_array_clear(ws->routes);
	if (!steps) {
		one = json_array();
		json_array_append(one, (json_t *)c);
		steps = one;
	}
	if (!json_is_array(steps) || !json_array_size(steps)) {
		rc = ph_error(err, PH_E_INVALID, "%s: case '%s': steps: expected a non-empty array",
			      host->suite_dir(run), name);
		goto out;
	}
	json_array_foreach(steps, k, s)
	{
		if (!json_is_object(s)) {
			rc = ph_error(err, PH_E_INVALID,
				      "%s: case '%s': steps[%zu]: expected an object",
				      host->suite_dir(run), name, k);
			goto out;
		}
		if ((rc = run_step(host, run, ws, name, c, s, k, captured, err)))
			break;
	}
	if (rc > 0)
		rc = 0; /* the case stopped early: compare what it left anyway */
	if (!rc)
		rc = ph_write_db_compare(host, run, ws, name);
out:
	json_decref(one);
	json_decref(captured[0]);
	json_decref(captured[1]);
	return rc;
}
