/*
 * Unit tests of which remember-queued jobs the harness seeds on the side that lacks them
 * (plugins/pipeline/backfill.c): matched by memory label and job type as multisets, the
 * later jobs of a kind being the missing ones, in the queuing side's order; and the label
 * of a memory found back to the id a runtime gave it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "backfill.h"

static json_t *parse(const char *s)
{
	json_t *v = json_loads(s, 0, NULL);

	assert_non_null(v);
	return v;
}

static void assert_indices(const char *have, const char *lack, const char *want)
{
	json_t *h = parse(have), *l = parse(lack), *w = parse(want);
	json_t *got = ph_pipeline_jobs_missing(h, l);

	assert_non_null(got);
	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_COMPACT);

		fail_msg("missing %s, expected %s", g, want);
	}
	json_decref(got);
	json_decref(h);
	json_decref(l);
	json_decref(w);
}

/* the real pair: TS queued one extract job per new memory, Rust none */
static void test_candidate_queued_nothing(void **state)
{
	(void)state;
	assert_indices("[{\"memory_id\":\"remember-1\",\"job_type\":\"extract\",\"max_attempts\":3},"
		       " {\"memory_id\":\"remember-2\",\"job_type\":\"extract\",\"max_attempts\":3}]",
		       "[]", "[0, 1]");
	/* and nothing the other way */
	assert_indices("[]",
		       "[{\"memory_id\":\"remember-1\",\"job_type\":\"extract\"},"
		       " {\"memory_id\":\"remember-2\",\"job_type\":\"extract\"}]",
		       "[]");
}

static void test_same_jobs_nothing_missing(void **state)
{
	(void)state;
	/* max_attempts is not part of the match: that difference is the remember-jobs row's */
	assert_indices("[{\"memory_id\":\"remember-1\",\"job_type\":\"extract\",\"max_attempts\":3}]",
		       "[{\"memory_id\":\"remember-1\",\"job_type\":\"extract\",\"max_attempts\":5}]",
		       "[]");
}

static void test_matched_by_label_and_type(void **state)
{
	(void)state;
	/* another job type or another memory is no counterpart */
	assert_indices("[{\"memory_id\":\"remember-1\",\"job_type\":\"extract\"},"
		       " {\"memory_id\":\"remember-1\",\"job_type\":\"summary\"},"
		       " {\"memory_id\":\"remember-3\",\"job_type\":\"extract\"}]",
		       "[{\"memory_id\":\"remember-1\",\"job_type\":\"extract\"},"
		       " {\"memory_id\":\"remember-2\",\"job_type\":\"extract\"}]",
		       "[1, 2]");
}

static void test_multiset(void **state)
{
	(void)state;
	/* two jobs for one memory on one side, one on the other: the second is missing */
	assert_indices("[{\"memory_id\":\"remember-1\",\"job_type\":\"extract\"},"
		       " {\"memory_id\":\"remember-2\",\"job_type\":\"extract\"},"
		       " {\"memory_id\":\"remember-1\",\"job_type\":\"extract\"}]",
		       "[{\"memory_id\":\"remember-1\",\"job_type\":\"extract\"},"
		       " {\"memory_id\":\"remember-2\",\"job_type\":\"extract\"}]",
		       "[2]");
}

static void test_label_id(void **state)
{
	json_t *labels = parse("{\"9f1c-uuid\":\"remember-1\", \"77aa\":\"remember-2\","
			       " \"job-1\":\"remember-1/extract\"}");

	(void)state;
	assert_string_equal(ph_pipeline_label_id(labels, "remember-2"), "77aa");
	assert_string_equal(ph_pipeline_label_id(labels, "remember-1"), "9f1c-uuid");
	assert_string_equal(ph_pipeline_label_id(labels, "remember-1/extract"), "job-1");
	assert_null(ph_pipeline_label_id(labels, "remember-3"));
	assert_null(ph_pipeline_label_id(labels, NULL));
	json_decref(labels);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_candidate_queued_nothing),
		cmocka_unit_test(test_same_jobs_nothing_missing),
		cmocka_unit_test(test_matched_by_label_and_type),
		cmocka_unit_test(test_multiset),
		cmocka_unit_test(test_label_id),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
