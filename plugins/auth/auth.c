/*
 * The auth domain (CONTRACT.md §5): for each mode of the suite (local, team, hybrid) the
 * plugin writes agent.yaml's auth block in both workspaces, restarts both runtimes when
 * that changed the file, reads each workspace's .daemon/auth-secret and mints that
 * runtime's tokens for every token condition (admin, operator, agent, readonly, expired,
 * bad signature, wrong scope, no token). Every endpoint x condition is one matrix row
 * (feature "<endpoint> [<mode>]", case the condition): status codes and error bodies are
 * compared under the run's rules, and beyond them the `error` text (the contract fixes the
 * auth messages), the WWW-Authenticate and Retry-After headers, and tokens a runtime
 * issues (verified with its own secret, compared as claims). A rate-limit case sends one
 * request more than the mode's limit and expects 429 with Retry-After on both. A row
 * "auth-secret [<mode>]" compares whether and how each runtime wrote its secret.
 *
 * Suite cases (the JSON files of suites/auth) carry a "kind": "token" (a condition: role, scope,
 * expired, sign "bad", or no role for no token), "mode" (mode, rateLimits), "endpoint"
 * (method, path, body, modes) or "rate-limit" (mode, op, role, method, path, body).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "parity/jsonio.h"
#include "parity/plugin.h"
#include "parity/suite.h"
#include "token.h"

#define MAX_TOKENS 16
#define RETRY_AFTER_TOLERANCE_MS 5000

struct side_tokens {
	unsigned char secret[64];
	size_t secret_len;
	char *tok[MAX_TOKENS]; /* per token condition; NULL: no token */
};

struct ctx {
	const struct ph_host *host;
	struct ph_run *run;
	const char *suite;
	json_t *tokens, *modes, *endpoints, *limits; /* borrowed from the cases array */
	long long now;
	int done, total;
	struct side_tokens side[2];
};

static void tokens_release(struct ctx *c)
{
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < MAX_TOKENS; i++) {
			free(c->side[s].tok[i]);
			c->side[s].tok[i] = NULL;
		}
		sodium_memzero(c->side[s].secret, sizeof(c->side[s].secret));
		c->side[s].secret_len = 0;
	}
}

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static void progress(struct ctx *c)
{
	c->host->progress(c->run, ++c->done, c->total);
}

/* ---- suite ---- */

static int sort_cases(struct ctx *c, json_t *cases, struct ph_err *err)
{
	size_t i;
	json_t *k;

	c->tokens = json_array();
	c->modes = json_array();
	c->endpoints = json_array();
	c->limits = json_array();
	json_array_foreach(cases, i, k)
	{
		const char *kind = str(k, "kind"), *name = str(k, "name");

		if (!kind)
			return ph_error(err, PH_E_INVALID, "%s: case '%s': no \"kind\"", c->suite,
					name);
		if (!strcmp(kind, "token")) {
			json_t *role = json_object_get(k, "role"),
			       *scope = json_object_get(k, "scope");

			if ((role && !json_is_string(role)) || (scope && !json_is_object(scope)))
				return ph_error(err, PH_E_INVALID,
						"%s: case '%s': expected \"role\" a string and "
						"\"scope\" an object",
						c->suite, name);
			if (json_array_size(c->tokens) == MAX_TOKENS)
				return ph_error(err, PH_E_INVALID,
						"%s: case '%s': at most %d tokens", c->suite, name,
						MAX_TOKENS);
			json_array_append(c->tokens, k);
		} else if (!strcmp(kind, "mode")) {
			const char *m = str(k, "mode");
			char *block =
			    m ? auth_yaml_block(m, json_object_get(k, "rateLimits")) : NULL;

			if (!block)
				return ph_error(err, PH_E_INVALID,
						"%s: case '%s': expected \"mode\" a word and "
						"\"rateLimits\" {op: {windowMs?, max}} of integers",
						c->suite, name);
			free(block);
			json_array_append(c->modes, k);
		} else if (!strcmp(kind, "endpoint") || !strcmp(kind, "rate-limit")) {
			const char *method = str(k, "method"), *path = str(k, "path");

			if (!method || !path || path[0] != '/')
				return ph_error(err, PH_E_INVALID,
						"%s: case '%s': expected \"method\" and a \"path\" "
						"starting with /",
						c->suite, name);
			if (!strcmp(kind, "rate-limit") && (!str(k, "mode") || !str(k, "op")))
				return ph_error(
				    err, PH_E_INVALID,
				    "%s: case '%s': a rate-limit case needs \"mode\" and "
				    "\"op\"",
				    c->suite, name);
			json_array_append(!strcmp(kind, "endpoint") ? c->endpoints : c->limits, k);
		} else {
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': unknown kind '%s' (token, mode, endpoint, "
					"rate-limit)",
					c->suite, name, kind);
		}
	}
	if (!json_array_size(c->tokens) || !json_array_size(c->modes))
		return ph_error(err, PH_E_INVALID, "%s: no token or mode cases", c->suite);
	return 0;
}

