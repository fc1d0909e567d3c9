/*
 * Unit tests of the cutover gate: one case per reason to block (structural divergence in
 * a matrix or a shadow log, undocumented semantic divergence, expired documentation), per
 * kind of insufficient evidence (no matrix, missing, skipped and failed domains, error
 * rows, no shadow log, too short a shadow span, failed shadow requests), the pass case,
 * precedence of blocked over insufficient, notes, and the documented file's shape checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "run/config.h"
#include "gate/gate.h"
#include "matrix/matrix.h"
#include "run/workspace.h"

#include "support.h"
#include "support_shadow.h"

/* A row in domain; with divclass set, one divergence of that class at path. */
static void add_row(json_t *m, const char *domain, const char *feature, enum ph_class cls,
		    const char *divclass, const char *path)
{
	struct ph_row row = {
	    feature, "case-1", "200", cls,
	    NULL,    1.0,      1.0,   cls == PH_ERROR ? "connection refused" : NULL};
	struct ph_err err;
	json_t *rows, *f;

	assert_int_equal(ph_matrix_add_row(m, domain, &row, &err), 0);
	if (!divclass)
		return;
	rows = json_object_get(ph_matrix_domain(m, domain), "features");
	f = json_array_get(rows, json_array_size(rows) - 1);
	json_array_append_new(json_object_get(f, "divergences"),
			      json_pack("{s:s, s:s, s:s, s:i, s:i, s:s}", "class", divclass, "kind",
					"value", "path", path, "a", 1, "b", 2, "message",
					"values differ"));
}

/* A matrix where each of the nine domains has one parity row, except skip. */
static json_t *full_matrix(const char *skip)
{
	json_t *m = ph_matrix_new("js", "1.0", "rust", "0.82.5");
	size_t i;

	assert_non_null(m);
	for (i = 0; i < ph_domains()->n; i++)
		if (!skip || strcmp(skip, ph_domains()->names[i]))
			add_row(m, ph_domains()->names[i], "GET /health", PH_PARITY, NULL, NULL);
	return m;
}

/* A shadow aggregation of the given log text. */
static void shadow_of(struct ph_shadow *s, const char *text)
{
	struct ph_err err;

	ph_shadow_init(s, t_map, NULL);
	assert_int_equal(ph_shadow_read_file(s, t_write_in(t_dir, "shadow.jsonl", text), &err), 0);
}

static const char clean14[] = T_TS_LINE("2026-05-01T00:00:00.000Z", "GET", "/health", 200, 200)
    T_TS_LINE("2026-05-15T00:00:00.000Z", "GET", "/api/memories", 200, 200);

static void documented_of(struct ph_documented *doc, const char *text)
{
	json_t *arr = json_loads(text, 0, NULL);
	struct ph_err err;

	assert_non_null(arr);
	if (ph_documented_from_json(doc, arr, "documented.json", &err))
		fail_msg("%s", err.msg);
	json_decref(arr);
}

/* Evaluate one matrix (may be NULL), an optional shadow and documented file. */
static void evaluate(struct ph_gate *g, json_t *m, struct ph_shadow *s, struct ph_documented *doc,
		     double days)
{
	const char *names[] = {"matrix.json"};
	struct ph_gate_input in = {&m, names, m ? 1 : 0, s, doc, days, "2026-06-01"};
	struct ph_err err;

	assert_int_equal(ph_gate_evaluate(g, &in, &err), 0);
}

/* How many reasons (or notes, when notes is set) of kind concern domain (NULL: any). */
static size_t count(const struct ph_gate *g, int notes, const char *kind, const char *domain)
{
	const json_t *list = notes ? g->notes : g->reasons;
	size_t i, n = 0;

	for (i = 0; i < json_array_size(list); i++) {
		const json_t *r = json_array_get(list, i);
		const char *d = json_string_value(json_object_get(r, "domain"));

		if (strcmp(json_string_value(json_object_get(r, "kind")), kind))
			continue;
		if (domain && (!d || strcmp(d, domain)))
			continue;
		n++;
	}
	return n;
}

/* A reason (notes 0) or note (notes 1) of kind about domain (NULL: any), n times. */
struct want {
	int notes;
	const char *kind;
	const char *domain;
	size_t n;
};

