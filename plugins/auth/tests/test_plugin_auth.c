/*
 * Unit tests of the auth plugin: the HMAC-SHA256/base64url signature against RFC 4231,
 * token encoding as CONTRACT.md §5 describes it (payload, dot, signature, no padding),
 * verification (tampering, another secret, expiry, malformed tokens and claims), the
 * agent.yaml auth block the plugin rewrites, and the run hook's refusal of a malformed
 * suite, driven through the shared fake host and fixture.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "parity/plugin.h"
#include "plugin_fixture.h"
#include "token.h"

const struct ph_plugin *ph_auth_plugin(void);

static const unsigned char secret[32] = "0123456789abcdef0123456789abcdef";

static json_t *claims_of(const char *role, long long exp)
{
	return json_pack("{s:s, s:{s:s}, s:s, s:I, s:I}", "sub", "parity:test", "scope", "project",
			 "parity", "role", role, "iat", (json_int_t)(exp - 3600), "exp",
			 (json_int_t)exp);
}

static void test_sign_rfc4231(void **state)
{
	char out[AUTH_SIG_B64_SIZE];
	struct ph_err err;

	(void)state;
	/* RFC 4231 test case 2: key "Jefe" */
	assert_int_equal(auth_sign((const unsigned char *)"Jefe", 4, "what do ya want for nothing?",
				   28, out, &err),
			 0);
	assert_string_equal(out, "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM");
}

static void test_mint_format(void **state)
{
	json_t *claims = claims_of("agent", 4000000000LL);
	char *tok = NULL, *json, sig[AUTH_SIG_B64_SIZE], *dot;
	unsigned char bin[512];
	size_t blen = 0;
	struct ph_err err;

	(void)state;
	assert_int_equal(auth_token_mint(secret, sizeof(secret), claims, &tok, &err), 0);
	assert_non_null(tok);
	assert_int_equal(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				     "0123456789-_."),
			 strlen(tok));
	dot = strchr(tok, '.');
	assert_non_null(dot);
	assert_null(strchr(dot + 1, '.'));
	assert_int_equal(strlen(dot + 1), 43);
	/* the payload is the compact claims, keys in order */
	assert_int_equal(sodium_base642bin(bin, sizeof(bin), tok, (size_t)(dot - tok), NULL, &blen,
					   NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
			 0);
	json = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
	assert_int_equal(blen, strlen(json));
	assert_memory_equal(bin, json, blen);
	/* the signature covers the base64url payload string, not the JSON */
	assert_int_equal(auth_sign(secret, sizeof(secret), tok, (size_t)(dot - tok), sig, &err), 0);
	assert_string_equal(dot + 1, sig);
	free(json);
	free(tok);
	json_decref(claims);
}

static void test_verify(void **state)
{
	json_t *claims = claims_of("readonly", 2000), *got = NULL;
	unsigned char other[32];
	char *tok = NULL, *forged = NULL, *dot;
	struct ph_err err;

	(void)state;
	memcpy(other, secret, sizeof(other));
	other[0] ^= 1;
	assert_int_equal(auth_token_mint(secret, sizeof(secret), claims, &tok, &err), 0);
	assert_null(auth_token_verify(secret, sizeof(secret), tok, 1999, &got));
	assert_true(json_equal(got, claims));
	json_decref(got);
	/* now >= exp is expired */
	assert_string_equal(auth_token_verify(secret, sizeof(secret), tok, 2000, &got),
			    "token expired");
	assert_null(got);
	assert_string_equal(auth_token_verify(other, sizeof(other), tok, 1999, &got),
			    "invalid token signature");
	/* another payload under the first token's signature */
	json_object_set_new(claims, "role", json_string("admin"));
	assert_int_equal(auth_token_mint(secret, sizeof(secret), claims, &forged, &err), 0);
	dot = strchr(forged, '.');
	strcpy(dot + 1, strchr(tok, '.') + 1);
	assert_string_equal(auth_token_verify(secret, sizeof(secret), forged, 1999, &got),
			    "invalid token signature");
	assert_string_equal(auth_token_verify(secret, sizeof(secret), "abc", 0, &got),
			    "invalid token format");
	assert_string_equal(auth_token_verify(secret, sizeof(secret), "a.b.c", 0, &got),
			    "invalid token format");
	assert_string_equal(auth_token_verify(secret, sizeof(secret), ".abc", 0, &got),
			    "invalid token format");
	assert_string_equal(auth_token_verify(secret, sizeof(secret), "abc.!!", 0, &got),
			    "invalid token signature");
	free(forged);
	free(tok);
	json_decref(claims);
}

static const char *verify_claims(json_t *claims)
{
	static char why[128];
	json_t *got = NULL;
	char *tok = NULL;
	const char *r;
	struct ph_err err;

	assert_int_equal(auth_token_mint(secret, sizeof(secret), claims, &tok, &err), 0);
	r = auth_token_verify(secret, sizeof(secret), tok, 0, &got);
	json_decref(got);
	json_decref(claims);
	free(tok);
	snprintf(why, sizeof(why), "%s", r ? r : "valid");
	return why;
}