static int endpoint_in_mode(const json_t *e, const char *mode)
{
	json_t *modes = json_object_get(e, "modes"), *m;
	size_t i;

	if (!modes)
		return 1;
	json_array_foreach(modes, i, m) if (json_is_string(m) &&
					    !strcmp(json_string_value(m), mode)) return 1;
	return 0;
}

/* ---- workspaces ---- */

static char *path_in(const char *dir, const char *rel)
{
	size_t n = strlen(dir) + strlen(rel) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", dir, rel);
	return p;
}

/* Write the mode's auth block into a workspace's agent.yaml; *changed when it differs. */
static int set_mode(struct ctx *c, int side, const json_t *mode, int *changed, struct ph_err *err)
{
	char *path = path_in(c->host->workspace(c->run, (enum ph_side)side), "agent.yaml");
	char *text = NULL, *block = NULL, *out = NULL;
	size_t len;
	int rc;

	if (!path)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = ph_file_read(path, 1 << 20, &text, &len, err);
	if (rc && errno == ENOENT) {
		ph_err_clear(err);
		text = strdup("");
		rc = text ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if (!rc &&
	    !(block = auth_yaml_block(str(mode, "mode"), json_object_get(mode, "rateLimits"))))
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
	if (!rc)
		rc = auth_yaml_set_block(text, block, &out, err);
	if (!rc && strcmp(out, text)) {
		*changed = 1;
		rc = ph_file_write_atomic(path, out, strlen(out), 0644, err);
	}
	free(path);
	free(text);
	free(block);
	free(out);
	return rc;
}

/* Facts about a workspace's .daemon/auth-secret: {exists, bytes?, mode?}; loads it into s. */
static json_t *read_secret(struct ctx *c, int side)
{
	char *path = path_in(c->host->workspace(c->run, (enum ph_side)side), ".daemon/auth-secret");
	struct side_tokens *s = &c->side[side];
	char *data = NULL, mode[8];
	struct stat st;
	size_t len = 0;
	struct ph_err err;
	json_t *facts;

	s->secret_len = 0;
	if (!path)
		return NULL;
	if (stat(path, &st)) {
		free(path);
		return json_pack("{s:b}", "exists", 0);
	}
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st.st_mode & 07777));
	facts = json_pack("{s:b, s:I, s:s}", "exists", 1, "bytes", (json_int_t)st.st_size, "mode",
			  mode);
	if (!ph_file_read(path, sizeof(s->secret), &data, &len, &err) && len &&
	    len <= sizeof(s->secret)) {
		memcpy(s->secret, data, len);
		s->secret_len = len;
	}
	if (data) {
		sodium_memzero(data, len);
		free(data);
	}
	free(path);
	return facts;
}

/* Mint every token condition for one side with its secret. */
static int mint_side(struct ctx *c, int side, struct ph_err *err)
{
	struct side_tokens *s = &c->side[side];
	size_t i;
	json_t *t;
	int rc;

	json_array_foreach(c->tokens, i, t)
	{
		const char *role = str(t, "role"), *sign = str(t, "sign");
		json_t *scope = json_object_get(t, "scope"), *claims;
		int expired = json_is_true(json_object_get(t, "expired"));
		long long iat = expired ? c->now - 7200 : c->now;
		char sub[96];

		if (!role)
			continue; /* no token */
		snprintf(sub, sizeof(sub), "parity:%s", str(t, "name"));
		claims = json_pack("{s:s, s:o, s:s, s:I, s:I}", "sub", sub, "scope",
				   scope ? json_incref(scope) : json_object(), "role", role, "iat",
				   (json_int_t)iat, "exp", (json_int_t)(iat + 3600));
		if (!claims)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		rc = auth_token_mint(s->secret, s->secret_len, claims, &s->tok[i], err);
		json_decref(claims);
		if (rc)
			return rc;
		if (sign && !strcmp(sign, "bad")) {
			/* a valid token with one bit of its signature flipped, in base64url */
			char *last = s->tok[i] + strlen(s->tok[i]) - 2;

			*last = *last == 'A' ? 'B' : 'A';
		}
	}
	return 0;
}