/* The wants of one evaluation, ended by one without kind. */
#define WANT(...)                                                                          \
	(const struct want[])                                                              \
	{                                                                                  \
		__VA_ARGS__, { 0, NULL, NULL, 0 }                                          \
	}
#define NO_WANT WANT({0, NULL, NULL, 0})
/* No verdict checked: only the wants. */
#define ANY_VERDICT ((enum ph_gate_verdict)-1)

/*
 * Evaluate m (may be NULL) with the shadow s and documented doc (each may be NULL) over
 * days: the verdict must be v and each want must hold. The gate is left in *g for more
 * checks when g is given (the caller releases it), else released.
 */
static void expect(struct ph_gate *g, json_t *m, struct ph_shadow *s, struct ph_documented *doc,
		   double days, enum ph_gate_verdict v, const struct want *w)
{
	struct ph_gate own;

	if (!g)
		g = &own;
	evaluate(g, m, s, doc, days);
	if (v != ANY_VERDICT)
		assert_int_equal(g->verdict, v);
	for (; w->kind; w++)
		assert_int_equal(count(g, w->notes, w->kind, w->domain), w->n);
	if (g == &own)
		ph_gate_release(g);
}

static void test_glob_and_dates(void **state)
{
	(void)state;
	assert_true(ph_glob_match("*", ""));
	assert_true(ph_glob_match("*", "anything"));
	assert_true(ph_glob_match("GET /api/memory/*", "GET /api/memory/:id"));
	assert_true(ph_glob_match("results*tags", "results[].tags"));
	assert_true(ph_glob_match("results*tags", "results.0.tags"));
	assert_true(ph_glob_match("a*b*c", "aXXbYYbc"));
	assert_false(ph_glob_match("a*b*c", "aXXbYYb"));
	assert_false(ph_glob_match("meta", "meta.x"));
	assert_true(ph_glob_match("", ""));
	assert_false(ph_glob_match("", "x"));
	assert_true(ph_date_valid("2026-02-28"));
	assert_true(ph_date_valid("2028-02-29"));
	assert_false(ph_date_valid("2026-02-29"));
	assert_false(ph_date_valid("2026-13-01"));
	assert_false(ph_date_valid("2026-1-01"));
	assert_false(ph_date_valid(NULL));
}

static void test_pass(void **state)
{
	json_t *m = full_matrix(NULL);
	struct ph_shadow s;
	struct ph_gate g;

	(void)state;
	shadow_of(&s, clean14);
	expect(&g, m, &s, NULL, 14, PH_GATE_PASS, NO_WANT);
	assert_int_equal(json_array_size(g.reasons), 0);
	assert_true(g.shadow_span_days == 14.0);
	ph_gate_release(&g);
	ph_shadow_release(&s);
	json_decref(m);
}

static void test_insufficient_matrix(void **state)
{
	struct ph_shadow s;
	struct ph_gate g;
	json_t *m;

	(void)state;
	shadow_of(&s, clean14);
	/* no matrix at all */
	expect(NULL, NULL, &s, NULL, 14, PH_GATE_INSUFFICIENT, WANT({0, "no-matrix", NULL, 1}));

	/* one domain missing */
	m = full_matrix("mcp");
	ph_matrix_finish(m);
	expect(&g, m, &s, NULL, 14, PH_GATE_INSUFFICIENT, WANT({0, "domain-missing", "mcp", 1}));
	assert_int_equal(json_array_size(g.reasons), 1);
	ph_gate_release(&g);

	/* skipped */
	ph_matrix_domain_status(m, "mcp", "skipped", "not built");
	ph_matrix_finish(m);
	expect(NULL, m, &s, NULL, 14, PH_GATE_INSUFFICIENT,
	       WANT({0, "domain-skipped", "mcp", 1}, {0, "domain-missing", NULL, 0}));
	json_decref(m);

	/* domain in error (the plugin failed) */
	m = full_matrix("auth");
	ph_matrix_domain_status(m, "auth", "error", "plugin failed to load");
	ph_matrix_finish(m);
	expect(&g, m, &s, NULL, 14, PH_GATE_INSUFFICIENT, WANT({0, "domain-error", "auth", 1}));
	{
		const json_t *r = json_array_get(g.reasons, 0);

		assert_true(strstr(json_string_value(json_object_get(r, "detail")),
				   "plugin failed to load") != NULL);
		assert_string_equal(json_string_value(json_object_get(r, "effect")),
				    "insufficient");
	}
	ph_gate_release(&g);
	json_decref(m);

	/* an error row */
	m = full_matrix(NULL);
	add_row(m, "secrets", "POST /api/secrets/:name", PH_ERROR, NULL, NULL);
	ph_matrix_finish(m);
	expect(NULL, m, &s, NULL, 14, PH_GATE_INSUFFICIENT, WANT({0, "error-row", "secrets", 1}));
	json_decref(m);
	ph_shadow_release(&s);
}

