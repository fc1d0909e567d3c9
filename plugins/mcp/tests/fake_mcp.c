/*
 * The MCP plugin's test runtimes (fake_mcp.h): the shared fake host's table with a
 * JSON-RPC responder behind its HTTP, and fake MCP stdio servers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_mcp.h"

const struct ph_plugin *ph_mcp_plugin(void);

struct fake F;

/* A tiny JSON-RPC server: tools/list, tools/call memory_store (a new id per side), ping. */
static json_t *answer(int side, const json_t *msg, long *status)
{
	const char *method = json_string_value(json_object_get(msg, "method"));
	json_t *id = json_object_get(msg, "id");

	*status = 200;
	if (!strcmp(method, "ping"))
		return json_pack("{s:s, s:O, s:{}}", "jsonrpc", "2.0", "id", id, "result");
	if (!strcmp(method, "tools/list")) {
		json_t *tools = json_array();

		if (F.quirk[side] != Q_MISSING_TOOL)
			json_array_append_new(tools, json_pack("{s:s, s:{s:[s,s]}}", "name",
							       "memory_store", "inputSchema",
							       "required", "content", "who"));
		json_array_append_new(tools, json_pack("{s:s}", "name", "memory_get"));
		if (F.quirk[side] == Q_REVERSED_TOOLS) {
			json_t *t0 = json_incref(json_array_get(tools, 0));

			json_array_remove(tools, 0);
			json_array_append_new(tools, t0);
			json_object_set_new(json_object_get(json_array_get(tools, 1), "inputSchema"),
					    "required", json_pack("[s,s]", "who", "content"));
		}
		return json_pack("{s:s, s:O, s:{s:o}}", "jsonrpc", "2.0", "id", id, "result", "tools",
				 tools);
	}
	if (!strcmp(method, "tools/call")) {
		json_t *args = json_object_get(json_object_get(msg, "params"), "arguments");
		const char *want = json_string_value(json_object_get(args, "id"));
		char text[128];

		/* what TS's tools answer when fetch finds nobody on localhost:3850 */
		if (F.quirk[side] == Q_UNREACHABLE)
			return json_pack("{s:s, s:O, s:{s:[{s:s, s:s}], s:b}}", "jsonrpc", "2.0",
					 "id", id, "result", "content", "type", "text", "text",
					 "Memory store failed: Unable to connect. Is the computer "
					 "able to access the url?",
					 "isError", 1);

		if (want) /* memory_get: echo the id asked for */
			snprintf(text, sizeof(text), "{\"id\": \"%s\", \"found\": true}", want);
		else
			snprintf(text, sizeof(text), "{\"id\": \"side%d-%d\", \"stored\": true}", side,
				 ++F.stored[side]);
		return json_pack("{s:s, s:O, s:{s:[{s:s, s:s}]}}", "jsonrpc", "2.0", "id", id,
				 "result", "content", "type", "text", "text", text);
	}
	return json_pack("{s:s, s:O, s:{s:i, s:s}}", "jsonrpc", "2.0", "id", id, "error", "code",
			 -32601, "message", "Method not found");
}

/* The fake host's responder: the HTTP side of the JSON-RPC server above. */
static int fake_http(struct fake_host *fh, enum ph_side side, const struct ph_request *req,
		     struct ph_response *resp)
{
	json_t *msg, *doc;

	(void)fh;
	resp->latency_ms = 1;
	if (F.quirk[side] == Q_DOWN) {
		resp->error = strdup("connection refused"); /* the fake host fails the call */
		return 0;
	}
	assert_string_equal(req->path, "/mcp");
	for (size_t i = 0; i < req->n_headers; i++)
		if (!strcmp(req->headers[i].name, "Accept") &&
		    strstr(req->headers[i].value, "text/event-stream"))
			F.accept_seen[side]++;
	msg = json_loadb(req->body, req->body_len, 0, NULL);
	assert_non_null(msg);
	if (!json_object_get(msg, "id")) {
		resp->status = 202;
		resp->body = strdup("");
		json_decref(msg);
		return 0;
	}
	doc = answer(side, msg, &resp->status);
	resp->body = json_dumps(doc, JSON_COMPACT);
	resp->body_len = strlen(resp->body);
	resp->content_type = strdup("application/json");
	json_decref(doc);
	json_decref(msg);
	return 0;
}

/* A fake MCP stdio server: answers computed on send, queued as lines. */
struct ph_stdio {
	int side;
	int sent;
	int dead;
	json_t *queue; /* strings */
	char *line;
};

static int fake_stdio_open(struct ph_run *run, enum ph_side side, const char *key,
			   struct ph_stdio **io, struct ph_err *err)
{
	(void)run;
	assert_string_equal(key, "mcp_stdio");
	if (F.squirk[side] == S_NOT_CONFIGURED)
		return ph_error(err, PH_E_NOTFOUND, "%s names no mcp_stdio",
				side ? "candidate" : "reference");
	if (!io)
		return 0;
	*io = calloc(1, sizeof(**io));
	assert_non_null(*io);
	(*io)->side = side;
	(*io)->queue = json_array();
	F.open_io++;
	return 0;
}

