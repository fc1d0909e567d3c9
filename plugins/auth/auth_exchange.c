/*
 * One request of an auth case to both runtimes, each with the token minted with its own
 * secret, through the shared case exchange: the answers rewritten where each runtime's own
 * values differ by nature (an issued token becomes its claims, verified with that
 * runtime's secret; Retry-After epochs close enough are one), compared under the rules,
 * then checked for what the auth contract fixes beyond them (the error text, the
 * WWW-Authenticate and Retry-After headers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "parity/result.h"
#include "parity/row.h"
#include "token.h"

#define RETRY_AFTER_TOLERANCE_MS 5000

/* A request of case k with token (may be NULL); release with side_req_release. */
struct side_req {
	struct ph_request req;
	struct ph_header h;
	char auth[4096];
	char *body;
};

static int side_req_build(const json_t *k, const char *token, struct side_req *sr)
{
	json_t *b = json_object_get(k, "body");

	memset(sr, 0, sizeof(*sr));
	sr->req.method = str(k, "method");
	sr->req.path = str(k, "path");
	if (token) {
		snprintf(sr->auth, sizeof(sr->auth), "Bearer %s", token);
		sr->h.name = "Authorization";
		sr->h.value = sr->auth;
		sr->req.headers = &sr->h;
		sr->req.n_headers = 1;
	}
	if (b) {
		if (!(sr->body = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY)))
			return PH_E_NOMEM;
		sr->req.body = sr->body;
		sr->req.body_len = strlen(sr->body);
	}
	return 0;
}

static void side_req_release(struct side_req *sr)
{
	free(sr->body);
	sr->body = NULL;
}

int auth_send(struct ctx *c, int side, const json_t *k, const char *token,
	      struct ph_response *resp)
{
	struct side_req sr;
	struct ph_err err;
	int rc;

	memset(resp, 0, sizeof(*resp));
	resp->latency_ms = -1;
	if (side_req_build(k, token, &sr)) {
		resp->error = strdup("out of memory");
		return PH_E_NOMEM;
	}
	rc = c->host->http(c->run, (enum ph_side)side, &sr.req, resp, &err);
	side_req_release(&sr);
	return rc;
}

/* Replace an issued token by its claims less iat/exp, or by why it does not verify. */
static void token_as_claims(const struct side_tokens *s, struct ph_response *r, double now)
{
	json_t *doc = ph_exchange_body_json(r), *claims = NULL;
	const char *tok = str(doc, "token"), *why;

	if (!tok) {
		json_decref(doc);
		return;
	}
	why = auth_token_verify(s->secret, s->secret_len, tok, now, &claims);
	if (why) {
		json_object_set_new(doc, "token", json_pack("{s:s}", "invalid", why));
	} else {
		json_object_del(claims, "iat");
		json_object_del(claims, "exp");
		json_object_set_new(doc, "token", claims);
	}
	ph_exchange_body_set(r, doc, JSON_COMPACT);
	json_decref(doc);
}

/* retryAfter is an epoch time from each runtime's clock: equal when close enough. */
static void align_retry_after(struct ph_response *a, struct ph_response *b)
{
	json_t *da = ph_exchange_body_json(a), *db = ph_exchange_body_json(b);
	json_t *ra = json_object_get(da, "retryAfter"), *rb = json_object_get(db, "retryAfter");

	if (json_is_number(ra) && json_is_number(rb)) {
		double d = json_number_value(ra) - json_number_value(rb);

		if (d > -RETRY_AFTER_TOLERANCE_MS && d < RETRY_AFTER_TOLERANCE_MS) {
			json_object_set(db, "retryAfter", ra);
			ph_exchange_body_set(b, db, JSON_COMPACT);
		}
	}
	json_decref(da);
	json_decref(db);
}

static json_t *header(const struct ph_response *r, const char *name)
{
	return json_object_get(r->headers, name);
}

/* What the rules leave out and the auth contract fixes: error text and auth headers. */
static void auth_checks(const struct ph_response *a, const struct ph_response *b,
			struct ph_result *res)
{
	static const char *const hdrs[] = {"www-authenticate", "retry-after"};
	char msg[256];