/* The gate of matrix m on a shadow log of text over days: verdict v and the wants. */
static void expect_log(json_t *m, const char *text, double days, enum ph_gate_verdict v,
		       const struct want *w)
{
	struct ph_shadow s;

	shadow_of(&s, text);
	expect(NULL, m, &s, NULL, days, v, w);
	ph_shadow_release(&s);
}

static void test_insufficient_shadow(void **state)
{
	json_t *m = full_matrix(NULL);
	struct ph_shadow s;

	(void)state;
	ph_matrix_finish(m);
	/* no shadow log */
	expect(NULL, m, NULL, NULL, 14, PH_GATE_INSUFFICIENT, WANT({0, "no-shadow", NULL, 1}));
	/* ... unless no days are required */
	expect(NULL, m, NULL, NULL, 0, PH_GATE_PASS, NO_WANT);

	/* just under fourteen days */
	shadow_of(&s, T_TS_LINE("2026-05-01T00:00:00.000Z", "GET", "/health", 200, 200)
			  T_TS_LINE("2026-05-14T23:59:59.999Z", "GET", "/health", 200, 200));
	expect(NULL, m, &s, NULL, 14, PH_GATE_INSUFFICIENT,
	       WANT({0, "shadow-too-short", NULL, 1}));
	/* a lower requirement passes */
	expect(NULL, m, &s, NULL, 13.5, PH_GATE_PASS, NO_WANT);
	ph_shadow_release(&s);

	/* exactly fourteen days, offsets differing */
	/* clang-format off */
	expect_log(m, "{\"timestamp\":\"2026-05-01T02:00:00+02:00\",\"endpoint\":\"GET /health\","
		      "\"primaryStatus\":200,\"shadowStatus\":200,\"divergences\":[]}\n"
		      T_TS_LINE("2026-05-15T00:00:00.000Z", "GET", "/health", 200, 200),
		   14, PH_GATE_PASS, NO_WANT);
	/* clang-format on */

	/* an empty log */
	expect_log(m, "", 14, ANY_VERDICT, WANT({0, "shadow-too-short", NULL, 1}));

	/* failed shadow requests: the candidate did not answer */
	expect_log(m,
		   T_TS_LINE("2026-05-01T00:00:00.000Z", "GET", "/health", 200, 200)
		       T_TS_LINE("2026-05-16T00:00:00.000Z", "GET", "/api/git/status", 200, 0),
		   14, PH_GATE_INSUFFICIENT, WANT({0, "shadow-error", "gitsync", 1}));
	json_decref(m);
}

/* A documented-divergences file of one entry for domain, every other key a catch-all. */
#define DOC_ENTRY(domain, cls, expires)                                                     \
	"{\"domain\":\"" domain "\",\"feature\":\"*\",\"path\":\"*\",\"class\":\"" cls             \
	"\",\"reason\":\"r\",\"owner\":\"o\",\"expires\":\"" expires "\"}"