static void test_verify_claims(void **state)
{
	(void)state;
	assert_string_equal(verify_claims(json_pack("{s:s,s:{},s:s,s:i,s:i}", "sub", "x", "scope",
						    "role", "operator", "iat", 0, "exp", 10)),
			    "valid");
	assert_string_equal(verify_claims(json_pack("{s:s,s:{},s:s,s:i,s:i}", "sub", "x", "scope",
						    "role", "root", "iat", 0, "exp", 10)),
			    "invalid token: unknown role");
	assert_string_equal(verify_claims(json_pack("{s:i,s:{},s:s,s:i,s:i}", "sub", 7, "scope",
						    "role", "agent", "iat", 0, "exp", 10)),
			    "invalid token: sub must be a string");
	assert_string_equal(verify_claims(json_pack("{s:s,s:s,s:i,s:i}", "sub", "x", "role",
						    "agent", "iat", 0, "exp", 10)),
			    "invalid token: scope must be an object");
	assert_string_equal(verify_claims(json_pack("{s:s,s:{},s:s,s:i,s:s}", "sub", "x", "scope",
						    "role", "agent", "iat", 0, "exp", "10")),
			    "invalid token: iat and exp must be numbers");
}

static void test_yaml_block(void **state)
{
	json_t *limits = json_pack("{s:{s:i, s:i}}", "forget", "windowMs", 60000, "max", 3);
	json_t *bad = json_pack("{s:{s:s}}", "forget", "max", "3");
	char *b;

	(void)state;
	b = auth_yaml_block("team", limits);
	assert_string_equal(b, "auth:\n  method: token\n  mode: team\n  rateLimits:\n"
			       "    forget:\n      windowMs: 60000\n      max: 3\n");
	free(b);
	b = auth_yaml_block("local", NULL);
	assert_string_equal(b, "auth:\n  method: token\n  mode: local\n");
	free(b);
	assert_null(auth_yaml_block("team", bad));
	assert_null(auth_yaml_block("te am", NULL));
	json_decref(limits);
	json_decref(bad);
}

static void test_yaml_set(void **state)
{
	const char *block = "auth:\n  method: token\n  mode: team\n";
	char *out = NULL;
	struct ph_err err;

	(void)state;
	/* the block in the middle: replaced up to the next top-level key */
	assert_int_equal(auth_yaml_set_block("a: 1\nauth:\n  method: token\n  mode: local\n\n"
					     "  # note\ngit:\n  enabled: false\n",
					     block, &out, &err),
			 0);
	assert_string_equal(out, "a: 1\nauth:\n  method: token\n  mode: team\ngit:\n"
				 "  enabled: false\n");
	free(out);
	/* at the end of the file, without a final newline */
	assert_int_equal(auth_yaml_set_block("a: 1\nauth:\n  mode: hybrid", block, &out, &err), 0);
	assert_string_equal(out, "a: 1\nauth:\n  method: token\n  mode: team\n");
	free(out);
	/* absent: appended; a nested "auth:" or "authz:" is not the block */
	assert_int_equal(
	    auth_yaml_set_block("x:\n  auth:\n    mode: local\nauthz: 1", block, &out, &err), 0);
	assert_string_equal(out, "x:\n  auth:\n    mode: local\nauthz: 1\nauth:\n  method: token\n"
				 "  mode: team\n");
	free(out);
	assert_int_equal(auth_yaml_set_block("", block, &out, &err), 0);
	assert_string_equal(out, block);
	free(out);
}

/* ---- the run hook through the fake host (tests/support) ---- */

static void test_run_bad_suite(void **state)
{
	struct plugin_fixture *fx = *state;
	const struct ph_plugin *p;
	struct ph_err err;

	p = ph_auth_plugin();
	assert_string_equal(p->name, "auth");
	assert_int_equal(p->abi_major, PH_ABI_MAJOR);
	plugin_fixture_write(fx, "bad.json",
			     "{\"cases\": [{\"name\": \"x\", \"kind\": \"teapot\"}]}");
	assert_int_equal(plugin_fixture_run(fx, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "unknown kind 'teapot'"));
	assert_non_null(strstr(err.msg, fx->dir));
	plugin_fixture_write(fx, "bad.json",
			     "{\"cases\": [{\"name\": \"m\", \"kind\": \"mode\","
			     " \"mode\": \"team\", \"rateLimits\": {\"forget\": {\"max\": -1}}}]}");
	assert_int_equal(plugin_fixture_run(fx, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "case 'm'"));
}

/* Every test runs in a fresh plugin fixture (tests/support). */
static const struct plugin_fixture_spec fixture = {.domain = "auth", .entry = ph_auth_plugin};

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign_rfc4231),
	    cmocka_unit_test(test_mint_format),
	    cmocka_unit_test(test_verify),
	    cmocka_unit_test(test_verify_claims),
	    cmocka_unit_test(test_yaml_block),
	    cmocka_unit_test(test_yaml_set),
	    cmocka_unit_test(test_run_bad_suite),
	};

	if (sodium_init() < 0)
		return 1;
	return plugin_fixture_run_tests(&fixture, tests);
}
