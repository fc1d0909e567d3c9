/*
 * Unit tests of the MCP plugin: the pure helpers of mcp.h (messages from cases, features,
 * normalisation, summaries) and the run hook driven through the shared fake host and
 * fixture (tests/support) whose two "runtimes" are small JSON-RPC responders (fake_mcp.c),
 * so the tests need no process. The fake host's comparison is plain equality of the bodies
 * the plugin hands it, which is exactly what shows whether the plugin's normalisation made
 * two answers alike. The stdio runs add the stdio services to its table, with fake MCP
 * stdio servers that talk more than asked, answer notifications, or die, to drive the
 * stdio pass.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_mcp.h"
#include "mcp.h"
#include "parity/plugin.h"

const struct ph_plugin *ph_mcp_plugin(void);

/* ---- helpers tests ---- */

static json_t *parse(const char *s)
{
	json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);

	assert_non_null(v);
	return v;
}

/* The message ph_mcp_case_body sends for case (JSON) to side as id, parsed. */
static json_t *message_of(const char *case_json, json_int_t id, const struct ph_mcp_labels *l,
			  int side)
{
	json_t *c = parse(case_json), *msg;
	struct ph_err err;
	char *body;

	assert_int_equal(ph_mcp_case_body(c, id, l, side, &body, &err), 0);
	msg = parse(body);
	free(body);
	json_decref(c);
	return msg;
}

/* The "id" argument of a tools/call message. */
static const char *call_id(const json_t *msg)
{
	return json_string_value(
	    json_object_get(json_object_get(json_object_get(msg, "params"), "arguments"), "id"));
}

static void test_case_body_kinds(void **st)
{
	struct ph_mcp_labels l;
	struct ph_err err;
	char *body;
	json_t *c, *msg;

	(void)st;
	assert_int_equal(ph_mcp_labels_init(&l), 0);

	msg = message_of("{\"name\": \"a\", \"rpc\": {\"method\": \"ping\"}}", 7, &l, 0);
	assert_string_equal(json_string_value(json_object_get(msg, "jsonrpc")), "2.0");
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), 7);
	assert_string_equal(json_string_value(json_object_get(msg, "method")), "ping");
	json_decref(msg);

	/* a notification carries no id at all */
	msg = message_of("{\"name\": \"n\", \"notify\": {\"method\":"
			 " \"notifications/initialized\"}}",
			 8, &l, 0);
	assert_null(json_object_get(msg, "id"));
	json_decref(msg);

	msg = message_of("{\"name\": \"c\", \"call\": {\"name\": \"memory_get\", \"arguments\":"
			 " {\"id\": \"x\"}}}",
			 9, &l, 1);
	assert_string_equal(json_string_value(json_object_get(msg, "method")), "tools/call");
	assert_string_equal(call_id(msg), "x");
	json_decref(msg);

	/* raw bodies go out untouched, whatever they hold */
	c = parse("{\"name\": \"r\", \"body_text\": \"{\\\"jsonrpc\\\": \"}");
	assert_int_equal(ph_mcp_case_body(c, 1, &l, 0, &body, &err), 0);
	assert_string_equal(body, "{\"jsonrpc\": ");
	free(body);
	json_decref(c);
	msg = message_of("{\"name\": \"b\", \"body\": {\"jsonrpc\": \"1.0\", \"id\": 3}}", 1, &l,
			 0);
	assert_int_equal(json_integer_value(json_object_get(msg, "id")), 3);
	json_decref(msg);
	ph_mcp_labels_release(&l);
}

static void test_case_body_errors(void **st)
{
	struct ph_mcp_labels l;
	struct ph_err err;
	char *body = (char *)1;
	json_t *c;

	(void)st;
	assert_int_equal(ph_mcp_labels_init(&l), 0);
	c = parse("{\"name\": \"none\"}");
	assert_int_equal(ph_mcp_case_body(c, 1, &l, 0, &body, &err), PH_E_INVALID);
	assert_null(body);
	assert_non_null(strstr(err.msg, "case 'none'"));
	json_decref(c);
	c = parse("{\"name\": \"two\", \"rpc\": {\"method\": \"ping\"}, \"body\": {}}");
	assert_int_equal(ph_mcp_case_body(c, 1, &l, 0, &body, &err), PH_E_INVALID);
	json_decref(c);
	c = parse("{\"name\": \"nomethod\", \"rpc\": {\"params\": {}}}");
	assert_int_equal(ph_mcp_case_body(c, 1, &l, 0, &body, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "method"));
	json_decref(c);
	c = parse("{\"name\": \"label\", \"call\": {\"name\": \"memory_get\", \"arguments\": {\"id\": \"{id:m}\"}}}");
	assert_int_equal(ph_mcp_case_body(c, 1, &l, 0, &body, &err), PH_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "$m"));
	json_decref(c);
	ph_mcp_labels_release(&l);
}

