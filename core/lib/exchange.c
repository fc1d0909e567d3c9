/*
 * The case exchange (parity/exchange.h): ask both runtimes, rewrite, tell whether the pair
 * can be evaluated, compare, confirm timing, check, record. Each step is a small function
 * over the host table, in the order a row is made; the body helpers rewrite hooks share
 * close the file.
 */
#include "parity/exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/row.h"

/* Ask both sides; which first alternates with turn. Both are always asked and filled. */
static void ask(const struct ph_host *host, struct ph_run *run,
		const struct ph_request *const req[2], unsigned turn, struct ph_response r[2])
{
	for (int i = 0; i < 2; i++) {
		enum ph_side side = (enum ph_side)((int)(turn % 2) ^ i);
		struct ph_err e;

		ph_err_clear(&e);
		/* a call that failed before any exchange (out of memory) is no answer either */
		if (host->http(run, side, req[side], &r[side], &e) < 0 && !r[side].error)
			r[side].error = strdup(e.msg[0] ? e.msg : "the request could not be sent");
	}
}

/* Run the plugin's rewrite on both answers; a failing rewrite fails its answer. */
static void rewrite(struct ph_exchange *x, struct ph_response r[2])
{
	for (int side = 0; side < 2 && x->rewrite; side++) {
		struct ph_err e;

		ph_err_clear(&e);
		if (x->rewrite(x->ctx, (enum ph_side)side, r, &e) < 0 && !r[side].error)
			r[side].error = strdup(e.msg[0] ? e.msg : "the answer could not be read");
	}
}

/*
 * The rule key the endpoint matches, for a row whose pair was never compared: the rule
 * lookup is the host's, and its comparison of the failed pair names the rule (new string,
 * NULL when it cannot).
 */
static char *rule_of(const struct ph_host *host, struct ph_run *run, const char *endpoint,
		     const struct ph_response r[2])
{
	struct ph_result res;
	struct ph_err e;
	char *key;

	memset(&res, 0, sizeof(res));
	host->compare(run, endpoint, &r[0], &r[1], &res, &e);
	key = res.rule ? strdup(res.rule) : NULL;
	host->result_release(&res);
	return key;
}

/*
 * The error row of a pair that was not judged (why), under the case's feature or else
 * the rule the endpoint matches.
 */
static int error_row(const struct ph_host *host, struct ph_run *run, const struct ph_exchange *x,
		     const char *endpoint, const struct ph_response r[2], const char *why,
		     struct ph_row *row)
{
	char *rule = x->feature ? NULL : rule_of(host, run, endpoint, r);
	int rc;

	row->feature = x->feature ? x->feature : rule ? rule : endpoint;
	row->cls = PH_ERROR;
	row->error = why;
	rc = host->record(run, row);
	free(rule);
	return rc;
}

/* The error row of a pair where a side did not answer. */
static int no_answer_row(const struct ph_host *host, struct ph_run *run,
			 const struct ph_exchange *x, const char *endpoint,
			 const struct ph_response r[2], struct ph_row *row)
{
	char why[1200];

	ph_row_no_answer(r, why, sizeof(why));
	row->reference = r[PH_REFERENCE].error ? "no answer" : "answered";
	return error_row(host, run, x, endpoint, r, why, row);
}

/*
 * Compare the pair under endpoint's rule. An answer that may not be asked again is one
 * sample: its latency is kept for the row but withheld from the comparison.
 */
static int compare_pair(const struct ph_host *host, struct ph_run *run,
			const struct ph_exchange *x, const char *endpoint, struct ph_response r[2],
			struct ph_result *res, struct ph_err *err)
{
	double la = r[0].latency_ms, lb = r[1].latency_ms;
	int rc;

	if (!x->repeatable)
		r[0].latency_ms = r[1].latency_ms = -1;
	rc = host->compare(run, endpoint, &r[0], &r[1], res, err);
	r[0].latency_ms = la;
	r[1].latency_ms = lb;
	return rc;
}

/*
 * One slow answer is not a timing divergence: re-sample a repeatable request through the
 * host before it counts. A confirmed divergence's row shows the medians. *info: what to
 * annotate the row with, or NULL.
 */
static void confirm_timing(const struct ph_host *host, struct ph_run *run,
			   const struct ph_exchange *x, const struct ph_request *const req[2],
			   struct ph_result *res, struct ph_row *row, json_t **info)
{
	struct ph_err e;
	json_t *med;

	*info = NULL;
	if (res->verdict != PH_TIMING || !x->repeatable || !PH_HOST_HAS(host, timing_confirm))
		return;
	ph_err_clear(&e);
	host->timing_confirm(run, req[0], req[1] == req[0] ? NULL : req[1], res, info, &e);
	if ((med = json_object_get(*info, "median_ms"))) {
		row->latency_reference_ms = json_number_value(json_object_get(med, "reference"));
		row->latency_candidate_ms = json_number_value(json_object_get(med, "candidate"));
	}
}

