/*
 * The MCP plugin's pure helpers (mcp.h): JSON-RPC messages built from suite cases, the
 * feature a case is reported under, and the normalisation that makes two runtimes'
 * answers comparable. Recursion here walks parsed json_t values only, whose depth
 * jansson's parser already caps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"
#include "parity/labels.h"

int ph_mcp_labels_init(struct ph_mcp_labels *l)
{
	for (int s = 0; s < 2; s++) {
		l->by_label[s] = json_object();
		l->by_id[s] = json_object();
		if (!l->by_label[s] || !l->by_id[s]) {
			ph_mcp_labels_release(l);
			return PH_E_NOMEM;
		}
	}
	return 0;
}

const char *ph_mcp_labels_save(struct ph_mcp_labels *l, const char *label,
			       const json_t *const doc[2], const int answered[2])
{
	const char *problem = NULL;

	for (int s = 0; s < 2; s++) {
		char *id = answered[s] ? ph_mcp_result_id(doc[s]) : NULL;
		/* a failed call (a tool error, or a JSON-RPC error) has no id to give */
		int tool_error = json_is_true(json_object_get(json_object_get(doc[s], "result"),
							      "isError")) ||
				 json_object_get(doc[s], "error") != NULL;

		if (id) {
			ph_mcp_labels_set(l, s, label, id);
		} else {
			char self[256];

			/* the tool failed (or never answered): later uses of the label send it as
			 * it is, so both sides are asked the same and the answers still compare */
			snprintf(self, sizeof(self), "$%s", label);
			json_object_set_new(l->by_label[s], label, json_string(self));
			if (s == 0 && answered[s] && !tool_error)
				problem = "the reference answer reports no id to save: the suite or "
					  "fixture is wrong";
		}
		free(id);
	}
	return problem;
}

void ph_mcp_labels_canon(const struct ph_host *host, struct ph_run *run,
			 const struct ph_mcp_labels *l, const char *label)
{
	char name[260], self[260];

	if (!PH_HOST_HAS(host, canon_add))
		return;
	ph_labels_ref(name, sizeof(name), label);
	snprintf(self, sizeof(self), "$%s", label);
	for (int s = 0; s < 2; s++) {
		const char *id = json_string_value(json_object_get(l->by_label[s], label));
		struct ph_err err;

		if (id && strcmp(id, self))
			host->canon_add(run, (enum ph_side)s, id, name, &err);
	}
}

void ph_mcp_labels_release(struct ph_mcp_labels *l)
{
	for (int s = 0; s < 2; s++) {
		json_decref(l->by_label[s]);
		json_decref(l->by_id[s]);
		l->by_label[s] = l->by_id[s] = NULL;
	}
}

int ph_mcp_labels_set(struct ph_mcp_labels *l, int side, const char *label, const char *id)
{
	char tag[256];

	snprintf(tag, sizeof(tag), "$%s", label);
	if (json_object_set_new(l->by_label[side], label, json_string(id)) ||
	    json_object_set_new(l->by_id[side], id, json_string(tag)))
		return PH_E_NOMEM;
	return 0;
}

const char *ph_mcp_case_method(const json_t *c)
{
	json_t *m;

	if (json_object_get(c, "call"))
		return "tools/call";
	m = json_object_get(json_object_get(c, "rpc"), "method");
	if (!m)
		m = json_object_get(json_object_get(c, "notify"), "method");
	return json_string_value(m);
}

