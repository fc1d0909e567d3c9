/*
 * Unit tests of the comparison engine (core/src/compare/compare.c): one test per rule of
 * DESIGN.md "Comparison" (classes and kinds, ignore and deterministic patterns,
 * tolerance, array ordering, timestamps, status and error bodies, bytes mode, timing),
 * pattern hit counting, the JSON form of a result, and a 100000-deep document that must
 * give a depth error instead of exhausting the stack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compare/compare.h"
#include "compare/rules.h"

/* Rules from inline JSON text; fails the test when they do not load. */
static struct ph_rules *rules_of(const char *text)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	struct ph_rules *r = NULL;
	struct ph_err err = {0, ""};

	assert_non_null(doc);
	if (ph_rules_from_json(&r, doc, "test-rules.json", &err))
		fail_msg("rules did not load: %s", err.msg);
	json_decref(doc);
	return r;
}

static struct ph_response resp(long status, const char *body)
{
	struct ph_response r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.body = (char *)body;
	r.body_len = body ? strlen(body) : 0;
	r.latency_ms = -1;
	return r;
}

/* Compare two bodies with statuses under rules for endpoint; fills res. */
static void cmp_status(struct ph_rules *rules, const char *endpoint, long sa, const char *a,
		       long sb, const char *b, struct ph_result *res)
{
	struct ph_response ra = resp(sa, a), rb = resp(sb, b);
	struct ph_err err = {0, ""};

	if (ph_compare_responses(rules, endpoint, &ra, &rb, NULL, res, &err))
		fail_msg("compare failed: %s", err.msg);
}

static void cmp(struct ph_rules *rules, const char *endpoint, const char *a, const char *b,
		struct ph_result *res)
{
	cmp_status(rules, endpoint, 200, a, 200, b, res);
}

/* The divergence at path, or NULL. */
static const struct ph_divergence *at(const struct ph_result *res, const char *path)
{
	size_t i;

	for (i = 0; i < res->count; i++)
		if (!strcmp(res->items[i].path, path))
			return &res->items[i];
	return NULL;
}

static void expect_one(const struct ph_result *res, enum ph_class cls, const char *kind,
		       const char *path)
{
	if (res->count != 1) {
		size_t i;

		for (i = 0; i < res->count; i++)
			print_message("  %s %s %s: %s\n", ph_class_name(res->items[i].cls),
				      res->items[i].kind, res->items[i].path,
				      res->items[i].message);
		fail_msg("expected exactly one divergence, got %zu", res->count);
	}
	assert_string_equal(res->items[0].kind, kind);
	assert_int_equal(res->items[0].cls, cls);
	assert_string_equal(res->items[0].path, path);
	assert_int_equal(res->verdict, cls);
}

static void expect_parity(const struct ph_result *res)
{
	if (res->count) {
		print_message("first: %s %s %s\n", res->items[0].kind, res->items[0].path,
			      res->items[0].message);
		fail_msg("expected parity, got %zu divergences", res->count);
	}
	assert_int_equal(res->verdict, PH_PARITY);
}

/*
 * Compare a and b (statuses sa, sb) under rules for endpoint and check the result: parity
 * when kind is NULL, else exactly one divergence of class cls and kind at path.
 */
static void expect_status(struct ph_rules *rules, const char *endpoint, long sa, const char *a,
			  long sb, const char *b, enum ph_class cls, const char *kind,
			  const char *path)
{
	struct ph_result res;

	cmp_status(rules, endpoint, sa, a, sb, b, &res);
	if (kind)
		expect_one(&res, cls, kind, path);
	else
		expect_parity(&res);
	ph_result_release(&res);
}

/* expect_status with both statuses 200. */
static void expect_cmp(struct ph_rules *rules, const char *endpoint, const char *a,
		       const char *b, enum ph_class cls, const char *kind, const char *path)
{
	expect_status(rules, endpoint, 200, a, 200, b, cls, kind, path);
}

/* Run one comparison under built-in rules and check it is parity / one divergence. */
static void builtin_parity(const char *a, const char *b)
{
	struct ph_rules *r = ph_rules_builtin();

	expect_cmp(r, "GET /x", a, b, PH_PARITY, NULL, NULL);
	ph_rules_free(r);
}

static void builtin_one(const char *a, const char *b, enum ph_class cls, const char *kind,
			const char *path)
{
	struct ph_rules *r = ph_rules_builtin();

	expect_cmp(r, "GET /x", a, b, cls, kind, path);
	ph_rules_free(r);
}

static void test_identical_is_parity(void **state)
{
	(void)state;
	builtin_parity("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\",\"d\":true}",
		       "{\"d\":true,\"c\":\"x\",\"a\":[1,2,{\"b\":null}]}");
}

