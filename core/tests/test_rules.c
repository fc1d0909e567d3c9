/*
 * Unit tests of the rules engine (core/src/compare/rules.c): endpoint lookup (parameters,
 * literal beats parameter, query string, method, default), inheritance from the default
 * and the union of ignore lists, the upstream parity-rules.json loaded unchanged from
 * PARITY_SHARED_DIR (skipped when absent), and messages for malformed files that name
 * the offending key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "compare/rules.h"

#include "support.h"
#include "support_compare.h"

/* The message of a rules text that must fail to load. */
static void expect_error(const char *text, int code, const char *message)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	struct ph_rules *r = NULL;
	struct ph_err err = {0, ""};

	assert_non_null(doc);
	assert_int_equal(ph_rules_from_json(&r, doc, "rules.json", &err), code);
	assert_null(r);
	assert_string_equal(err.msg, message);
	json_decref(doc);
}

static const char lookup_rules[] = "{\"rules\":{\"endpoints\":{"
				   "\"GET /api/memory/:id\":{},"
				   "\"GET /api/memory/search\":{},"
				   "\"GET /api/:kind/search\":{},"
				   "\"GET /api/memory/:id/history\":{},"
				   "\"POST /api/memory/:id\":{},"
				   "\"DELETE /api/:a/:b\":{},"
				   "\"DELETE /api/:a/x\":{},"
				   "\"DELETE /api/y/:b\":{}}}}";

static void test_lookup(void **state)
{
	struct ph_rules *r = t_rules_of(lookup_rules);
	char method[16];
	const char *path;
	size_t i;
	/* a request ("METHOD /path", with its query string) and the key it must find */
	static const char *const t[][2] = {
	    {"GET /api/memory/abc", "GET /api/memory/:id"},
	    /* literal beats parameter, whatever the order in the file */
	    {"GET /api/memory/search", "GET /api/memory/search"},
	    {"GET /api/entity/search", "GET /api/:kind/search"},
	    {"GET /api/memory/abc/history", "GET /api/memory/:id/history"},
	    /* the first differing segment decides, left to right */
	    {"DELETE /api/y/x", "DELETE /api/y/:b"},
	    {"DELETE /api/z/x", "DELETE /api/:a/x"},
	    {"DELETE /api/z/w", "DELETE /api/:a/:b"},
	    /* query string stripped */
	    {"GET /api/memory/search?q=x&limit=5", "GET /api/memory/search"},
	    /* method must match */
	    {"POST /api/memory/abc", "POST /api/memory/:id"},
	    {"PUT /api/memory/abc", "default"},
	    /* segment count must match; no match gives the default */
	    {"GET /api/memory", "default"},
	    {"GET /api/memory/a/b/c", "default"},
	};

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		path = strchr(t[i][0], ' ') + 1;
		snprintf(method, sizeof(method), "%.*s", (int)(path - 1 - t[i][0]), t[i][0]);
		assert_string_equal(ph_rules_lookup(r, method, path)->key, t[i][1]);
	}
	assert_string_equal(ph_rules_lookup_endpoint(r, "GET /api/memory/42?x=/y/z")->key,
			    "GET /api/memory/:id");
	assert_string_equal(ph_rules_lookup_endpoint(r, "GET /nothing")->key, "default");
	/* find by exact key */
	assert_non_null(ph_rules_find(r, "GET /api/memory/:id"));
	assert_null(ph_rules_find(r, "GET /api/memory/42"));
	assert_ptr_equal(ph_rules_find(r, "default"), &r->deflt);
	ph_rules_free(r);
}

