/*
 * Unit tests of the third shadow-log format, parity-shadow/1 (log_parity.c, written by
 * `parity shadow`): entries of every class with their fingerprints and domains (from the
 * line, from the map when absent, the line's winning over the map's), event lines counted
 * apart and their counters, malformed lines with their numbers and messages that quote no
 * value, values a writer should not have written kept out of every report, the three
 * formats in files of their own read together, and the same result on any number of
 * parsing threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "shadow/shadow.h"

#include "support.h"
#include "support_shadow.h"

/* An entry of parity-shadow/1: time, endpoint "M /p", then the rest of its keys. */
#define PS(ts, m, p, rest)                                                                         \
	"{\"format\":\"parity-shadow/1\",\"ts\":\"" ts "\",\"method\":\"" m "\",\"path\":\"" p     \
	"\",\"endpoint\":\"" m " " p "\",\"rule\":\"default\"," rest "}\n"
#define PDIV(cls, kind, path) "{\"class\":\"" cls "\",\"kind\":\"" kind "\",\"path\":\"" path "\"}"
#define PEV(ev, ts, rest)                                                                          \
	"{\"format\":\"parity-shadow/1\",\"event\":\"" ev "\",\"ts\":\"" ts "\"" rest "}\n"

static void read_log(struct ph_shadow *s, const char *path)
{
	struct ph_err err = {0, ""};

	ph_shadow_init(s, t_map, NULL);
	if (ph_shadow_read_file(s, path, &err))
		fail_msg("%s", err.msg);
}

static const struct ph_shadow_counts *dom(const struct ph_shadow *s, const char *name)
{
	return &s->domains[ph_shadow_slot(name)];
}

static const struct ph_shadow_fp *find_fp(const struct ph_shadow *s, const char *endpoint,
					  const char *path, enum ph_class cls)
{
	size_t i;

	for (i = 0; i < s->n_fp_slots; i++) {
		const struct ph_shadow_fp *fp = s->fps[i];

		if (fp && fp->cls == cls && !strcmp(fp->endpoint, endpoint) &&
		    !strcmp(fp->path, path))
			return fp;
	}
	return NULL;
}

/* The counts of one domain: entries and divergences per class. */
static void expect_counts(const struct ph_shadow *s, const char *domain, unsigned long entries,
			  unsigned long structural, unsigned long semantic, unsigned long timing,
			  unsigned long error)
{
	const struct ph_shadow_counts *c = dom(s, domain);

	if (c->entries != entries || c->structural != structural || c->semantic != semantic ||
	    c->timing != timing || c->error != error)
		fail_msg("%s: got %lu entries %lu/%lu/%lu/%lu, want %lu %lu/%lu/%lu/%lu", domain,
			 c->entries, c->structural, c->semantic, c->timing, c->error, entries,
			 structural, semantic, timing, error);
}