static void test_missing_key(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	struct ph_result res;

	(void)state;
	cmp(r, "GET /x", "{\"a\":{\"b\":1,\"c\":2}}", "{\"a\":{\"b\":1}}", &res);
	expect_one(&res, PH_STRUCTURAL, "missing", "a.c");
	assert_int_equal(json_integer_value(res.items[0].a), 2);
	assert_null(res.items[0].b);
	ph_result_release(&res);
	ph_rules_free(r);
}

static void test_extra_key(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	struct ph_result res;

	(void)state;
	cmp(r, "GET /x", "{\"a\":1}", "{\"a\":1,\"z\":\"new\"}", &res);
	expect_one(&res, PH_STRUCTURAL, "extra", "z");
	assert_null(res.items[0].a);
	assert_string_equal(json_string_value(res.items[0].b), "new");
	ph_result_release(&res);
	ph_rules_free(r);
}

static void test_type_changes(void **state)
{
	(void)state;
	builtin_one("{\"a\":null}", "{\"a\":0}", PH_STRUCTURAL, "type", "a");
	builtin_one("{\"a\":true}", "{\"a\":1}", PH_STRUCTURAL, "type", "a");
	builtin_one("{\"a\":{}}", "{\"a\":[]}", PH_STRUCTURAL, "type", "a");
	builtin_one("{\"a\":\"1\"}", "{\"a\":1}", PH_STRUCTURAL, "type", "a");
	builtin_one("[1]", "{\"0\":1}", PH_STRUCTURAL, "type", "");
}

static void test_value_differs(void **state)
{
	(void)state;
	builtin_one("{\"a\":{\"b\":\"x\"}}", "{\"a\":{\"b\":\"y\"}}", PH_SEMANTIC, "value", "a.b");
	builtin_one("{\"a\":true}", "{\"a\":false}", PH_SEMANTIC, "value", "a");
	builtin_one("{\"a\":[1,2,3]}", "{\"a\":[1,5,3]}", PH_SEMANTIC, "value", "a.1");
}

static void test_numbers_numerically(void **state)
{
	(void)state;
	builtin_parity("{\"n\":1,\"m\":-0.5,\"k\":1e3}", "{\"n\":1.0,\"m\":-0.50,\"k\":1000}");
	/* 2^53 + 1 is not 2^53 even though both round to the same double */
	builtin_one("{\"n\":9007199254740993}", "{\"n\":9007199254740992.0}", PH_SEMANTIC, "value",
		    "n");
	builtin_one("{\"n\":9223372036854775807}", "{\"n\":9223372036854775806}", PH_SEMANTIC,
		    "value", "n");
	builtin_one("{\"n\":1}", "{\"n\":1.5}", PH_SEMANTIC, "value", "n");
}

static void test_not_json(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	struct ph_result res;

	(void)state;
	cmp(r, "GET /x", "{\"a\":1}", "<html>oops</html>", &res);
	expect_one(&res, PH_STRUCTURAL, "not-json", "");
	assert_true(json_is_object(res.items[0].a));
	assert_string_equal(json_string_value(res.items[0].b), "<html>oops</html>");
	ph_result_release(&res);
	expect_cmp(r, "GET /x", "", "[]", PH_STRUCTURAL, "not-json", "");
	ph_rules_free(r);
}

static void test_both_not_json_compare_bytes(void **state)
{
	(void)state;
	builtin_parity("plain text", "plain text");
	builtin_parity("", "");
	builtin_one("plain text", "plain text!", PH_SEMANTIC, "body", "");
}

static void test_status_structural(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	struct ph_result res;

	(void)state;
	cmp_status(r, "GET /x", 200, "{}", 201, "{}", &res);
	expect_one(&res, PH_STRUCTURAL, "status", "");
	assert_int_equal(json_integer_value(res.items[0].a), 200);
	assert_int_equal(json_integer_value(res.items[0].b), 201);
	ph_result_release(&res);
	ph_rules_free(r);

	/* mustMatch without statusCode: status alone is no divergence */
	r = rules_of("{\"errorComparison\":{\"mustMatch\":[]}}");
	expect_status(r, "GET /x", 200, "{}", 201, "{}", PH_PARITY, NULL, NULL);
	ph_rules_free(r);
}

