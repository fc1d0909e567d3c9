/*
 * The MCP plugin's pure helpers, shared by its files and its unit test: turning a suite
 * case into the JSON-RPC message sent to /mcp (the harness's own ids, "{id:label}"
 * references replaced by the id a side generated, parity/labels.h; message.c), the ids
 * cases saved (saved_ids.c), making two answers comparable (tool lists keyed by name with
 * input schemas normalised, text content parsed as JSON where it is JSON, generated ids
 * replaced by their labels; answer.c), and telling a tool that could not reach its daemon
 * (unreachable.c). No I/O: jansson only.
 */
#ifndef PH_PLUGIN_MCP_H
#define PH_PLUGIN_MCP_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"
#include "parity/plugin.h"

/* Ids a runtime generated, per side: label -> id and id -> label. */
struct ph_mcp_labels {
	json_t *by_label[2];
	json_t *by_id[2];
};

/* Set up empty maps; release with ph_mcp_labels_release. Returns 0 or PH_E_NOMEM. */
int ph_mcp_labels_init(struct ph_mcp_labels *l);
void ph_mcp_labels_release(struct ph_mcp_labels *l);

/* Remember that side generated id for label ("{id:label}" in cases, "$label" in answers). */
int ph_mcp_labels_set(struct ph_mcp_labels *l, int side, const char *label, const char *id);

/*
 * The body sent for case c to side: "rpc" {method, params?} gets jsonrpc "2.0" and id;
 * "notify" {method, params?} gets jsonrpc only; "call" {name, arguments?} becomes a
 * tools/call request; "body" is sent as it is; "body_text" raw. Every "{id:label}"
 * in a string beneath params, call or body is replaced by side's id for label. *body is a new
 * NUL-terminated string (caller frees). Returns 0; PH_E_INVALID naming the case and the
 * problem when the case is malformed (none or several of those keys, wrong types);
 * PH_E_NOTFOUND when a "{id:label}" names no id side saved (an earlier case failed there).
 */
int ph_mcp_case_body(const json_t *c, json_int_t id, const struct ph_mcp_labels *l, int side,
		     char **body, struct ph_err *err);

/*
 * The feature (matrix row and rules key) of case c: its "feature", else "MCP /<method>",
 * "MCP /tools/call/<tool>" for calls. Caller frees; NULL when out of memory.
 */
char *ph_mcp_case_feature(const json_t *c);

/* The JSON-RPC method case c sends, or NULL (raw bodies). Borrowed from c. */
const char *ph_mcp_case_method(const json_t *c);

/*
 * An answer made comparable, as a new value (doc is not changed): result.tools becomes an
 * object keyed by tool name, each inputSchema's "required" list sorted; a text content
 * item's "text" that holds a JSON object or array is replaced by the parsed value; every
 * string equal to an id of side in l becomes "$label"; with http_error set (the answer's
 * status is >= 400, where the rules ignore the whole "error" object), error.code is
 * copied to a top-level "error_code" so the JSON-RPC code is still compared. NULL when
 * out of memory.
 */
json_t *ph_mcp_normalise(const json_t *doc, const struct ph_mcp_labels *l, int side,
			 int http_error);

/*
 * Keep the id each side's answer doc[side] reports (ph_mcp_result_id) under label, for
 * the sides that answered (answered[side]; doc may be NULL). A side without an id keeps
 * the label as its own value ("$label"), so later cases still send both sides the same.
 * Returns a message (static) when the reference answered without an id and without a
 * tool error, which means the suite or fixture is wrong; NULL otherwise.
 */
const char *ph_mcp_labels_save(struct ph_mcp_labels *l, const char *label,
			       const json_t *const doc[2], const int answered[2]);

/*
 * Have the host compare the ids saved under label as "{id:label}" wherever they appear in
 * the rest of the domain (free text that names them, too), on hosts that offer canon_add.
 */
void ph_mcp_labels_canon(const struct ph_host *host, struct ph_run *run,
			 const struct ph_mcp_labels *l, const char *label);

/*
 * The id a tools/call answer reports: result.content[0].text parsed as JSON, its "id"
 * string. NULL when there is none; borrowed from nothing (a new string, caller frees).
 */
char *ph_mcp_result_id(const json_t *doc);

/*
 * Whether case c runs over transport ("http" or "stdio"): its "transports" list, default
 * both. Returns 1 or 0; PH_E_INVALID naming the case when the list is malformed (not an
 * array of "http"/"stdio").
 */
int ph_mcp_case_runs_over(const json_t *c, const char *transport, struct ph_err *err);

/*
 * A one-line summary of an answer for the matrix's reference column: "200, 4 tools",
 * "200, error -32601", "200, result", "202", "406, error -32000"; with status 0 (stdio,
 * no HTTP status) the same without the status: "4 tools", "error -32601", and "no reply"
 * when doc is NULL.
 */
void ph_mcp_summary(long status, const json_t *doc, char *buf, size_t len);

/*
 * Whether doc is a tool result saying the tool could not reach its own daemon's API:
 * result.isError true and a result.content[].text holding "Unable to connect",
 * "ConnectionRefused" or "ECONNREFUSED" (what a fetch to a port nobody listens on
 * answers). Such an answer says nothing about the tool: it is neither a divergence nor
 * parity. Returns 1 or 0.
 */
int ph_mcp_unreachable(const json_t *doc);

/*
 * When doc[0] (reference) or doc[1] (candidate), either may be NULL, is such an answer:
 * write to buf "not evaluated: <side>'s MCP tool could not reach its daemon API (<hint>)"
 * ("reference's and candidate's MCP tools could not reach their daemon APIs" when both)
 * and return 1; otherwise return 0 and leave buf alone. With tool_text set (it may be
 * NULL) it also receives what the tool answered, e.g. "reference: Memory search failed:
 * Unable to connect ...", cut to fit.
 */
int ph_mcp_unreachable_why(const json_t *const doc[2], const char *hint, char *buf, size_t len,
			   char *tool_text, size_t tool_len);

#endif