static void test_labels_substitute_per_side(void **st)
{
	static const char get_m[] = "{\"name\": \"g\", \"call\": {\"name\": \"memory_get\","
				    " \"arguments\": {\"id\": \"{id:m}\"}}}";
	struct ph_mcp_labels l;
	json_t *m0, *m1;

	(void)st;
	assert_int_equal(ph_mcp_labels_init(&l), 0);
	assert_int_equal(ph_mcp_labels_set(&l, 0, "m", "id-ref"), 0);
	assert_int_equal(ph_mcp_labels_set(&l, 1, "m", "id-cand"), 0);
	m0 = message_of(get_m, 1, &l, 0);
	m1 = message_of(get_m, 1, &l, 1);
	assert_string_equal(call_id(m0), "id-ref");
	assert_string_equal(call_id(m1), "id-cand");
	json_decref(m0);
	json_decref(m1);
	ph_mcp_labels_release(&l);
}

static void test_feature(void **st)
{
	/* a case, the feature it is recorded under */
	static const char *const cases[][2] = {
	    {"{\"name\": \"a\", \"rpc\": {\"method\": \"tools/list\"}}", "MCP /tools/list"},
	    {"{\"name\": \"a\", \"call\": {\"name\": \"memory_search\"}}",
	     "MCP /tools/call/memory_search"},
	    {"{\"name\": \"a\", \"feature\": \"MCP /errors/x\", \"body_text\": \"\"}",
	     "MCP /errors/x"},
	};

	(void)st;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *c = parse(cases[i][0]);
		char *f = ph_mcp_case_feature(c);

		assert_string_equal(f, cases[i][1]);
		free(f);
		json_decref(c);
	}
}

static json_t *norm(const char *doc, const struct ph_mcp_labels *l, int side, int http_error)
{
	json_t *d = parse(doc), *n = ph_mcp_normalise(d, l, side, http_error);

	json_decref(d);
	assert_non_null(n);
	return n;
}

static void test_normalise_tools_as_set(void **st)
{
	struct ph_mcp_labels l;
	json_t *a, *b, *c;

	(void)st;
	assert_int_equal(ph_mcp_labels_init(&l), 0);
	/* same tools, other order, required listed in another order: equal */
	a = norm("{\"result\": {\"tools\": [{\"name\": \"x\", \"inputSchema\": {\"required\": [\"q\", \"a\"]}},"
		 " {\"name\": \"y\"}]}}", &l, 0, 0);
	b = norm("{\"result\": {\"tools\": [{\"name\": \"y\"}, {\"name\": \"x\", \"inputSchema\":"
		 " {\"required\": [\"a\", \"q\"]}}]}}", &l, 1, 0);
	assert_true(json_equal(a, b));
	assert_non_null(json_object_get(json_object_get(json_object_get(a, "result"), "tools"), "x"));
	/* one tool fewer: a missing key */
	c = norm("{\"result\": {\"tools\": [{\"name\": \"y\"}]}}", &l, 1, 0);
	assert_false(json_equal(a, c));
	assert_null(json_object_get(json_object_get(json_object_get(c, "result"), "tools"), "x"));
	json_decref(a);
	json_decref(b);
	json_decref(c);
	/* a repeated name is not folded into one */
	a = norm("{\"result\": {\"tools\": [{\"name\": \"y\"}, {\"name\": \"y\"}]}}", &l, 0, 0);
	assert_int_equal(json_object_size(json_object_get(json_object_get(a, "result"), "tools")), 2);
	json_decref(a);
	ph_mcp_labels_release(&l);
}