static void test_error_bodies(void **state)
{
	struct ph_rules *r = rules_of(
	    "{\"rules\":{\"endpoints\":{\"GET /x\":{\"deterministic\":[\"id\"],"
	    "\"ignoreFields\":[\"code\"]}}},"
	    "\"errorComparison\":{\"mustMatch\":[\"statusCode\"],\"ignoreFields\":[\"error\"]}}");

	(void)state;
	/* wording of "error" ignored; "code" is compared on errors although the rule ignores it */
	expect_status(r, "GET /x", 404, "{\"error\":\"not found\",\"code\":1}", 404,
		      "{\"error\":\"No such memory\",\"code\":1}", PH_PARITY, NULL, NULL);
	expect_status(r, "GET /x", 404, "{\"error\":\"x\",\"code\":1}", 404,
		      "{\"error\":\"y\",\"code\":2}", PH_SEMANTIC, "value", "code");
	/* one side an error is enough to use the error rules */
	expect_status(r, "GET /x", 200, "{\"error\":\"x\",\"code\":1}", 500,
		      "{\"error\":\"y\",\"code\":1}", PH_STRUCTURAL, "status", "");
	ph_rules_free(r);

	r = rules_of("{\"errorComparison\":{\"compareBody\":false}}");
	expect_status(r, "GET /x", 500, "{\"a\":1}", 500, "boom", PH_PARITY, NULL, NULL);
	ph_rules_free(r);
}

static void test_bytes_mode(void **state)
{
	struct ph_rules *r =
	    rules_of("{\"rules\":{\"endpoints\":{\"GET /raw\":{\"compareMode\":\"bytes\"}}}}");

	(void)state;
	expect_cmp(r, "GET /raw", "{\"a\":1}", "{\"a\": 1}", PH_SEMANTIC, "body", "");
	expect_cmp(r, "GET /raw", "{\"a\":1}", "{\"a\":1}", PH_PARITY, NULL, NULL);
	/* json mode elsewhere: whitespace does not matter */
	expect_cmp(r, "GET /other", "{\"a\":1}", "{\"a\": 1}", PH_PARITY, NULL, NULL);
	ph_rules_free(r);
}

static void test_ignore_subtree_and_star(void **state)
{
	struct ph_rules *r =
	    rules_of("{\"rules\":{\"default\":{\"ignoreFields\":[\"meta\",\"items.*.at\"]}}}");

	(void)state;
	/* meta and everything beneath it, even a type change and a missing key */
	expect_cmp(r, "GET /x", "{\"meta\":{\"v\":1,\"w\":2},\"items\":[{\"at\":1,\"k\":1}]}",
		   "{\"meta\":[],\"items\":[{\"at\":\"later\",\"k\":1}]}", PH_PARITY, NULL, NULL);
	/* `*` is exactly one segment: items.0.sub.at is not ignored */
	expect_cmp(r, "GET /x", "{\"items\":[{\"sub\":{\"at\":1}}]}",
		   "{\"items\":[{\"sub\":{\"at\":2}}]}",
		   PH_SEMANTIC, "value", "items.0.sub.at");
	/* a pattern matches from the root only: top-level "at" is compared */
	expect_cmp(r, "GET /x", "{\"at\":1}", "{\"at\":2}", PH_SEMANTIC, "value", "at");
	ph_rules_free(r);
}

static void test_deterministic_restricts_values(void **state)
{
	struct ph_rules *r = rules_of("{\"rules\":{\"endpoints\":{"
				      "\"GET /det\":{\"deterministic\":[\"items.*.id\",\"cfg\"]},"
				      "\"GET /shape\":{\"deterministic\":[]},"
				      "\"GET /all\":{}}}}");
	struct ph_result res;
	const char *a = "{\"items\":[{\"id\":1,\"n\":\"a\"}],\"cfg\":{\"x\":{\"y\":1}},\"t\":1}";
	const char *b_values =
	    "{\"items\":[{\"id\":1,\"n\":\"b\"}],\"cfg\":{\"x\":{\"y\":1}},\"t\":2}";

	(void)state;
	expect_cmp(r, "GET /det", a, b_values, PH_PARITY, NULL, NULL);
	/* beneath a deterministic path values are compared */
	expect_cmp(r, "GET /det", a,
		   "{\"items\":[{\"id\":1,\"n\":\"a\"}],\"cfg\":{\"x\":{\"y\":2}},\"t\":1}",
		   PH_SEMANTIC, "value", "cfg.x.y");
	expect_cmp(r, "GET /det", a,
		   "{\"items\":[{\"id\":7,\"n\":\"a\"}],\"cfg\":{\"x\":{\"y\":1}},\"t\":1}",
		   PH_SEMANTIC, "value", "items.0.id");
	/* shape is still compared outside the deterministic paths */
	expect_cmp(r, "GET /det", a,
		   "{\"items\":[{\"id\":1,\"n\":\"a\"}],\"cfg\":{\"x\":{\"y\":1}},\"t\":\"1\"}",
		   PH_STRUCTURAL, "type", "t");
	/* empty list: only shape */
	expect_cmp(r, "GET /shape", a,
		   "{\"items\":[{\"id\":2,\"n\":\"z\"}],\"cfg\":{\"x\":{\"y\":3}},\"t\":9}",
		   PH_PARITY, NULL, NULL);
	expect_cmp(r, "GET /shape", a, "{\"items\":[{\"id\":2}],\"cfg\":{\"x\":{\"y\":3}},\"t\":9}",
		   PH_STRUCTURAL, "missing", "items.0.n");
	/* key absent: values everywhere */
	cmp(r, "GET /all", a, b_values, &res);
	assert_int_equal(res.count, 2);
	assert_non_null(at(&res, "items.0.n"));
	assert_non_null(at(&res, "t"));
	ph_result_release(&res);
	ph_rules_free(r);
}