static void test_inheritance(void **state)
{
	struct ph_rules *r = t_rules_of(
	    "{\"rules\":{\"default\":{\"compareMode\":\"json\",\"ignoreFields\":[\"a\",\"b\"],"
	    "\"timestampPrecision\":\"minute\",\"arrayOrdering\":\"unordered\","
	    "\"deterministic\":[\"x\"],\"tolerance\":{\"s\":1}},"
	    "\"endpoints\":{\"GET /e\":{\"ignoreFields\":[\"b\",\"c\"],"
	    "\"arrayOrdering\":\"ordered\"},"
	    "\"GET /bytes\":{\"compareMode\":\"bytes\",\"timestampPrecision\":\"millisecond\"}}}}");
	const struct ph_rule *e = ph_rules_find(r, "GET /e"),
			     *bytes = ph_rules_find(r, "GET /bytes");
	size_t i;
	int seen_a = 0, seen_b = 0, seen_c = 0;

	(void)state;
	assert_non_null(e);
	assert_int_equal(e->mode, PH_MODE_JSON);
	assert_int_equal(e->precision, PH_TS_MINUTE); /* inherited */
	assert_int_equal(e->ordering, PH_ORDERED);    /* its own */
	assert_true(e->inherited & PH_INHERIT_PRECISION);
	assert_false(e->inherited & PH_INHERIT_ORDERING);
	/* ignore is the union, without duplicates */
	assert_int_equal(e->n_ignore, 3);
	for (i = 0; i < e->n_ignore; i++) {
		seen_a += !strcmp(e->ignore[i].text, "a");
		seen_b += !strcmp(e->ignore[i].text, "b");
		seen_c += !strcmp(e->ignore[i].text, "c");
	}
	assert_true(seen_a == 1 && seen_b == 1 && seen_c == 1);
	/* deterministic and tolerance are the endpoint's own */
	assert_false(e->has_deterministic);
	assert_int_equal(e->n_tolerance, 0);
	assert_int_equal(bytes->mode, PH_MODE_BYTES);
	assert_int_equal(bytes->precision, PH_TS_MILLISECOND);
	assert_int_equal(bytes->ordering, PH_UNORDERED);
	assert_int_equal(bytes->n_ignore, 2);
	ph_rules_free(r);

	/* an empty rules object: the built-in defaults */
	r = t_rules_of("{\"rules\":{}}");
	assert_int_equal(r->deflt.mode, PH_MODE_JSON);
	assert_int_equal(r->deflt.precision, PH_TS_SECOND);
	assert_int_equal(r->deflt.ordering, PH_ORDERED);
	assert_true(r->status_must_match);
	assert_true(r->compare_error_body);
	ph_rules_free(r);
}

static void test_builtin(void **state)
{
	struct ph_rules *r = ph_rules_builtin();

	(void)state;
	assert_non_null(r);
	assert_string_equal(r->source, "<built-in>");
	assert_string_equal(ph_rules_lookup_endpoint(r, "GET /anything")->key, "default");
	assert_int_equal(r->deflt.precision, PH_TS_SECOND);
	assert_int_equal(r->deflt.n_ignore, 0);
	assert_true(r->status_must_match);
	ph_rules_free(r);
}

static int has_pattern(const struct ph_pattern *v, size_t n, const char *text)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].text, text))
			return 1;
	return 0;
}

static void test_upstream_file(void **state)
{
	const char *path = PARITY_SHARED_DIR "/signet/parity-rules.json";
	struct ph_rules *r = NULL;
	struct ph_err err = {0, ""};
	const struct ph_rule *recall, *hist;
	json_t *un;

	(void)state;
	if (access(path, R_OK) != 0)
		skip();
	if (ph_rules_load(&r, path, &err))
		fail_msg("upstream rules did not load: %s", err.msg);
	recall = ph_rules_lookup_endpoint(r, "POST /api/memory/recall");
	assert_string_equal(recall->key, "POST /api/memory/recall");
	assert_int_equal(recall->ordering, PH_UNORDERED);
	assert_int_equal(recall->n_tolerance, 1);
	assert_string_equal(recall->tolerance[0].key, "score");
	assert_true(recall->tolerance[0].bound == 0.05);
	assert_true(has_pattern(recall->ignore, recall->n_ignore, "results.*.score"));
	assert_true(has_pattern(recall->ignore, recall->n_ignore, "updatedAt"));
	assert_true(has_pattern(recall->ignore, recall->n_ignore, "createdAt"));
	assert_true(recall->has_deterministic);
	assert_int_equal(recall->precision, PH_TS_SECOND);
	hist = ph_rules_lookup(r, "GET", "/api/memory/abc/history");
	assert_string_equal(hist->key, "GET /api/memory/:id/history");
	/* literal "search" beats ":id" */
	assert_string_equal(ph_rules_lookup(r, "GET", "/api/memory/search")->key,
			    "GET /api/memory/search");
	assert_string_equal(ph_rules_lookup(r, "GET", "/api/memory/42")->key,
			    "GET /api/memory/:id");
	/* deterministic [] is present and empty */
	assert_true(ph_rules_find(r, "POST /api/hooks/user-prompt-submit")->has_deterministic);
	assert_int_equal(ph_rules_find(r, "POST /api/hooks/user-prompt-submit")->n_deterministic,
			 0);
	assert_true(r->status_must_match);
	assert_true(has_pattern(r->error_ignore, r->n_error_ignore, "error"));
	assert_non_null(ph_rules_find(r, "GET /api/logs")->note);
	/* nothing compared yet: no rule was used, so no pattern is reported */
	un = ph_rules_unmatched(r);
	assert_non_null(un);
	assert_int_equal(json_array_size(un), 0);
	json_decref(un);
	ph_rules_free(r);
}

