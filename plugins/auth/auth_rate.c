/*
 * A rate-limit case: one request more than the mode's limit, under a token whose sub is
 * the case's own (so no other case used the limiter's key). The last answer (429 with
 * Retry-After, or whatever the reference gives) is the row, compared as one sample; the
 * earlier answers must match status by status, and when they do not the row carries
 * those divergences instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "parity/result.h"
#include "parity/row.h"
#include "parity/strbuf.h"
#include "token.h"

/* The burst's token per side (tok[s] NULL without a role); 0 or the minting error. */
static int burst_tokens(struct ctx *c, const char *role, char *tok[2], struct ph_err *err)
{
	json_t *claims;
	int rc = 0;

	if (!role)
		return 0;
	claims = json_pack("{s:s, s:{}, s:s, s:I, s:I}", "sub", "parity:rate-limit", "scope",
			   "role", role, "iat", (json_int_t)c->now, "exp",
			   (json_int_t)(c->now + 3600));
	for (int s = 0; s < 2 && !rc; s++)
		rc = auth_token_mint(c->side[s].secret, c->side[s].secret_len, claims, &tok[s],
				     err);
	json_decref(claims);
	return rc;
}

/*
 * The n requests within the limit, both sides: a status that differs goes into early; the
 * first request the reference already refused with 429 into *early_limit.
 */
static void burst(struct ctx *c, const json_t *k, char *const tok[2], long long n,
		  struct ph_result *early, long long *early_limit, long *first_status)
{
	for (long long i = 0; i < n; i++) {
		struct ph_response a, b;

		auth_send(c, 0, k, tok[0], &a);
		auth_send(c, 1, k, tok[1], &b);
		if (i == 0)
			*first_status = a.status;
		if (!*early_limit && a.status == 429)
			*early_limit = i + 1;
		if (!a.error && !b.error && a.status != b.status) {
			char path[32];

			snprintf(path, sizeof(path), "request.%lld", i + 1);
			ph_result_addf(early, PH_STRUCTURAL, "status", path, json_integer(a.status),
				       json_integer(b.status),
				       "request %lld of %lld: status %ld -> %ld", i + 1, n + 1,
				       a.status, b.status);
		}
		c->host->response_release(&a);
		c->host->response_release(&b);
	}
}

/*
 * The row of a burst whose earlier statuses differed: those divergences, last latencies.
 * Only statuses were compared: route coverage counts the case's request at depth
 * "status".
 */
static int early_row(struct ctx *c, const json_t *k, const char *name, const char *case_name,
		     long long n, const struct ph_result *early, const struct ph_response *a,
		     const struct ph_response *b)
{
	struct ph_row row = {0};
	char ref[64], *route;
	int rc;

	snprintf(ref, sizeof(ref), "429 after %lld", n);
	row.feature = name;
	row.case_name = case_name;
	row.reference = ref;
	row.result = early;
	row.latency_reference_ms = a->latency_ms;
	row.latency_candidate_ms = b->latency_ms;
	if ((rc = c->host->record(c->run, &row)))
		return rc;
	route = ph_strdup_printf("%s %s", str(k, "method"), str(k, "path"));
	ph_row_annotate_route(c->host, c->run, route, "status");
	free(route);
	return 0;
}

/*
 * A reference that does not answer 429 is still compared: the candidate must do what it
 * does (TS 0.145 crashes its limiter into a 500, the Rust daemon applies no forget limit).
 * The log says so, in case the suite's rateLimits are what is wrong.
 */
static void log_no_limit(struct ctx *c, const char *name, const struct ph_response *a,
			 long long n, long first_status)
{
	if (!a->error && a->status != 429)
		c->host->log(c->run, PH_LOG_INFO,
			     "case '%s': the reference answered %ld, not 429, to request %lld after "
			     "a limit of %lld (its limit %s)",
			     name, a->status, n + 1, n,
			     a->status == first_status ? "did not apply" : "answered otherwise");
}

int auth_rate_limit_row(struct ctx *c, const json_t *k, const json_t *mode)
{
	const char *name = str(k, "name"), *op = str(k, "op");
	json_t *max =
	    json_object_get(json_object_get(json_object_get(mode, "rateLimits"), op), "max");
	char *tok[2] = {NULL, NULL}, case_name[64], why[512];
	struct ph_response a = {0}, b = {0};
	struct ph_result early = {0};
	struct ph_exchange x;
	struct ph_err err;
	long long n, early_limit = 0;
	long first_status = 0;
	int rc;

	if (!json_is_integer(max) || json_integer_value(max) < 1 ||
	    json_integer_value(max) > 1000) {
		snprintf(why, sizeof(why),
			 "%s: case '%s': mode '%s' sets no rateLimits.%s.max between 1 and 1000",
			 c->suite, name, str(mode, "mode"), op);
		auth_progress(c);
		return ph_row_error(c->host, c->run, name, "limit", "not evaluated", why);
	}
	n = json_integer_value(max);
	snprintf(case_name, sizeof(case_name), "request %lld after a limit of %lld", n + 1, n);
	if ((rc = burst_tokens(c, str(k, "role"), tok, &err))) {
		auth_progress(c);
		rc = ph_row_error(c->host, c->run, name, case_name, "not evaluated", err.msg);
		goto out;
	}
	burst(c, k, tok, n, &early, &early_limit, &first_status);
	auth_progress(c);
	if (early_limit || early.count) {
		/* the last request is still sent: the burst is the same on both sides */
		auth_send(c, 0, k, tok[0], &a);
		auth_send(c, 1, k, tok[1], &b);
	}
	if (early_limit) {
		snprintf(why, sizeof(why),
			 "the reference answered 429 to request %lld of %lld already: the key of "
			 "the burst was used before (give the case a role, so the key is its own "
			 "sub)",
			 early_limit, n + 1);
		rc = ph_row_error(c->host, c->run, name, case_name, "not evaluated", why);
	} else if (early.count) {
		log_no_limit(c, name, &a, n, first_status);
		rc = early_row(c, k, name, case_name, n, &early, &a, &b);
	} else {
		/* the last request of a burst may not be sent again: one sample, not judged */
		rc = auth_exchange(c, k, name, case_name, tok, 0, &x);
		log_no_limit(c, name, &x.resp[PH_REFERENCE], n, first_status);
		ph_exchange_release(c->host, &x);
	}
out:
	ph_result_clear(&early);
	free(tok[0]);
	free(tok[1]);
	c->host->response_release(&a);
	c->host->response_release(&b);
	return rc;
}
