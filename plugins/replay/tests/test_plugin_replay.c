/*
 * Unit tests of the replay domain's parts that need no runtime: the JSONPath subset, the
 * expectations checked on one answer (what breaks, what holds, that a secret's value never
 * reaches a message), and the case format (required keys, unknown keys listed, a single
 * request made one step). The runs themselves are covered end to end (tests/e2e: refd
 * against refd, and a fault the replay suite must find).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "parity/result.h"
#include "replay.h"

static json_t *parse(const char *text)
{
	json_t *v = json_loads(text, 0, NULL);

	assert_non_null(v);
	return v;
}

static void test_jsonpath(void **state)
{
	json_t *doc = parse("{\"a\": {\"b\": [ {\"id\": \"x\", \"s\": 1}, {\"id\": \"y\", \"s\": 2} ]},"
			    " \"k-1\": 3}");
	json_t *sel;
	int multi;
	char buf[64];

	(void)state;
	sel = rp_path_select(doc, "$.a.b[*].id", &multi);
	assert_non_null(sel);
	assert_true(multi);
	assert_int_equal(json_array_size(sel), 2);
	assert_string_equal(json_string_value(json_array_get(sel, 1)), "y");
	json_decref(sel);
	sel = rp_path_select(doc, "$.a.b[1].s", &multi);
	assert_false(multi);
	assert_int_equal(json_integer_value(json_array_get(sel, 0)), 2);
	json_decref(sel);
	sel = rp_path_select(doc, "$['k-1']", NULL);
	assert_int_equal(json_integer_value(json_array_get(sel, 0)), 3);
	json_decref(sel);
	sel = rp_path_select(doc, "$.nothing.here", NULL);
	assert_int_equal(json_array_size(sel), 0);
	json_decref(sel);
	assert_null(rp_path_select(doc, "a.b", NULL));   /* not from the root */
	assert_null(rp_path_select(doc, "$.a[x]", NULL)); /* not of the subset */
	rp_path_remove(doc, "$.a.b[*].s");
	assert_null(json_object_get(json_array_get(json_object_get(json_object_get(doc, "a"), "b"), 0),
				    "s"));
	rp_path_dotted("$.a.b[0].id", buf, sizeof(buf));
	assert_string_equal(buf, "a.b.0.id");
	rp_path_dotted("$.results[*].score", buf, sizeof(buf));
	assert_string_equal(buf, "results.*.score");
	json_decref(doc);
}

/* Check body (JSON text) answered with status against want; the divergences' messages. */
static json_t *check(const char *want_text, long status, const char *body_text)
{
	json_t *want = parse(want_text), *body = body_text ? parse(body_text) : NULL;
	struct ph_response r = {0};
	struct ph_result res = {0};
	json_t *msgs = json_array();
	size_t i;

	r.status = status;
	r.content_type = (char *)"application/json; charset=utf-8";
	assert_int_equal(rp_expect_response(want, PH_CANDIDATE, &r, body, 1e-6, &res), 0);
	assert_int_equal(res.verdict, PH_PARITY); /* never a divergence of the runtimes */
	for (i = 0; i < res.count; i++) {
		assert_int_equal(res.items[i].cls, PH_EXPECTATION);
		assert_null(res.items[i].a); /* the candidate's value goes on its side */
		json_array_append_new(msgs, json_string(res.items[i].message));
	}
	ph_result_clear(&res);
	json_decref(want);
	json_decref(body);
	return msgs;
}

static int has(const json_t *msgs, const char *part)
{
	json_t *m;
	size_t i;

	json_array_foreach(msgs, i, m) if (strstr(json_string_value(m), part)) return 1;
	return 0;
}

static void test_expectations(void **state)
{
	json_t *m;

	(void)state;
	m = check("{\"status\": 201, \"headers\": {\"Content-Type\": {\"contains\": \"json\"}},"
		  " \"jsonContains\": {\"apiKey\": {\"role\": \"agent\", \"permissions\": [\"recall\"]}},"
		  " \"jsonMatchers\": {\"$.apiKey.id\": \"string\", \"$.apiKey.createdAt\": \"timestamp\","
		  " \"$.deduped\": \"absent\"}, \"ignoreJsonPaths\": [\"$.apiKey.id\"]}",
		  201,
		  "{\"apiKey\": {\"id\": \"k1\", \"role\": \"agent\", \"permissions\": [\"recall\", \"x\"],"
		  " \"createdAt\": \"2026-01-01T00:00:00.000Z\"}}");
	assert_int_equal(json_array_size(m), 0); /* everything holds */
	json_decref(m);

	m = check("{\"status\": 201, \"jsonContains\": {\"apiKey\": {\"role\": \"agent\"}},"
		  " \"jsonMatchers\": {\"$.apiKey.createdAt\": \"timestamp\", \"$.deduped\": \"absent\","
		  " \"$.apiKey.key\": \"redacted-secret\"}}",
		  200, "{\"apiKey\": {\"role\": \"admin\", \"createdAt\": 5, \"key\": 12345678},"
		       " \"deduped\": true}");
	assert_true(has(m, "candidate: expected status 201, got 200"));
	assert_true(has(m, "jsonContains"));
	assert_true(has(m, "expected a timestamp at $.apiKey.createdAt, got a number"));
	assert_true(has(m, "expected $.deduped absent"));
	assert_true(has(m, "expected a redacted-secret at $.apiKey.key, got a number"));
	assert_false(has(m, "12345678")); /* a secret's value is never shown */
	json_decref(m);

	m = check("{\"status\": 200, \"jsonPathAssertions\": ["
		  " {\"path\": \"$.results[*].id\", \"contains\": [\"a\", \"b\"], \"excludes\": [\"c\"]},"
		  " {\"path\": \"$.results\", \"count\": 2}, {\"path\": \"$.results[0].key\", \"equals\": null}]}",
		  200, "{\"results\": [{\"id\": \"a\"}, {\"id\": \"c\"}, {\"id\": \"d\"}]}");
	assert_true(has(m, "expected $.results[*].id to include b"));
	assert_true(has(m, "expected $.results[*].id not to include c"));
	assert_true(has(m, "expected 2 at $.results, found 3"));
	assert_false(has(m, "to equal")); /* an absent key equals null */
	json_decref(m);

	/* numbers compare by value, within the tolerance */
	{
		json_t *one = json_integer(1), *one_real = json_real(1.0), *two = json_real(1.5);

		assert_true(rp_json_equal(one, one_real, 0));
		assert_false(rp_json_equal(one, two, 0.1));
		assert_true(rp_json_equal(one, two, 0.5));
		json_decref(one);
		json_decref(one_real);
		json_decref(two);
	}
}