	for (size_t i = 0; i < sizeof(hdrs) / sizeof(hdrs[0]); i++) {
		json_t *ha = header(a, hdrs[i]), *hb = header(b, hdrs[i]);

		if (!ha != !hb) {
			snprintf(msg, sizeof(msg), "header %s %s on the candidate", hdrs[i],
				 ha ? "missing" : "added");
			ph_result_add(res, PH_STRUCTURAL, "header", hdrs[i], json_incref(ha),
				json_incref(hb), msg);
		} else if (ha && !strcmp(hdrs[i], "www-authenticate") && !json_equal(ha, hb)) {
			snprintf(msg, sizeof(msg), "header %s differs", hdrs[i]);
			ph_result_add(res, PH_SEMANTIC, "header", hdrs[i], json_incref(ha),
				json_incref(hb), msg);
		}
	}
	if (a->status >= 400 && b->status >= 400) {
		json_t *da = ph_exchange_body_json(a), *db = ph_exchange_body_json(b);
		json_t *ea = json_object_get(da, "error"), *eb = json_object_get(db, "error");

		if (json_is_string(ea) && json_is_string(eb) && !json_equal(ea, eb)) {
			snprintf(msg, sizeof(msg), "error \"%.100s\" -> \"%.100s\"",
				 json_string_value(ea), json_string_value(eb));
			ph_result_add(res, PH_SEMANTIC, "value", "error", json_incref(ea),
				json_incref(eb), msg);
		}
		json_decref(da);
		json_decref(db);
	}
}

/* "401 authentication required", "200": what the reference answered. */
static void summary(const struct ph_response *a, char *out, size_t n)
{
	json_t *d = a->status >= 400 ? ph_exchange_body_json(a) : NULL;
	const char *e = str(d, "error");

	if (e)
		snprintf(out, n, "%ld %.200s", a->status, e);
	else
		snprintf(out, n, "%ld", a->status);
	json_decref(d);
}

/* ---- the exchange's hooks ---- */

struct auth_x {
	struct ctx *c;
	const json_t *k;
};

/* A token a runtime issued becomes its claims; Retry-After epochs close enough are one. */
static int auth_rewrite(void *ctx, enum ph_side side, struct ph_response pair[2],
			struct ph_err *err)
{
	struct auth_x *ax = ctx;

	(void)err;
	if (!strcmp(str(ax->k, "method"), "POST") &&
	    !strncmp(str(ax->k, "path"), "/api/auth/token", 15) && pair[side].status == 200)
		token_as_claims(&ax->c->side[side], &pair[side], (double)ax->c->now);
	if (side == PH_CANDIDATE)
		align_retry_after(&pair[PH_REFERENCE], &pair[PH_CANDIDATE]);
	return 0;
}

static int auth_check(void *ctx, const struct ph_response pair[2], struct ph_result *res,
		      struct ph_err *why)
{
	(void)ctx;
	(void)why;
	auth_checks(&pair[PH_REFERENCE], &pair[PH_CANDIDATE], res);
	return 0;
}

static void auth_summary(void *ctx, const struct ph_response *ref, char *buf, size_t cap)
{
	(void)ctx;
	summary(ref, buf, cap);
}

int auth_exchange(struct ctx *c, const json_t *k, const char *feature, const char *case_name,
		  char *const tok[2], int repeatable, struct ph_exchange *x)
{
	struct auth_x ax = {c, k};
	struct side_req sr[2];
	char endpoint[1200];
	struct ph_err err;
	int rc;

	memset(x, 0, sizeof(*x));
	memset(sr, 0, sizeof(sr));
	if (side_req_build(k, tok[0], &sr[0]) || side_req_build(k, tok[1], &sr[1])) {
		side_req_release(&sr[0]);
		side_req_release(&sr[1]);
		return ph_row_error(c->host, c->run, feature, case_name, "not evaluated",
				    "out of memory");
	}
	snprintf(endpoint, sizeof(endpoint), "%s %s", str(k, "method"), str(k, "path"));
	x->req[PH_REFERENCE] = sr[0].req;
	x->req[PH_CANDIDATE] = sr[1].req;
	x->endpoint = endpoint;
	x->feature = feature;
	x->case_name = case_name;
	x->repeatable = repeatable;
	x->turn = c->turns++;
	x->keep = 1;
	x->ctx = &ax;
	x->rewrite = auth_rewrite;
	x->check = auth_check;
	x->summary = auth_summary;
	rc = ph_exchange(c->host, c->run, x, &err);
	side_req_release(&sr[0]);
	side_req_release(&sr[1]);
	return rc;
}