/* ---- one exchange ---- */

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

static int send_side(struct ctx *c, int side, const json_t *k, const char *token,
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

static json_t *body_json(const struct ph_response *r)
{
	return r->body ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
}

static void set_body(struct ph_response *r, const json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT);

	if (!s)
		return;
	free(r->body);
	r->body = s;
	r->body_len = strlen(s);
}

/* Replace an issued token by its claims less iat/exp, or by why it does not verify. */
static void token_as_claims(const struct side_tokens *s, struct ph_response *r, double now)
{
	json_t *doc = body_json(r), *claims = NULL;
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
	set_body(r, doc);
	json_decref(doc);
}

/* retryAfter is an epoch time from each runtime's clock: equal when close enough. */
static void align_retry_after(struct ph_response *a, struct ph_response *b)
{
	json_t *da = body_json(a), *db = body_json(b);
	json_t *ra = json_object_get(da, "retryAfter"), *rb = json_object_get(db, "retryAfter");

	if (json_is_number(ra) && json_is_number(rb)) {
		double d = json_number_value(ra) - json_number_value(rb);

		if (d > -RETRY_AFTER_TOLERANCE_MS && d < RETRY_AFTER_TOLERANCE_MS) {
			json_object_set(db, "retryAfter", ra);
			set_body(b, db);
		}
	}
	json_decref(da);
	json_decref(db);
}

static int add_div(struct ph_result *res, enum ph_class cls, const char *kind, const char *path,
		   json_t *a, json_t *b, const char *msg)
{
	struct ph_divergence *items = realloc(res->items, (res->count + 1) * sizeof(*items));

	if (!items) {
		json_decref(a);
		json_decref(b);
		return PH_E_NOMEM;
	}
	res->items = items;
	items[res->count] = (struct ph_divergence){cls, kind, strdup(path), a, b, strdup(msg)};
	res->count++;
	if (cls > res->verdict)
		res->verdict = cls;
	return 0;
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
			add_div(res, PH_STRUCTURAL, "header", hdrs[i], json_incref(ha),
				json_incref(hb), msg);
		} else if (ha && !strcmp(hdrs[i], "www-authenticate") && !json_equal(ha, hb)) {
			snprintf(msg, sizeof(msg), "header %s differs", hdrs[i]);
			add_div(res, PH_SEMANTIC, "header", hdrs[i], json_incref(ha),
				json_incref(hb), msg);
		}
	}
	if (a->status >= 400 && b->status >= 400) {
		json_t *da = body_json(a), *db = body_json(b);
		json_t *ea = json_object_get(da, "error"), *eb = json_object_get(db, "error");

		if (json_is_string(ea) && json_is_string(eb) && !json_equal(ea, eb)) {
			snprintf(msg, sizeof(msg), "error \"%.100s\" -> \"%.100s\"",
				 json_string_value(ea), json_string_value(eb));
			add_div(res, PH_SEMANTIC, "value", "error", json_incref(ea),
				json_incref(eb), msg);
		}
		json_decref(da);
		json_decref(db);
	}
}

/* "401 authentication required", "200": what the reference answered. */
static void summary(const struct ph_response *a, char *out, size_t n)
{
	json_t *d = a->status >= 400 ? body_json(a) : NULL;
	const char *e = str(d, "error");

	if (e)
		snprintf(out, n, "%ld %.200s", a->status, e);
	else
		snprintf(out, n, "%ld", a->status);
	json_decref(d);
}

static int record_error(struct ctx *c, const char *feature, const char *case_name, const char *why)
{
	struct ph_row row = {0};

	row.feature = feature;
	row.case_name = case_name;
	row.reference = "not evaluated";
	row.cls = PH_ERROR;
	row.error = why;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	return c->host->record(c->run, &row);
}

/*
 * Compare one answer pair and record its row. tok: the tokens the pair was sent with, to
 * confirm a timing divergence by sending it again; NULL when it must not be repeated
 * (the last request of a rate-limit burst), then latencies are recorded, not compared.
 */
