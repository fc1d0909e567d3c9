/*
 * The MCP domain: every case of suites/mcp is one JSON-RPC exchange with both runtimes'
 * Streamable-HTTP endpoint (POST /mcp, stateless, JSON answers), compared under the rules
 * key of its feature ("MCP /initialize", "MCP /tools/list", "MCP /tools/call/<tool>", or
 * the case's own "feature" for the error cases) and recorded as one row. The harness
 * picks the JSON-RPC ids, so they always match; a case's "save_id" keeps the id a tool
 * answer reports, per runtime, so later cases can name it ("{id:label}") and compare it as a
 * reference. Answers are normalised before comparing (mcp.h): tool lists become sets
 * keyed by name, text content is parsed as JSON where it is JSON. A tool answer saying
 * the tool could not reach its own daemon (mcp.h ph_mcp_unreachable) is an error row, not
 * a comparison. When the config names
 * an MCP stdio command for the runtimes, the same cases run again over stdio
 * (transport_stdio.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mcp.h"
#include "mcp_run.h"
#include "parity/plugin.h"
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

/* One case on its way: what is sent and what came back, per side. */
struct exchange {
	char *body[2];
	struct ph_header headers[MAX_HEADERS];
	struct ph_request req[2];
	struct ph_response resp[2];
	json_t *doc[2];
	char *norm[2];
};

static void exchange_release(const struct ph_host *host, struct exchange *x)
{
	for (int s = 0; s < 2; s++) {
		free(x->body[s]);
		free(x->norm[s]);
		json_decref(x->doc[s]);
		host->response_release(&x->resp[s]); /* a zeroed response is fine */
	}
}

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

int ph_mcp_error_row(const struct ph_host *host, struct ph_run *run, const char *feature,
		     const char *name, const char *reference, const char *why)
{
	struct ph_row row = {0};

	row.feature = feature;
	row.case_name = name;
	row.reference = reference;
	row.cls = PH_ERROR;
	row.error = why;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	return host->record(run, &row);
}