static void test_blocked_matrix(void **state)
{
	struct ph_documented doc;
	struct ph_shadow s;
	struct ph_gate g;
	json_t *m;

	(void)state;
	shadow_of(&s, clean14);
	/* structural */
	m = full_matrix(NULL);
	add_row(m, "read", "GET /api/memory/:id", PH_STRUCTURAL, "structural", "sessionId");
	ph_matrix_finish(m);
	expect(&g, m, &s, NULL, 14, PH_GATE_BLOCKED, WANT({0, "structural", "read", 1}));
	assert_true(
	    strstr(json_string_value(json_object_get(json_array_get(g.reasons, 0), "detail")),
		   "GET /api/memory/:id (case case-1)") != NULL);
	ph_gate_release(&g);
	/* structural cannot be documented away */
	documented_of(&doc, "[" DOC_ENTRY("read", "semantic", "2027-01-01") "]");
	expect(NULL, m, &s, &doc, 14, PH_GATE_BLOCKED,
	       WANT({0, "structural", "read", 1}, {1, "stale-documentation", "read", 1}));
	ph_documented_release(&doc);
	json_decref(m);

	/* semantic, undocumented */
	m = full_matrix(NULL);
	add_row(m, "write", "POST /api/memory/remember", PH_SEMANTIC, "semantic", "importance");
	ph_matrix_finish(m);
	expect(NULL, m, &s, NULL, 14, PH_GATE_BLOCKED,
	       WANT({0, "undocumented-semantic", "write", 1}));

	/* documented: covered, so the gate passes */
	documented_of(&doc, "[{\"domain\":\"write\",\"feature\":\"POST /api/memory/*\","
			    "\"path\":\"import*\",\"class\":\"semantic\",\"reason\":\"default "
			    "0.5 vs 0.8\",\"owner\":\"rust-team\",\"expires\":\"2026-06-01\"}]");
	expect(&g, m, &s, &doc, 14, PH_GATE_PASS, NO_WANT);
	assert_int_equal(doc.items[0].matched, 1);
	assert_int_equal(json_array_size(g.notes), 0);
	ph_gate_release(&g);
	ph_documented_release(&doc);

	/* an entry that does not fit (other domain, path or class) covers nothing */
	documented_of(&doc, "[" DOC_ENTRY("read", "semantic", "2027-01-01") ",{\"domain\":\"write\","
			    "\"feature\":\"*\",\"path\":\"tags\",\"class\":\"semantic\",\"reason\":"
			    "\"r\",\"owner\":\"o\",\"expires\":\"2027-01-01\"},"
			    DOC_ENTRY("write", "timing", "2027-01-01") "]");
	expect(NULL, m, &s, &doc, 14, PH_GATE_BLOCKED,
	       WANT({0, "undocumented-semantic", "write", 1}, {1, "stale-documentation", NULL, 3}));
	ph_documented_release(&doc);

	/* expired: blocks by itself and no longer covers */
	documented_of(&doc, "[" DOC_ENTRY("write", "semantic", "2026-05-31") "]");
	expect(NULL, m, &s, &doc, 14, PH_GATE_BLOCKED,
	       WANT({0, "expired-documentation", "write", 1},
		    {0, "undocumented-semantic", "write", 1}, {1, "stale-documentation", NULL, 0}));
	ph_documented_release(&doc);
	json_decref(m);

	/* timing never blocks: a note */
	m = full_matrix(NULL);
	add_row(m, "read", "POST /api/memory/recall", PH_TIMING, "timing", "");
	ph_matrix_finish(m);
	expect(NULL, m, &s, NULL, 14, PH_GATE_PASS, WANT({1, "timing", "read", 1}));
	json_decref(m);
	ph_shadow_release(&s);
}