static void test_normalise_text_and_ids(void **st)
{
	struct ph_mcp_labels l;
	json_t *a, *b, *text;

	(void)st;
	assert_int_equal(ph_mcp_labels_init(&l), 0);
	assert_int_equal(ph_mcp_labels_set(&l, 0, "m", "aaa"), 0);
	assert_int_equal(ph_mcp_labels_set(&l, 1, "m", "bbb"), 0);
	/* JSON text parsed (pretty or compact alike), generated ids as labels */
	a = norm("{\"result\": {\"content\": [{\"type\": \"text\", \"text\": \"{\\n  \\\"id\\\": \\\"aaa\\\", \\\"n\\\": 1\\n}\"}]}}",
		 &l, 0, 0);
	b = norm("{\"result\": {\"content\": [{\"type\": \"text\", \"text\": \"{\\\"n\\\":1,\\\"id\\\":\\\"bbb\\\"}\"}]}}",
		 &l, 1, 0);
	assert_true(json_equal(a, b));
	text = json_object_get(json_array_get(json_object_get(json_object_get(a, "result"), "content"), 0),
			       "text");
	assert_string_equal(json_string_value(json_object_get(text, "id")), "$m");
	json_decref(b);
	/* plain text stays a string: JSON against plain text is a type difference */
	b = norm("{\"result\": {\"content\": [{\"type\": \"text\", \"text\": \"not json\"}]}}", &l, 1, 0);
	text = json_object_get(json_array_get(json_object_get(json_object_get(b, "result"), "content"), 0),
			       "text");
	assert_true(json_is_string(text));
	json_decref(a);
	json_decref(b);
	/* the JSON-RPC code of an HTTP error is lifted out of the ignored error object */
	a = norm("{\"error\": {\"code\": -32700, \"message\": \"x\"}}", &l, 0, 1);
	assert_int_equal(json_integer_value(json_object_get(a, "error_code")), -32700);
	json_decref(a);
	a = norm("{\"error\": {\"code\": -32601, \"message\": \"x\"}}", &l, 0, 0);
	assert_null(json_object_get(a, "error_code"));
	json_decref(a);
	ph_mcp_labels_release(&l);
}

static void test_summary_and_result_id(void **st)
{
	char buf[128], *id;
	json_t *d;

	(void)st;
	d = parse("{\"result\": {\"tools\": [{}, {}, {}]}}");
	ph_mcp_summary(200, d, buf, sizeof(buf));
	assert_string_equal(buf, "200, 3 tools");
	json_decref(d);
	d = parse("{\"error\": {\"code\": -32601}}");
	ph_mcp_summary(200, d, buf, sizeof(buf));
	assert_string_equal(buf, "200, error -32601");
	json_decref(d);
	ph_mcp_summary(202, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "202");
	d = parse("{\"result\": {\"content\": [{\"type\": \"text\", \"text\": \"{\\\"id\\\": \\\"u-1\\\"}\"}]}}");
	id = ph_mcp_result_id(d);
	assert_string_equal(id, "u-1");
	free(id);
	json_decref(d);
	d = parse("{\"result\": {\"content\": [{\"type\": \"text\", \"text\": \"plain\"}]}}");
	assert_null(ph_mcp_result_id(d));
	json_decref(d);
}

