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
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "auth.h"
#include "parity/row.h"
#include "parity/suite.h"

void auth_progress(struct ctx *c)
{
	c->host->progress(c->run, ++c->done, c->total);
}

/* Every token condition against endpoint case e in mode: one row each. */
static int endpoint_rows(struct ctx *c, const json_t *e, const char *mode)
{
	char feature[512];
	size_t i;
	json_t *t;
	int rc = 0;

	snprintf(feature, sizeof(feature), "%s [%s]", str(e, "name"), mode);
	json_array_foreach(c->tokens, i, t)
	{
		char *tok[2] = {c->side[0].tok[i], c->side[1].tok[i]};
		struct ph_exchange x;

		rc = auth_exchange(c, e, feature, str(t, "name"), tok, 1, &x);
		ph_exchange_release(c->host, &x);
		auth_progress(c);
		if (rc)
			break;
	}
	return rc;
}

/* Whether and how each runtime wrote its auth secret in mode. */
static int secret_row(struct ctx *c, const char *mode)
{
	json_t *fa = auth_read_secret(c, 0), *fb = auth_read_secret(c, 1);
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
		rc = ph_row_error(c->host, c->run, feature, row.case_name, row.reference,
				  "out of memory");
	} else if ((rc = c->host->compare_json(c->run, "AUTH /secret", fa, fb, &res, &err))) {
		rc = ph_row_error(c->host, c->run, feature, row.case_name, row.reference, err.msg);
	} else {
		row.result = &res;
		rc = c->host->record(c->run, &row);
		c->host->result_release(&res);
	}
	json_decref(fa);
	json_decref(fb);
	auth_progress(c);
	return rc;
}

static int run_mode(struct ctx *c, const json_t *mode, struct ph_err *err)
{
	const char *m = str(mode, "mode");
	size_t i;
	json_t *k;
	int rc;

	auth_tokens_release(c);
	if ((rc = auth_enter_mode(c, mode, err))) {
		char feature[96], why[1200];

		snprintf(feature, sizeof(feature), "auth mode [%s]", m);
		snprintf(why, sizeof(why), "cannot switch the runtimes to mode %s: %s", m,
			 err->msg);
		ph_err_clear(err);
		return ph_row_error(c->host, c->run, feature, str(mode, "name"), "not evaluated",
				    why);
	}
	if ((rc = secret_row(c, m)))
		return rc;
	for (int s = 0; s < 2; s++) {
		if (!c->side[s].secret_len) {
			/* local mode: tokens are ignored, any key will do */
			randombytes_buf(c->side[s].secret, 32);
			c->side[s].secret_len = 32;
		}
		if ((rc = auth_mint_side(c, s, err)))
			return rc;
	}
	json_array_foreach(c->endpoints, i, k)
	{
		if (auth_endpoint_in_mode(k, m) && (rc = endpoint_rows(c, k, m)))
			return rc;
	}
	json_array_foreach(c->limits, i, k)
	{
		if (!strcmp(str(k, "mode"), m) && (rc = auth_rate_limit_row(c, k, mode)))
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
		rc = auth_sort_cases(&c, cases, err);
	if (rc)
		goto out;
	json_array_foreach(c.modes, i, m)
	{
		const char *mode = str(m, "mode");

		c.total += 1;
		json_array_foreach(c.endpoints, j, k) if (auth_endpoint_in_mode(k, mode)) c.total +=
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
	auth_tokens_release(&c);
	json_decref(c.tokens);
	json_decref(c.modes);
	json_decref(c.endpoints);
	json_decref(c.limits);
	json_decref(cases);
	return rc;
}

PH_PLUGIN_EXPORT(auth, "1.0.0",
		 "auth modes, tokens, roles and rate limits: endpoints x token conditions", NULL,
		 auth_run, NULL)