static void test_blocked_shadow(void **state)
{
	json_t *m = full_matrix(NULL);
	struct ph_documented doc;
	struct ph_shadow s;
	/* clang-format off */
	static const char semantic[] =
		T_TS_LINE("2026-05-01T00:00:00.000Z", "GET", "/health", 200, 200)
		"{\"timestamp\":\"2026-05-16T00:00:00+00:00\",\"endpoint\":\"POST "
		 "/api/memory/recall\",\"primaryStatus\":200,\"shadowStatus\":200,\"divergences\":"
		 "[{\"severity\":\"critical\",\"field\":\"results[2].score\",\"message\":\"value "
		 "mismatch\",\"primaryValue\":\"0.5\",\"shadowValue\":\"0.25\"}]}\n";
	/* clang-format on */

	(void)state;
	ph_matrix_finish(m);
	/* a status mismatch in the shadow log blocks */
	/* clang-format off */
	expect_log(m, T_TS_LINE("2026-05-01T00:00:00.000Z", "GET", "/health", 200, 200)
		      T_TS_LINE("2026-05-16T00:00:00.000Z", "POST", "/api/memory/forget", 200, 404),
		   14, PH_GATE_BLOCKED, WANT({0, "structural", "write", 1}));
	/* clang-format on */

	/* a semantic one blocks unless documented by endpoint and folded path */
	shadow_of(&s, semantic);
	expect(NULL, m, &s, NULL, 14, PH_GATE_BLOCKED,
	       WANT({0, "undocumented-semantic", "read", 1}));
	documented_of(&doc, "[{\"domain\":\"read\",\"feature\":\"POST /api/memory/recall\","
			    "\"path\":\"results*score\",\"class\":\"semantic\",\"reason\":\"fts "
			    "scores\",\"owner\":\"o\",\"expires\":\"2026-12-31\"}]");
	expect(NULL, m, &s, &doc, 14, PH_GATE_PASS, NO_WANT);
	ph_documented_release(&doc);
	ph_shadow_release(&s);

	/* blocked wins over insufficient, and every reason is listed */
	json_decref(m);
	m = full_matrix("pipeline");
	ph_matrix_finish(m);
	expect_log(m, semantic, 30, PH_GATE_BLOCKED,
		   WANT({0, "undocumented-semantic", "read", 1},
			{0, "domain-missing", "pipeline", 1}, {0, "shadow-too-short", NULL, 1}));

	/* malformed shadow lines are noted, not hidden */
	shadow_of(&s, "{broken\n" T_TS_LINE("2026-05-01T00:00:00.000Z", "GET", "/health", 200, 200)
			  T_TS_LINE("2026-05-16T00:00:00.000Z", "GET", "/health", 200, 200));
	expect(NULL, m, &s, NULL, 14, ANY_VERDICT, WANT({1, "shadow-malformed", NULL, 1}));
	ph_shadow_release(&s);
	json_decref(m);
}

static void test_sharded_matrices(void **state)
{
	json_t *a = ph_matrix_new("js", "1", "rust", "2"),
	       *b = ph_matrix_new("js", "1", "rust", "2");
	json_t *mats[2];
	const char *names[] = {"a.json", "b.json"};
	struct ph_gate_input in = {mats, names, 2, NULL, NULL, 0, "2026-06-01"};
	struct ph_err err;
	struct ph_gate g;
	size_t i;

	(void)state;
	for (i = 0; i < ph_domains()->n; i++)
		add_row(i % 2 ? a : b, ph_domains()->names[i], "GET /health", PH_PARITY, NULL,
			NULL);
	ph_matrix_finish(a);
	ph_matrix_finish(b);
	mats[0] = a;
	mats[1] = b;
	assert_int_equal(ph_gate_evaluate(&g, &in, &err), 0);
	assert_int_equal(g.verdict, PH_GATE_PASS);
	ph_gate_release(&g);
	/* skipped in one shard, evaluated in the other: evidence is there */
	ph_matrix_domain_status(a, "schema", "skipped", "other shard");
	ph_matrix_finish(a);
	assert_int_equal(ph_gate_evaluate(&g, &in, &err), 0);
	assert_int_equal(g.verdict, PH_GATE_PASS);
	ph_gate_release(&g);
	json_decref(a);
	json_decref(b);
}