static int compare_and_record(struct ctx *c, const json_t *k, const char *feature,
			      const char *case_name, struct ph_response *a, struct ph_response *b,
			      char *const *tok)
{
	double la = a->latency_ms, lb = b->latency_ms;
	json_t *timing = NULL;
	struct ph_result res = {0};
	struct ph_row row = {0};
	struct ph_err err;
	char endpoint[1200], ref[256], why[1200];
	int rc;

	row.feature = feature;
	row.case_name = case_name;
	row.latency_reference_ms = a->latency_ms;
	row.latency_candidate_ms = b->latency_ms;
	if (a->error || b->error) {
		snprintf(why, sizeof(why), "%s%s%s%s%s", a->error ? "reference: " : "",
			 a->error ? a->error : "", a->error && b->error ? "; " : "",
			 b->error ? "candidate: " : "", b->error ? b->error : "");
		row.cls = PH_ERROR;
		row.error = why;
		row.reference = a->error ? "no answer" : "answered";
		return c->host->record(c->run, &row);
	}
	if (!strcmp(str(k, "method"), "POST") && !strncmp(str(k, "path"), "/api/auth/token", 15)) {
		if (a->status == 200)
			token_as_claims(&c->side[0], a, (double)c->now);
		if (b->status == 200)
			token_as_claims(&c->side[1], b, (double)c->now);
	}
	align_retry_after(a, b);
	snprintf(endpoint, sizeof(endpoint), "%s %s", str(k, "method"), str(k, "path"));
	summary(a, ref, sizeof(ref));
	row.reference = ref;
	if (!tok)
		a->latency_ms = b->latency_ms = -1;
	rc = c->host->compare(c->run, endpoint, a, b, &res, &err);
	a->latency_ms = la;
	b->latency_ms = lb;
	if (rc) {
		row.cls = PH_ERROR;
		row.error = err.msg;
		return c->host->record(c->run, &row);
	}
	/* one slow answer is not a timing divergence: the host re-samples to confirm it */
	if (res.verdict == PH_TIMING && tok) {
		struct side_req sr[2];

		if (!side_req_build(k, tok[0], &sr[0]) && !side_req_build(k, tok[1], &sr[1]))
			c->host->timing_confirm(c->run, &sr[0].req, &sr[1].req, &res, &timing, &err);
		side_req_release(&sr[0]);
		side_req_release(&sr[1]);
	}
	auth_checks(a, b, &res);
	row.result = &res;
	rc = c->host->record(c->run, &row);
	if (!rc && timing) {
		c->host->annotate(c->run, "samples_ms", json_object_get(timing, "samples_ms"));
		if (json_object_get(timing, "flaky"))
			c->host->annotate(c->run, "flaky", json_object_get(timing, "flaky"));
	}
	json_decref(timing);
	c->host->result_release(&res);
	return rc;
}

static int endpoint_rows(struct ctx *c, const json_t *e, const char *mode)
{
	char feature[512];
	size_t i;
	json_t *t;
	int rc = 0;

	snprintf(feature, sizeof(feature), "%s [%s]", str(e, "name"), mode);
	json_array_foreach(c->tokens, i, t)
	{
		struct ph_response a, b;

		send_side(c, 0, e, c->side[0].tok[i], &a);
		send_side(c, 1, e, c->side[1].tok[i], &b);
		char *tok[2] = {c->side[0].tok[i], c->side[1].tok[i]};

		rc = compare_and_record(c, e, feature, str(t, "name"), &a, &b, tok);
		c->host->response_release(&a);
		c->host->response_release(&b);
		progress(c);
		if (rc)
			break;
	}
	return rc;
}

/*
 * One request more than the mode's limit: the last one's answer (429 with Retry-After, or
 * whatever the reference gives) is compared; earlier answers must match status by status.
 */
