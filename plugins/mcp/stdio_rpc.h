/*
 * JSON-RPC over an MCP stdio server's line channel (the host's stdio_send/stdio_recv), one
 * message per line, one exchange at a time. A request's answer is the first response
 * carrying its id (server notifications and stray responses in between are skipped); a
 * notification or a raw message (bad envelope, parse error) is followed by a fence, a
 * ping with the harness's own id, and its answer is whatever responses came before the
 * fence's: none for a notification that is handled right, one for a bad message, several
 * or a reply to a notification when the server gets it wrong.
 */
#ifndef PH_PLUGIN_MCP_STDIO_RPC_H
#define PH_PLUGIN_MCP_STDIO_RPC_H

#include <jansson.h>

#include "parity/plugin.h"

#define STDIO_TIMEOUT_MS 15000 /* for one answer, as long as the Rust bridge's 30 s / 2 */

/*
 * One exchange with one side: send body; expect_id is the id a request is answered under
 * (NULL: a notification or raw message, then fenced by a ping with id fence_id). *answer
 * is the reply (a new reference: one message, an array of several, or a line that is not
 * JSON as a string) or NULL when there was none; *latency_ms how long it took. Returns 0,
 * or the host's PH_E_TIMEOUT / PH_E_RUNTIME when the process stopped answering or died.
 */
int ph_mcp_stdio_exchange(const struct ph_host *host, struct ph_stdio *io, const char *body,
			  const json_t *expect_id, json_int_t fence_id, json_t **answer,
			  double *latency_ms, struct ph_err *err);

#endif