static void test_generated_type_only(void **state)
{
	struct ph_rules *r = rules_of("{\"rules\":{\"default\":{\"generated\":[\"request_id\"]},"
				      "\"endpoints\":{"
				      "\"GET /gen\":{\"generated\":[\"meta.timings\",\"items.*.job\"],"
				      "\"arrayOrdering\":\"unordered\"}}}}");
	struct ph_result res;
	const char *a = "{\"request_id\":\"r-1\",\"meta\":{\"timings\":{\"stages\":[{\"ms\":1}]}},"
			"\"items\":[{\"id\":1,\"job\":\"j-1\"},{\"id\":2,\"job\":\"j-2\"}]}";

	(void)state;
	/* other values and other members beneath: not compared */
	expect_cmp(r, "GET /gen", a,
		   "{\"request_id\":\"r-9\",\"meta\":{\"timings\":{\"total\":3}},"
		   "\"items\":[{\"id\":2,\"job\":\"j-8\"},{\"id\":1,\"job\":\"j-7\"}]}",
		   PH_PARITY, NULL, NULL);
	/* the type is compared: a generated value that is absent or null is structural */
	expect_cmp(r, "GET /gen", a,
		   "{\"request_id\":null,\"meta\":{\"timings\":{}},"
		   "\"items\":[{\"id\":1,\"job\":\"j-1\"},{\"id\":2,\"job\":\"j-2\"}]}",
		   PH_STRUCTURAL, "type", "request_id");
	expect_cmp(r, "GET /gen", a,
		   "{\"request_id\":\"r-1\",\"meta\":{},"
		   "\"items\":[{\"id\":1,\"job\":\"j-1\"},{\"id\":2,\"job\":\"j-2\"}]}",
		   PH_STRUCTURAL, "missing", "meta.timings");
	/* values next to a generated one still count */
	cmp(r, "GET /gen", a,
	    "{\"request_id\":\"r-1\",\"meta\":{\"timings\":{}},"
	    "\"items\":[{\"id\":1,\"job\":\"x\"},{\"id\":3,\"job\":\"y\"}]}",
	    &res);
	assert_int_equal(res.verdict, PH_SEMANTIC);
	ph_result_release(&res);
	ph_rules_free(r);
}

static void test_tolerance(void **state)
{
	struct ph_rules *r = rules_of("{\"rules\":{\"default\":{\"tolerance\":{\"score\":0.05}}}}");

	(void)state;
	/* 0.9 - 0.85 is 0.05000000000000004 in binary: still within the bound */
	expect_cmp(r, "GET /x", "{\"r\":[{\"score\":0.85}],\"s\":{\"score\":{\"v\":1.0}}}",
		   "{\"r\":[{\"score\":0.9}],\"s\":{\"score\":{\"v\":1.04}}}",
		   PH_PARITY, NULL, NULL);
	expect_cmp(r, "GET /x", "{\"r\":[{\"score\":0.85}]}", "{\"r\":[{\"score\":0.95}]}",
		   PH_SEMANTIC, "value", "r.0.score");
	/* numbers not under a "score" key are exact */
	expect_cmp(r, "GET /x", "{\"rank\":0.85}", "{\"rank\":0.86}", PH_SEMANTIC, "value", "rank");
	ph_rules_free(r);
}