/* "METHOD /path" of the reference's request, new string. */
static char *endpoint_of(const struct ph_request *req)
{
	size_t n = strlen(req->method) + strlen(req->path) + 2;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s %s", req->method, req->path);
	return s;
}

/*
 * The route the recorded row drives, for route coverage: the reference's request
 * "METHOD /path?query", whatever the row's feature says (a rule key, "MCP /tools/list").
 */
static void annotate_route(const struct ph_host *host, struct ph_run *run,
			   const struct ph_request *req)
{
	char *route = endpoint_of(req);

	ph_row_annotate_route(host, run, route, NULL);
	free(route);
}

/* Compare, confirm, check and record the row of a pair both sides answered. */
static int judge(const struct ph_host *host, struct ph_run *run, struct ph_exchange *x,
		 const struct ph_request *const req[2], const char *endpoint,
		 struct ph_response r[2], struct ph_row *row)
{
	struct ph_result res;
	struct ph_err e;
	json_t *timing = NULL;
	char summary[256];
	int rc;

	memset(&res, 0, sizeof(res));
	if (x->summary)
		x->summary(x->ctx, &r[PH_REFERENCE], summary, sizeof(summary));
	else
		snprintf(summary, sizeof(summary), "%ld", r[PH_REFERENCE].status);
	row->reference = summary;
	ph_err_clear(&e);
	if (x->evaluable && x->evaluable(x->ctx, r, &e) == PH_EXCHANGE_NOT_EVALUABLE)
		return error_row(host, run, x, endpoint, r, e.msg, row);
	ph_err_clear(&e);
	if (compare_pair(host, run, x, endpoint, r, &res, &e)) {
		row->feature = x->feature ? x->feature : res.rule ? res.rule : endpoint;
		row->cls = PH_ERROR;
		row->error = e.msg;
		rc = host->record(run, row);
		host->result_release(&res);
		return rc;
	}
	confirm_timing(host, run, x, req, &res, row, &timing);
	ph_err_clear(&e);
	if (x->check && x->check(x->ctx, r, &res, &e) < 0) {
		row->cls = PH_ERROR;
		row->error = e.msg;
	}
	row->feature = x->feature ? x->feature : res.rule;
	row->result = &res;
	rc = host->record(run, row);
	if (!rc)
		ph_row_annotate_timing(host, run, timing);
	x->cls = res.verdict > row->cls ? res.verdict : row->cls;
	json_decref(timing);
	host->result_release(&res);
	return rc;
}

int ph_exchange(const struct ph_host *host, struct ph_run *run, struct ph_exchange *x,
		struct ph_err *err)
{
	const struct ph_request *const req[2] = {&x->req[PH_REFERENCE],
						 x->req[PH_CANDIDATE].method ?
							 &x->req[PH_CANDIDATE] :
							 &x->req[PH_REFERENCE]};
	struct ph_response r[2];
	struct ph_row row;
	char *endpoint = x->endpoint ? NULL : endpoint_of(req[0]);
	int rc;

	x->cls = PH_ERROR;
	x->answered = 0;
	memset(x->resp, 0, sizeof(x->resp));
	if (!x->endpoint && !endpoint)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	memset(&row, 0, sizeof(row));
	row.case_name = x->case_name;
	ask(host, run, req, x->turn, r);
	row.latency_reference_ms = r[PH_REFERENCE].latency_ms;
	row.latency_candidate_ms = r[PH_CANDIDATE].latency_ms;
	rewrite(x, r);
	x->answered = !r[0].error && !r[1].error;
	if (!x->answered)
		rc = no_answer_row(host, run, x, x->endpoint ? x->endpoint : endpoint, r, &row);
	else
		rc = judge(host, run, x, req, x->endpoint ? x->endpoint : endpoint, r, &row);
	if (!rc)
		annotate_route(host, run, req[PH_REFERENCE]);
	if (x->keep) {
		x->resp[0] = r[0];
		x->resp[1] = r[1];
	} else {
		host->response_release(&r[0]);
		host->response_release(&r[1]);
	}
	free(endpoint);
	if (rc)
		ph_error(err, rc, "cannot record the row of case '%s'",
			 x->case_name ? x->case_name : "?");
	return rc;
}

void ph_exchange_release(const struct ph_host *host, struct ph_exchange *x)
{
	host->response_release(&x->resp[0]);
	host->response_release(&x->resp[1]);
	memset(x->resp, 0, sizeof(x->resp));
}

json_t *ph_exchange_body_json(const struct ph_response *r)
{
	return r->body ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
}

int ph_exchange_body_set(struct ph_response *r, const json_t *doc, size_t flags)
{
	char *s = json_dumps(doc, flags);

	if (!s)
		return PH_E_NOMEM;
	free(r->body);
	r->body = s;
	r->body_len = strlen(s);
	return 0;
}
