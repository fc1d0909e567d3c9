/*
 * Tests of the canned-LLM answer sets (core/src/llm): which entry answers, on the set of
 * support_llm.h served in-process (hash before prefix, file order, model and endpoint
 * filters, contains), the fallback logged as unmatched and counted, entries and fallbacks
 * that answer an error status, set-file errors naming file and key, and the repo's
 * default set answering the pipeline's prompt families.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "llm/llm_server.h"

#include "support.h"
#include "support_llm.h"

/* ---- matching order ---- */

static void test_matching_order(void **state)
{
	struct t_llm *fx = *state;
	const char *exact = T_LLM_EXACT_PROMPT;
	char *t;

	/* hash entries first, although b.json comes after a.json's prefix entries */
	t = t_generate(fx->srv, "/api/generate", NULL, exact);
	assert_string_equal(t, "B-exact");
	free(t);
	/* endpoint filter: the first entry only answers /api/generate */
	t = t_generate(fx->srv, "/api/generate", NULL, "Extract things");
	assert_string_equal(t, "A-generate");
	free(t);
	/* model filter, on another endpoint */
	{
		json_t *doc = t_post(fx, "/v1/completions",
				     "{\"model\":\"m2\",\"prompt\":\"Extract things\"}", 200);

		assert_string_equal(t_str_at(json_object_get(doc, "choices"), 0, "text"), "A-m2");
		json_decref(doc);
		doc = t_post(fx, "/v1/completions",
			     "{\"model\":\"m1\",\"prompt\":\"Extract things\"}", 200);
		/* file order: a.json's extract-any before b.json's extract-late */
		assert_string_equal(t_str_at(json_object_get(doc, "choices"), 0, "text"), "A-any");
		json_decref(doc);
	}
	/* contains; the prefix must be at the start */
	t = t_generate(fx->srv, "/api/generate", NULL, "I ate an apple. Extract");
	assert_string_equal(t, "{\"fruit\":\"apple\"}");
	free(t);
	/* the direct matcher agrees, and the hash group is tried first */
	assert_string_equal(ph_llm_set_find(fx->s, "/api/chat", "m1", exact, strlen(exact))->name,
			    "exact");
	assert_string_equal(ph_llm_set_entry(fx->s, 0)->name, "exact");
	assert_string_equal(ph_llm_set_entry(fx->s, 1)->name, "gen-only");
	assert_null(ph_llm_set_find(fx->s, "/api/chat", "m1", "nothing", 7));
	assert_int_equal(ph_llm_set_size(fx->s), 8);
}

/* ---- fallback and errors from entries ---- */

static void test_fallback_unmatched(void **state)
{
	struct t_llm *fx = *state;
	json_t *lines, *last, *doc;
	long requests = 0, unmatched = 0, r0 = 0, u0 = 0;
	char *t;

	ph_llm_server_counts(fx->srv, &r0, &u0);
	t = t_generate(fx->srv, "/api/generate", NULL, "What is the weather?");
	/* a.json's fallback, not b.json's (the first file with one decides) */
	assert_string_equal(t, "no canned answer");
	free(t);
	lines = t_log_lines(fx);
	last = json_array_get(lines, json_array_size(lines) - 1);
	assert_true(json_is_null(json_object_get(last, "entry")));
	assert_string_equal(t_str(last, "prompt"), "What is the weather?");
	json_decref(lines);
	ph_llm_server_counts(fx->srv, &requests, &unmatched);
	assert_int_equal(requests, r0 + 1);
	assert_int_equal(unmatched, u0 + 1);

	/* an entry with status >= 400 answers an error body with its text */
	doc = t_post(fx, "/api/generate",
		     "{\"model\":\"m1\",\"prompt\":\"fail please\",\"stream\":false}", 503);
	assert_string_equal(t_str(doc, "error"), "canned failure");
	json_decref(doc);
	doc = t_post(fx, "/v1/chat/completions",
		     "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"fail "
		     "please\"}]}",
		     503);
	assert_string_equal(t_str(json_object_get(doc, "error"), "message"), "canned failure");
	json_decref(doc);
	lines = t_log_lines(fx);
	last = json_array_get(lines, json_array_size(lines) - 1);
	assert_string_equal(t_str(last, "entry"), "broken");
	assert_int_equal(json_integer_value(json_object_get(last, "status")), 503);
	json_decref(lines);
}

