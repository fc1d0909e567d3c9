/*
 * An MCP tool answer that says the tool could not reach its own daemon's API (mcp.h):
 * such an answer says nothing about the tool, so its case is not evaluated.
 */
#include <stdio.h>
#include <string.h>

#include "mcp.h"

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