static void push(struct ph_stdio *io, json_t *msg)
{
	char *s = json_dumps(msg, JSON_COMPACT);

	json_array_append_new(io->queue, json_string(s));
	free(s);
	json_decref(msg);
}

static int fake_stdio_send(struct ph_stdio *io, const char *line, size_t len, long timeout_ms,
			   struct ph_err *err)
{
	json_t *msg;
	long status;

	(void)timeout_ms;
	(void)err;
	assert_null(memchr(line, '\n', len));
	if (++io->sent >= 3 && F.squirk[io->side] == S_DIES) {
		io->dead = 1;
		return 0;
	}
	msg = json_loadb(line, len, 0, NULL);
	assert_non_null(msg);
	if (F.squirk[io->side] == S_CHATTY)
		push(io, json_pack("{s:s, s:s}", "jsonrpc", "2.0", "method",
				   "notifications/message"));
	if (!json_object_get(msg, "id")) {
		if (F.squirk[io->side] == S_NOTIFY_REPLY)
			push(io, json_pack("{s:s, s:n, s:{}}", "jsonrpc", "2.0", "id", "result"));
	} else {
		push(io, answer(io->side, msg, &status));
	}
	json_decref(msg);
	return 0;
}

static int fake_stdio_recv(struct ph_stdio *io, long timeout_ms, const char **line, size_t *len,
			   struct ph_err *err)
{
	(void)timeout_ms;
	if (!json_array_size(io->queue)) {
		if (io->dead)
			return ph_error(err, PH_E_RUNTIME, "exited with status 1");
		return ph_error(err, PH_E_TIMEOUT, "did not answer");
	}
	free(io->line);
	io->line = strdup(json_string_value(json_array_get(io->queue, 0)));
	json_array_remove(io->queue, 0);
	*line = io->line;
	*len = strlen(io->line);
	return 0;
}

static void fake_stdio_close(struct ph_stdio *io)
{
	if (!io)
		return;
	F.open_io--;
	json_decref(io->queue);
	free(io->line);
	free(io);
}

static int fake_runtimes_fresh(struct ph_run *run, const char *label, struct ph_err *err)
{
	(void)run;
	(void)err;
	assert_string_equal(label, "stdio");
	F.fresh++;
	F.stored[0] = F.stored[1] = 0;
	return 0;
}

static const char SUITE[] =
	"{\"cases\": ["
	"{\"name\": \"init-note\", \"notify\": {\"method\": \"notifications/initialized\"}},"
	"{\"name\": \"tools\", \"rpc\": {\"method\": \"tools/list\"}},"
	"{\"name\": \"store\", \"call\": {\"name\": \"memory_store\", \"arguments\": {\"content\": \"c\"}},"
	" \"save_id\": \"s\"},"
	"{\"name\": \"get\", \"call\": {\"name\": \"memory_get\", \"arguments\": {\"id\": \"{id:s}\"}}},"
	"{\"name\": \"nope\", \"feature\": \"MCP /errors/unknown-method\", \"rpc\": {\"method\": \"x/y\"}}"
	"]}";

int write_suite(const char *text)
{
	plugin_fixture_write(F.fx, "cases.json", text);
	return 0;
}

static int mcp_setup(struct plugin_fixture *fx)
{
	memset(&F, 0, sizeof(F));
	F.fx = fx;
	F.rows = fx->fh.rows;
	fx->fh.respond = fake_http;
	return write_suite(SUITE);
}

const struct plugin_fixture_spec mcp_fixture = {
    .domain = "mcp", .entry = ph_mcp_plugin, .setup = mcp_setup};

const char *row_cls(const char *case_name)
{
	return fake_host_row_class(&F.fx->fh, case_name);
}

const char *row_field(const char *case_name, const char *key)
{
	return json_string_value(json_object_get(fake_host_row(&F.fx->fh, case_name), key));
}

int run_plugin(struct ph_err *err)
{
	assert_string_equal(ph_mcp_plugin()->name, "mcp");
	return plugin_fixture_run(F.fx, err);
}

/* Run with a host that has the stdio services (ABI 1.1). */
int run_plugin_stdio(struct ph_err *err)
{
	struct ph_host h = F.fx->fh.host;

	h.stdio_open = fake_stdio_open;
	h.stdio_send = fake_stdio_send;
	h.stdio_recv = fake_stdio_recv;
	h.stdio_close = fake_stdio_close;
	h.runtimes_fresh = fake_runtimes_fresh;
	return ph_mcp_plugin()->run(NULL, &h, fake_host_run(&F.fx->fh), err);
}
