/*
 * Unit tests of the comparison engine (core/src/compare/compare.c) under the built-in
 * rules: what differs and how it is classed (DESIGN.md "Comparison": missing and extra
 * keys, type changes, values, numbers compared numerically, bodies that are not JSON,
 * status codes, transport errors, timing and the verdict as the worst class), the JSON
 * form of a result, and a 100000-deep document that must give a depth error instead of
 * exhausting the stack. What a rule's options change is test_compare_rules.c's.
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

static void test_identical_is_parity(void **state)
{
	(void)state;
	t_builtin_parity("{\"a\":[1,2,{\"b\":null}],\"c\":\"x\",\"d\":true}",
			 "{\"d\":true,\"c\":\"x\",\"a\":[1,2,{\"b\":null}]}");
}

static void test_missing_key(void **state)
{
	struct ph_rules *r = *state;
	struct ph_result res;

	t_cmp(r, "GET /x", "{\"a\":{\"b\":1,\"c\":2}}", "{\"a\":{\"b\":1}}", &res);
	t_expect_one(&res, PH_STRUCTURAL, "missing", "a.c");
	assert_int_equal(json_integer_value(res.items[0].a), 2);
	assert_null(res.items[0].b);
	ph_result_release(&res);
}

static void test_extra_key(void **state)
{
	struct ph_rules *r = *state;
	struct ph_result res;

	t_cmp(r, "GET /x", "{\"a\":1}", "{\"a\":1,\"z\":\"new\"}", &res);
	t_expect_one(&res, PH_STRUCTURAL, "extra", "z");
	assert_null(res.items[0].a);
	assert_string_equal(json_string_value(res.items[0].b), "new");
	ph_result_release(&res);
}

static void test_type_changes(void **state)
{
	(void)state;
	t_builtin_one("{\"a\":null}", "{\"a\":0}", PH_STRUCTURAL, "type", "a");
	t_builtin_one("{\"a\":true}", "{\"a\":1}", PH_STRUCTURAL, "type", "a");
	t_builtin_one("{\"a\":{}}", "{\"a\":[]}", PH_STRUCTURAL, "type", "a");
	t_builtin_one("{\"a\":\"1\"}", "{\"a\":1}", PH_STRUCTURAL, "type", "a");
	t_builtin_one("[1]", "{\"0\":1}", PH_STRUCTURAL, "type", "");
}

static void test_value_differs(void **state)
{
	(void)state;
	t_builtin_one("{\"a\":{\"b\":\"x\"}}", "{\"a\":{\"b\":\"y\"}}", PH_SEMANTIC, "value",
		      "a.b");
	t_builtin_one("{\"a\":true}", "{\"a\":false}", PH_SEMANTIC, "value", "a");
	t_builtin_one("{\"a\":[1,2,3]}", "{\"a\":[1,5,3]}", PH_SEMANTIC, "value", "a.1");
}

static void test_numbers_numerically(void **state)
{
	(void)state;
	t_builtin_parity("{\"n\":1,\"m\":-0.5,\"k\":1e3}", "{\"n\":1.0,\"m\":-0.50,\"k\":1000}");
	/* 2^53 + 1 is not 2^53 even though both round to the same double */
	t_builtin_one("{\"n\":9007199254740993}", "{\"n\":9007199254740992.0}", PH_SEMANTIC,
		      "value", "n");
	t_builtin_one("{\"n\":9223372036854775807}", "{\"n\":9223372036854775806}", PH_SEMANTIC,
		      "value", "n");
	t_builtin_one("{\"n\":1}", "{\"n\":1.5}", PH_SEMANTIC, "value", "n");
}

static void test_not_json(void **state)
{
	struct ph_rules *r = *state;
	struct ph_result res;

	t_cmp(r, "GET /x", "{\"a\":1}", "<html>oops</html>", &res);
	t_expect_one(&res, PH_STRUCTURAL, "not-json", "");
	assert_true(json_is_object(res.items[0].a));
	assert_string_equal(json_string_value(res.items[0].b), "<html>oops</html>");
	ph_result_release(&res);
	t_expect_cmp(r, "GET /x", "", "[]", PH_STRUCTURAL, "not-json", "");
}

static void test_both_not_json_compare_bytes(void **state)
{
	(void)state;
	t_builtin_parity("plain text", "plain text");
	t_builtin_parity("", "");
	t_builtin_one("plain text", "plain text!", PH_SEMANTIC, "body", "");
}

static void test_status_structural(void **state)
{
	struct ph_rules *r = t_rules_of("{\"errorComparison\":{\"mustMatch\":[]}}");
	struct ph_result res;

	t_cmp_status(*state, "GET /x", 200, "{}", 201, "{}", &res);
	t_expect_one(&res, PH_STRUCTURAL, "status", "");
	assert_int_equal(json_integer_value(res.items[0].a), 200);
	assert_int_equal(json_integer_value(res.items[0].b), 201);
	ph_result_release(&res);

	/* mustMatch without statusCode: status alone is no divergence */
	t_expect_status(r, "GET /x", 200, "{}", 201, "{}", PH_PARITY, NULL, NULL);
	ph_rules_free(r);
}

