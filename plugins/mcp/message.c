/*
 * The JSON-RPC message of an MCP suite case (mcp.h): which method it calls, the body sent
 * to each side (the harness's own ids, saved ids substituted), the feature it is reported
 * under, and the transports it runs over.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcp.h"
#include "parity/labels.h"

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
		int rc = ph_error(err, PH_E_NOMEM, "out of memory");

		if (missing)
			rc = ph_error(err, PH_E_NOTFOUND,
				      "case '%s': '" PH_LABEL_OPEN "%s}' names no id saved by an "
				      "earlier case (\"save_id\": \"%s\", compared as \"$%s\")",
				      name, missing, missing, missing);
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
