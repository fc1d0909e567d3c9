/*
 * Unit tests of the read plugin and, through it, of the shared case exchange
 * (parity/exchange.h, parity/http_case.h): suites written to a temporary folder, run
 * through the fake host (tests/support) with scripted answers, rows checked as recorded.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_host.h"
#include "parity/plugin.h"

const struct ph_plugin *ph_read_plugin(void);

struct fx {
	struct fake_host fh;
	char dir[64], file[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test-plugin-read-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->file, sizeof(f->file), "%s/cases.json", f->dir);
	fake_host_init(&f->fh);
	f->fh.suite_dir = f->dir;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	unlink(f->file);
	rmdir(f->dir);
	fake_host_release(&f->fh);
	free(f);
	return 0;
}

static int run_suite(struct fx *f, const char *cases, struct ph_err *err)
{
	FILE *out = fopen(f->file, "w");

	assert_non_null(out);
	fprintf(out, "{\"cases\": [%s]}", cases);
	fclose(out);
	return ph_read_plugin()->run(NULL, &f->fh.host, fake_host_run(&f->fh), err);
}

/* Script one answer per side: both 200 with these bodies and latencies. */
static void answers(struct fx *f, const char *ref, double ref_ms, const char *cand,
		    double cand_ms)
{
	fake_host_answer(&f->fh, PH_REFERENCE, 200, ref, ref_ms);
	fake_host_answer(&f->fh, PH_CANDIDATE, 200, cand, cand_ms);
}

/* Run a suite that must run through. */
static void run_ok(struct fx *f, const char *cases)
{
	struct ph_err err;

	assert_int_equal(run_suite(f, cases, &err), 0);
}

static const char *row_str(struct fx *f, const char *case_name, const char *key)
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

static void test_parity_and_count(void **state)
{
	struct fx *f = *state;

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
	struct fx *f = *state;

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
	struct fx *f = *state;

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
	struct fx *f = *state;
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
	struct fx *f = *state;

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
	struct fx *f = *state;
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
	struct fx *f = *state;
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

static void test_malformed_and_empty(void **state)
{
	struct fx *f = *state;
	struct ph_err err;

	assert_int_equal(run_suite(f, "{\"name\": \"bad\", \"method\": \"GET\", \"path\": \"x\"}",
				   &err),
			 PH_E_INVALID);
	assert_non_null(strstr(err.msg, f->dir));
	assert_non_null(strstr(err.msg, "case 'bad'"));
	assert_int_equal(run_suite(f, "{\"name\": \"e\", \"method\": \"GET\", \"path\": \"/e\","
				      " \"expect\": {\"array\": \"results\"}}",
				   &err),
			 PH_E_INVALID);
	assert_non_null(strstr(err.msg, "expect"));
	assert_int_equal(run_suite(f, "", &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "no cases"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_descriptor),
		cmocka_unit_test_setup_teardown(test_parity_and_count, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alternates_first_side, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_answer_is_error_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expect_candidate_misses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_expect_reference_misses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timing_confirmed_or_flaky, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_sample_not_judged, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_and_empty, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
