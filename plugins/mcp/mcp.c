/*
 * The MCP domain: every case of suites/mcp is one JSON-RPC exchange with both runtimes'
 * Streamable-HTTP endpoint (POST /mcp, stateless, JSON answers), made through the case
 * exchange (parity/exchange.h), compared under the rules key of its feature ("MCP
 * /initialize", "MCP /tools/list", "MCP /tools/call/<tool>", or the case's own "feature"
 * for the error cases) and recorded as one row. The harness picks the JSON-RPC ids, so
 * they always match; a case's "save_id" keeps the id a tool answer reports, per runtime,
 * so later cases can name it ("{id:label}") and compare it as a reference. Answers are
 * normalised before comparing (mcp.h): tool lists become sets keyed by name, text content
 * is parsed as JSON where it is JSON. A tool answer saying the tool could not reach its
 * own daemon (mcp.h ph_mcp_unreachable) makes the pair not evaluable (an error row, not a
 * comparison). When the config
 * names an MCP stdio command for the runtimes, the same cases run again over stdio
 * (transport_stdio.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcp.h"
#include "mcp_run.h"
#include "parity/exchange.h"
#include "parity/row.h"
#include "parity/suite.h"

#define MAX_HEADERS 16

/*
 * Why an HTTP tool may not reach its daemon: TS's /mcp route (mcp/route.ts) builds its
 * server with createMcpServer() and no daemonUrl, so its tools call mcp/tools.ts's default.
 */
#define UNREACHABLE_HINT                                                                   \
	"the TS /mcp route calls http://localhost:3850 unless the daemon listens there"

static const struct ph_header default_headers[] = {
	{"Content-Type", "application/json"},
	{"Accept", "application/json, text/event-stream"},
};

/* The default headers with the case's "headers" applied (a null value removes one). */
static int case_headers(const json_t *c, struct ph_header *out, size_t *n, struct ph_err *err)
{
	json_t *hdrs = json_object_get(c, "headers"), *v;
	const char *name = json_string_value(json_object_get(c, "name")), *k;
	size_t i;

	*n = 0;
	if (hdrs && !json_is_object(hdrs))
		return ph_error(err, PH_E_INVALID, "case '%s': headers: expected an object", name);
	for (i = 0; i < sizeof(default_headers) / sizeof(default_headers[0]); i++)
		if (!json_object_get(hdrs, default_headers[i].name))
			out[(*n)++] = default_headers[i];
	json_object_foreach(hdrs, k, v)
	{
		/* case-insensitive: "accept": null removes Accept */
		for (i = 0; i < *n; i++)
			if (!strcasecmp(out[i].name, k)) {
				out[i] = out[--*n];
				break;
			}
		if (json_is_null(v))
			continue;
		if (!json_is_string(v) || *n == MAX_HEADERS)
			return ph_error(err, PH_E_INVALID,
					"case '%s': headers.%s: expected a string or null (at most "
					"%d headers)",
					name, k, MAX_HEADERS);
		out[*n].name = k;
		out[*n].value = json_string_value(v);
		(*n)++;
	}
	return 0;
}

/* May the case be sent again (to confirm a timing divergence)? */
static int idempotent(const json_t *c)
{
	json_t *v = json_object_get(c, "idempotent");
	const char *tool = json_string_value(json_object_get(json_object_get(c, "call"), "name"));

	if (v)
		return json_is_true(v);
	return !json_object_get(c, "save_id") && !(tool && !strcmp(tool, "memory_store"));
}

/* One case through the exchange: what its hooks share. */
struct mcp_case {
	const struct ph_host *host;
	struct ph_run *run;
	struct ph_mcp_labels *l;
	const char *save;      /* the case's "save_id", or NULL */
	json_t *doc[2];        /* the answers as they came, parsed (NULL: not JSON, none) */
	const char *problem;   /* the reference reported no id to save: the suite is wrong */
	int unreachable;       /* a tool could not reach its daemon: not evaluated */
	char summary[300];     /* the reference's answer in one line */
	char why[1024];        /* why it is not evaluated */
};

/*
 * Before the pair is read (called for the reference, then the candidate, with both
 * answers in): at the reference's turn, parse both, keep their summary, save the id the
 * case names (before a failure is reported, so later cases fail only on the failing side)
 * and tell whether a tool could not reach its daemon (then the pair is not evaluable and
 * left as it is); then make each answer comparable (mcp.h).
 */
static int case_rewrite(void *ctx, enum ph_side side, struct ph_response pair[2],
			struct ph_err *err)
{
	struct mcp_case *mc = ctx;
	json_t *nd;
	int rc;

	for (int s = 0; s < 2 && side == PH_REFERENCE; s++)
		if (!pair[s].error && pair[s].body_len)
			mc->doc[s] = ph_exchange_body_json(&pair[s]);
	if (side == PH_REFERENCE) {
		const json_t *const docs[2] = {mc->doc[0], mc->doc[1]};
		const int answered[2] = {!pair[0].error, !pair[1].error};
		char said[700];

		ph_mcp_summary(pair[0].status, mc->doc[0], mc->summary, sizeof(mc->summary));
		if (mc->save) {
			mc->problem = ph_mcp_labels_save(mc->l, mc->save, docs, answered);
			ph_mcp_labels_canon(mc->host, mc->run, mc->l, mc->save);
		}
		if (answered[0] && answered[1] &&
		    ph_mcp_unreachable_why(docs, UNREACHABLE_HINT, mc->summary,
					   sizeof(mc->summary), said, sizeof(said))) {
			mc->unreachable = 1;
			snprintf(mc->why, sizeof(mc->why), "%s; %s", mc->summary, said);
		}
	}
	if (pair[side].error || mc->unreachable || !mc->doc[side])
		return 0;
	nd = ph_mcp_normalise(mc->doc[side], mc->l, side, pair[side].status >= 400);
	rc = nd ? ph_exchange_body_set(&pair[side], nd, JSON_COMPACT | JSON_ENCODE_ANY)
		: PH_E_NOMEM;
	json_decref(nd);
	return rc ? ph_error(err, rc, "out of memory") : 0;
}