/* clang-format off */
static const char entries[] =
	PEV("start", "2026-12-01T00:00:00.000Z", ",\"primary\":\"http://127.0.0.1:3850\","
	    "\"shadow\":\"http://127.0.0.1:3851\",\"queue\":1024")
	PS("2026-12-07T13:00:00.123Z", "POST", "/api/memory/recall",
	   "\"domain\":\"read\",\"class\":\"structural\",\"paths\":[\"results.0.session_id\","
	   "\"results.1.tags\"],\"divergences\":["
	   PDIV("structural", "missing", "results.0.session_id") ","
	   PDIV("semantic", "value", "results.1.tags") "],"
	   "\"status\":{\"primary\":200,\"shadow\":200},"
	   "\"latency_ms\":{\"primary\":3.1,\"shadow\":1.2}")
	PS("2026-12-07T13:00:01.000Z", "POST", "/api/memory/recall",
	   "\"domain\":\"read\",\"class\":\"semantic\",\"paths\":[\"results.3.tags\"],"
	   "\"divergences\":[" PDIV("semantic", "value", "results.3.tags") "],"
	   "\"status\":{\"primary\":200,\"shadow\":200},"
	   "\"latency_ms\":{\"primary\":3,\"shadow\":4}")
	"\n"
	PS("2026-12-08T00:00:00.000Z", "GET", "/api/memory/mem-0001",
	   "\"domain\":\"read\",\"class\":\"error\",\"paths\":[\"\"],\"divergences\":["
	   PDIV("error", "shadow-failed", "") "],\"status\":{\"primary\":200,\"shadow\":0},"
	   "\"latency_ms\":{\"primary\":2.5,\"shadow\":null},\"error\":\"timeout\"")
	/* a write with a state divergence; no domain on the line: the map's */
	PS("2026-12-09T00:00:00.000Z", "POST", "/api/memory/remember",
	   "\"class\":\"structural\",\"paths\":[\"db.memories.content\"],\"divergences\":["
	   PDIV("structural", "state", "db.memories.content") "],"
	   "\"status\":{\"primary\":200,\"shadow\":200},"
	   "\"latency_ms\":{\"primary\":9,\"shadow\":8}")
	PS("2026-12-09T00:00:01.000Z", "GET", "/api/memories",
	   "\"domain\":\"read\",\"class\":\"timing\",\"paths\":[\"\"],\"divergences\":["
	   PDIV("timing", "latency", "") "],\"status\":{\"primary\":200,\"shadow\":200},"
	   "\"latency_ms\":{\"primary\":3,\"shadow\":300}")
	PEV("overflow", "2026-12-10T00:00:00.000Z", ",\"dropped\":17")
	PEV("overflow", "2026-12-10T00:00:01.000Z", ",\"dropped\":3")
	PS("2026-12-11T00:00:00.000Z", "GET", "/nowhere/at/all",
	   "\"domain\":\"unmapped\",\"class\":\"semantic\",\"divergences\":["
	   PDIV("semantic", "value", "a") "]")
	PEV("reload", "2026-12-12T00:00:00.000Z", "")
	PEV("stop", "2026-12-15T00:00:00.000Z", ",\"forwarded\":1000,\"replayed\":950,"
	    "\"compared\":900,\"divergent\":6,\"dropped\":20,\"skipped_writes\":30,"
	    "\"shadow_errors\":1,\"drained\":false");
/* clang-format on */

static void test_entries_and_events(void **state)
{
	const struct ph_shadow_fp *fp;
	struct ph_shadow s;
	json_t *j, *ev;

	(void)state;
	read_log(&s, t_write_in(t_dir, "entries.jsonl", entries));
	assert_int_equal(s.lines, 12);
	assert_int_equal(s.entries, 6);
	assert_int_equal(s.parity_entries, 6);
	assert_int_equal(s.ts_entries + s.rust_entries, 0);
	assert_int_equal(s.malformed, 0);
	assert_int_equal(s.domain_mismatches, 0);
	expect_counts(&s, "read", 4, 1, 2, 1, 1);
	expect_counts(&s, "write", 1, 1, 0, 0, 0);
	expect_counts(&s, "unmapped", 1, 0, 1, 0, 0);
	/* indexes folded; the error is one fingerprint whatever its cause */
	fp = find_fp(&s, "POST /api/memory/recall", "results.*.tags", PH_SEMANTIC);
	assert_non_null(fp);
	assert_int_equal(fp->count, 2);
	assert_non_null(find_fp(&s, "POST /api/memory/recall", "results.*.session_id",
				PH_STRUCTURAL));
	fp = find_fp(&s, "GET /api/memory/:id", "connection", PH_ERROR);
	assert_non_null(fp);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(fp->example, "divergence"), "error")),
	    "timeout");
	fp = find_fp(&s, "POST /api/memory/remember", "db.memories.content", PH_STRUCTURAL);
	assert_non_null(fp);
	assert_string_equal(fp->domain, "write");
	assert_non_null(find_fp(&s, "GET /api/memories", "", PH_TIMING));
	/* events: counted apart, the stop's counters, and the span from start to stop */
	assert_int_equal(s.events.start, 1);
	assert_int_equal(s.events.overflow, 2);
	assert_int_equal(s.events.overflow_dropped, 20);
	assert_int_equal(s.events.stop, 1);
	assert_int_equal(s.events.other, 1);
	assert_int_equal(s.events.forwarded, 1000);
	assert_int_equal(s.events.compared, 900);
	assert_int_equal(s.events.dropped, 20);
	assert_int_equal(s.events.skipped_writes, 30);
	assert_int_equal(s.events.undrained, 1);
	assert_true(ph_shadow_span_days(&s) == 14.0);
	j = ph_shadow_to_json(&s);
	assert_int_equal(json_integer_value(json_object_get(j, "parity_entries")), 6);
	ev = json_object_get(j, "events");
	assert_int_equal(json_integer_value(json_object_get(ev, "start")), 1);
	assert_int_equal(json_integer_value(json_object_get(ev, "overflow")), 2);
	assert_int_equal(json_integer_value(json_object_get(ev, "stop")), 1);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(ev, "at_stop"), "dropped")), 20);
	assert_string_equal(json_string_value(json_object_get(j, "first_seen")),
			    "2026-12-01T00:00:00.000Z");
	json_decref(j);
	ph_shadow_release(&s);
}