int ph_mcp_case_body(const json_t *c, json_int_t id, const struct ph_mcp_labels *l, int side,
		     char **body, struct ph_err *err)
{
	static const char *const kinds[] = {"rpc", "notify", "call", "body", "body_text"};
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *kind = NULL;
	char *missing = NULL;
	json_t *v = NULL, *msg = NULL, *sub;
	int n = 0;

	*body = NULL;
	if (!name)
		name = "?";
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (json_object_get(c, kinds[i])) {
			kind = kinds[i];
			v = json_object_get(c, kinds[i]);
			n++;
		}
	if (n != 1)
		return ph_error(err, PH_E_INVALID,
				"case '%s': expected exactly one of \"rpc\", \"notify\", \"call\", "
				"\"body\", \"body_text\"",
				name);
	if (!strcmp(kind, "body_text")) {
		if (!json_is_string(v))
			return ph_error(err, PH_E_INVALID, "case '%s': body_text: expected a string",
					name);
		*body = strdup(json_string_value(v));
		return *body ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if (strcmp(kind, "body") && !json_is_object(v))
		return ph_error(err, PH_E_INVALID, "case '%s': %s: expected an object", name, kind);
	if (!strcmp(kind, "call") && !json_is_string(json_object_get(v, "name")))
		return ph_error(err, PH_E_INVALID, "case '%s': call: expected a \"name\" string",
				name);
	if ((!strcmp(kind, "rpc") || !strcmp(kind, "notify")) &&
	    !json_is_string(json_object_get(v, "method")))
		return ph_error(err, PH_E_INVALID, "case '%s': %s: expected a \"method\" string",
				name, kind);
	if (!(sub = ph_labels_substitute_json(v, l->by_label[side], &missing))) {
		int rc = missing ? ph_error(err, PH_E_NOTFOUND,
					    "case '%s': '" PH_LABEL_OPEN "%s}' names no id saved by "
					    "an earlier case (\"save_id\": \"%s\", compared as "
					    "\"$%s\")",
					    name, missing, missing, missing)
				 : ph_error(err, PH_E_NOMEM, "out of memory");

		free(missing);
		return rc;
	}
	if (!strcmp(kind, "body")) {
		msg = sub;
	} else if (!strcmp(kind, "call")) {
		msg = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id", id, "method",
				"tools/call", "params", sub);
	} else {
		msg = json_pack("{s:s}", "jsonrpc", "2.0");
		if (msg && !strcmp(kind, "rpc"))
			json_object_set_new(msg, "id", json_integer(id));
		if (msg)
			json_object_update(msg, sub);
		json_decref(sub);
	}
	if (msg)
		*body = json_dumps(msg, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(msg);
	return *body ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
}

char *ph_mcp_case_feature(const json_t *c)
{
	const char *f = json_string_value(json_object_get(c, "feature"));
	const char *method = ph_mcp_case_method(c);
	const char *tool = json_string_value(json_object_get(json_object_get(c, "call"), "name"));
	char buf[512];

	if (f)
		return strdup(f);
	if (tool)
		snprintf(buf, sizeof(buf), "MCP /tools/call/%s", tool);
	else
		snprintf(buf, sizeof(buf), "MCP /%s", method ? method : "raw");
	return strdup(buf);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A copy of the array of strings arr, sorted; other arrays are copied as they are. */
static json_t *sorted_strings(const json_t *arr)
{
	size_t n = json_array_size(arr), i;
	const char **v;
	json_t *out, *x;

	json_array_foreach(arr, i, x) if (!json_is_string(x)) return json_deep_copy(arr);
	if (!(v = calloc(n ? n : 1, sizeof(*v))))
		return NULL;
	json_array_foreach(arr, i, x) v[i] = json_string_value(x);
	qsort(v, n, sizeof(*v), cmp_str);
	out = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(out, json_string(v[i]));
	free(v);
	return out;
}

/* Deep copy with ids of side replaced by labels and text content parsed (see mcp.h). */
static json_t *relabel(const json_t *v, const json_t *by_id)
{
	const char *k;
	json_t *x, *out, *lab;
	size_t i;

	if (json_is_string(v)) {
		lab = json_object_get(by_id, json_string_value(v));
		return lab ? json_incref(lab) : json_copy((json_t *)v);
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, x)
			json_object_set_new(out, k, relabel(x, by_id));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, x) json_array_append_new(out, relabel(x, by_id));
		return out;
	}
	return json_copy((json_t *)v);
}

/* result.tools as {name: tool}, inputSchema.required sorted; in place on the copy. */
static void key_tools(json_t *result)
{
	json_t *tools = json_object_get(result, "tools"), *keyed, *t, *schema, *req;
	size_t i;

	if (!json_is_array(tools))
		return;
	keyed = json_object();
	json_array_foreach(tools, i, t)
	{
		const char *name = json_string_value(json_object_get(t, "name"));
		char anon[48];

		if (!name || json_object_get(keyed, name)) {
			/* a nameless or repeated tool still shows up, under its position */
			snprintf(anon, sizeof(anon), "%.16s#%zu", name ? name : "", i);
			name = anon;
		}
		schema = json_object_get(t, "inputSchema");
		req = json_object_get(schema, "required");
		if (json_is_array(req))
			json_object_set_new(schema, "required", sorted_strings(req));
		json_object_set(keyed, name, t);
	}
	json_object_set_new(result, "tools", keyed);
}

/* Each text content item holding a JSON object or array gets it parsed. */
static void parse_texts(json_t *result)
{
	json_t *content = json_object_get(result, "content"), *item, *doc;
	size_t i;

	json_array_foreach(content, i, item)
	{
		json_t *text = json_object_get(item, "text");

		if (!json_is_string(text))
			continue;
		doc = json_loadb(json_string_value(text), json_string_length(text), 0, NULL);
		if (doc)
			json_object_set_new(item, "text", doc);
	}
}

json_t *ph_mcp_normalise(const json_t *doc, const struct ph_mcp_labels *l, int side,
			 int http_error)
{
	json_t *out = json_deep_copy(doc), *result, *code, *relabelled;

	if (!out)
		return NULL;
	result = json_object_get(out, "result");
	if (json_is_object(result)) {
		key_tools(result);
		parse_texts(result);
	}
	code = json_object_get(json_object_get(out, "error"), "code");
	if (http_error && code && json_is_object(out))
		json_object_set(out, "error_code", code);
	relabelled = relabel(out, l->by_id[side]);
	json_decref(out);
	return relabelled;
}

