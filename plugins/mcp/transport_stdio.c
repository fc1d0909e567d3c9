/*
 * The MCP suite over stdio (mcp_run.h): each runtime's MCP stdio server (the config's
 * "mcp_stdio" command, e.g. `signet-mcp`) is started once for the pass and spoken to one
 * JSON-RPC message per line. A request's answer is the first response carrying its id
 * (server notifications and stray responses in between are skipped); a notification or a
 * raw message (bad envelope, parse error) is followed by a fence, a ping with the
 * harness's own id, and its answer is whatever responses came before the fence's: none
 * for a notification that is handled right, one for a bad message, several or a reply
 * to a notification when the server gets it wrong. Answers are normalised as over HTTP
 * (mcp.h, with no HTTP status) and compared under the same rules key, so a row over stdio
 * carries the same feature as over HTTP and a case name ending in " (stdio)". Latencies
 * are recorded but not classed: a stdio bridge's latency is the daemon's plus a hop, and
 * cannot be re-sampled the way timing_confirm re-sends HTTP requests. A tool answer saying
 * it could not reach its own daemon is an error row, as over HTTP.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mcp.h"
#include "mcp_run.h"

#define STDIO_TIMEOUT_MS 15000 /* for one answer, as long as the Rust bridge's 30 s / 2 */
#define F_STDIO "MCP stdio"
/* TS's mcp-stdio.ts calls SIGNET_DAEMON_URL, else SIGNET_HOST/SIGNET_PORT, else :3850 */
#define UNREACHABLE_HINT "its MCP stdio server calls SIGNET_DAEMON_URL, else port 3850"

static const char *const side_names[] = {"reference", "candidate"};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Does the host offer the stdio services (ABI 1.1)? */
static int host_has_stdio(const struct ph_host *host)
{
	return host->size >= offsetof(struct ph_host, runtimes_fresh) +
				     sizeof(host->runtimes_fresh) &&
	       host->stdio_open && host->stdio_send && host->stdio_recv && host->stdio_close &&
	       host->runtimes_fresh;
}

/*
 * A response (not a request or notification from the server) with this id? An error
 * response whose id is null or absent also answers it: JSON-RPC says so when the server
 * could not tell the request's id, and the harness has one request outstanding at a time
 * (a bridge that fails before it reads the id, e.g. one refused by its daemon, answers
 * this way).
 */
static int is_response_to(const json_t *msg, const json_t *id, int strict)
{
	const json_t *got;

	if (!json_is_object(msg) || json_object_get(msg, "method"))
		return 0;
	if (!json_object_get(msg, "result") && !json_object_get(msg, "error"))
		return 0;
	got = json_object_get(msg, "id");
	if (!id || json_equal(got, (json_t *)id))
		return 1;
	return !strict && json_object_get(msg, "error") && (!got || json_is_null(got));
}

/* Has collect an error response without an id already? */
static int holds_idless_error(const json_t *collect)
{
	const json_t *m;
	size_t i;

	json_array_foreach(collect, i, m)
	{
		const json_t *id = json_object_get(m, "id");

		if (json_is_object(m) && json_object_get(m, "error") && (!id || json_is_null(id)))
			return 1;
	}
	return 0;
}

/*
 * Read messages until a response to want arrives (strict: with exactly that id, as a
 * fence ping's must; but a second error without an id is the fence's too: a bridge that
 * answers every line alike answered the case's message with the first). With collect set, every other response before it goes there (the
 * fence); otherwise *answer gets the response itself. Lines
 * that are not JSON are kept as strings in collect, or become the answer when nothing
 * else came (a server printing garbage is an answer too, and compares as one).
 */
static int read_until(const struct ph_host *host, struct ph_stdio *io, const json_t *want,
		      int strict, json_t *collect, json_t **answer, double deadline,
		      struct ph_err *err)
{
	for (;;) {
		const char *line;
		size_t len;
		json_t *msg;
		long left = (long)(deadline - now_ms());
		int rc;

		if (left < 1)
			left = 1;
		if ((rc = host->stdio_recv(io, left, &line, &len, err)))
			return rc;
		if (!len)
			continue;
		msg = json_loadb(line, len, JSON_DECODE_ANY, NULL);
		if (!msg) {
			json_array_append_new(collect, json_stringn(line, len));
			continue;
		}
		if (is_response_to(msg, want, strict) ||
		    (strict && is_response_to(msg, want, 0) && holds_idless_error(collect))) {
			if (answer)
				*answer = msg;
			else
				json_decref(msg);
			return 0;
		}
		if (json_is_object(msg) && json_object_get(msg, "method"))
			json_decref(msg); /* the server's own notification or request */
		else
			json_array_append_new(collect, msg);
	}
}

/*
 * One exchange with one side: send body; *answer is the reply (a new reference) or NULL
 * when there was none. fence_id: the id of this case's fence ping.
 */
static int exchange(const struct ph_host *host, struct ph_stdio *io, const char *body,
		    const json_t *expect_id, json_int_t fence_id, json_t **answer,
		    double *latency_ms, struct ph_err *err)
{
	double t0 = now_ms(), deadline = t0 + STDIO_TIMEOUT_MS;
	json_t *collect = json_array(), *fence = NULL, *reply = NULL;
	char *fence_body = NULL;
	int rc;

	*answer = NULL;
	if (!collect)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = host->stdio_send(io, body, strlen(body), STDIO_TIMEOUT_MS, err)))
		goto out;
	if (expect_id) {
		rc = read_until(host, io, expect_id, 0, collect, &reply, deadline, err);
		*latency_ms = now_ms() - t0;
		if (!rc)
			*answer = reply;
		goto out;
	}
	fence = json_integer(fence_id);
	{
		json_t *ping = fence ? json_pack("{s:s, s:O, s:s}", "jsonrpc", "2.0", "id", fence,
						 "method", "ping")
				     : NULL;

		fence_body = ping ? json_dumps(ping, JSON_COMPACT) : NULL;
		json_decref(ping);
	}
	if (!fence_body) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = host->stdio_send(io, fence_body, strlen(fence_body), STDIO_TIMEOUT_MS, err)) ||
	    (rc = read_until(host, io, fence, 1, collect, NULL, deadline, err)))
		goto out;
	*latency_ms = now_ms() - t0;
	if (json_array_size(collect) == 1)
		*answer = json_incref(json_array_get(collect, 0));
	else if (json_array_size(collect) > 1)
		*answer = json_incref(collect);
out:
	free(fence_body);
	json_decref(fence);
	json_decref(collect);
	return rc;
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
			rc = ph_mcp_error_row(host, run, x->feature, x->case_name, "not sent", why);
			goto out;
		}
		if (rc)
			goto out;
	}
	for (int s = 0; s < 2; s++) {
		struct ph_err e = {0};

		/* fences use negative ids: never one of the harness's case ids */
		if (exchange(host, io[s], x->body[s], want, -x->id, &x->answer[s], &x->latency[s],
			     &e)) {
			snprintf(why, sizeof(why), "%s over stdio: %s", side_names[s], e.msg);
			*fatal = 1;
			rc = ph_mcp_error_row(host, run, x->feature, x->case_name,
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
			rc = ph_mcp_error_row(host, run, x->feature, x->case_name, not_evaluated,
					      why);
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
		rc = ph_mcp_error_row(host, run, x->feature, x->case_name, summary, err->msg);
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
	if ((rc[0] = ph_mcp_error_row(host, run, F_STDIO, "stdio transport", "not started", why)))
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