static int run_case(const struct ph_host *host, struct ph_run *run, const json_t *c,
		    json_int_t id, struct ph_mcp_labels *l, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *path = json_string_value(json_object_get(c, "path"));
	const char *method = json_string_value(json_object_get(c, "method"));
	const char *rule = json_string_value(json_object_get(c, "rule"));
	const char *save = json_string_value(json_object_get(c, "save_id"));
	struct exchange x;
	struct ph_response norm[2];
	struct ph_result res = {0};
	json_t *timing = NULL;
	struct ph_row row = {0};
	char *feature = ph_mcp_case_feature(c), summary[128], why[1200];
	const char *problem = NULL;
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
	if ((rc = case_headers(c, x.headers, &n_headers, err)))
		goto out;
	for (int s = 0; s < 2; s++) {
		rc = ph_mcp_case_body(c, id, l, s, &x.body[s], err);
		if (rc == PH_E_NOTFOUND) {
			snprintf(why, sizeof(why), "%s: %s", s ? "candidate" : "reference", err->msg);
			rc = ph_mcp_error_row(host, run, feature, name, "not sent", why);
			goto out;
		}
		if (rc)
			goto out;
		x.req[s] = (struct ph_request){.method = method,
					       .path = path,
					       .body = x.body[s],
					       .body_len = strlen(x.body[s]),
					       .headers = x.headers,
					       .n_headers = n_headers};
	}
	for (int s = 0; s < 2; s++) {
		struct ph_err e;

		host->http(run, (enum ph_side)s, &x.req[s], &x.resp[s], &e);
		if (!x.resp[s].error && x.resp[s].body && x.resp[s].body_len)
			x.doc[s] = json_loadb(x.resp[s].body, x.resp[s].body_len, 0, NULL);
	}
	/* saved before a failure is reported, so later cases fail only on the failing side */
	if (save) {
		const json_t *const docs[2] = {x.doc[0], x.doc[1]};
		const int answered[2] = {!x.resp[0].error, !x.resp[1].error};

		problem = ph_mcp_labels_save(l, save, docs, answered);
		ph_mcp_labels_canon(host, run, l, save);
	}
	if (x.resp[0].error || x.resp[1].error) {
		snprintf(why, sizeof(why), "%s%s%s%s%s", x.resp[0].error ? "reference: " : "",
			 x.resp[0].error ? x.resp[0].error : "",
			 x.resp[0].error && x.resp[1].error ? "; " : "",
			 x.resp[1].error ? "candidate: " : "",
			 x.resp[1].error ? x.resp[1].error : "");
		rc = ph_mcp_error_row(host, run, feature, name,
			       x.resp[0].error ? "no answer" : "answered", why);
		goto out;
	}
	/* a tool that could not reach its own daemon says nothing about the tool */
	{
		const json_t *const docs[2] = {x.doc[0], x.doc[1]};
		char not_evaluated[300], said[700];

		if (ph_mcp_unreachable_why(docs, UNREACHABLE_HINT, not_evaluated,
					   sizeof(not_evaluated), said, sizeof(said))) {
			snprintf(why, sizeof(why), "%s; %s", not_evaluated, said);
			rc = ph_mcp_error_row(host, run, feature, name, not_evaluated, why);
			goto out;
		}
	}
	for (int s = 0; s < 2; s++) {
		norm[s] = x.resp[s];
		if (x.doc[s]) {
			json_t *nd = ph_mcp_normalise(x.doc[s], l, s, x.resp[s].status >= 400);

			x.norm[s] = nd ? json_dumps(nd, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
			json_decref(nd);
			if (!x.norm[s]) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				goto out;
			}
			norm[s].body = x.norm[s];
			norm[s].body_len = strlen(x.norm[s]);
		}
	}
	ph_mcp_summary(x.resp[0].status, x.doc[0], summary, sizeof(summary));
	/* a call that may not be made again is one sample: its latency is recorded, not judged */
	if (!idempotent(c))
		norm[0].latency_ms = norm[1].latency_ms = -1;
	if ((rc = host->compare(run, rule ? rule : feature, &norm[0], &norm[1], &res, err))) {
		rc = ph_mcp_error_row(host, run, feature, name, summary, err->msg);
		goto out;
	}
	row.latency_reference_ms = x.resp[0].latency_ms;
	row.latency_candidate_ms = x.resp[1].latency_ms;
	/* one slow answer is not a timing divergence: the host re-samples to confirm it */
	if (res.verdict == PH_TIMING && idempotent(c) &&
	    (rc = host->timing_confirm(run, &x.req[0], &x.req[1], &res, &timing, err))) {
		rc = ph_mcp_error_row(host, run, feature, name, summary, err->msg);
		goto out;
	}
	row.feature = feature;
	row.case_name = name;
	row.reference = summary;
	row.result = &res;
	if (problem) {
		row.cls = PH_ERROR;
		row.error = problem;
	}
	rc = host->record(run, &row);
	if (!rc && timing) {
		host->annotate(run, "samples_ms", json_object_get(timing, "samples_ms"));
		if (json_object_get(timing, "flaky"))
			host->annotate(run, "flaky", json_object_get(timing, "flaky"));
	}
out:
	json_decref(timing);
	host->result_release(&res);
	exchange_release(host, &x);
	free(feature);
	return rc;
}

static int mcp_run(void *state, const struct ph_host *host, struct ph_run *run,
		   struct ph_err *err)
{
	struct ph_mcp_labels labels;
	json_t *cases, *c;
	size_t i, n;
	int rc;

	(void)state;
	rc = ph_suite_load_dir(host->suite_dir(run), &cases, err);
	if (rc)
		return rc;
	n = json_array_size(cases);
	if (!n) {
		json_decref(cases);
		return ph_error(err, PH_E_INVALID, "%s: no cases", host->suite_dir(run));
	}
	if (ph_mcp_labels_init(&labels)) {
		json_decref(cases);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	host->progress(run, 0, (int)n);
	json_array_foreach(cases, i, c)
	{
		rc = ph_mcp_case_runs_over(c, "http", err);
		/* the harness's own JSON-RPC ids: the same on both sides */
		if (rc == 1)
			rc = run_case(host, run, c, (json_int_t)i + 1, &labels, err);
		if (rc) {
			/* a malformed case: the suite is wrong, stop the domain */
			const char *file = json_string_value(json_object_get(c, "file"));

			ph_error_prefix(err, "%s/%s", host->suite_dir(run), file ? file : "?");
			break;
		}
		host->progress(run, (int)i + 1, (int)n);
	}
	ph_mcp_labels_release(&labels);
	if (!rc)
		rc = ph_mcp_stdio_run(host, run, cases, err);
	json_decref(cases);
	return rc;
}

static const struct ph_plugin plugin = {
	PH_PLUGIN_HEADER,
	.name = "mcp",
	.version = "1.0.0",
	.description = "MCP over Streamable HTTP and stdio: initialize, tools/list, tools/call, errors",
	.run = mcp_run,
};

const struct ph_plugin *ph_mcp_plugin(void);

const struct ph_plugin *ph_mcp_plugin(void)
{
	return &plugin;
}