static void test_malformed(void **state)
{
	(void)state;
	expect_error(
	    "{\"rules\":{\"endpoints\":{\"GET /x\":{\"ignoreFields\":\"a\"}}}}", PH_E_INVALID,
	    "rules.json: rules.endpoints[\"GET /x\"].ignoreFields: expected an array of strings");
	expect_error(
	    "{\"rules\":{\"endpoints\":{\"GET /x\":{\"deterministic\":[1]}}}}", PH_E_INVALID,
	    "rules.json: rules.endpoints[\"GET /x\"].deterministic: expected an array of strings");
	/* a misspelt top-level key must not leave the built-in rules silently in force */
	expect_error("{\"rule\":{\"default\":{}}}", PH_E_INVALID,
		     "rules.json: rules: missing: expected an object {\"default\", \"endpoints\"}");
	expect_error("{\"rules\":[]}", PH_E_INVALID, "rules.json: rules: expected an object");
	expect_error("{\"rules\":{\"default\":{\"compareMode\":\"xml\"}}}", PH_E_INVALID,
		     "rules.json: rules.default.compareMode: expected one of \"json\", \"bytes\"");
	expect_error("{\"rules\":{\"default\":{\"timestampPrecision\":\"hour\"}}}", PH_E_INVALID,
		     "rules.json: rules.default.timestampPrecision: expected one of "
		     "\"millisecond\", \"second\", \"minute\"");
	expect_error("{\"rules\":{\"endpoints\":{\"GET /x\":{\"arrayOrdering\":true}}}}",
		     PH_E_INVALID,
		     "rules.json: rules.endpoints[\"GET /x\"].arrayOrdering: expected one of "
		     "\"ordered\", \"unordered\"");
	expect_error("{\"rules\":{\"endpoints\":{\"/x\":{}}}}", PH_E_INVALID,
		     "rules.json: rules.endpoints[\"/x\"]: expected a key \"METHOD /path\"");
	expect_error("{\"rules\":{\"endpoints\":{\"get /x\":{}}}}", PH_E_INVALID,
		     "rules.json: rules.endpoints[\"get /x\"]: expected a key \"METHOD /path\"");
	expect_error("{\"rules\":{\"endpoints\":{\"GET /x\":[]}}}", PH_E_INVALID,
		     "rules.json: rules.endpoints[\"GET /x\"]: expected an object");
	expect_error("{\"rules\":{\"endpoints\":{\"GET /x\":{\"tolerance\":{\"score\":\"a\"}}}}}",
		     PH_E_INVALID,
		     "rules.json: rules.endpoints[\"GET /x\"].tolerance.score: expected a "
		     "non-negative number");
	expect_error("{\"rules\":{\"default\":{\"ignoreFields\":[\"a..b\"]}}}", PH_E_INVALID,
		     "rules.json: rules.default.ignoreFields: pattern 0 \"a..b\" has an empty "
		     "segment");
	expect_error("{\"rules\":[]}", PH_E_INVALID, "rules.json: rules: expected an object");
	expect_error("{\"errorComparison\":{\"compareBody\":\"yes\"}}", PH_E_INVALID,
		     "rules.json: errorComparison.compareBody: expected true or false");
	expect_error("[]", PH_E_INVALID, "rules.json: expected an object at the top level");
}

static void test_load_file_errors(void **state)
{
	char path[] = "/tmp/parity-rules-XXXXXX";
	int fd = mkstemp(path);
	struct ph_rules *r = NULL;
	struct ph_err err = {0, ""};
	const char bad[] = "{\n  \"rules\": {\n    \"default\": {,}\n  }\n}\n";

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)(sizeof(bad) - 1));
	close(fd);
	assert_int_equal(ph_rules_load(&r, path, &err), PH_E_PARSE);
	assert_null(r);
	/* file:line:col */
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, ":3:"));
	unlink(path);
	assert_int_equal(ph_rules_load(&r, "/nonexistent/rules.json", &err), PH_E_IO);
	assert_non_null(strstr(err.msg, "/nonexistent/rules.json"));
}

static void test_pattern_match(void **state)
{
	struct ph_rules *r = t_rules_of("{\"rules\":{\"default\":{\"ignoreFields\":[\"a.*.c\"]}}}");
	char *yes[] = {"a", "7", "c"}, *no1[] = {"a", "7"}, *no2[] = {"a", "7", "d"};

	(void)state;
	assert_int_equal(r->deflt.ignore[0].n_segs, 3);
	assert_true(ph_pattern_match(&r->deflt.ignore[0], yes, 3));
	assert_false(ph_pattern_match(&r->deflt.ignore[0], no1, 2));
	assert_false(ph_pattern_match(&r->deflt.ignore[0], no2, 3));
	ph_rules_free(r);
}

T_MAIN(NULL, NULL, cmocka_unit_test(test_lookup), cmocka_unit_test(test_inheritance),
       cmocka_unit_test(test_builtin), cmocka_unit_test(test_upstream_file),
       cmocka_unit_test(test_malformed), cmocka_unit_test(test_load_file_errors),
       cmocka_unit_test(test_pattern_match))
