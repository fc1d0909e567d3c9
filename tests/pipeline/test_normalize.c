/*
 * Unit tests of the pipeline domain's normalisation (plugins/pipeline/normalize.c): what
 * egress a canned-LLM log becomes (GET left out, retries once, endpoint as the key so
 * another endpoint is structural), which memory ids get labels and in what order, that
 * labels replace ids inside prompts and metadata, and the JSON column and event helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "normalize.h"

static json_t *parse(const char *s)
{
	json_t *v = json_loads(s, JSON_DECODE_ANY, NULL);

	assert_non_null(v);
	return v;
}

static void assert_json_equal(const json_t *got, const char *want)
{
	json_t *w = parse(want);

	if (!json_equal(got, w)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);

		print_error("got  %s\nwant %s\n", g, want);
		free(g);
		fail();
	}
	json_decref(w);
}

static void test_egress_distinct_requests_keyed_by_endpoint(void **state)
{
	const char *log =
	    "{\"method\":\"GET\",\"endpoint\":\"/api/tags\",\"request\":null}\n"
	    "{\"method\":\"POST\",\"endpoint\":\"/api/generate\",\"request\":{\"prompt\":\"a\"}}\n"
	    "not json at all\n"
	    "{\"method\":\"POST\",\"endpoint\":\"/api/generate\",\"request\":{\"prompt\":\"b\"}}\n"
	    "{\"method\":\"POST\",\"endpoint\":\"/api/generate\",\"request\":{\"prompt\":\"a\"}}\n"
	    "\n"
	    "{\"method\":\"POST\",\"endpoint\":\"/api/chat\",\"request\":{\"messages\":[]}}";
	size_t bad = 99;
	json_t *e = ph_pipeline_egress_parse(log, strlen(log), &bad);

	(void)state;
	assert_int_equal(bad, 1);
	assert_json_equal(e, "[{\"POST /api/generate\":{\"prompt\":\"a\"}},"
			     "{\"POST /api/generate\":{\"prompt\":\"b\"}},"
			     "{\"POST /api/chat\":{\"messages\":[]}}]");
	json_decref(e);
}

static void test_egress_partial_tail_and_empty(void **state)
{
	size_t bad = 0;
	json_t *e = ph_pipeline_egress_parse("", 0, &bad);
	const char *cut = "{\"method\":\"POST\",\"endpoint\":\"/api/generate\",\"req";

	(void)state;
	assert_int_equal(json_array_size(e), 0);
	assert_int_equal(bad, 0);
	json_decref(e);
	e = ph_pipeline_egress_parse(cut, strlen(cut), &bad);
	assert_int_equal(json_array_size(e), 0);
	assert_int_equal(bad, 1);
	json_decref(e);
}

/* The labels ph_pipeline_idmap_build gives the memory rows (JSON) past base_seq. */
static void expect_idmap(const char *rows_json, json_int_t base_seq, const char *seed_sql,
			 const char *want)
{
	json_t *rows = parse(rows_json);
	json_t *map = ph_pipeline_idmap_build(rows, base_seq, seed_sql);

	assert_json_equal(map, want);
	json_decref(map);
	json_decref(rows);
}

static void test_idmap_labels_generated_ids_by_content(void **state)
{
	(void)state;
	/* old-1 predates the scenario; pm-0001 is seeded; ties keep creation order */
	expect_idmap("[{\"seq\":3,\"id\":\"old-1\",\"content\":\"zzz\"},"
		     "{\"seq\":11,\"id\":\"pm-0001\",\"content\":\"seeded\"},"
		     "{\"seq\":12,\"id\":\"u-b\",\"content\":\"Zebra\"},"
		     "{\"seq\":13,\"id\":\"u-a\",\"content\":\"Apple\"},"
		     "{\"seq\":14,\"id\":\"u-c\",\"content\":\"Apple\"}]",
		     10, "INSERT ... VALUES ('pm-0001', 'x');",
		     "{\"u-a\":\"new-1\",\"u-c\":\"new-2\",\"u-b\":\"new-3\"}");
}

static void test_idmap_id_only_as_substring_of_seed_is_generated(void **state)
{
	(void)state;
	expect_idmap("[{\"seq\":5,\"id\":\"pm-00\",\"content\":\"c\"}]", 0, "VALUES ('pm-0001')",
		     "{\"pm-00\":\"new-1\"}");
}

static void test_remap_replaces_inside_strings_not_keys(void **state)
{
	json_t *doc = parse("{\"u-a\":\"u-a\",\"list\":[\"[u-a] fact\",{\"m\":{\"target\":\"u-b\"}},3]}");
	json_t *map = parse("{\"u-a\":\"new-1\",\"u-b\":\"new-2\"}");
	json_t *s = json_string("prompt: [u-b] and [u-a], u-a again");

	(void)state;
	ph_pipeline_remap(&doc, map);
	assert_json_equal(doc, "{\"u-a\":\"new-1\",\"list\":[\"[new-1] fact\","
			       "{\"m\":{\"target\":\"new-2\"}},3]}");
	ph_pipeline_remap(&s, map);
	assert_string_equal(json_string_value(s), "prompt: [new-2] and [new-1], new-1 again");
	json_decref(s);
	json_decref(doc);
	json_decref(map);
}

static void test_parse_fields_and_events(void **state)
{
	json_t *rows = parse("[{\"event\":\"created\",\"metadata\":\"{\\\"a\\\":1}\",\"seq\":1},"
			     "{\"event\":\"none\",\"metadata\":\"not json\",\"seq\":2},"
			     "{\"event\":\"none\",\"metadata\":null,\"seq\":3}]");
	static const char *const fields[] = {"metadata", NULL};
	json_t *none;

	(void)state;
	ph_pipeline_parse_fields(rows, fields);
	assert_json_equal(json_array_get(rows, 0), "{\"event\":\"created\",\"metadata\":{\"a\":1},\"seq\":1}");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rows, 1), "metadata")),
			    "not json");
	none = ph_pipeline_select_event(rows, "none", "seq");
	assert_json_equal(none, "[{\"event\":\"none\",\"metadata\":\"not json\"},"
				"{\"event\":\"none\",\"metadata\":null}]");
	json_decref(none);
	json_decref(rows);
	assert_string_equal(ph_pipeline_event_of("add"), "created");
	assert_string_equal(ph_pipeline_event_of("update"), "updated");
	assert_string_equal(ph_pipeline_event_of("delete"), "deleted");
	assert_string_equal(ph_pipeline_event_of("none"), "none");
	assert_null(ph_pipeline_event_of("merge"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_egress_distinct_requests_keyed_by_endpoint),
		cmocka_unit_test(test_egress_partial_tail_and_empty),
		cmocka_unit_test(test_idmap_labels_generated_ids_by_content),
		cmocka_unit_test(test_idmap_id_only_as_substring_of_seed_is_generated),
		cmocka_unit_test(test_remap_replaces_inside_strings_not_keys),
		cmocka_unit_test(test_parse_fields_and_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