static void test_unreachable(void **st)
{
	char buf[300], said[300];
	json_t *a, *b, *ok;

	(void)st;
	a = parse("{\"result\": {\"isError\": true, \"content\": [{\"type\": \"text\", "
		  "\"text\": \"Memory search failed: Unable to connect. Is the computer able to "
		  "access the url?\"}]}}");
	b = parse("{\"result\": {\"isError\": true, \"content\": [{\"type\": \"text\", "
		  "\"text\": \"x\"}, {\"type\": \"text\", \"text\": \"error sending request: "
		  "ConnectionRefused\"}]}}");
	assert_true(ph_mcp_unreachable(a));
	assert_true(ph_mcp_unreachable(b));
	ok = parse("{\"result\": {\"isError\": true, \"content\": [{\"type\": \"text\", "
		   "\"text\": \"connect ECONNREFUSED 127.0.0.1:3850\"}]}}");
	assert_true(ph_mcp_unreachable(ok));
	json_decref(ok);
	/* the same words in a successful answer, or another tool error: a real answer */
	ok = parse("{\"result\": {\"content\": [{\"type\": \"text\", \"text\": "
		   "\"Unable to connect\"}]}}");
	assert_false(ph_mcp_unreachable(ok));
	json_decref(ok);
	ok = parse("{\"result\": {\"isError\": true, \"content\": [{\"type\": \"text\", "
		   "\"text\": \"MCP error -32602: Input validation error\"}]}}");
	assert_false(ph_mcp_unreachable(ok));
	assert_false(ph_mcp_unreachable(NULL));
	{
		const json_t *const none[2] = {ok, NULL};
		const json_t *const ref[2] = {a, ok};
		const json_t *const cand[2] = {ok, b};
		const json_t *const both[2] = {a, b};

		strcpy(buf, "untouched");
		assert_int_equal(ph_mcp_unreachable_why(none, "h", buf, sizeof(buf), NULL, 0), 0);
		assert_string_equal(buf, "untouched");
		assert_int_equal(ph_mcp_unreachable_why(ref, "h", buf, sizeof(buf), said,
							 sizeof(said)),
				 1);
		assert_string_equal(buf, "not evaluated: reference's MCP tool could not reach "
					 "its daemon API (h)");
		assert_string_equal(said, "reference: Memory search failed: Unable to connect. "
					  "Is the computer able to access the url?");
		assert_int_equal(ph_mcp_unreachable_why(cand, NULL, buf, sizeof(buf), NULL, 0), 1);
		assert_string_equal(buf, "not evaluated: candidate's MCP tool could not reach "
					 "its daemon API");
		assert_int_equal(ph_mcp_unreachable_why(both, "h", buf, sizeof(buf), said,
							 sizeof(said)),
				 1);
		assert_string_equal(buf, "not evaluated: reference's and candidate's MCP tools "
					 "could not reach their daemon APIs (h)");
		assert_non_null(strstr(said, "; candidate: error sending request: "
					     "ConnectionRefused"));
	}
	json_decref(ok);
	json_decref(a);
	json_decref(b);
}

/* ---- the run hook through the fake runtimes (fake_mcp.c) ---- */

/* Run the plugin (over stdio too when stdio is set): it must run through. */
static void run_ok(int stdio)
{
	struct ph_err err;

	assert_int_equal(stdio ? run_plugin_stdio(&err) : run_plugin(&err), 0);
}

/*
 * Run the plugin (over stdio too when stdio is set) with side's runtime misbehaving as q:
 * it must run through. Returns the number of rows recorded.
 */
static size_t run_with(enum ph_side side, enum quirk q, int stdio)
{
	F.quirk[side] = q;
	run_ok(stdio);
	return json_array_size(F.rows);
}

/* The class of each row: want holds case, class pairs, then NULL. */
static void expect_classes(const char *const *want)
{
	for (; want[0]; want += 2)
		assert_string_equal(row_cls(want[0]), want[1]);
}

static void test_stdio_self_parity(void **st)
{
	(void)st;
	/* the candidate talks more (its own notifications) and generates other ids */
	F.squirk[1] = S_CHATTY;
	assert_int_equal(run_with(PH_CANDIDATE, Q_REVERSED_TOOLS, 1), 10);
	assert_int_equal(F.fresh, 1);
	assert_int_equal(F.open_io, 0); /* both closed */
	assert_string_equal(row_cls("init-note (stdio)"), "parity");
	assert_string_equal(row_field("init-note (stdio)", "reference"), "no reply");
	assert_string_equal(row_cls("tools (stdio)"), "parity");
	assert_string_equal(row_field("tools (stdio)", "reference"), "2 tools");
	assert_string_equal(row_field("tools (stdio)", "feature"), "MCP /tools/list");
	/* ids saved over stdio are the stdio pass's own */
	expect_classes((const char *const[]){"store (stdio)", "parity", "get (stdio)", "parity",
					     "nope (stdio)", "parity", NULL});
	assert_string_equal(row_field("nope (stdio)", "reference"), "error -32601");
}

static void test_stdio_reply_to_notification(void **st)
{
	(void)st;
	F.squirk[1] = S_NOTIFY_REPLY;
	run_ok(1);
	assert_string_equal(row_cls("init-note"), "parity"); /* HTTP is fine */
	assert_string_equal(row_cls("init-note (stdio)"), "semantic"); /* the fake's "differs" */
	assert_string_equal(row_cls("tools (stdio)"), "parity");
	assert_string_equal(row_cls("get (stdio)"), "parity");
}