static void test_fallback_status(void **state)
{
	struct t_llm *fx = *state;
	struct ph_llm_set *s = NULL;
	struct ph_llm_server *srv = NULL;
	struct ph_err err = {0};
	char dir[128];
	json_t *doc;

	/* a set of one file with an error fallback and no entries; default dimension */
	snprintf(dir, sizeof(dir), "%s/down", fx->dir);
	mkdir(dir, 0755);
	t_write_in(dir, "only.json",
		   "{\"fallback\": {\"response\": \"model is offline\", \"status\": 500}}");
	assert_int_equal(ph_llm_set_load(dir, &s, &err), 0);
	assert_int_equal(ph_llm_set_dimensions(s), PH_LLM_DEFAULT_DIMENSIONS);
	assert_int_equal(ph_llm_server_start(&srv, s, "x", 0, NULL, &err), 0);
	doc = t_ask_json(srv, "POST", "/api/generate",
			 "{\"model\":\"m\",\"prompt\":\"anything\",\"stream\":false}", 500);
	assert_string_equal(t_str(doc, "error"), "model is offline");
	json_decref(doc);
	doc = t_ask_json(srv, "GET", "/api/tags", NULL, 200);
	assert_string_equal(t_str_at(json_object_get(doc, "models"), 0, "name"), "fake");
	json_decref(doc);
	doc =
	    t_ask_json(srv, "POST", "/api/embeddings", "{\"model\":\"e\",\"prompt\":\"hi\"}", 200);
	assert_int_equal(json_array_size(json_object_get(doc, "embedding")), 768);
	json_decref(doc);
	ph_llm_server_stop(srv);
	ph_llm_set_free(s);
}

/* ---- set files ---- */

static void expect_bad(const char *dir, const char *name, const char *text, const char *want1,
		       const char *want2)
{
	struct ph_llm_set *s = NULL;
	struct ph_err err = {0};
	char sub[160];
	int rc;

	snprintf(sub, sizeof(sub), "%s/bad-%s", dir, name);
	mkdir(sub, 0755);
	t_write_in(sub, "x.json", text);
	rc = ph_llm_set_load(sub, &s, &err);
	assert_true(rc < 0);
	assert_null(s);
	if (!strstr(err.msg, "x.json") || !strstr(err.msg, want1) ||
	    (want2 && !strstr(err.msg, want2)))
		fail_msg("message '%s' lacks the file, '%s' or '%s'", err.msg, want1,
			 want2 ? want2 : "");
}

/* expect_bad for a set file of these entries ({"entries": [entries]}). */
static void bad_entries(const struct t_llm *fx, const char *name, const char *entries,
			const char *want1, const char *want2)
{
	char text[512];

	snprintf(text, sizeof(text), "{\"entries\":[%s]}", entries);
	expect_bad(fx->dir, name, text, want1, want2);
}