char *ph_mcp_result_id(const json_t *doc)
{
	json_t *item = json_array_get(
		json_object_get(json_object_get(doc, "result"), "content"), 0);
	json_t *text = json_object_get(item, "text"), *parsed;
	char *id = NULL;

	if (!json_is_string(text))
		return NULL;
	parsed = json_loadb(json_string_value(text), json_string_length(text), 0, NULL);
	if (json_is_string(json_object_get(parsed, "id")))
		id = strdup(json_string_value(json_object_get(parsed, "id")));
	json_decref(parsed);
	return id;
}

int ph_mcp_case_runs_over(const json_t *c, const char *transport, struct ph_err *err)
{
	json_t *list = json_object_get(c, "transports"), *t;
	const char *name = json_string_value(json_object_get(c, "name"));
	int found = 0;
	size_t i;

	if (!list)
		return 1;
	if (!json_is_array(list) || !json_array_size(list))
		goto bad;
	json_array_foreach(list, i, t)
	{
		const char *v = json_string_value(t);

		if (!v || (strcmp(v, "http") && strcmp(v, "stdio")))
			goto bad;
		found |= !strcmp(v, transport);
	}
	return found;
bad:
	return ph_error(err, PH_E_INVALID,
			"case '%s': transports: expected a non-empty array of \"http\" and "
			"\"stdio\"",
			name ? name : "?");
}

void ph_mcp_summary(long status, const json_t *doc, char *buf, size_t len)
{
	json_t *result = json_object_get(doc, "result");
	json_t *code = json_object_get(json_object_get(doc, "error"), "code");
	json_t *tools = json_object_get(result, "tools");
	char what[96];

	if (json_is_integer(code))
		snprintf(what, sizeof(what), "error %" JSON_INTEGER_FORMAT,
			 json_integer_value(code));
	else if (json_is_array(tools))
		snprintf(what, sizeof(what), "%zu tools", json_array_size(tools));
	else if (json_is_string(json_object_get(result, "protocolVersion")))
		snprintf(what, sizeof(what), "protocol %.40s",
			 json_string_value(json_object_get(result, "protocolVersion")));
	else if (json_is_true(json_object_get(result, "isError")))
		snprintf(what, sizeof(what), "tool error");
	else if (result)
		snprintf(what, sizeof(what), "result");
	else if (json_is_array(doc))
		snprintf(what, sizeof(what), "%zu messages", json_array_size(doc));
	else
		what[0] = '\0';
	if (status > 0)
		snprintf(buf, len, "%ld%s%s", status, *what ? ", " : "", what);
	else
		snprintf(buf, len, "%s", *what ? what : doc ? "answer" : "no reply");
}

/* The text of the first content item that says the daemon was not reached, or NULL. */
static const char *unreachable_text(const json_t *doc)
{
	static const char *const marks[] = {"Unable to connect", "ConnectionRefused",
					    "ECONNREFUSED"};
	json_t *result = json_object_get(doc, "result"), *item;
	size_t i, m;

	if (!json_is_true(json_object_get(result, "isError")))
		return NULL;
	json_array_foreach(json_object_get(result, "content"), i, item)
	{
		const char *text = json_string_value(json_object_get(item, "text"));

		for (m = 0; text && m < sizeof(marks) / sizeof(marks[0]); m++)
			if (strstr(text, marks[m]))
				return text;
	}
	return NULL;
}

int ph_mcp_unreachable(const json_t *doc)
{
	return unreachable_text(doc) != NULL;
}

int ph_mcp_unreachable_why(const json_t *const doc[2], const char *hint, char *buf, size_t len,
			   char *tool_text, size_t tool_len)
{
	const char *t[2] = {unreachable_text(doc[0]), unreachable_text(doc[1])};

	if (!t[0] && !t[1])
		return 0;
	if (t[0] && t[1])
		snprintf(buf, len,
			 "not evaluated: reference's and candidate's MCP tools could not reach "
			 "their daemon APIs%s%s%s",
			 hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	else
		snprintf(buf, len,
			 "not evaluated: %s's MCP tool could not reach its daemon API%s%s%s",
			 t[0] ? "reference" : "candidate", hint ? " (" : "", hint ? hint : "",
			 hint ? ")" : "");
	if (tool_text && tool_len)
		snprintf(tool_text, tool_len, "%s%s%s%s%s", t[0] ? "reference: " : "",
			 t[0] ? t[0] : "", t[0] && t[1] ? "; " : "", t[1] ? "candidate: " : "",
			 t[1] ? t[1] : "");
	return 1;
}
