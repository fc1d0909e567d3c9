/*
 * Unit tests of the comparison engine (core/src/compare/compare.c) under rules: one test
 * per option of DESIGN.md "Comparison" (error bodies, bytes mode, ignore and
 * deterministic patterns, generated values, tolerance, array ordering, timestamps and
 * their precision) and the counting of the patterns a comparison used.
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

#include "support_compare.h"

/*
 * Compare a and b under r for GET /x: exactly two divergences, of kind k1 at p1 and of
 * kind k2 at p2.
 */
static void expect_two(struct ph_rules *r, const char *a, const char *b, const char *p1,
		       const char *k1, const char *p2, const char *k2)
{
	struct ph_result res;

	t_cmp(r, "GET /x", a, b, &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(t_at(&res, p1)->kind, k1);
	assert_string_equal(t_at(&res, p2)->kind, k2);
	ph_result_release(&res);
}

static void test_error_bodies(void **state)
{
	struct ph_rules *r = t_rules_of(
	    "{\"rules\":{\"endpoints\":{\"GET /x\":{\"deterministic\":[\"id\"],"
	    "\"ignoreFields\":[\"code\"]}}},"
	    "\"errorComparison\":{\"mustMatch\":[\"statusCode\"],\"ignoreFields\":[\"error\"]}}");

	(void)state;
	/* wording of "error" ignored; "code" is compared on errors although the rule ignores it */
	t_expect_status(r, "GET /x", 404, "{\"error\":\"not found\",\"code\":1}", 404,
			"{\"error\":\"No such memory\",\"code\":1}", PH_PARITY, NULL, NULL);
	t_expect_status(r, "GET /x", 404, "{\"error\":\"x\",\"code\":1}", 404,
			"{\"error\":\"y\",\"code\":2}", PH_SEMANTIC, "value", "code");
	/* one side an error is enough to use the error rules */
	t_expect_status(r, "GET /x", 200, "{\"error\":\"x\",\"code\":1}", 500,
			"{\"error\":\"y\",\"code\":1}", PH_STRUCTURAL, "status", "");
	ph_rules_free(r);

	r = t_rules_of("{\"errorComparison\":{\"compareBody\":false}}");
	t_expect_status(r, "GET /x", 500, "{\"a\":1}", 500, "boom", PH_PARITY, NULL, NULL);
	ph_rules_free(r);
}

static void test_bytes_mode(void **state)
{
	struct ph_rules *r = t_rules_in(
	    state, "{\"rules\":{\"endpoints\":{\"GET /raw\":{\"compareMode\":\"bytes\"}}}}");

	t_expect_cmp(r, "GET /raw", "{\"a\":1}", "{\"a\": 1}", PH_SEMANTIC, "body", "");
	t_expect_cmp(r, "GET /raw", "{\"a\":1}", "{\"a\":1}", PH_PARITY, NULL, NULL);
	/* json mode elsewhere: whitespace does not matter */
	t_expect_cmp(r, "GET /other", "{\"a\":1}", "{\"a\": 1}", PH_PARITY, NULL, NULL);
}

static void test_ignore_subtree_and_star(void **state)
{
	struct ph_rules *r = t_rules_in(
	    state, "{\"rules\":{\"default\":{\"ignoreFields\":[\"meta\",\"items.*.at\"]}}}");

	/* meta and everything beneath it, even a type change and a missing key */
	t_expect_cmp(r, "GET /x", "{\"meta\":{\"v\":1,\"w\":2},\"items\":[{\"at\":1,\"k\":1}]}",
		     "{\"meta\":[],\"items\":[{\"at\":\"later\",\"k\":1}]}", PH_PARITY, NULL, NULL);
	/* `*` is exactly one segment: items.0.sub.at is not ignored */
	t_expect_cmp(r, "GET /x", "{\"items\":[{\"sub\":{\"at\":1}}]}",
		     "{\"items\":[{\"sub\":{\"at\":2}}]}", PH_SEMANTIC, "value", "items.0.sub.at");
	/* a pattern matches from the root only: top-level "at" is compared */
	t_expect_cmp(r, "GET /x", "{\"at\":1}", "{\"at\":2}", PH_SEMANTIC, "value", "at");
}

static void test_deterministic_restricts_values(void **state)
{
	struct ph_rules *r =
	    t_rules_in(state, "{\"rules\":{\"endpoints\":{"
			      "\"GET /det\":{\"deterministic\":[\"items.*.id\",\"cfg\"]},"
			      "\"GET /shape\":{\"deterministic\":[]},"
			      "\"GET /all\":{}}}}");
	struct ph_result res;
	const char *a = "{\"items\":[{\"id\":1,\"n\":\"a\"}],\"cfg\":{\"x\":{\"y\":1}},\"t\":1}";
	const char *b_values =
	    "{\"items\":[{\"id\":1,\"n\":\"b\"}],\"cfg\":{\"x\":{\"y\":1}},\"t\":2}";

	t_expect_cmp(r, "GET /det", a, b_values, PH_PARITY, NULL, NULL);
	/* beneath a deterministic path values are compared */
	t_expect_cmp(r, "GET /det", a,
		     "{\"items\":[{\"id\":1,\"n\":\"a\"}],\"cfg\":{\"x\":{\"y\":2}},\"t\":1}",
		     PH_SEMANTIC, "value", "cfg.x.y");
	t_expect_cmp(r, "GET /det", a,
		     "{\"items\":[{\"id\":7,\"n\":\"a\"}],\"cfg\":{\"x\":{\"y\":1}},\"t\":1}",
		     PH_SEMANTIC, "value", "items.0.id");
	/* shape is still compared outside the deterministic paths */
	t_expect_cmp(r, "GET /det", a,
		     "{\"items\":[{\"id\":1,\"n\":\"a\"}],\"cfg\":{\"x\":{\"y\":1}},\"t\":\"1\"}",
		     PH_STRUCTURAL, "type", "t");
	/* empty list: only shape */
	t_expect_cmp(r, "GET /shape", a,
		     "{\"items\":[{\"id\":2,\"n\":\"z\"}],\"cfg\":{\"x\":{\"y\":3}},\"t\":9}",
		     PH_PARITY, NULL, NULL);
	t_expect_cmp(r, "GET /shape", a,
		     "{\"items\":[{\"id\":2}],\"cfg\":{\"x\":{\"y\":3}},\"t\":9}", PH_STRUCTURAL,
		     "missing", "items.0.n");
	/* key absent: values everywhere */
	t_cmp(r, "GET /all", a, b_values, &res);
	assert_int_equal(res.count, 2);
	assert_non_null(t_at(&res, "items.0.n"));
	assert_non_null(t_at(&res, "t"));
	ph_result_release(&res);
}

static void test_generated_type_only(void **state)
{
	const char *a = "{\"request_id\":\"r-1\",\"meta\":{\"timings\":{\"stages\":[{\"ms\":1}]}},"
			"\"items\":[{\"id\":1,\"job\":\"j-1\"},{\"id\":2,\"job\":\"j-2\"}]}";
	struct ph_rules *r =
	    t_rules_in(state, "{\"rules\":{\"default\":{\"generated\":[\"request_id\"]},"
			      "\"endpoints\":{"
			      "\"GET /gen\":{\"generated\":[\"meta.timings\",\"items.*.job\"],"
			      "\"arrayOrdering\":\"unordered\"}}}}");
	struct ph_result res;

	/* other values and other members beneath: not compared */
	t_expect_cmp(r, "GET /gen", a,
		     "{\"request_id\":\"r-9\",\"meta\":{\"timings\":{\"total\":3}},"
		     "\"items\":[{\"id\":2,\"job\":\"j-8\"},{\"id\":1,\"job\":\"j-7\"}]}",
		     PH_PARITY, NULL, NULL);
	/* the type is compared: a generated value that is absent or null is structural */
	t_expect_cmp(r, "GET /gen", a,
		     "{\"request_id\":null,\"meta\":{\"timings\":{}},"
		     "\"items\":[{\"id\":1,\"job\":\"j-1\"},{\"id\":2,\"job\":\"j-2\"}]}",
		     PH_STRUCTURAL, "type", "request_id");
	t_expect_cmp(r, "GET /gen", a,
		     "{\"request_id\":\"r-1\",\"meta\":{},"
		     "\"items\":[{\"id\":1,\"job\":\"j-1\"},{\"id\":2,\"job\":\"j-2\"}]}",
		     PH_STRUCTURAL, "missing", "meta.timings");
	/* values next to a generated one still count */
	t_cmp(r, "GET /gen", a,
	      "{\"request_id\":\"r-1\",\"meta\":{\"timings\":{}},"
	      "\"items\":[{\"id\":1,\"job\":\"x\"},{\"id\":3,\"job\":\"y\"}]}",
	      &res);
	assert_int_equal(res.verdict, PH_SEMANTIC);
	ph_result_release(&res);
}

static void test_tolerance(void **state)
{
	struct ph_rules *r =
	    t_rules_in(state, "{\"rules\":{\"default\":{\"tolerance\":{\"score\":0.05}}}}");

	/* 0.9 - 0.85 is 0.05000000000000004 in binary: still within the bound */
	t_expect_cmp(r, "GET /x", "{\"r\":[{\"score\":0.85}],\"s\":{\"score\":{\"v\":1.0}}}",
		     "{\"r\":[{\"score\":0.9}],\"s\":{\"score\":{\"v\":1.04}}}", PH_PARITY, NULL,
		     NULL);
	t_expect_cmp(r, "GET /x", "{\"r\":[{\"score\":0.85}]}", "{\"r\":[{\"score\":0.95}]}",
		     PH_SEMANTIC, "value", "r.0.score");
	/* numbers not under a "score" key are exact */
	t_expect_cmp(r, "GET /x", "{\"rank\":0.85}", "{\"rank\":0.86}", PH_SEMANTIC, "value",
		     "rank");
}

static void test_unordered_by_id(void **state)
{
	struct ph_rules *r =
	    t_rules_in(state, "{\"rules\":{\"default\":{\"arrayOrdering\":\"unordered\"}}}");
	struct ph_result res;

	t_expect_cmp(r, "GET /x",
		     "{\"r\":[{\"id\":\"a\",\"v\":1},{\"id\":\"b\",\"v\":2},{\"id\":3,\"v\":3}]}",
		     "{\"r\":[{\"id\":3.0,\"v\":3},{\"id\":\"b\",\"v\":2},{\"id\":\"a\",\"v\":1}]}",
		     PH_PARITY, NULL, NULL);
	/* paired by id, then compared: path uses the reference element's index */
	t_expect_cmp(r, "GET /x", "{\"r\":[{\"id\":\"a\",\"v\":1},{\"id\":\"b\",\"v\":2}]}",
		     "{\"r\":[{\"id\":\"b\",\"v\":20},{\"id\":\"a\",\"v\":1}]}", PH_SEMANTIC,
		     "value", "r.1.v");
	/* a member without counterpart */
	t_cmp(r, "GET /x", "{\"r\":[{\"id\":\"a\"},{\"id\":\"b\"}]}",
	      "{\"r\":[{\"id\":\"c\"},{\"id\":\"a\"}]}", &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(t_at(&res, "r.1")->kind, "member");
	assert_null(t_at(&res, "r.1")->b);
	assert_string_equal(t_at(&res, "r.0")->kind, "member"); /* candidate index 0: "c" */
	assert_null(t_at(&res, "r.0")->a);
	assert_int_equal(res.verdict, PH_SEMANTIC);
	ph_result_release(&res);
}

static void test_unordered_canonical(void **state)
{
	struct ph_rules *r =
	    t_rules_in(state, "{\"rules\":{\"default\":{\"arrayOrdering\":\"unordered\","
			      "\"ignoreFields\":[\"r.*.id\",\"r.*.at\"]}}}");
	struct ph_result res;

	/* no usable id (it is ignored): paired by canonical form, keys in any order,
	 * 1 == 1.0, ignored sub-paths left out */
	t_expect_cmp(r, "GET /x",
		     "{\"r\":[{\"id\":1,\"k\":\"x\",\"n\":1},"
		     "{\"id\":2,\"k\":\"y\",\"n\":2,\"at\":5}],\"s\":[3,1,2,1]}",
		     "{\"r\":[{\"n\":2.0,\"k\":\"y\",\"id\":9},"
		     "{\"k\":\"x\",\"n\":1.0,\"id\":8,\"at\":7}],\"s\":[1,2,1,3]}",
		     PH_PARITY, NULL, NULL);
	/* multiset, not set: [1,1,2] is not [1,2,2] */
	t_cmp(r, "GET /x", "{\"s\":[1,1,2]}", "{\"s\":[1,2,2]}", &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(res.items[0].kind, "member");
	assert_string_equal(res.items[1].kind, "member");
	ph_result_release(&res);
	/* length differs */
	expect_two(r, "{\"s\":[1,2]}", "{\"s\":[2,1,3]}", "s", "length", "s.2", "member");
}

static void test_ordered_order_and_length(void **state)
{
	struct ph_rules *r = *state;
	struct ph_result res;

	t_expect_cmp(r, "GET /x", "{\"a\":[{\"id\":1},{\"id\":2},{\"id\":3}]}",
		     "{\"a\":[{\"id\":3},{\"id\":2},{\"id\":1}]}", PH_SEMANTIC, "order", "a");
	/* same ids, other contents: never "order", even though pairing by id would match */
	expect_two(r, "{\"a\":[{\"id\":1,\"v\":1},{\"id\":2,\"v\":2}]}",
		   "{\"a\":[{\"id\":1,\"v\":5},{\"id\":2,\"v\":6}]}", "a.0.v", "value", "a.1.v",
		   "value");
	/* not the same members: element divergences, not order */
	expect_two(r, "{\"a\":[1,2,3]}", "{\"a\":[3,2,4]}", "a.0", "value", "a.2", "value");
	/* length differs: the common prefix is still compared */
	t_cmp(r, "GET /x", "{\"a\":[1,2,3]}", "{\"a\":[1,9]}", &res);
	assert_int_equal(res.count, 2);
	assert_string_equal(t_at(&res, "a")->kind, "length");
	assert_int_equal(json_integer_value(t_at(&res, "a")->a), 3);
	assert_int_equal(json_integer_value(t_at(&res, "a")->b), 2);
	assert_string_equal(t_at(&res, "a.1")->kind, "value");
	ph_result_release(&res);
}

static void test_timestamps(void **state)
{
	struct ph_rules *r;

	(void)state;
	t_builtin_parity("{\"t\":\"2026-01-02T03:04:05Z\"}",
			 "{\"t\":\"2026-01-02T03:04:05+00:00\"}");
	t_builtin_parity("{\"t\":\"2026-01-02T03:04:05Z\"}",
			 "{\"t\":\"2026-01-02T05:34:05+02:30\"}");
	t_builtin_parity("{\"t\":\"2026-01-02T03:04:05.123Z\"}",
			 "{\"t\":\"2026-01-02 03:04:05.999Z\"}");
	t_builtin_parity("{\"t\":\"2026-01-02T00:00:00Z\"}",
			 "{\"t\":\"2026-01-01T19:00:00-05:00\"}");
	t_builtin_parity("{\"t\":\"2026-01-02\"}", "{\"t\":\"2026-01-02T00:00:00.000Z\"}");
	t_builtin_one("{\"t\":\"2026-01-02T03:04:05Z\"}", "{\"t\":\"2026-01-02T03:04:06Z\"}",
		      PH_SEMANTIC, "value", "t");
	/* not timestamps (Feb 30, trailing text): compared as strings */
	t_builtin_one("{\"t\":\"2026-02-30T00:00:00Z\"}", "{\"t\":\"2026-03-02T00:00:00Z\"}",
		      PH_SEMANTIC, "value", "t");
	t_builtin_one("{\"t\":\"2026-01-02T03:04:05Z!\"}", "{\"t\":\"2026-01-02T03:04:05+00:00!\"}",
		      PH_SEMANTIC, "value", "t");

	r = t_rules_of("{\"rules\":{\"endpoints\":{"
		       "\"GET /ms\":{\"timestampPrecision\":\"millisecond\"},"
		       "\"GET /min\":{\"timestampPrecision\":\"minute\"}}}}");
	t_expect_cmp(r, "GET /ms", "{\"t\":\"2026-01-02T03:04:05.123Z\"}",
		     "{\"t\":\"2026-01-02T03:04:05.1239+00:00\"}", PH_PARITY, NULL, NULL);
	t_expect_cmp(r, "GET /ms", "{\"t\":\"2026-01-02T03:04:05.123Z\"}",
		     "{\"t\":\"2026-01-02T03:04:05.124Z\"}", PH_SEMANTIC, "value", "t");
	t_expect_cmp(r, "GET /min", "{\"t\":\"2026-01-02T03:04:05Z\"}",
		     "{\"t\":\"2026-01-02T03:04:59Z\"}", PH_PARITY, NULL, NULL);
	t_expect_cmp(r, "GET /min", "{\"t\":\"2026-01-02T03:04:59Z\"}",
		     "{\"t\":\"2026-01-02T03:05:00Z\"}", PH_SEMANTIC, "value", "t");
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

static void test_unmatched_patterns(void **state)
{
	int saw_nope = 0, saw_error = 0;
	size_t i;
	json_t *un;
	struct ph_result res;
	struct ph_rules *r =
	    t_rules_in(state, "{\"rules\":{\"default\":{\"ignoreFields\":[\"createdAt\"]},"
			      "\"endpoints\":{\"GET /m\":{\"deterministic\":[\"id\",\"nope\"],"
			      "\"ignoreFields\":[\"items.*.at\"]}}},"
			      "\"errorComparison\":{\"ignoreFields\":[\"error\"]}}");

	t_expect_cmp(r, "GET /m", "{\"id\":1,\"createdAt\":1,\"items\":[{\"at\":1},{\"at\":2}]}",
		     "{\"id\":1,\"createdAt\":2,\"items\":[{\"at\":1},{\"at\":3}]}", PH_PARITY,
		     NULL, NULL);
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
		struct ph_response a = {404, "{\"msg\":\"x\"}", 11, NULL, NULL, -1, NULL};
		struct ph_response b = {404, "{\"msg\":\"y\"}", 11, NULL, NULL, -1, NULL};
		struct ph_err err;

		assert_int_equal(ph_compare_responses(r, "GET /m", &a, &b, NULL, &res, &err), 0);
		ph_result_release(&res);
	}
	un = ph_rules_unmatched(r);
	saw_error = 0;
	for (i = 0; i < json_array_size(un); i++)
		saw_error |= !strcmp(
		    json_string_value(json_object_get(json_array_get(un, i), "pattern")), "error");
	assert_true(saw_error);
	json_decref(un);
	/* after a reset no rule has been used: nothing is listed */
	ph_rules_reset_hits(r);
	un = ph_rules_unmatched(r);
	assert_int_equal(json_array_size(un), 0);
	json_decref(un);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_error_bodies),
	    cmocka_unit_test_teardown(test_bytes_mode, t_rules_teardown),
	    cmocka_unit_test_teardown(test_ignore_subtree_and_star, t_rules_teardown),
	    cmocka_unit_test_teardown(test_deterministic_restricts_values, t_rules_teardown),
	    cmocka_unit_test_teardown(test_generated_type_only, t_rules_teardown),
	    cmocka_unit_test_teardown(test_tolerance, t_rules_teardown),
	    cmocka_unit_test_teardown(test_unordered_by_id, t_rules_teardown),
	    cmocka_unit_test_teardown(test_unordered_canonical, t_rules_teardown),
	    cmocka_unit_test(test_ordered_order_and_length),
	    cmocka_unit_test(test_timestamps),
	    cmocka_unit_test(test_timestamp_parser),
	    cmocka_unit_test_teardown(test_unmatched_patterns, t_rules_teardown),
	};

	return cmocka_run_group_tests(tests, t_builtin_setup, t_builtin_teardown);
}
