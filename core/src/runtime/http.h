/*
 * The HTTP client the core uses to talk to runtimes, on libcurl: one easy handle per
 * runtime (keep-alive), a per-request timeout, redirects never followed, latency from
 * libcurl's own timing. A transport failure is a filled response with `error` set.
 */
#ifndef PARITY_HTTP_H
#define PARITY_HTTP_H

#include "parity/err.h"
#include "parity/plugin.h"

struct ph_http; /* one connection pool to one base URL */

/* base_url like "http://127.0.0.1:4000"; default_timeout_ms for requests without one. */
struct ph_http *ph_http_new(const char *base_url, long default_timeout_ms);

/* The body is capped at max_body bytes (0: 64 MiB); a larger answer is a transport error. */
void ph_http_set_max_body(struct ph_http *h, size_t max_body);

/*
 * Send req and fill resp (always, even on failure: resp->error then says why and the
 * call returns PH_E_HTTP or PH_E_TIMEOUT). Release resp with ph_response_release.
 */
int ph_http_send(struct ph_http *h, const struct ph_request *req, struct ph_response *resp,
		 struct ph_err *err);

/* A single GET with a fresh handle, for health polling: returns the status or < 0. */
long ph_http_get_status(const char *url, long timeout_ms);

/*
 * The same, keeping the body (at most 64 KiB): *body is a new NUL-terminated string, or
 * NULL when nothing came. Returns the status or < 0.
 */
long ph_http_get_body(const char *url, long timeout_ms, char **body);

void ph_http_free(struct ph_http *h);

/* Call once at start-up (curl_global_init). */
int ph_http_global_init(void);
void ph_http_global_cleanup(void);

#endif
