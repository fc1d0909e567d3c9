/*
 * The MCP suite over stdio (mcp_run.h): each runtime's MCP stdio server (the config's
 * "mcp_stdio" command, e.g. `signet-mcp`) is started once for the pass and spoken to one
 * JSON-RPC message per line (stdio_rpc.h). Answers are normalised as over HTTP (mcp.h,
 * with no HTTP status) and compared under the same rules key, so a row over stdio carries
 * the same feature as over HTTP and a case name ending in " (stdio)". Latencies are
 * recorded but not classed: a stdio bridge's latency is the daemon's plus a hop, and
 * cannot be re-sampled the way timing_confirm re-sends HTTP requests. A tool answer saying
 * it could not reach its own daemon is an error row, as over HTTP. This pass does not go
 * through the case exchange (parity/exchange.h), which asks over HTTP.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"
#include "mcp_run.h"
#include "parity/row.h"
#include "stdio_rpc.h"

#define F_STDIO "MCP stdio"
/* TS's mcp-stdio.ts calls SIGNET_DAEMON_URL, else SIGNET_HOST/SIGNET_PORT, else :3850 */
#define UNREACHABLE_HINT "its MCP stdio server calls SIGNET_DAEMON_URL, else port 3850"

static const char *const side_names[] = {"reference", "candidate"};

/* Does the host offer the stdio services (ABI 1.1)? */
static int host_has_stdio(const struct ph_host *host)
{
	return PH_HOST_HAS(host, stdio_open) && PH_HOST_HAS(host, stdio_send) &&
	       PH_HOST_HAS(host, stdio_recv) && PH_HOST_HAS(host, stdio_close) &&
	       PH_HOST_HAS(host, runtimes_fresh);
}

/* The id a request case is answered under, or NULL (notifications, raw messages). */
static json_t *expected_id(const json_t *c, json_int_t id)
{
	if (json_object_get(c, "rpc") || json_object_get(c, "call"))
		return json_integer(id);
	return NULL;
}

struct stdio_case {
	const json_t *c;
	json_int_t id;
	const char *name;
	char *feature, *case_name;
	char *body[2];
	json_t *answer[2];
	char *norm[2];
	double latency[2];
};

static void stdio_case_release(struct stdio_case *x)
{
	free(x->feature);
	free(x->case_name);
	for (int s = 0; s < 2; s++) {
		free(x->body[s]);
		free(x->norm[s]);
		json_decref(x->answer[s]);
	}
}

/*
 * Run one case on both sides and record its row. *fatal is set when a side's process
 * failed (the pass ends: its session is in an unknown state).
 */
static int run_case(const struct ph_host *host, struct ph_run *run, struct ph_stdio *io[2],
		    struct stdio_case *x, struct ph_mcp_labels *l, int *fatal, struct ph_err *err)
{
	const char *rule = json_string_value(json_object_get(x->c, "rule"));
	const char *save = json_string_value(json_object_get(x->c, "save_id"));
	json_t *want = expected_id(x->c, x->id);
	struct ph_response resp[2];
	struct ph_result res = {0};
	struct ph_row row = {0};
	char summary[128], why[1400];
	const char *problem = NULL;
	int rc = 0;

	for (int s = 0; s < 2; s++) {
		rc = ph_mcp_case_body(x->c, x->id, l, s, &x->body[s], err);
		if (rc == PH_E_NOTFOUND) {
			snprintf(why, sizeof(why), "%s: %s", side_names[s], err->msg);
			rc = ph_row_error(host, run, x->feature, x->case_name, "not sent", why);
			goto out;
		}
		if (rc)
			goto out;
	}
	for (int s = 0; s < 2; s++) {
		struct ph_err e = {0};

		/* fences use negative ids: never one of the harness's case ids */
		if (ph_mcp_stdio_exchange(host, io[s], x->body[s], want, -x->id, &x->answer[s],
					  &x->latency[s], &e)) {
			snprintf(why, sizeof(why), "%s over stdio: %s", side_names[s], e.msg);
			*fatal = 1;
			rc = ph_row_error(host, run, x->feature, x->case_name,
					  s ? "answered" : "no answer", why);
			goto out;
		}
	}
	if (save) {
		const json_t *const docs[2] = {x->answer[0], x->answer[1]};
		const int answered[2] = {1, 1};

		problem = ph_mcp_labels_save(l, save, docs, answered);
		ph_mcp_labels_canon(host, run, l, save);
	}
	/* a tool that could not reach its own daemon says nothing about the tool */
	{
		const json_t *const docs[2] = {x->answer[0], x->answer[1]};
		char not_evaluated[300], said[900];

		if (ph_mcp_unreachable_why(docs, UNREACHABLE_HINT, not_evaluated,
					   sizeof(not_evaluated), said, sizeof(said))) {
			snprintf(why, sizeof(why), "%s; %s", not_evaluated, said);
			rc = ph_row_error(host, run, x->feature, x->case_name, not_evaluated, why);
			goto out;
		}
	}
	for (int s = 0; s < 2; s++) {
		memset(&resp[s], 0, sizeof(resp[s]));
		resp[s].status = 200; /* no HTTP status over stdio: never an HTTP error */
		resp[s].latency_ms = -1; /* not classed (see the opening comment) */
		if (x->answer[s]) {
			json_t *nd = ph_mcp_normalise(x->answer[s], l, s, 0);

			x->norm[s] = nd ? json_dumps(nd, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
			json_decref(nd);
			if (!x->norm[s]) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				goto out;
			}
		}
		/* no reply is an empty body: against a JSON reply, a structural difference */
		resp[s].body = x->norm[s] ? x->norm[s] : "";
		resp[s].body_len = strlen(resp[s].body);
	}
	ph_mcp_summary(0, x->answer[0], summary, sizeof(summary));
	if ((rc = host->compare(run, rule ? rule : x->feature, &resp[0], &resp[1], &res, err))) {
		rc = ph_row_error(host, run, x->feature, x->case_name, summary, err->msg);
		goto out;
	}
	row.feature = x->feature;
	row.case_name = x->case_name;
	row.reference = summary;
	row.result = &res;
	row.latency_reference_ms = x->latency[0];
	row.latency_candidate_ms = x->latency[1];
	if (problem) {
		row.cls = PH_ERROR;
		row.error = problem;
	}
	rc = host->record(run, &row);
out:
	json_decref(want);
	host->result_release(&res);
	return rc;
}

