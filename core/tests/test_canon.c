/*
 * Unit tests of the canonicaliser (core/src/compare/canon.c): paths and URLs replaced anywhere,
 * longest value first; ports and pids only as whole numbers (never inside a hash or a
 * longer number), in text and as JSON integers; keys rewritten; short values refused;
 * plugin values filtered; a NULL table leaves things alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compare/canon.h"

#include "support.h"

static struct ph_canon *table(void)
{
	struct ph_canon *c = ph_canon_new();
	struct ph_err err;

	assert_non_null(c);
	assert_int_equal(ph_canon_add(c, "/tmp/p-1/read/reference", "{dir}", PH_CANON_SUBSTRING,
				      &err), 0);
	assert_int_equal(ph_canon_add(c, "/tmp/p-1/read/reference/workspace", "{workspace}",
				      PH_CANON_SUBSTRING, &err), 0);
	assert_int_equal(ph_canon_add(c, "http://127.0.0.1:41095", "{llm_url}",
				      PH_CANON_SUBSTRING, &err), 0);
	assert_int_equal(ph_canon_add(c, "39001", "{port}", PH_CANON_NUMBER, &err), 0);
	assert_int_equal(ph_canon_add(c, "7729", "{pid}", PH_CANON_NUMBER, &err), 0);
	return c;
}

static void text_is(const struct ph_canon *c, const char *in, const char *want)
{
	size_t n;
	char *out = ph_canon_text(c, in, strlen(in), &n);

	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
	free(out);
}

static void test_longest_first(void **state)
{
	struct ph_canon *c = table();

	(void)state;
	text_is(c, "/tmp/p-1/read/reference/workspace/.daemon/logs",
		"{workspace}/.daemon/logs");
	text_is(c, "/tmp/p-1/read/reference/remote.git", "{dir}/remote.git");
	text_is(c, "endpoint http://127.0.0.1:41095/api/generate",
		"endpoint {llm_url}/api/generate");
	ph_canon_free(c);
}

static void test_numbers_whole_only(void **state)
{
	struct ph_canon *c = table();

	(void)state;
	text_is(c, "39001", "{port}");
	text_is(c, "http://127.0.0.1:39001/health", "http://127.0.0.1:{port}/health");
	text_is(c, "/proc/7729/status", "/proc/{pid}/status");
	/* not inside a longer number, a hash, or free text */
	text_is(c, "390012", "390012");
	text_is(c, ":390012", ":390012");
	text_is(c, "ab39001cd", "ab39001cd");
	text_is(c, "size 39001 bytes", "size 39001 bytes");
	text_is(c, "77290", "77290");
	ph_canon_free(c);
}

static void test_json(void **state)
{
	struct ph_canon *c = table();
	json_t *in = json_pack("{s:i, s:i, s:i, s:s, s:{s:s}, s:[s, f, b, n]}", "port", 39001,
			       "pid", 7729, "count", 39002, "agentsDir",
			       "/tmp/p-1/read/reference/workspace", "tree",
			       "/tmp/p-1/read/reference/workspace/AGENTS.md", "x", "list",
			       "39001", 1.5, 1);
	json_t *want = json_pack("{s:s, s:s, s:i, s:s, s:{s:s}, s:[s, f, b, n]}", "port",
				 "{port}", "pid", "{pid}", "count", 39002, "agentsDir",
				 "{workspace}", "tree", "{workspace}/AGENTS.md", "x", "list",
				 "{port}", 1.5, 1);
	json_t *out = ph_canon_json(c, in);

	(void)state;
	assert_non_null(out);
	assert_true(json_equal(out, want));
	/* the input is untouched */
	assert_int_equal(json_integer_value(json_object_get(in, "port")), 39001);
	json_decref(in);
	json_decref(want);
	json_decref(out);
	ph_canon_free(c);
}

static void test_refusals_and_duplicates(void **state)
{
	struct ph_canon *c = ph_canon_new();
	struct ph_err err;

	(void)state;
	assert_int_equal(ph_canon_add(c, "ab", "{x}", PH_CANON_SUBSTRING, &err), PH_E_INVALID);
	assert_int_equal(ph_canon_add(c, "12a4", "{x}", PH_CANON_NUMBER, &err), PH_E_INVALID);
	assert_int_equal(ph_canon_add(c, "/tmp/ws", "{workspace}", PH_CANON_SUBSTRING, &err), 0);
	assert_int_equal(ph_canon_add(c, "/tmp/ws", "{other}", PH_CANON_SUBSTRING, &err), 0);
	assert_int_equal(ph_canon_count(c), 1);
	text_is(c, "/tmp/ws/x", "{workspace}/x");
	ph_canon_free(c);
}

static int keep_own(const char *name, void *arg)
{
	(void)arg;
	return strcmp(name, "{secret:a}") != 0;
}

static void test_filter(void **state)
{
	struct ph_canon *c = table();
	struct ph_err err;

	(void)state;
	assert_int_equal(ph_canon_add(c, "s3cr3t-value", "{secret:a}", PH_CANON_SUBSTRING, &err),
			 0);
	text_is(c, "token s3cr3t-value", "token {secret:a}");
	ph_canon_filter(c, keep_own, NULL);
	text_is(c, "token s3cr3t-value", "token s3cr3t-value");
	text_is(c, "39001", "{port}");
	ph_canon_free(c);
}

static void test_null_table_and_nul_bytes(void **state)
{
	struct ph_canon *c = table();
	json_t *v = json_string("/tmp/p-1/read/reference/workspace");
	json_t *same = ph_canon_json(NULL, v);
	const char raw[] = "a\0/tmp/p-1/read/reference/workspace\0b";
	size_t n;
	char *out;

	(void)state;
	assert_ptr_equal(same, v);
	json_decref(same);
	json_decref(v);
	out = ph_canon_text(NULL, "x", 1, &n);
	assert_string_equal(out, "x");
	free(out);
	out = ph_canon_text(c, raw, sizeof(raw) - 1, &n);
	assert_int_equal(n, 2 + strlen("{workspace}") + 2);
	assert_memory_equal(out, "a\0{workspace}\0b", n);
	free(out);
	ph_canon_free(c);
}

T_MAIN(NULL, NULL, cmocka_unit_test(test_longest_first), cmocka_unit_test(test_numbers_whole_only),
       cmocka_unit_test(test_json), cmocka_unit_test(test_refusals_and_duplicates),
       cmocka_unit_test(test_filter), cmocka_unit_test(test_null_table_and_nul_bytes))