static void test_bad_sets(void **state)
{
	struct t_llm *fx = *state;
	struct ph_llm_set *s = NULL;
	struct ph_err err = {0};
	char sub[160];

	bad_entries(fx, "key", "{\"name\":\"a\",\"match\":{\"prefx\":\"x\"},\"response\":\"r\"}",
		    "entries[0].match", "prefx");
	bad_entries(fx, "hash", "{\"name\":\"a\",\"match\":{\"hash\":\"abc\"},\"response\":\"r\"}",
		    "entries[0].match.hash", NULL);
	bad_entries(fx, "noresp", "{\"name\":\"a\"}", "entries[0]", "response");
	bad_entries(fx, "noname", "{\"response\":\"r\"}", "entries[0].name", NULL);
	bad_entries(fx, "dup",
		    "{\"name\":\"a\",\"response\":\"r\"},{\"name\":\"a\",\"response\":\"s\"}",
		    "entries[1].name", "entries[0]");
	bad_entries(fx, "status", "{\"name\":\"a\",\"response\":\"r\",\"status\":\"500\"}",
		    "entries[0].status", NULL);
	expect_bad(fx->dir, "dims", "{\"dimensions\": 0}", "dimensions", NULL);
	expect_bad(fx->dir, "top", "{\"entrys\": []}", "entrys", NULL);
	expect_bad(fx->dir, "syntax", "{\"entries\": [\n  {,}\n]}", ":2:", NULL);
	expect_bad(fx->dir, "fallback", "{\"fallback\": {\"response\": 1}}", "fallback.response",
		   NULL);
	/* an empty folder is an error too, naming the folder */
	snprintf(sub, sizeof(sub), "%s/empty", fx->dir);
	mkdir(sub, 0755);
	assert_true(ph_llm_set_load(sub, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "empty"));
	/* dimensions that disagree between files */
	snprintf(sub, sizeof(sub), "%s/dims2", fx->dir);
	mkdir(sub, 0755);
	t_write_in(sub, "1.json", "{\"dimensions\": 8}");
	t_write_in(sub, "2.json", "{\"dimensions\": 9}");
	assert_true(ph_llm_set_load(sub, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "2.json"));
	assert_non_null(strstr(err.msg, "1.json"));
	/* comments are allowed wherever a person may want them */
	snprintf(sub, sizeof(sub), "%s/notes", fx->dir);
	mkdir(sub, 0755);
	t_write_in(sub, "n.json",
		   "{\"comment\":\"c\",\"entries\":[{\"name\":\"a\",\"_why\":\"w\","
		   "\"match\":{\"comment\":\"c\"},\"response\":\"r\"}]}");
	assert_int_equal(ph_llm_set_load(sub, &s, &err), 0);
	ph_llm_set_free(s);
}

/* The repo's default set loads and answers the pipeline prompt families. */
static void test_default_set(void **state)
{
	struct ph_llm_set *s = NULL;
	struct ph_err err = {0};
	const struct ph_llm_entry *e;
	json_t *answer;
	static const char decision[] = "You are a memory management system. Decide.";
	static const char extraction[] = "Extract key facts and entity relationships from the "
					 "text below.";

	(void)state;
	if (ph_llm_set_load(PARITY_TEST_DIR "/../../canned-llm/default", &s, &err))
		fail_msg("%s", err.msg);
	e = ph_llm_set_find(s, "/api/generate", "qwen3:4b", decision, strlen(decision));
	assert_non_null(e);
	answer = json_loads(e->response, 0, NULL);
	assert_non_null(answer);
	assert_non_null(json_string_value(json_object_get(answer, "action")));
	json_decref(answer);
	e = ph_llm_set_find(s, "/api/generate", "qwen3:4b", extraction, strlen(extraction));
	assert_non_null(e);
	answer = json_loads(e->response, 0, NULL);
	assert_true(json_is_array(json_object_get(answer, "facts")));
	json_decref(answer);
	assert_string_equal(ph_llm_set_fallback(s)->response, "{}");
	assert_int_equal(ph_llm_set_dimensions(s), 768);
	ph_llm_set_free(s);
}

T_MAIN(t_llm_setup, t_llm_teardown, cmocka_unit_test(test_matching_order),
       cmocka_unit_test(test_fallback_unmatched), cmocka_unit_test(test_fallback_status),
       cmocka_unit_test(test_bad_sets), cmocka_unit_test(test_default_set))