static void test_timing(void **state)
{
	struct ph_rules *r = *state;
	struct ph_response a = t_resp(200, "{}"), b = t_resp(200, "{}");
	struct ph_timing t = PH_TIMING_DEFAULT; /* ratio 2, delta 100, floor 5 */
	struct ph_result res;
	struct ph_err err;

	a.latency_ms = 10;
	b.latency_ms = 30; /* ratio 3, delta 20 >= floor */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	t_expect_one(&res, PH_TIMING, "latency", "");
	ph_result_release(&res);
	a.latency_ms = 1;
	b.latency_ms = 4; /* ratio 4 but under the floor */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	t_expect_parity(&res);
	ph_result_release(&res);
	a.latency_ms = 300;
	b.latency_ms = 450; /* ratio 1.5, delta 150 > 100 */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	t_expect_one(&res, PH_TIMING, "latency", "");
	ph_result_release(&res);
	a.latency_ms = 300;
	b.latency_ms = 390; /* ratio 1.3, delta 90 */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	t_expect_parity(&res);
	ph_result_release(&res);
	a.latency_ms = 10;
	b.latency_ms = 900; /* no thresholds: not compared */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, NULL, &res, &err), 0);
	t_expect_parity(&res);
	ph_result_release(&res);
	a.latency_ms = -1; /* unknown */
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	t_expect_parity(&res);
	ph_result_release(&res);
}

static void test_verdict_is_worst(void **state)
{
	struct ph_rules *r = *state;
	struct ph_response a = t_resp(200, "{\"a\":1,\"b\":2}"), b = t_resp(200, "{\"a\":2}");
	struct ph_timing t = PH_TIMING_DEFAULT;
	struct ph_result res;
	struct ph_err err;

	a.latency_ms = 10;
	b.latency_ms = 500;
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	assert_int_equal(res.count, 3);
	assert_int_equal(res.verdict, PH_STRUCTURAL);
	ph_result_release(&res);
	b = t_resp(200, "{\"a\":2,\"b\":2}");
	b.latency_ms = 500;
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, &t, &res, &err), 0);
	assert_int_equal(res.verdict, PH_SEMANTIC);
	ph_result_release(&res);
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
	t_expect_one(&res, PH_ERROR, "depth", res.count ? res.items[0].path : "");
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
	struct ph_rules *r = *state;
	struct ph_result res;
	json_t *doc, *d;
	char longs[400], body_a[512], body_b[512];

	memset(longs, 'x', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	snprintf(body_a, sizeof(body_a), "{\"s\":\"%s\"}", longs);
	snprintf(body_b, sizeof(body_b), "{\"s\":\"%sy\"}", longs);
	t_cmp(r, "GET /x?q=1", body_a, body_b, &res);
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

	t_cmp(r, "GET /x", "{\"a\":1}", "{}", &res);
	doc = ph_result_divergences_json(&res);
	assert_true(json_is_null(json_object_get(json_array_get(doc, 0), "b")));
	json_decref(doc);
	ph_result_release(&res);

	assert_int_equal(ph_class_parse("structural"), PH_STRUCTURAL);
	assert_int_equal(ph_class_parse("parity"), PH_PARITY);
	assert_int_equal(ph_class_parse("timing"), PH_TIMING);
	assert_int_equal(ph_class_parse("error"), PH_ERROR);
	assert_int_equal(ph_class_parse("bogus"), -1);
}

static void test_transport_error(void **state)
{
	struct ph_rules *r = *state;
	struct ph_response a = t_resp(200, "{}"), b = t_resp(0, NULL);
	struct ph_result res;
	struct ph_err err;

	b.error = "connection refused";
	assert_int_equal(ph_compare_responses(r, "GET /x", &a, &b, NULL, &res, &err), 0);
	t_expect_one(&res, PH_ERROR, "transport", "");
	assert_non_null(strstr(res.items[0].message, "connection refused"));
	ph_result_release(&res);
}

/* A huge non-JSON answer is quoted as an excerpt, not copied whole into the report. */
static void test_not_json_excerpt(void **state)
{
	struct ph_rules *r = *state;
	size_t n = 1 << 20;
	char *big = malloc(n + 1);
	struct ph_response a = {200, "{\"ok\":true}", 11, NULL, NULL, -1, NULL};
	struct ph_response b = {200, big, n, NULL, NULL, -1, NULL};
	struct ph_result res;
	struct ph_err err;
	const char *text;

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
	    cmocka_unit_test(test_timing),
	    cmocka_unit_test(test_verdict_is_worst),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_result_json),
	    cmocka_unit_test(test_transport_error),
	};

	return cmocka_run_group_tests(tests, t_builtin_setup, t_builtin_teardown);
}