static void test_stdio_not_configured(void **st)
{
	(void)st;
	/* neither side: no stdio rows, no restart */
	F.squirk[0] = F.squirk[1] = S_NOT_CONFIGURED;
	run_ok(1);
	assert_int_equal(json_array_size(F.rows), 5);
	assert_int_equal(F.fresh, 0);
	/* only one side: one error row saying which */
	json_array_clear(F.rows);
	F.squirk[0] = S_NONE;
	run_ok(1);
	assert_int_equal(json_array_size(F.rows), 6);
	assert_string_equal(row_cls("stdio transport"), "error");
	assert_string_equal(row_field("stdio transport", "feature"), "MCP stdio");
	assert_non_null(strstr(row_field("stdio transport", "error"), "candidate"));
	assert_int_equal(F.fresh, 0);
	assert_int_equal(F.open_io, 0);
}

static void test_stdio_server_dies(void **st)
{
	(void)st;
	/* the candidate takes two messages (the notification and its fence), then exits */
	F.squirk[1] = S_DIES;
	run_ok(1);
	assert_string_equal(row_cls("init-note (stdio)"), "parity");
	assert_string_equal(row_cls("tools (stdio)"), "error");
	assert_non_null(strstr(row_field("tools (stdio)", "error"), "candidate over stdio"));
	assert_non_null(strstr(row_field("tools (stdio)", "error"), "exited"));
	/* the pass ends there: nothing recorded for the rest over stdio */
	assert_null(row_cls("store (stdio)"));
	assert_int_equal(json_array_size(F.rows), 7);
	assert_int_equal(F.open_io, 0);
}

static void test_transports_key(void **st)
{
	struct ph_err err;

	(void)st;
	assert_int_equal(write_suite("{\"cases\": ["
				     "{\"name\": \"h\", \"rpc\": {\"method\": \"ping\"}, "
				     "\"transports\": [\"http\"]},"
				     "{\"name\": \"s\", \"rpc\": {\"method\": \"ping\"}, "
				     "\"transports\": [\"stdio\"]}]}"),
			 0);
	run_ok(1);
	assert_int_equal(json_array_size(F.rows), 2);
	assert_string_equal(row_cls("h"), "parity");
	assert_string_equal(row_cls("s (stdio)"), "parity");
	assert_null(row_cls("s"));
	assert_null(row_cls("h (stdio)"));
	assert_int_equal(write_suite("{\"cases\": [{\"name\": \"t\", \"rpc\": {\"method\": "
				     "\"ping\"}, \"transports\": [\"smoke\"]}]}"),
			 0);
	assert_int_equal(run_plugin_stdio(&err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "case 't': transports"));
}

static void test_run_self_parity(void **st)
{
	json_t *r;

	(void)st;
	/* candidate lists tools in another order and generates other ids: still parity */
	assert_int_equal(run_with(PH_CANDIDATE, Q_REVERSED_TOOLS, 0), 5);
	expect_classes((const char *const[]){"init-note", "parity", "tools", "parity", "store",
					     "parity", "get", "parity", "nope", "parity", NULL});
	r = json_array_get(F.rows, 1);
	assert_string_equal(json_string_value(json_object_get(r, "feature")), "MCP /tools/list");
	assert_string_equal(json_string_value(json_object_get(r, "reference")), "200, 2 tools");
	r = json_array_get(F.rows, 4);
	assert_string_equal(json_string_value(json_object_get(r, "feature")),
			    "MCP /errors/unknown-method");
	assert_string_equal(json_string_value(json_object_get(r, "reference")),
			    "200, error -32601");
	/* every request asked for both media types */
	assert_int_equal(F.accept_seen[0], 5);
	assert_int_equal(F.accept_seen[1], 5);
}

static void test_run_missing_tool(void **st)
{
	(void)st;
	run_with(PH_CANDIDATE, Q_MISSING_TOOL, 0);
	assert_string_equal(row_cls("tools"), "semantic"); /* the fake compare's "differs" */
	assert_string_equal(row_cls("store"), "parity");
	assert_string_equal(row_cls("get"), "parity");
}