/* A tool that could not reach its daemon said nothing about the tool: not evaluated. */
static int case_evaluable(void *ctx, const struct ph_response pair[2], struct ph_err *why)
{
	struct mcp_case *mc = ctx;

	(void)pair;
	if (!mc->unreachable)
		return 0;
	ph_error(why, PH_E_RUNTIME, "%s", mc->why);
	return PH_EXCHANGE_NOT_EVALUABLE;
}

/* After the comparison: a suite that saves no id is an error. */
static int case_check(void *ctx, const struct ph_response pair[2], struct ph_result *res,
		      struct ph_err *why)
{
	struct mcp_case *mc = ctx;

	(void)pair;
	(void)res;
	if (mc->problem)
		return ph_error(why, PH_E_INVALID, "%s", mc->problem);
	return 0;
}

static void case_summary(void *ctx, const struct ph_response *ref, char *buf, size_t cap)
{
	(void)ref;
	snprintf(buf, cap, "%s", ((struct mcp_case *)ctx)->summary);
}

static int run_case(const struct ph_host *host, struct ph_run *run, const json_t *c,
		    json_int_t id, struct ph_mcp_labels *l, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *path = json_string_value(json_object_get(c, "path"));
	const char *method = json_string_value(json_object_get(c, "method"));
	const char *rule = json_string_value(json_object_get(c, "rule"));
	struct mcp_case mc = {.host = host, .run = run, .l = l};
	struct ph_header headers[MAX_HEADERS];
	char *feature = ph_mcp_case_feature(c), *body[2] = {NULL, NULL}, why[1100];
	struct ph_exchange x;
	size_t n_headers;
	int rc;

	memset(&x, 0, sizeof(x));
	if (!feature)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (!path)
		path = "/mcp";
	if (!method)
		method = "POST";
	if (path[0] != '/') {
		rc = ph_error(err, PH_E_INVALID, "case '%s': path: expected a path starting with /",
			      name);
		goto out;
	}
	if ((rc = case_headers(c, headers, &n_headers, err)))
		goto out;
	for (int s = 0; s < 2; s++) {
		rc = ph_mcp_case_body(c, id, l, s, &body[s], err);
		if (rc == PH_E_NOTFOUND) {
			snprintf(why, sizeof(why), "%s: %s", s ? "candidate" : "reference", err->msg);
			rc = ph_row_error(host, run, feature, name, "not sent", why);
			goto out;
		}
		if (rc)
			goto out;
		x.req[s] = (struct ph_request){.method = method,
					       .path = path,
					       .body = body[s],
					       .body_len = strlen(body[s]),
					       .headers = headers,
					       .n_headers = n_headers};
	}
	x.endpoint = rule ? rule : feature;
	x.feature = feature;
	x.case_name = name;
	/* a call that may not be made again is one sample: its latency is recorded, not judged */
	x.repeatable = idempotent(c);
	x.turn = (unsigned)(id - 1); /* the case's index: who is asked first alternates */
	x.ctx = &mc;
	x.rewrite = case_rewrite;
	x.evaluable = case_evaluable;
	x.check = case_check;
	x.summary = case_summary;
	mc.save = json_string_value(json_object_get(c, "save_id"));
	rc = ph_exchange(host, run, &x, err);
out:
	json_decref(mc.doc[0]);
	json_decref(mc.doc[1]);
	free(body[0]);
	free(body[1]);
	free(feature);
	return rc;
}

struct mcp_pass {
	const struct ph_host *host;
	struct ph_run *run;
	struct ph_mcp_labels labels;
};

static int mcp_case(void *ctx, json_t *c, size_t i, struct ph_err *err)
{
	struct mcp_pass *p = ctx;
	int rc = ph_mcp_case_runs_over(c, "http", err);

	/* the harness's own JSON-RPC ids: the same on both sides */
	if (rc == 1)
		rc = run_case(p->host, p->run, c, (json_int_t)i + 1, &p->labels, err);
	if (rc) {
		/* a malformed case: the suite is wrong, the domain stops at its file */
		const char *file = json_string_value(json_object_get(c, "file"));

		ph_error_prefix(err, "%s/%s", p->host->suite_dir(p->run), file ? file : "?");
	}
	return rc;
}

static int mcp_run(void *state, const struct ph_host *host, struct ph_run *run,
		   struct ph_err *err)
{
	struct mcp_pass p = {.host = host, .run = run};
	json_t *cases;
	int rc;

	(void)state;
	if ((rc = ph_suite_load(host, run, &cases, err)))
		return rc;
	if (ph_mcp_labels_init(&p.labels)) {
		json_decref(cases);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	rc = ph_suite_each_case(host, run, cases, mcp_case, &p, err);
	ph_mcp_labels_release(&p.labels);
	if (!rc)
		rc = ph_mcp_stdio_run(host, run, cases, err);
	json_decref(cases);
	return rc;
}

PH_PLUGIN_EXPORT(mcp, "1.0.0",
		 "MCP over Streamable HTTP and stdio: initialize, tools/list, tools/call, errors",
		 NULL, mcp_run, NULL)