static int rate_limit_row(struct ctx *c, const json_t *k, const json_t *mode)
{
	const char *name = str(k, "name"), *op = str(k, "op"), *role = str(k, "role");
	json_t *max =
	    json_object_get(json_object_get(json_object_get(mode, "rateLimits"), op), "max");
	char *tok[2] = {NULL, NULL}, case_name[64], why[512];
	struct ph_response a = {0}, b = {0};
	struct ph_result early = {0};
	struct ph_err err;
	long long n, early_limit = 0;
	long first_status = 0;
	int rc = 0;

	if (!json_is_integer(max) || json_integer_value(max) < 1 ||
	    json_integer_value(max) > 1000) {
		snprintf(why, sizeof(why),
			 "%s: case '%s': mode '%s' sets no rateLimits.%s.max between 1 and 1000",
			 c->suite, name, str(mode, "mode"), op);
		progress(c);
		return record_error(c, name, "limit", why);
	}
	n = json_integer_value(max);
	snprintf(case_name, sizeof(case_name), "request %lld after a limit of %lld", n + 1, n);
	if (role) {
		json_t *claims = json_pack("{s:s, s:{}, s:s, s:I, s:I}", "sub", "parity:rate-limit",
					   "scope", "role", role, "iat", (json_int_t)c->now, "exp",
					   (json_int_t)(c->now + 3600));

		for (int s = 0; s < 2 && !rc; s++)
			rc = auth_token_mint(c->side[s].secret, c->side[s].secret_len, claims,
					     &tok[s], &err);
		json_decref(claims);
		if (rc) {
			progress(c);
			rc = record_error(c, name, case_name, err.msg);
			goto out;
		}
	}
	for (long long i = 0; i <= n; i++) {
		c->host->response_release(&a);
		c->host->response_release(&b);
		send_side(c, 0, k, tok[0], &a);
		send_side(c, 1, k, tok[1], &b);
		if (i == 0)
			first_status = a.status;
		if (i < n && !early_limit && a.status == 429)
			early_limit = i + 1;
		if (i < n && !a.error && !b.error && a.status != b.status) {
			char path[32], msg[96];

			snprintf(path, sizeof(path), "request.%lld", i + 1);
			snprintf(msg, sizeof(msg), "request %lld of %lld: status %ld -> %ld", i + 1,
				 n + 1, a.status, b.status);
			add_div(&early, PH_STRUCTURAL, "status", path, json_integer(a.status),
				json_integer(b.status), msg);
		}
	}
	progress(c);
	if (early_limit > 0) {
		snprintf(
		    why, sizeof(why),
		    "the reference answered 429 to request %lld of %lld already: the key of the "
		    "burst was used before (give the case a role, so the key is its own sub)",
		    early_limit, n + 1);
		rc = record_error(c, name, case_name, why);
		goto out;
	}
	/*
	 * A reference that does not answer 429 is still compared: the candidate must do what
	 * it does (TS 0.145 crashes its limiter into a 500, the Rust daemon applies no forget
	 * limit). The log says so, in case the suite's rateLimits are what is wrong.
	 */
	if (!a.error && a.status != 429)
		c->host->log(c->run, PH_LOG_INFO,
			     "case '%s': the reference answered %ld, not 429, to request %lld after "
			     "a limit of %lld (its limit %s)",
			     name, a.status, n + 1, n,
			     a.status == first_status ? "did not apply" : "answered otherwise");
	if (early.count) {
		/* earlier statuses differed: the burst's row carries those divergences */
		struct ph_row row = {0};
		char ref[64];

		snprintf(ref, sizeof(ref), "429 after %lld", n);
		row.feature = name;
		row.case_name = case_name;
		row.reference = ref;
		row.result = &early;
		row.latency_reference_ms = a.latency_ms;
		row.latency_candidate_ms = b.latency_ms;
		rc = c->host->record(c->run, &row);
	} else {
		rc = compare_and_record(c, k, name, case_name, &a, &b, NULL);
	}
out:
	free(early.rule);
	for (size_t i = 0; i < early.count; i++) {
		free(early.items[i].path);
		free(early.items[i].message);
		json_decref(early.items[i].a);
		json_decref(early.items[i].b);
	}
	free(early.items);
	free(tok[0]);
	free(tok[1]);
	c->host->response_release(&a);
	c->host->response_release(&b);
	return rc;
}

static int secret_row(struct ctx *c, const char *mode)
{
	json_t *fa = read_secret(c, 0), *fb = read_secret(c, 1);
	struct ph_result res = {0};
	struct ph_row row = {0};
	struct ph_err err;
	char feature[96];
	int rc;

	snprintf(feature, sizeof(feature), "auth-secret [%s]", mode);
	row.feature = feature;
	row.case_name = "workspace .daemon/auth-secret";
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	row.reference = json_is_true(json_object_get(fa, "exists")) ? "written" : "absent";
	if (!fa || !fb) {
		row.cls = PH_ERROR;
		row.error = "out of memory";
		rc = c->host->record(c->run, &row);
	} else if ((rc = c->host->compare_json(c->run, "AUTH /secret", fa, fb, &res, &err))) {
		row.cls = PH_ERROR;
		row.error = err.msg;
		rc = c->host->record(c->run, &row);
	} else {
		row.result = &res;
		rc = c->host->record(c->run, &row);
		c->host->result_release(&res);
	}
	json_decref(fa);
	json_decref(fb);
	progress(c);
	return rc;
}