static void test_documented_shapes(void **state)
{
	static const char *const bad[][2] = {
	    {"{}", "expected a JSON array"},
	    {"[1]", "[0]: expected an object"},
	    {"[{\"feature\":\"*\",\"path\":\"*\",\"class\":\"semantic\",\"reason\":\"r\","
	     "\"owner\":\"o\",\"expires\":\"2026-01-01\"}]",
	     "[0].domain"},
	    {"[{\"domain\":\"nope\",\"feature\":\"*\",\"path\":\"*\",\"class\":\"semantic\","
	     "\"reason\":\"r\",\"owner\":\"o\",\"expires\":\"2026-01-01\"}]",
	     "[0].domain: 'nope'"},
	    {"[{\"domain\":\"read\",\"path\":\"*\",\"class\":\"semantic\",\"reason\":\"r\","
	     "\"owner\":\"o\",\"expires\":\"2026-01-01\"}]",
	     "[0].feature"},
	    {"[{\"domain\":\"read\",\"feature\":\"*\",\"path\":3,\"class\":\"semantic\","
	     "\"reason\":\"r\",\"owner\":\"o\",\"expires\":\"2026-01-01\"}]",
	     "[0].path"},
	    {"[{\"domain\":\"read\",\"feature\":\"*\",\"path\":\"*\",\"class\":\"structural\","
	     "\"reason\":\"r\",\"owner\":\"o\",\"expires\":\"2026-01-01\"}]",
	     "[0].class"},
	    {"[{\"domain\":\"read\",\"feature\":\"*\",\"path\":\"*\",\"class\":\"semantic\","
	     "\"reason\":\"\",\"owner\":\"o\",\"expires\":\"2026-01-01\"}]",
	     "[0].reason"},
	    {"[{\"domain\":\"read\",\"feature\":\"*\",\"path\":\"*\",\"class\":\"semantic\","
	     "\"reason\":\"r\",\"expires\":\"2026-01-01\"}]",
	     "[0].owner"},
	    {"[{\"domain\":\"read\",\"feature\":\"*\",\"path\":\"*\",\"class\":\"semantic\","
	     "\"reason\":\"r\",\"owner\":\"o\",\"expires\":\"2026-01-01\"},"
	     "{\"domain\":\"read\",\"feature\":\"*\",\"path\":\"*\",\"class\":\"semantic\","
	     "\"reason\":\"r\",\"owner\":\"o\",\"expires\":\"next week\"}]",
	     "[1].expires: expected a date YYYY-MM-DD"},
	};
	struct ph_documented doc;
	struct ph_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *j = json_loads(bad[i][0], 0, NULL);

		assert_non_null(j);
		assert_int_equal(ph_documented_from_json(&doc, j, "doc.json", &err), PH_E_INVALID);
		if (!strstr(err.msg, bad[i][1]) || strncmp(err.msg, "doc.json: ", 10))
			fail_msg("case %zu: '%s' lacks '%s'", i, err.msg, bad[i][1]);
		assert_null(doc.items);
		json_decref(j);
	}
	/* and from a file, with the file named */
	assert_int_equal(ph_documented_load(&doc, t_write_in(t_dir, "d.json", "[{]"), &err), PH_E_PARSE);
	assert_true(strstr(err.msg, "d.json:1:") != NULL);
	assert_int_equal(ph_documented_load(&doc, t_write_in(t_dir, "ok.json", "[]"), &err), 0);
	assert_int_equal(doc.n, 0);
	ph_documented_release(&doc);
}

static void test_render(void **state)
{
	json_t *m = full_matrix("gitsync"), *j;
	struct ph_gate g;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	add_row(m, "read", "GET /x", PH_STRUCTURAL, "structural", "a.b");
	ph_matrix_finish(m);
	evaluate(&g, m, NULL, NULL, 14);
	f = open_memstream(&buf, &len);
	ph_gate_write_text(&g, f);
	fclose(f);
	assert_true(strncmp(buf, "gate: blocked\n", 14) == 0);
	assert_true(strstr(buf, "[gitsync] domain 'gitsync' is in no matrix") != NULL);
	assert_true(strstr(buf, "no shadow log given") != NULL);
	free(buf);
	j = ph_gate_to_json(&g);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), "blocked");
	assert_int_equal(json_array_size(json_object_get(j, "reasons")), 3);
	json_decref(j);
	ph_gate_release(&g);
	json_decref(m);
}

/* A suite expectation that broke is a note: the gate shows it and does not block on it. */
static void test_expectation_rows_are_notes(void **state)
{
	json_t *m = full_matrix(NULL);
	struct ph_shadow s;

	(void)state;
	shadow_of(&s, clean14);
	add_row(m, "write", "POST /api/memory/remember", PH_EXPECTATION, "expectation",
		"$.deduped");
	expect(NULL, m, &s, NULL, 14, PH_GATE_PASS,
	       WANT({1, "expectation", "write", 1}, {0, "structural", NULL, 0}));
	ph_shadow_release(&s);
	json_decref(m);
}

T_MAIN(t_map_setup, t_map_teardown, cmocka_unit_test(test_glob_and_dates),
       cmocka_unit_test(test_expectation_rows_are_notes),
       cmocka_unit_test(test_pass), cmocka_unit_test(test_insufficient_matrix),
       cmocka_unit_test(test_insufficient_shadow), cmocka_unit_test(test_blocked_matrix),
       cmocka_unit_test(test_blocked_shadow), cmocka_unit_test(test_sharded_matrices),
       cmocka_unit_test(test_documented_shapes), cmocka_unit_test(test_render))
