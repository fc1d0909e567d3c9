/*
 * Unit tests of the read plugin and, through it, of the shared case exchange
 * (parity/exchange.h, parity/http_case.h): suites written to each test's temporary folder
 * and run through the fake host with scripted answers (the shared plugin fixture,
 * tests/support), rows checked as recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin_fixture.h"

const struct ph_plugin *ph_read_plugin(void);

/* Every test runs in a fresh plugin fixture (tests/support). */
static const struct plugin_fixture_spec fixture = {.domain = "read", .entry = ph_read_plugin};

/* Script one answer per side: both 200 with these bodies and latencies. */
static void answers(struct plugin_fixture *f, const char *ref, double ref_ms, const char *cand,
		    double cand_ms)
{
	fake_host_answer(&f->fh, PH_REFERENCE, 200, ref, ref_ms);
	fake_host_answer(&f->fh, PH_CANDIDATE, 200, cand, cand_ms);
}

/* Run a suite that must run through. */
static void run_ok(struct plugin_fixture *f, const char *cases)
{
	struct ph_err err;

	assert_int_equal(plugin_fixture_run_cases(f, cases, &err), 0);
}

static const char *row_str(struct plugin_fixture *f, const char *case_name, const char *key)
{
	return json_string_value(json_object_get(fake_host_row(&f->fh, case_name), key));
}

static void test_descriptor(void **state)
{
	const struct ph_plugin *p = ph_read_plugin();

	(void)state;
	assert_string_equal(p->name, "read");
	assert_int_equal(p->abi_major, PH_ABI_MAJOR);
	assert_int_equal(p->size, sizeof(struct ph_plugin));
	assert_non_null(p->run);
	assert_null(p->init);
}

static void test_malformed_and_empty(void **state)
{
	struct plugin_fixture *f = *state;
	struct ph_err err;

	assert_int_equal(
	    plugin_fixture_run_cases(f, "{\"name\": \"bad\", \"method\": \"GET\", \"path\": \"x\"}",
				     &err),
	    PH_E_INVALID);
	assert_non_null(strstr(err.msg, f->dir));
	assert_non_null(strstr(err.msg, "case 'bad'"));
	assert_int_equal(plugin_fixture_run_cases(f,
						  "{\"name\": \"e\", \"method\": \"GET\","
						  " \"path\": \"/e\", \"expect\": {\"array\":"
						  " \"results\"}}",
						  &err),
			 PH_E_INVALID);
	assert_non_null(strstr(err.msg, "expect"));
	assert_int_equal(plugin_fixture_run_cases(f, "", &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "no cases"));
}

static void test_parity_and_count(void **state)
{
	struct plugin_fixture *f = *state;

	answers(f, "{\"memories\": [1, 2]}", 3, "{\"memories\": [1, 2]}", 4);
	run_ok(f, "{\"name\": \"list\", \"method\": \"GET\", \"path\": \"/m\", "
		  "\"count\": \"memories\"}");
	assert_string_equal(fake_host_row_class(&f->fh, "list"), "parity");
	assert_string_equal(row_str(f, "list", "reference"), "200, 2 memories");
	assert_string_equal(row_str(f, "list", "feature"), "GET /m");
	assert_int_equal(f->fh.done, 1);
	assert_int_equal(f->fh.total, 1);
}

/* Case by case, the side asked first alternates. */
static void test_alternates_first_side(void **state)
{
	struct plugin_fixture *f = *state;

	run_ok(f, "{\"name\": \"a\", \"method\": \"GET\", \"path\": \"/a\"},"
		  "{\"name\": \"b\", \"method\": \"GET\", \"path\": \"/b\"}");
	assert_int_equal(json_array_size(f->fh.requests), 4);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f->fh.requests, 0),
							    "side")),
			 PH_REFERENCE);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(f->fh.requests, 2),
							    "side")),
			 PH_CANDIDATE);
}

static void test_no_answer_is_error_row(void **state)
{
	struct plugin_fixture *f = *state;

	fake_host_fail(&f->fh, PH_REFERENCE, "connection refused");
	run_ok(f, "{\"name\": \"down\", \"method\": \"GET\", \"path\": \"/x\", "
		  "\"feature\": \"X\"}");
	assert_string_equal(fake_host_row_class(&f->fh, "down"), "error");
	assert_string_equal(row_str(f, "down", "error"), "reference: connection refused");
	assert_string_equal(row_str(f, "down", "reference"), "no answer");
	assert_string_equal(row_str(f, "down", "feature"), "X");
}

