/*
 * Requests the write domain's checks send for themselves, never compared: the remembers
 * that set up a crash batch or a rollback check, the burst fired at a runtime about to be
 * killed, and the reads that look for what survived.
 */
#include <stdlib.h>
#include <string.h>

#include "parity/exchange.h"
#include "parts.h"

/* Send method path (body may be NULL) to side; resp is filled, to release. */
static void ask(const struct ph_host *host, struct ph_run *run, int side, const char *method,
		const char *path, const char *body, long timeout_ms, struct ph_response *resp)
{
	struct ph_request req = {0};
	struct ph_err e;

	req.method = method;
	req.path = path;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = timeout_ms;
	host->http(run, (enum ph_side)side, &req, resp, &e);
}

json_t *ph_write_get_json(const struct ph_host *host, struct ph_run *run, int side,
			  const char *method, const char *path, const char *body)
{
	struct ph_response resp;
	json_t *doc = NULL;

	ask(host, run, side, method, path, body, 0, &resp);
	if (!resp.error && resp.status == 200)
		doc = ph_exchange_body_json(&resp);
	host->response_release(&resp);
	return doc;
}

char *ph_write_post_id(const struct ph_host *host, struct ph_run *run, int side,
		       const char *path, const char *body)
{
	json_t *doc = ph_write_get_json(host, run, side, "POST", path, body);
	const char *s = json_string_value(json_object_get(doc, "id"));
	char *id = s ? strdup(s) : NULL;

	json_decref(doc);
	return id;
}

void ph_write_fire(const struct ph_host *host, struct ph_run *run, int side, const char *method,
		   const char *path, const char *body)
{
	struct ph_response resp;

	/* a 1 ms timeout: do not wait, the kill must land while writes are in flight */
	ask(host, run, side, method, path, body, 1, &resp);
	host->response_release(&resp);
}