static void test_unordered_by_id(void **state)
{
	struct ph_rules *r =
	    rules_of("{\"rules\":{\"default\":{\"arrayOrdering\":\"unordered\"}}}");
	struct ph_result res;

	(void)state;
	expect_cmp(r, "GET /x",
		   "{\"r\":[{\"id\":\"a\",\"v\":1},{\"id\":\"b\",\"v\":2},{\"id\":3,\"v\":3}]}",
		   "{\"r\":[{\"id\":3.0,\"v\":3},{\"id\":\"b\",\"v\":2},{\"id\":\"a\",\"v\":1}]}",
		   PH_PARITY, NULL, NULL);
	/* paired by id, then compared: path uses the reference element's index */
	expect_cmp(r, "GET /x", "{\"r\":[{\"id\":\"a\",\"v\":1},{\"id\":\"b\",\"v\":2}]}",
		   "{\"r\":[{\"id\":\"b\",\"v\":20},{\"id\":\"a\",\"v\":1}]}",
		   PH_SEMANTIC, "value", "r.1.v");
	/* a member without counterpart */
	cmp(r, "GET /x", "{\"r\":[{\"id\":\"a\"},{\"id\":\"b\"}]}",
	    "{\"r\":[{\"id\":\"c\"},{\"id\":\"a\"}]}", &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(at(&res, "r.1")->kind, "member");
	assert_null(at(&res, "r.1")->b);
	assert_string_equal(at(&res, "r.0")->kind, "member"); /* candidate index 0: "c" */
	assert_null(at(&res, "r.0")->a);
	assert_int_equal(res.verdict, PH_SEMANTIC);
	ph_result_release(&res);
	ph_rules_free(r);
}

static void test_unordered_canonical(void **state)
{
	struct ph_rules *r = rules_of("{\"rules\":{\"default\":{\"arrayOrdering\":\"unordered\","
				      "\"ignoreFields\":[\"r.*.id\",\"r.*.at\"]}}}");
	struct ph_result res;

	(void)state;
	/* no usable id (it is ignored): paired by canonical form, keys in any order,
	 * 1 == 1.0, ignored sub-paths left out */
	expect_cmp(r, "GET /x",
		   "{\"r\":[{\"id\":1,\"k\":\"x\",\"n\":1},"
		   "{\"id\":2,\"k\":\"y\",\"n\":2,\"at\":5}],\"s\":[3,1,2,1]}",
		   "{\"r\":[{\"n\":2.0,\"k\":\"y\",\"id\":9},"
		   "{\"k\":\"x\",\"n\":1.0,\"id\":8,\"at\":7}],\"s\":[1,2,1,3]}",
		   PH_PARITY, NULL, NULL);
	/* multiset, not set: [1,1,2] is not [1,2,2] */
	cmp(r, "GET /x", "{\"s\":[1,1,2]}", "{\"s\":[1,2,2]}", &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(res.items[0].kind, "member");
	assert_string_equal(res.items[1].kind, "member");
	ph_result_release(&res);
	/* length differs */
	cmp(r, "GET /x", "{\"s\":[1,2]}", "{\"s\":[2,1,3]}", &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(at(&res, "s")->kind, "length");
	assert_string_equal(at(&res, "s.2")->kind, "member");
	ph_result_release(&res);
	ph_rules_free(r);
}

static void test_ordered_order_and_length(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	struct ph_result res;

	(void)state;
	expect_cmp(r, "GET /x", "{\"a\":[{\"id\":1},{\"id\":2},{\"id\":3}]}",
		   "{\"a\":[{\"id\":3},{\"id\":2},{\"id\":1}]}", PH_SEMANTIC, "order", "a");
	/* same ids, other contents: never "order", even though pairing by id would match */
	cmp(r, "GET /x", "{\"a\":[{\"id\":1,\"v\":1},{\"id\":2,\"v\":2}]}",
	    "{\"a\":[{\"id\":1,\"v\":5},{\"id\":2,\"v\":6}]}", &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(at(&res, "a.0.v")->kind, "value");
	assert_string_equal(at(&res, "a.1.v")->kind, "value");
	ph_result_release(&res);
	/* not the same members: element divergences, not order */
	cmp(r, "GET /x", "{\"a\":[1,2,3]}", "{\"a\":[3,2,4]}", &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(at(&res, "a.0")->kind, "value");
	assert_string_equal(at(&res, "a.2")->kind, "value");
	ph_result_release(&res);
	/* length differs: the common prefix is still compared */
	cmp(r, "GET /x", "{\"a\":[1,2,3]}", "{\"a\":[1,9]}", &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(at(&res, "a")->kind, "length");
	assert_int_equal(json_integer_value(at(&res, "a")->a), 3);
	assert_int_equal(json_integer_value(at(&res, "a")->b), 2);
	assert_string_equal(at(&res, "a.1")->kind, "value");
	ph_result_release(&res);
	ph_rules_free(r);
}

static void test_timestamps(void **state)
{
	struct ph_rules *r;

	(void)state;
	builtin_parity("{\"t\":\"2026-01-02T03:04:05Z\"}", "{\"t\":\"2026-01-02T03:04:05+00:00\"}");
	builtin_parity("{\"t\":\"2026-01-02T03:04:05Z\"}", "{\"t\":\"2026-01-02T05:34:05+02:30\"}");
	builtin_parity("{\"t\":\"2026-01-02T03:04:05.123Z\"}",
		       "{\"t\":\"2026-01-02 03:04:05.999Z\"}");
	builtin_parity("{\"t\":\"2026-01-02T00:00:00Z\"}", "{\"t\":\"2026-01-01T19:00:00-05:00\"}");
	builtin_parity("{\"t\":\"2026-01-02\"}", "{\"t\":\"2026-01-02T00:00:00.000Z\"}");
	builtin_one("{\"t\":\"2026-01-02T03:04:05Z\"}", "{\"t\":\"2026-01-02T03:04:06Z\"}",
		    PH_SEMANTIC, "value", "t");
	/* not timestamps (Feb 30, trailing text): compared as strings */
	builtin_one("{\"t\":\"2026-02-30T00:00:00Z\"}", "{\"t\":\"2026-03-02T00:00:00Z\"}",
		    PH_SEMANTIC, "value", "t");
	builtin_one("{\"t\":\"2026-01-02T03:04:05Z!\"}", "{\"t\":\"2026-01-02T03:04:05+00:00!\"}",
		    PH_SEMANTIC, "value", "t");

	r = rules_of("{\"rules\":{\"endpoints\":{"
		     "\"GET /ms\":{\"timestampPrecision\":\"millisecond\"},"
		     "\"GET /min\":{\"timestampPrecision\":\"minute\"}}}}");
	expect_cmp(r, "GET /ms", "{\"t\":\"2026-01-02T03:04:05.123Z\"}",
		   "{\"t\":\"2026-01-02T03:04:05.1239+00:00\"}", PH_PARITY, NULL, NULL);
	expect_cmp(r, "GET /ms", "{\"t\":\"2026-01-02T03:04:05.123Z\"}",
		   "{\"t\":\"2026-01-02T03:04:05.124Z\"}", PH_SEMANTIC, "value", "t");
	expect_cmp(r, "GET /min", "{\"t\":\"2026-01-02T03:04:05Z\"}",
		   "{\"t\":\"2026-01-02T03:04:59Z\"}",
		   PH_PARITY, NULL, NULL);
	expect_cmp(r, "GET /min", "{\"t\":\"2026-01-02T03:04:59Z\"}",
		   "{\"t\":\"2026-01-02T03:05:00Z\"}",
		   PH_SEMANTIC, "value", "t");
	ph_rules_free(r);
}

static void test_timestamp_parser(void **state)
{
	long long ms;

	(void)state;
	assert_int_equal(ph_timestamp_parse("1970-01-01T00:00:00Z", 20, &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(ph_timestamp_parse("1969-12-31T23:59:59.5Z", 22, &ms), 0);
	assert_int_equal(ms, -500);
	assert_int_equal(ph_timestamp_parse("2024-02-29", 10, &ms), 0);
	assert_int_equal(ms, 1709164800000LL);
	assert_int_equal(ph_timestamp_parse("2023-02-29", 10, &ms), -1);
	assert_int_equal(ph_timestamp_parse("2024-13-01", 10, &ms), -1);
	assert_int_equal(ph_timestamp_parse("2024-01-01T24:00:00Z", 20, &ms), -1);
	assert_int_equal(ph_timestamp_parse("2024-01-01T", 11, &ms), -1);
	assert_int_equal(ph_timestamp_parse("2024-01-01T10:00:00+0130", 24, &ms), 0);
	assert_int_equal(ph_timestamp_parse("2024-01-01T10:00:00.Z", 21, &ms), -1);
	assert_int_equal(ph_timestamp_parse("hello", 5, &ms), -1);
}

static void test_timing(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	struct ph_response a = resp(200, "{}"), b = resp(200, "{}");
	struct ph_timing t = PH_TIMING_DEFAULT; /* ratio 2, delta 100, floor 5 */
	struct ph_result res;
	struct ph_err err;

	(void)state;
	a.latency_ms = 10;
	b.latency_ms = 30; /* ratio 3, delta 20 >= floor */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	expect_one(&res, PH_TIMING, "latency", "");
	ph_result_release(&res);
	a.latency_ms = 1;
	b.latency_ms = 4; /* ratio 4 but under the floor */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	expect_parity(&res);
	ph_result_release(&res);
	a.latency_ms = 300;
	b.latency_ms = 450; /* ratio 1.5, delta 150 > 100 */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	expect_one(&res, PH_TIMING, "latency", "");
	ph_result_release(&res);
	a.latency_ms = 300;
	b.latency_ms = 390; /* ratio 1.3, delta 90 */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	expect_parity(&res);
	ph_result_release(&res);
	a.latency_ms = 10;
	b.latency_ms = 900; /* no thresholds: not compared */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, NULL, &res, &err), 0);
	expect_parity(&res);
	ph_result_release(&res);
	a.latency_ms = -1; /* unknown */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	expect_parity(&res);
	ph_result_release(&res);
	ph_rules_free(r);
}

static void test_verdict_is_worst(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	struct ph_response a = resp(200, "{\"a\":1,\"b\":2}"), b = resp(200, "{\"a\":2}");
	struct ph_timing t = PH_TIMING_DEFAULT;
	struct ph_result res;
	struct ph_err err;

	(void)state;
	a.latency_ms = 10;
	b.latency_ms = 500;
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	assert_int_equal(res.count, 3);
	assert_int_equal(res.verdict, PH_STRUCTURAL);
	ph_result_release(&res);
	b = resp(200, "{\"a\":2,\"b\":2}");
	b.latency_ms = 500;
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	assert_int_equal(res.verdict, PH_SEMANTIC);
	ph_result_release(&res);
	ph_rules_free(r);
}

static void test_unmatched_patterns(void **state)
{
	struct ph_rules *r =
	    rules_of("{\"rules\":{\"default\":{\"ignoreFields\":[\"createdAt\"]},"
		     "\"endpoints\":{\"GET /m\":{\"deterministic\":[\"id\",\"nope\"],"
		     "\"ignoreFields\":[\"items.*.at\"]}}},"
		     "\"errorComparison\":{\"ignoreFields\":[\"error\"]}}");
	struct ph_result res;
	json_t *un;
	size_t i;
	int saw_nope = 0, saw_error = 0;

	(void)state;
	expect_cmp(r, "GET /m", "{\"id\":1,\"createdAt\":1,\"items\":[{\"at\":1},{\"at\":2}]}",
		   "{\"id\":1,\"createdAt\":2,\"items\":[{\"at\":1},{\"at\":3}]}",
		   PH_PARITY, NULL, NULL);
	assert_int_equal(ph_rules_find(r, "GET /m")->ignore[0].hits, 2);
	assert_int_equal(ph_rules_find(r, "default")->ignore[0].hits, 1); /* via inheritance */
	un = ph_rules_unmatched(r);
	assert_non_null(un);
	for (i = 0; i < json_array_size(un); i++) {
		json_t *e = json_array_get(un, i);
		const char *p = json_string_value(json_object_get(e, "pattern"));

		if (!strcmp(p, "nope")) {
			saw_nope = 1;
			assert_string_equal(json_string_value(json_object_get(e, "rule")),
					    "GET /m");
			assert_string_equal(json_string_value(json_object_get(e, "kind")),
					    "deterministic");
		} else if (!strcmp(p, "error")) {
			saw_error = 1;
			assert_string_equal(json_string_value(json_object_get(e, "kind")),
					    "error-ignore");
		} else {
			fail_msg("pattern '%s' matched but is listed", p);
		}
	}
	/* no error body was compared: errorComparison's patterns say nothing yet */
	assert_true(saw_nope && !saw_error);
	json_decref(un);
	/* an error body without an "error" key: now the error pattern matched nothing */
	{
		struct ph_response a = { 404, "{\"msg\":\"x\"}", 11, NULL, NULL, -1, NULL };
		struct ph_response b = { 404, "{\"msg\":\"y\"}", 11, NULL, NULL, -1, NULL };
		struct ph_err err;

		assert_int_equal(ph_compare_responses(r, "GET /m", &a, &b, NULL, &res, &err), 0);
		ph_result_release(&res);
	}
	un = ph_rules_unmatched(r);
	saw_error = 0;
	for (i = 0; i < json_array_size(un); i++)
		saw_error |= !strcmp(json_string_value(json_object_get(json_array_get(un, i),
									 "pattern")),
				     "error");
	assert_true(saw_error);
	json_decref(un);
	/* after a reset no rule has been used: nothing is listed */
	ph_rules_reset_hits(r);
	un = ph_rules_unmatched(r);
	assert_int_equal(json_array_size(un), 0);
	json_decref(un);
	ph_rules_free(r);
}

/* Free a deep chain without jansson's recursive delete: detach from the top down. */
static void free_chain(json_t *top)
{
	while (top) {
		json_t *next = json_array_size(top) ? json_incref(json_array_get(top, 0)) : NULL;

		json_decref(top); /* its only child now has another reference */
		top = next;
	}
}

static json_t *deep_chain(size_t depth, json_int_t leaf)
{
	json_t *top = json_integer(leaf);
	size_t i;

	for (i = 0; i < depth; i++) {
		json_t *arr = json_array();

		assert_non_null(arr);
		assert_int_equal(json_array_append_new(arr, top), 0);
		top = arr;
	}
	return top;
}

static void test_deep_nesting(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	json_t *a = deep_chain(100000, 1), *b = deep_chain(100000, 2);
	struct ph_result res;
	struct ph_err err;

	(void)state;
	assert_int_equal(ph_compare_json_rule(&r->deflt, a, b, &res, &err), 0);
	expect_one(&res, PH_ERROR, "depth", res.count ? res.items[0].path : "");
	/* the divergence sits one level beyond the cap */
	assert_int_equal(strlen(res.items[0].path), 2 * (PH_COMPARE_MAX_DEPTH + 1) - 1);
	ph_result_release(&res);
	/* and an unordered walk, which also builds canonical forms, is bounded too */
	r->deflt.ordering = PH_UNORDERED;
	assert_int_equal(ph_compare_json_rule(&r->deflt, a, b, &res, &err), 0);
	assert_int_equal(res.verdict, PH_ERROR);
	ph_result_release(&res);
	free_chain(a);
	free_chain(b);
	ph_rules_free(r);
}

static void test_result_json(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	struct ph_result res;
	json_t *doc, *d;
	char longs[400], body_a[512], body_b[512];

	(void)state;
	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	snprintf(body_a, sizeof(body_a), "{\"s\":\"%s\"}", longs);
	snprintf(body_b, sizeof(body_b), "{\"s\":\"%sy\"}", longs);
	cmp(r, "GET /x?q=1", body_a, body_b, &res);
	doc = ph_result_to_json(&res, "GET /x?q=1");
	assert_non_null(doc);
	assert_string_equal(json_string_value(json_object_get(doc, "endpoint")), "GET /x?q=1");
	assert_string_equal(json_string_value(json_object_get(doc, "rule")), "default");
	assert_string_equal(json_string_value(json_object_get(doc, "verdict")), "semantic");
	d = json_array_get(json_object_get(doc, "divergences"), 0);
	assert_string_equal(json_string_value(json_object_get(d, "class")), "semantic");
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "value");
	assert_string_equal(json_string_value(json_object_get(d, "path")), "s");
	/* long strings are kept whole */
	assert_int_equal(json_string_length(json_object_get(d, "a")), strlen(longs));
	assert_non_null(json_object_get(d, "message"));
	json_decref(doc);
	ph_result_release(&res);

	cmp(r, "GET /x", "{\"a\":1}", "{}", &res);
	doc = ph_result_divergences_json(&res);
	assert_true(json_is_null(json_object_get(json_array_get(doc, 0), "b")));
	json_decref(doc);
	ph_result_release(&res);
	ph_rules_free(r);

	assert_int_equal(ph_class_parse("structural"), PH_STRUCTURAL);
	assert_int_equal(ph_class_parse("parity"), PH_PARITY);
	assert_int_equal(ph_class_parse("timing"), PH_TIMING);
	assert_int_equal(ph_class_parse("error"), PH_ERROR);
	assert_int_equal(ph_class_parse("bogus"), -1);
}

static void test_transport_error(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	struct ph_response a = resp(200, "{}"), b = resp(0, NULL);
	struct ph_result res;
	struct ph_err err;

	(void)state;
	b.error = "connection refused";
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, NULL, &res, &err), 0);
	expect_one(&res, PH_ERROR, "transport", "");
	assert_non_null(strstr(res.items[0].message, "connection refused"));
	ph_result_release(&res);
	ph_rules_free(r);
}

/* A huge non-JSON answer is quoted as an excerpt, not copied whole into the report. */
static void test_not_json_excerpt(void **state)
{
	struct ph_rules *r = ph_rules_builtin();
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	struct ph_response a = { 200, "{\"ok\":true}", 11, NULL, NULL, -1, NULL };
	struct ph_response b = { 200, big, n, NULL, NULL, -1, NULL };
	struct ph_result res;
	struct ph_err err;
	const char *text;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, NULL, &res, &err), 0);
	assert_int_equal(res.count, 1);
	assert_string_equal(res.items[0].kind, "not-json");
	assert_true(json_is_object(res.items[0].a));
	text = json_string_value(res.items[0].b);
	assert_non_null(text);
	assert_true(strlen(text) < 4200);
	assert_non_null(strstr(text, "(1048576 bytes in all)"));
	ph_result_release(&res);
	ph_rules_free(r);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_json_excerpt),
	    cmocka_unit_test(test_identical_is_parity),
	    cmocka_unit_test(test_missing_key),
	    cmocka_unit_test(test_extra_key),
	    cmocka_unit_test(test_type_changes),
	    cmocka_unit_test(test_value_differs),
	    cmocka_unit_test(test_numbers_numerically),
	    cmocka_unit_test(test_not_json),
	    cmocka_unit_test(test_both_not_json_compare_bytes),
	    cmocka_unit_test(test_status_structural),
	    cmocka_unit_test(test_error_bodies),
	    cmocka_unit_test(test_bytes_mode),
	    cmocka_unit_test(test_ignore_subtree_and_star),
	    cmocka_unit_test(test_deterministic_restricts_values),
	    cmocka_unit_test(test_generated_type_only),
	    cmocka_unit_test(test_tolerance),
	    cmocka_unit_test(test_unordered_by_id),
	    cmocka_unit_test(test_unordered_canonical),
	    cmocka_unit_test(test_ordered_order_and_length),
	    cmocka_unit_test(test_timestamps),
	    cmocka_unit_test(test_timestamp_parser),
	    cmocka_unit_test(test_timing),
	    cmocka_unit_test(test_verdict_is_worst),
	    cmocka_unit_test(test_unmatched_patterns),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_result_json),
	    cmocka_unit_test(test_transport_error),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