static void test_run_runtime_down(void **st)
{
	size_t i;
	json_t *r;

	(void)st;
	assert_int_equal(run_with(PH_CANDIDATE, Q_DOWN, 0), 5);
	json_array_foreach(F.rows, i, r)
	{
		const char *cls = json_string_value(json_object_get(r, "class"));

		/* "get" cannot even be built for the candidate: its saved id is missing */
		assert_string_equal(cls, "error");
		assert_non_null(json_string_value(json_object_get(r, "error")));
	}
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(F.rows, 3), "error")),
			       "candidate"));
}

static void test_run_unreachable(void **st)
{
	const char *want = "not evaluated: reference's MCP tool could not reach its daemon API "
			   "(the TS /mcp route calls http://localhost:3850 unless the daemon "
			   "listens there)";
	json_t *lat;

	(void)st;
	/* the reference's tools cannot reach its daemon: its tool calls are not compared */
	assert_int_equal(run_with(PH_REFERENCE, Q_UNREACHABLE, 0), 5);
	expect_classes((const char *const[]){"init-note", "parity", "tools", "parity", "nope",
					     "parity", NULL});
	/* neither a divergence nor parity: an error row that says why */
	assert_string_equal(row_cls("store"), "error");
	assert_string_equal(row_field("store", "reference"), want);
	assert_string_equal(row_field("store", "feature"), "MCP /tools/call/memory_store");
	assert_non_null(strstr(row_field("store", "error"), want));
	assert_non_null(strstr(row_field("store", "error"),
			       "reference: Memory store failed: Unable to connect"));
	/* not evaluable, yet both answered: the latencies measured stay in the row */
	lat = json_object_get(fake_host_row(&F.fx->fh, "store"), "latency_ms");
	assert_true(json_real_value(json_object_get(lat, "reference")) == 1.0);
	assert_true(json_real_value(json_object_get(lat, "candidate")) == 1.0);
	assert_int_equal(json_array_size(json_object_get(fake_host_row(&F.fx->fh, "store"),
							 "divergences")),
			 0);
	/* the reference saved no id; the next call goes out ("$s") and is not evaluated */
	assert_string_equal(row_cls("get"), "error");
	assert_string_equal(row_field("get", "reference"), want);
}

static void test_stdio_unreachable(void **st)
{
	(void)st;
	/* the candidate's stdio server (and daemon) cannot reach its API */
	assert_int_equal(run_with(PH_CANDIDATE, Q_UNREACHABLE, 1), 10);
	assert_string_equal(row_cls("tools (stdio)"), "parity");
	assert_string_equal(row_cls("store (stdio)"), "error");
	assert_string_equal(row_field("store (stdio)", "reference"),
			    "not evaluated: candidate's MCP tool could not reach its daemon API "
			    "(its MCP stdio server calls SIGNET_DAEMON_URL, else port 3850)");
	assert_non_null(strstr(row_field("store (stdio)", "error"), "candidate: Memory store"));
	assert_string_equal(row_cls("get (stdio)"), "error");
	assert_string_equal(row_cls("nope (stdio)"), "parity");
}

static void test_run_malformed_case(void **st)
{
	struct ph_err err;

	(void)st;
	assert_int_equal(write_suite("{\"cases\": [{\"name\": \"bad\", \"rpc\": {\"params\": {}}}]}"), 0);
	assert_int_equal(run_plugin(&err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "cases.json"));
	assert_non_null(strstr(err.msg, "case 'bad'"));
	assert_int_equal(json_array_size(F.rows), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_body_kinds),
		cmocka_unit_test(test_case_body_errors),
		cmocka_unit_test(test_labels_substitute_per_side),
		cmocka_unit_test(test_feature),
		cmocka_unit_test(test_normalise_tools_as_set),
		cmocka_unit_test(test_normalise_text_and_ids),
		cmocka_unit_test(test_summary_and_result_id),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_run_self_parity),
		cmocka_unit_test(test_run_missing_tool),
		cmocka_unit_test(test_run_runtime_down),
		cmocka_unit_test(test_run_malformed_case),
		cmocka_unit_test(test_run_unreachable),
		cmocka_unit_test(test_stdio_unreachable),
		cmocka_unit_test(test_stdio_self_parity),
		cmocka_unit_test(test_stdio_reply_to_notification),
		cmocka_unit_test(test_stdio_not_configured),
		cmocka_unit_test(test_stdio_server_dies),
		cmocka_unit_test(test_transports_key),
	};

	return plugin_fixture_run_tests(&mcp_fixture, tests);
}