/* clang-format off */
static const char domains[] =
	/* the line's domain wins over the map's, and the difference is counted */
	PS("2026-12-01T00:00:00.000Z", "GET", "/api/memories",
	   "\"domain\":\"auth\",\"class\":\"semantic\",\"divergences\":[" PDIV("semantic", "value", "x") "]")
	/* a domain this repo does not know gives way to the map's */
	PS("2026-12-01T00:00:01.000Z", "GET", "/api/memories",
	   "\"domain\":\"nonesuch\",\"class\":\"semantic\",\"divergences\":[" PDIV("semantic", "value", "x") "]")
	/* the line says unmapped where the map knows better: the line's word */
	PS("2026-12-01T00:00:02.000Z", "GET", "/api/git/status",
	   "\"domain\":\"unmapped\",\"class\":\"semantic\",\"divergences\":[" PDIV("semantic", "value", "x") "]")
	/* null is absent; the endpoint alone is enough; no divergences: the class counts */
	"{\"format\":\"parity-shadow/1\",\"ts\":\"2026-12-01T00:00:03.000Z\","
	"\"endpoint\":\"POST /api/memory/forget?token=x\",\"domain\":null,\"class\":\"structural\"}\n"
	/* no divergences but paths: one divergence of the entry's class per path */
	PS("2026-12-01T00:00:04.000Z", "GET", "/api/secrets",
	   "\"class\":\"semantic\",\"paths\":[\"a.1\",\"b\"]");
/* clang-format on */

static void test_domains_and_fallbacks(void **state)
{
	struct ph_shadow s;

	(void)state;
	read_log(&s, t_write_in(t_dir, "domains.jsonl", domains));
	assert_int_equal(s.entries, 5);
	assert_int_equal(s.malformed, 0);
	assert_int_equal(s.domain_mismatches, 3);
	expect_counts(&s, "auth", 1, 0, 1, 0, 0);
	expect_counts(&s, "read", 1, 0, 1, 0, 0);
	expect_counts(&s, "unmapped", 1, 0, 1, 0, 0);
	expect_counts(&s, "gitsync", 0, 0, 0, 0, 0);
	expect_counts(&s, "write", 1, 1, 0, 0, 0);
	expect_counts(&s, "secrets", 1, 0, 2, 0, 0);
	/* the query string is not part of the endpoint */
	assert_non_null(find_fp(&s, "POST /api/memory/forget", "", PH_STRUCTURAL));
	assert_non_null(find_fp(&s, "GET /api/secrets", "a.*", PH_SEMANTIC));
	/* the same endpoint under two domains: two fingerprints */
	assert_non_null(find_fp(&s, "GET /api/memories", "x", PH_SEMANTIC));
	ph_shadow_release(&s);
}