/* Write text to <dir>/<name> and return its path (static buffer). */
static const char *write_case(const char *dir, const char *name, const char *text)
{
	static char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_case_format(void **state)
{
	char dir[] = "/tmp/parity-replay-test-XXXXXX";
	struct rp_case c;
	struct ph_err err;
	json_t *files;

	(void)state;
	assert_non_null(mkdtemp(dir));
	/* one request made one step; unknown keys listed; clock and uuid seed not applied */
	assert_int_equal(
	    rp_case_load(write_case(dir, "a.json",
				    "{\"id\": \"a case\", \"environment\": {\"agentYaml\": \"x: 1\\n\","
				    " \"clock\": \"2026-01-01T00:00:00Z\", \"uuidSeed\": \"s\"},"
				    " \"seed\": {\"schema\": \"migrations-current\", \"sql\": \"a.sql\"},"
				    " \"request\": {\"method\": \"GET\", \"path\": \"/x\", \"shiny\": 1},"
				    " \"expectedResponse\": {\"status\": 200, \"jsonWhatever\": {}},"
				    " \"futureKey\": true}"),
			 &c, &err),
	    0);
	assert_string_equal(c.label, "a_case");
	assert_int_equal(json_array_size(c.steps), 1);
	assert_int_equal(json_array_size(c.unknown), 3);
	assert_true(has(c.unknown, "futureKey"));
	assert_true(has(c.unknown, "request.shiny"));
	assert_true(has(c.unknown, "expectedResponse.jsonWhatever"));
	assert_int_equal(json_array_size(c.not_applied), 2);
	rp_case_release(&c);

	/* what a case must have is an error naming the file and the key */
	assert_int_equal(rp_case_load(write_case(dir, "b.json",
						 "{\"environment\": {}, \"seed\": {}, \"steps\": []}"),
				      &c, &err),
			 PH_E_INVALID);
	assert_non_null(strstr(err.msg, "b.json: id: missing"));
	assert_int_equal(
	    rp_case_load(write_case(dir, "c.json",
				    "{\"id\": \"c\", \"environment\": {}, \"seed\": {}, \"steps\": ["
				    " {\"name\": \"s\", \"request\": {\"method\": \"GET\", \"path\": \"x\"},"
				    " \"expectedResponse\": {\"status\": 200}}]}"),
			 &c, &err),
	    PH_E_INVALID);
	assert_non_null(strstr(err.msg, "steps[0].request.path"));
	assert_int_equal(rp_case_load(write_case(dir, "d.json", "{\"id\": \"d\", \"environment\": {},"
							     " \"seed\": {\"schema\": \"fixture\"},"
							     " \"request\": {}}"),
				      &c, &err),
			 PH_E_INVALID);
	assert_non_null(strstr(err.msg, "seed.schema"));
	assert_true(rp_case_load(write_case(dir, "e.json", "[1, 2"), &c, &err) < 0);
	assert_non_null(strstr(err.msg, "e.json:"));

	/* the manifest lists case files relative to the corpus */
	write_case(dir, "manifest.json", "{\"cases\": [\"a.json\", \"/abs/b.json\"]}");
	assert_int_equal(rp_manifest(dir, &files, &err), 0);
	assert_int_equal(json_array_size(files), 2);
	assert_non_null(strstr(json_string_value(json_array_get(files, 0)), "/a.json"));
	assert_string_equal(json_string_value(json_array_get(files, 1)), "/abs/b.json");
	json_decref(files);
	write_case(dir, "manifest.json", "{\"cases\": [3]}");
	assert_int_equal(rp_manifest(dir, &files, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "cases[0]"));
	for (const char *const *n = (const char *const[]){"a.json", "b.json", "c.json", "d.json",
							    "e.json", "manifest.json", NULL};
	     *n; n++) {
		char p[600];

		snprintf(p, sizeof(p), "%s/%s", dir, *n);
		unlink(p);
	}
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jsonpath),
	    cmocka_unit_test(test_expectations),
	    cmocka_unit_test(test_case_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