static const char RECALL[] =
	"{\"name\": \"recall\", \"method\": \"POST\", \"path\": \"/r\", \"body\": {\"q\": 1},"
	" \"expect\": {\"array\": \"results\", \"key\": \"id\", \"value\": \"m1\","
	" \"missing\": \"the candidate did not recall\"}}";

static void test_expect_candidate_misses(void **state)
{
	struct plugin_fixture *f = *state;
	json_t *d;

	answers(f, "{\"results\": [{\"id\": \"m1\"}]}", 1, "{\"results\": [{\"id\": \"m1\"}]}", 1);
	run_ok(f, RECALL);
	assert_string_equal(fake_host_row_class(&f->fh, "recall"), "parity");

	json_array_clear(f->fh.script[PH_CANDIDATE]);
	fake_host_answer(&f->fh, PH_CANDIDATE, 200, "{\"results\": [{\"id\": \"m2\"}]}", 1);
	run_ok(f, RECALL);
	assert_string_equal(fake_host_row_class(&f->fh, "recall"), "semantic");
	d = json_object_get(fake_host_row(&f->fh, "recall"), "divergences");
	d = json_array_get(d, json_array_size(d) - 1);
	assert_string_equal(json_string_value(json_object_get(d, "kind")), "expect");
	assert_string_equal(json_string_value(json_object_get(d, "path")), "results");
	assert_string_equal(json_string_value(json_object_get(d, "message")),
			    "the candidate did not recall 'm1'");
}

static void test_expect_reference_misses(void **state)
{
	struct plugin_fixture *f = *state;

	answers(f, "{\"results\": []}", 1, "{\"results\": []}", 1);
	run_ok(f, RECALL);
	assert_string_equal(fake_host_row_class(&f->fh, "recall"), "error");
	assert_string_equal(row_str(f, "recall", "error"),
			    "the reference runtime did not return the expected id 'm1': the suite "
			    "or fixture is wrong");
}

/* A slow answer is re-sampled: dropped when it does not reproduce, kept when it does. */
static void test_timing_confirmed_or_flaky(void **state)
{
	struct plugin_fixture *f = *state;
	json_t *row;

	answers(f, "{}", 1, "{}", 300);
	run_ok(f, "{\"name\": \"slow\", \"method\": \"GET\", \"path\": \"/s\"}");
	assert_int_equal(f->fh.confirms, 1);
	row = fake_host_row(&f->fh, "slow");
	assert_string_equal(fake_host_row_class(&f->fh, "slow"), "parity");
	assert_non_null(json_object_get(json_object_get(row, "notes"), "flaky"));
	assert_non_null(json_object_get(json_object_get(row, "notes"), "samples_ms"));

	f->fh.confirm_keeps = 1;
	run_ok(f, "{\"name\": \"slow\", \"method\": \"GET\", \"path\": \"/s\"}");
	row = fake_host_row(&f->fh, "slow");
	assert_string_equal(fake_host_row_class(&f->fh, "slow"), "timing");
	assert_true(json_real_value(json_object_get(json_object_get(row, "latency_ms"),
						    "candidate")) == 200.0);
}

/* A request that may not be sent again is one sample: kept in the row, never judged. */
static void test_one_sample_not_judged(void **state)
{
	struct plugin_fixture *f = *state;
	json_t *row;

	answers(f, "{}", 1, "{}", 300);
	run_ok(f, "{\"name\": \"once\", \"method\": \"POST\", \"path\": \"/o\", "
		  "\"idempotent\": false}");
	assert_int_equal(f->fh.confirms, 0);
	assert_string_equal(fake_host_row_class(&f->fh, "once"), "parity");
	row = fake_host_row(&f->fh, "once");
	assert_true(json_real_value(json_object_get(json_object_get(row, "latency_ms"),
						    "candidate")) == 300.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptor),
		cmocka_unit_test(test_malformed_and_empty),
		cmocka_unit_test(test_parity_and_count),
		cmocka_unit_test(test_alternates_first_side),
		cmocka_unit_test(test_no_answer_is_error_row),
		cmocka_unit_test(test_expect_candidate_misses),
		cmocka_unit_test(test_expect_reference_misses),
		cmocka_unit_test(test_timing_confirmed_or_flaky),
		cmocka_unit_test(test_one_sample_not_judged),
	};

	return plugin_fixture_run_tests(&fixture, tests);
}