/* clang-format off */
static const char malformed[] =
	PS("2026-12-01T00:00:00.000Z", "GET", "/api/memories", "\"class\":\"semantic\"")
	"{\"format\":\"parity-shadow/1\",\"ts\":\"2026-12-01T00:00:00.000Z\",\"class\":\"SECRET-1\n"
	PS("2026-12-01T00:00:00.000Z", "GET", "/api/memories", "\"paths\":[]")
	PS("2026-12-01T00:00:00.000Z", "GET", "/api/memories", "\"class\":\"SECRET-2\"")
	PS("2026-12-01T00:00:00.000Z", "GET", "/api/memories",
	   "\"class\":\"semantic\",\"divergences\":[{\"class\":\"SECRET-3\",\"kind\":\"v\",\"path\":\"\"}]")
	PS("2026-12-01T00:00:00.000Z", "GET", "/api/memories",
	   "\"class\":\"semantic\",\"divergences\":[" PDIV("semantic", "v", "") ",{\"class\":\"semantic\",\"path\":\"x\"}]")
	PS("not a time", "GET", "/api/memories", "\"class\":\"semantic\"")
	PS("2026-12-01T00:00:00.000Z", "GET", "/api/memories",
	   "\"class\":\"timing\",\"latency_ms\":{\"primary\":\"SECRET-4\",\"shadow\":1}")
	PS("2026-12-01T00:00:00.000Z", "GET", "/api/memories",
	   "\"class\":\"semantic\",\"status\":{\"primary\":200}")
	"{\"format\":\"parity-shadow/2\",\"ts\":\"2026-12-01T00:00:00.000Z\",\"endpoint\":\"GET /x\",\"class\":\"semantic\"}\n"
	"{\"format\":\"parity-shadow/1\",\"ts\":\"2026-12-01T00:00:00.000Z\",\"class\":\"semantic\"}\n"
	PEV("stop", "2026-12-01T00:00:00.000Z", ",\"dropped\":-1")
	PEV("stop", "2026-12-01T00:00:00.000Z", ",\"drained\":\"SECRET-5\"")
	PEV("start", "yesterday", "")
	PS("2026-12-01T00:00:00.000Z", "GET", "/api/memories",
	   "\"class\":\"semantic\",\"paths\":[1],\"error\":7");
/* clang-format on */

