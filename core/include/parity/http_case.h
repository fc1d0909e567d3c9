/*
 * Declarative HTTP cases: a suite case that is one request, sent to both runtimes through
 * the case exchange (parity/exchange.h). The case is a JSON object:
 *
 *   {name, method, path, feature?, body? (JSON) | body_text? (string), headers? {name:
 *    value}, idempotent? (may be sent again; default: GET and HEAD only), count? (the key
 *    of an array in the answer, counted in the reference summary: "200, 10 memories"),
 *    expect? {array, key, value, missing?}}
 *
 * `expect` is an acceptance check on top of the comparison: an element of the answer's
 * array `array` whose `key` is `value` must be in both answers. The reference lacking it
 * is an error row (the suite or fixture is wrong); the candidate lacking it a semantic
 * divergence, its message `missing` followed by the value in quotes (default "the
 * candidate did not return the expected <key>"). Part of phutil.
 */
#ifndef PARITY_HTTP_CASE_H
#define PARITY_HTTP_CASE_H

#include "parity/plugin.h"

/* The request of a declarative case; its pointers borrow from the case. */
struct ph_case_request {
	struct ph_request req;
	struct ph_header headers[32];
	char *body;                  /* the "body" serialised, or NULL */
	char *endpoint;              /* "METHOD /path" */
};

/*
 * Build cr from case c; a malformed case is PH_E_INVALID naming the suite folder and the
 * case. Release cr with ph_case_request_release, also after a failure.
 */
int ph_case_request_build(const struct ph_host *host, struct ph_run *run, const json_t *c,
			  struct ph_case_request *cr, struct ph_err *err);
void ph_case_request_release(struct ph_case_request *cr);

/* May case c be sent again? Its "idempotent" when set, else GET and HEAD may. */
int ph_case_repeatable(const json_t *c);

/*
 * Run case c through the case exchange and record its row; turn as in struct ph_exchange.
 * A failure to ask is an error row; only a malformed case (or a row that cannot be
 * recorded) is an error of the call.
 */
int ph_http_case(const struct ph_host *host, struct ph_run *run, const json_t *c,
		 unsigned turn, struct ph_err *err);

#endif