/* Put both runtimes in a mode; restart them when agent.yaml changed. */
static int enter_mode(struct ctx *c, const json_t *mode, struct ph_err *err)
{
	int changed = 0, rc = 0;

	for (int s = 0; s < 2 && !rc; s++)
		rc = set_mode(c, s, mode, &changed, err);
	if (rc)
		return rc;
	if (changed) {
		c->host->log(c->run, PH_LOG_INFO, "auth: mode %s: restarting both runtimes",
			     str(mode, "mode"));
		for (int s = 0; s < 2 && !rc; s++)
			rc = c->host->runtime_restart(c->run, (enum ph_side)s, NULL, err);
	}
	return rc;
}

static int run_mode(struct ctx *c, const json_t *mode, struct ph_err *err)
{
	const char *m = str(mode, "mode");
	size_t i;
	json_t *k;
	int rc;

	tokens_release(c);
	if ((rc = enter_mode(c, mode, err))) {
		char feature[96], why[1200];

		snprintf(feature, sizeof(feature), "auth mode [%s]", m);
		snprintf(why, sizeof(why), "cannot switch the runtimes to mode %s: %s", m,
			 err->msg);
		ph_err_clear(err);
		return record_error(c, feature, str(mode, "name"), why);
	}
	if ((rc = secret_row(c, m)))
		return rc;
	for (int s = 0; s < 2; s++) {
		if (!c->side[s].secret_len) {
			/* local mode: tokens are ignored, any key will do */
			randombytes_buf(c->side[s].secret, 32);
			c->side[s].secret_len = 32;
		}
		if ((rc = mint_side(c, s, err)))
			return rc;
	}
	json_array_foreach(c->endpoints, i, k)
	{
		if (endpoint_in_mode(k, m) && (rc = endpoint_rows(c, k, m)))
			return rc;
	}
	json_array_foreach(c->limits, i, k)
	{
		if (!strcmp(str(k, "mode"), m) && (rc = rate_limit_row(c, k, mode)))
			return rc;
	}
	return 0;
}

static int auth_run(void *state, const struct ph_host *host, struct ph_run *run, struct ph_err *err)
{
	struct ctx c = {0};
	json_t *cases = NULL, *m, *k;
	size_t i, j;
	int rc;

	(void)state;
	if (sodium_init() < 0)
		return ph_error(err, PH_E_CRYPTO, "libsodium cannot be initialised");
	c.host = host;
	c.run = run;
	c.suite = host->suite_dir(run);
	c.now = (long long)time(NULL);
	rc = ph_suite_load_dir(c.suite, &cases, err);
	if (!rc)
		rc = sort_cases(&c, cases, err);
	if (rc)
		goto out;
	json_array_foreach(c.modes, i, m)
	{
		const char *mode = str(m, "mode");

		c.total += 1;
		json_array_foreach(c.endpoints, j, k) if (endpoint_in_mode(k, mode)) c.total +=
		    (int)json_array_size(c.tokens);
		json_array_foreach(c.limits, j, k) if (!strcmp(str(k, "mode"), mode)) c.total++;
	}
	host->progress(run, 0, c.total);
	json_array_foreach(c.modes, i, m)
	{
		if ((rc = run_mode(&c, m, err)))
			break;
	}
out:
	tokens_release(&c);
	json_decref(c.tokens);
	json_decref(c.modes);
	json_decref(c.endpoints);
	json_decref(c.limits);
	json_decref(cases);
	return rc;
}

static const struct ph_plugin plugin = {
    PH_PLUGIN_HEADER,
    .name = "auth",
    .version = "1.0.0",
    .description = "auth modes, tokens, roles and rate limits: endpoints x token conditions",
    .run = auth_run,
};

const struct ph_plugin *ph_auth_plugin(void);

const struct ph_plugin *ph_auth_plugin(void)
{
	return &plugin;
}
