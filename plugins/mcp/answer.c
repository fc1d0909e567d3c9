/*
 * Two runtimes' MCP answers made comparable (mcp.h): tool lists keyed by name with their
 * required arguments sorted, text content parsed where it holds JSON, saved ids as their
 * labels; the id a tool answer reports, and the one-line summary of an answer. Recursion
 * here walks parsed json_t values only, whose depth jansson's parser already caps.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"

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