static void test_malformed(void **state)
{
	static const unsigned long want[] = {2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
	static const char *const first[] = {
	    "bad.jsonl:2: not JSON",
	    "bad.jsonl:3: 'class' missing or not a string",
	    "bad.jsonl:4: 'class' is not structural, semantic, timing or error",
	    "bad.jsonl:5: divergences[0].class is not structural, semantic, timing or error",
	    "bad.jsonl:6: divergences[1].kind missing or not a string",
	};
	struct ph_shadow s;
	size_t i;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	json_t *j;

	(void)state;
	read_log(&s, t_write_in(t_dir, "bad.jsonl", malformed));
	assert_int_equal(s.lines, 15);
	assert_int_equal(s.entries, 1);
	assert_int_equal(s.malformed, 14);
	assert_int_equal(s.events.stop + s.events.start, 0);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(s.malformed_at[i].line, want[i]);
	for (i = 0; i < sizeof(first) / sizeof(first[0]); i++)
		if (!strstr(s.messages[i].text, first[i]))
			fail_msg("message %zu: got '%s', want '%s...'", i, s.messages[i].text,
				 first[i]);
	/* every message, in every report: none quotes a value of the line */
	for (i = 0; i < 3; i++) {
		struct ph_shadow one;
		char name[32];

		snprintf(name, sizeof(name), "bad%zu.jsonl", i);
		read_log(&one, t_write_in(t_dir, name, malformed));
		f = open_memstream(&buf, &len);
		if (i == 0)
			ph_shadow_write_text(&one, f, 5);
		else if (i == 1)
			ph_shadow_write_md(&one, f, 5);
		else {
			j = ph_shadow_to_json(&one);
			json_dumpf(j, f, 0);
			json_decref(j);
		}
		fclose(f);
		if (strstr(buf, "SECRET"))
			fail_msg("report %zu quotes a value:\n%s", i, buf);
		free(buf);
		ph_shadow_release(&one);
	}
	ph_shadow_release(&s);
}

/* A writer that puts values where the format has none: they reach no report. */
static void test_no_values_printed(void **state)
{
	static const char text[] =
	    PS("2026-12-01T00:00:00.000Z", "POST", "/api/memory/recall",
	       "\"class\":\"semantic\",\"divergences\":[{\"class\":\"semantic\",\"kind\":"
	       "\"value\",\"path\":\"results.0.content\",\"a\":\"SECRET-A\",\"b\":\"SECRET-B\","
	       "\"message\":\"SECRET-M\"}],\"error\":null");
	struct ph_shadow s;
	const struct ph_shadow_fp *fp;
	char *buf = NULL, *dump;
	size_t len = 0;
	FILE *f;
	json_t *j;

	(void)state;
	read_log(&s, t_write_in(t_dir, "values.jsonl", text));
	assert_int_equal(s.entries, 1);
	fp = find_fp(&s, "POST /api/memory/recall", "results.*.content", PH_SEMANTIC);
	assert_non_null(fp);
	j = ph_shadow_to_json(&s);
	dump = json_dumps(j, 0);
	assert_null(strstr(dump, "SECRET"));
	assert_non_null(strstr(dump, "results.0.content")); /* the example's path is kept */
	free(dump);
	json_decref(j);
	f = open_memstream(&buf, &len);
	ph_shadow_write_text(&s, f, 5);
	ph_shadow_write_md(&s, f, 5);
	fclose(f);
	assert_null(strstr(buf, "SECRET"));
	free(buf);
	ph_shadow_release(&s);
}

/* The three formats, one file each, read into one aggregate. */
static void test_three_formats(void **state)
{
	static const char rust[] =
	    "{\"timestamp\":\"2026-12-02T00:00:00.000Z\",\"endpoint\":\"POST /api/memory/recall\","
	    "\"primaryStatus\":200,\"shadowStatus\":200,\"primaryLatencyMs\":5,"
	    "\"shadowLatencyMs\":5,\"divergences\":[{\"severity\":\"critical\",\"field\":"
	    "\"results[0].session_id\",\"message\":\"field missing in shadow response\","
	    "\"primaryValue\":\"\\\"s\\\"\",\"shadowValue\":null}]}\n";
	static const char ts[] = T_TS_LINE("2026-12-01T00:00:00.000Z", "POST",
					   "/api/memory/forget", 200, 404);
	struct ph_shadow s;
	struct ph_err err;
	json_t *a, *b;

	(void)state;
	ph_shadow_init(&s, t_map, NULL);
	assert_int_equal(ph_shadow_read_file(&s, t_write_in(t_dir, "ts.jsonl", ts), &err), 0);
	assert_int_equal(ph_shadow_read_file(&s, t_write_in(t_dir, "rust.jsonl", rust), &err), 0);
	assert_int_equal(
	    ph_shadow_read_file(&s, t_write_in(t_dir, "ours.jsonl", entries), &err), 0);
	assert_int_equal(s.files, 3);
	assert_int_equal(s.entries, 8);
	assert_int_equal(s.ts_entries, 1);
	assert_int_equal(s.rust_entries, 1);
	assert_int_equal(s.parity_entries, 6);
	assert_int_equal(s.malformed, 0);
	expect_counts(&s, "read", 5, 2, 2, 1, 1);
	expect_counts(&s, "write", 2, 2, 0, 0, 0);
	/* Rust's "results[0].session_id" and ours "results.0.session_id" fold apart */
	assert_non_null(
	    find_fp(&s, "POST /api/memory/recall", "results[].session_id", PH_STRUCTURAL));
	/* one thread or several: the same answer */
	a = ph_shadow_to_json(&s);
	ph_shadow_release(&s);
	ph_shadow_init(&s, t_map, NULL);
	s.threads = 3;
	assert_int_equal(ph_shadow_read_file(&s, t_path(t_dir, "ts.jsonl"), &err), 0);
	assert_int_equal(ph_shadow_read_file(&s, t_path(t_dir, "rust.jsonl"), &err), 0);
	assert_int_equal(ph_shadow_read_file(&s, t_path(t_dir, "ours.jsonl"), &err), 0);
	b = ph_shadow_to_json(&s);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	ph_shadow_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_entries_and_events), cmocka_unit_test(test_domains_and_fallbacks),
	    cmocka_unit_test(test_malformed),	       cmocka_unit_test(test_no_values_printed),
	    cmocka_unit_test(test_three_formats),
	};

	return cmocka_run_group_tests(tests, t_map_setup, t_map_teardown);
}