/*
 * Start both sides' stdio servers: 1 when the pass should run, 0 when it is settled (not
 * configured, or an error row recorded), < 0 when a row cannot be recorded.
 */
static int open_both(const struct ph_host *host, struct ph_run *run, struct ph_stdio *io[2],
		     struct ph_err *err)
{
	struct ph_err e[2] = {{0}, {0}};
	int rc[2];
	char why[2200];

	/* io NULL: only whether it is configured */
	for (int s = 0; s < 2; s++)
		rc[s] = host->stdio_open(run, (enum ph_side)s, "mcp_stdio", NULL, &e[s]);
	if (rc[0] == PH_E_NOTFOUND && rc[1] == PH_E_NOTFOUND) {
		host->log(run, PH_LOG_INFO,
			  "mcp: no mcp_stdio command in the config: the stdio transport is not "
			  "tested");
		return 0;
	}
	/* the pass starts from the state the HTTP pass started from */
	if (!rc[0] && !rc[1] && (rc[0] = host->runtimes_fresh(run, "stdio", &e[0]))) {
		snprintf(why, sizeof(why), "restarting the runtimes on fresh workspaces: %s",
			 e[0].msg);
		goto failed;
	}
	for (int s = 0; s < 2 && !rc[0] && !rc[1]; s++)
		rc[s] = host->stdio_open(run, (enum ph_side)s, "mcp_stdio", &io[s], &e[s]);
	if (!rc[0] && !rc[1])
		return 1;
	snprintf(why, sizeof(why), "%s%s%s%s%s", rc[0] ? "reference: " : "", rc[0] ? e[0].msg : "",
		 rc[0] && rc[1] ? "; " : "", rc[1] ? "candidate: " : "", rc[1] ? e[1].msg : "");
failed:
	for (int s = 0; s < 2; s++) {
		host->stdio_close(io[s]);
		io[s] = NULL;
	}
	if ((rc[0] = ph_row_error(host, run, F_STDIO, "stdio transport", "not started", why)))
		return ph_error(err, rc[0], "mcp: cannot record the stdio row");
	return 0;
}

int ph_mcp_stdio_run(const struct ph_host *host, struct ph_run *run, const json_t *cases,
		     struct ph_err *err)
{
	struct ph_stdio *io[2] = {NULL, NULL};
	struct ph_mcp_labels labels;
	size_t i, n = 0, done = 0;
	const json_t *c;
	int rc = 0, fatal = 0;

	if (!host_has_stdio(host))
		return 0;
	json_array_foreach(cases, i, c)
	{
		if ((rc = ph_mcp_case_runs_over(c, "stdio", err)) < 0)
			return rc;
		n += (size_t)rc;
	}
	if (!n)
		return 0;
	if ((rc = open_both(host, run, io, err)) <= 0)
		return rc;
	if (ph_mcp_labels_init(&labels)) {
		host->stdio_close(io[0]);
		host->stdio_close(io[1]);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	host->log(run, PH_LOG_INFO, "mcp: %zu cases over stdio", n);
	host->progress(run, 0, (int)n);
	rc = 0;
	json_array_foreach(cases, i, c)
	{
		struct stdio_case x;
		size_t len;

		if (fatal || ph_mcp_case_runs_over(c, "stdio", err) != 1)
			continue;
		memset(&x, 0, sizeof(x));
		x.c = c;
		x.id = (json_int_t)i + 1;
		x.name = json_string_value(json_object_get(c, "name"));
		x.feature = ph_mcp_case_feature(c);
		len = strlen(x.name ? x.name : "?") + sizeof(" (stdio)");
		x.case_name = malloc(len);
		if (!x.feature || !x.case_name) {
			stdio_case_release(&x);
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			break;
		}
		snprintf(x.case_name, len, "%s (stdio)", x.name ? x.name : "?");
		rc = run_case(host, run, io, &x, &labels, &fatal, err);
		stdio_case_release(&x);
		if (rc) {
			const char *file = json_string_value(json_object_get(c, "file"));

			ph_error_prefix(err, "%s/%s", host->suite_dir(run), file ? file : "?");
			break;
		}
		host->progress(run, (int)++done, (int)n);
	}
	ph_mcp_labels_release(&labels);
	host->stdio_close(io[0]);
	host->stdio_close(io[1]);
	return rc;
}
