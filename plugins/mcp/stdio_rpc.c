/*
 * JSON-RPC over an MCP stdio server's line channel (stdio_rpc.h): reading until the
 * response a message waits for, and the fence that bounds what a notification was
 * answered with.
 */
#include <stdlib.h>
#include <string.h>

#include "parity/clock.h"
#include "stdio_rpc.h"

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
 * answers every line alike answered the case's message with the first). Every other
 * response before it goes to collect, and the response itself to *answer (answer NULL:
 * dropped, as a fence's is). Lines that are not JSON are kept as strings in collect, or
 * become the answer when nothing else came (a server printing garbage is an answer too,
 * and compares as one).
 */
static int read_until(const struct ph_host *host, struct ph_stdio *io, const json_t *want,
		      int strict, json_t *collect, json_t **answer, double deadline,
		      struct ph_err *err)
{
	for (;;) {
		const char *line;
		size_t len;
		json_t *msg;
		long left = (long)(deadline - ph_now_ms());
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

int ph_mcp_stdio_exchange(const struct ph_host *host, struct ph_stdio *io, const char *body,
			  const json_t *expect_id, json_int_t fence_id, json_t **answer,
			  double *latency_ms, struct ph_err *err)
{
	double t0 = ph_now_ms(), deadline = t0 + STDIO_TIMEOUT_MS;
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
		*latency_ms = ph_now_ms() - t0;
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
	*latency_ms = ph_now_ms() - t0;
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
