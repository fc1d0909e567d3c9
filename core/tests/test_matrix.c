/*
 * Unit tests of the matrix document: rows as the host records them (class, divergences,
 * latencies, errors), what ph_matrix_finish derives (counts, statuses, verdict, canonical
 * domain order), and ph_matrix_validate / ph_matrix_load naming the offending key's path
 * for every kind of bad document, plus a write/load round trip.
 */
#define _POSIX_C_SOURCE 200809L
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "matrix/matrix.h"
#include "parity/result.h"
#include "report/report.h"
#include "parity/jsonio.h"

#include "support.h"

static json_t *domain_at(const json_t *m, size_t i)
{
	return json_array_get(json_object_get(m, "domains"), i);
}

static json_t *feature_at(const json_t *d, size_t i)
{
	return json_array_get(json_object_get(d, "features"), i);
}

static json_int_t count_of(const json_t *d, const char *cls)
{
	return json_integer_value(json_object_get(json_object_get(d, "counts"), cls));
}

static void add(json_t *m, const char *domain, const char *feature, enum ph_class cls)
{
	struct ph_row row = {feature, "case", "200", cls, NULL, 1.0, 2.0, NULL};
	struct ph_err err;

	assert_int_equal(ph_matrix_add_row(m, domain, &row, &err), 0);
}

static void new_matrix_is_valid(void **state)
{
	struct ph_err err;
	json_t *m;

	(void)state;
	setenv("SOURCE_DATE_EPOCH", "1795435200", 1); /* 2026-11-23T12:00:00Z */
	m = ph_matrix_new("js", "1.2.3", "rust", NULL);
	unsetenv("SOURCE_DATE_EPOCH");
	assert_non_null(m);
	assert_string_equal(json_string_value(json_object_get(m, "schema")), "parity-matrix/1");
	assert_string_equal(json_string_value(json_object_get(m, "generated_at")),
			    "2026-11-23T12:00:00Z");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(m, "runtimes"), "reference"), "version")),
	    "1.2.3");
	assert_string_equal(
	    json_string_value(json_object_get(
		json_object_get(json_object_get(m, "runtimes"), "candidate"), "version")),
	    "unknown");
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
	assert_int_equal(ph_matrix_verdict(m), PH_PARITY);
	json_decref(m);

	/* without SOURCE_DATE_EPOCH: the current time, still in the fixed shape */
	m = ph_matrix_new("a", "1", "b", "2");
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
	json_decref(m);
}

static void row_takes_worst_class_and_copies_divergences(void **state)
{
	char p1[] = "memories.0.tags", p2[] = "", m1[] = "key missing", m2[] = "slow";
	struct ph_divergence items[2] = {
	    {PH_STRUCTURAL, "missing", p1, json_pack("[s]", "x"), NULL, m1},
	    {PH_TIMING, "latency", p2, json_real(3.5), json_real(400.0), m2},
	};
	struct ph_result res = {NULL, PH_STRUCTURAL, 2, items};
	struct ph_row row = {
	    "GET /api/memories", "list", "200, 10 memories", PH_PARITY, &res, 3.5, -1, NULL};
	struct ph_err err;
	json_t *m = ph_matrix_new("a", "1", "b", "2"), *f, *d0;

	(void)state;
	assert_int_equal(ph_matrix_add_row(m, "read", &row, &err), 0);
	/* cls worse than the result's verdict wins */
	res.verdict = PH_TIMING;
	res.count = 1;
	row.cls = PH_SEMANTIC;
	row.case_name = NULL;
	assert_int_equal(ph_matrix_add_row(m, "read", &row, &err), 0);

	f = feature_at(domain_at(m, 0), 0);
	assert_string_equal(json_string_value(json_object_get(f, "feature")), "GET /api/memories");
	assert_string_equal(json_string_value(json_object_get(f, "case")), "list");
	assert_string_equal(json_string_value(json_object_get(f, "reference")), "200, 10 memories");
	assert_string_equal(json_string_value(json_object_get(f, "candidate")), "structural");
	assert_null(json_object_get(f, "error"));
	assert_int_equal(json_array_size(json_object_get(f, "divergences")), 2);
	d0 = json_array_get(json_object_get(f, "divergences"), 0);
	assert_string_equal(json_string_value(json_object_get(d0, "class")), "structural");
	assert_string_equal(json_string_value(json_object_get(d0, "kind")), "missing");
	assert_string_equal(json_string_value(json_object_get(d0, "path")), "memories.0.tags");
	assert_true(json_equal(json_object_get(d0, "a"), items[0].a));
	assert_string_equal(json_string_value(json_object_get(d0, "message")), "key missing");
	assert_true(
	    json_real_value(json_object_get(json_object_get(f, "latency_ms"), "reference")) == 3.5);
	assert_true(json_is_null(json_object_get(json_object_get(f, "latency_ms"), "candidate")));

	f = feature_at(domain_at(m, 0), 1);
	assert_string_equal(json_string_value(json_object_get(f, "candidate")), "semantic");
	assert_string_equal(json_string_value(json_object_get(f, "case")), "");
	assert_int_equal(json_array_size(json_object_get(f, "divergences")), 1);

	/* a row with no result has an empty divergence list */
	add(m, "read", "GET /health", PH_PARITY);
	assert_int_equal(
	    json_array_size(json_object_get(feature_at(domain_at(m, 0), 2), "divergences")), 0);
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
	json_decref(items[0].a);
	json_decref(items[1].a);
	json_decref(items[1].b);
	json_decref(m);
}

static void error_rows_and_bad_rows(void **state)
{
	struct ph_row row = {"POST /api/memory",  "create", "", PH_PARITY, NULL, -1, -1,
			     "connection refused"};
	struct ph_err err;
	json_t *m = ph_matrix_new("a", "1", "b", "2"), *f;

	(void)state;
	/* an error message makes the row an error even when cls says parity */
	assert_int_equal(ph_matrix_add_row(m, "write", &row, &err), 0);
	f = feature_at(domain_at(m, 0), 0);
	assert_string_equal(json_string_value(json_object_get(f, "candidate")), "error");
	assert_string_equal(json_string_value(json_object_get(f, "error")), "connection refused");

	/* cls error without a message still says why it is an error */
	row.error = NULL;
	row.cls = PH_ERROR;
	assert_int_equal(ph_matrix_add_row(m, "write", &row, &err), 0);
	assert_true(json_is_string(json_object_get(feature_at(domain_at(m, 0), 1), "error")));

	/* text that is not UTF-8 is kept, repaired, and the document stays valid */
	row.cls = PH_PARITY;
	row.reference = "bad \xff\xfe byte";
	assert_int_equal(ph_matrix_add_row(m, "write", &row, &err), 0);
	assert_string_equal(
	    json_string_value(json_object_get(feature_at(domain_at(m, 0), 2), "reference")),
	    "bad \xEF\xBF\xBD\xEF\xBF\xBD byte");

	row.feature = NULL;
	assert_int_equal(ph_matrix_add_row(m, "write", &row, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "no feature"));
	row.feature = "x";
	row.cls = (enum ph_class)7;
	assert_int_equal(ph_matrix_add_row(m, "write", &row, &err), PH_E_INVALID);
	row.cls = PH_PARITY;
	assert_int_equal(ph_matrix_add_row(NULL, "write", &row, &err), PH_E_INVALID);
	assert_int_equal(ph_matrix_add_row(m, NULL, &row, &err), PH_E_INVALID);
	assert_int_equal(json_array_size(json_object_get(domain_at(m, 0), "features")), 3);
	ph_matrix_finish(m);
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
	json_decref(m);
}

static void finish_counts_statuses_and_verdict(void **state)
{
	struct ph_err err;
	json_t *m = ph_matrix_new("a", "1", "b", "2"), *d;

	(void)state;
	add(m, "read", "r1", PH_PARITY);
	add(m, "read", "r2", PH_STRUCTURAL);
	add(m, "read", "r3", PH_PARITY);
	add(m, "write", "w1", PH_PARITY);
	add(m, "auth", "a1", PH_TIMING);
	add(m, "auth", "a2", PH_PARITY);
	add(m, "pipeline", "p1", PH_SEMANTIC);
	add(m, "mcp", "m1", PH_ERROR);
	add(m, "mcp", "m2", PH_STRUCTURAL);
	ph_matrix_domain_status(m, "secrets", "skipped", "no plugin found");
	ph_matrix_domain_status(m, "gitsync", "error", "runtime did not start");
	ph_matrix_domain(m, "watcher"); /* created, never given rows */
	ph_matrix_finish(m);
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);

	d = domain_at(m, 0); /* read */
	assert_string_equal(json_string_value(json_object_get(d, "domain")), "read");
	assert_string_equal(json_string_value(json_object_get(d, "status")), "diverge");
	assert_int_equal(count_of(d, "parity"), 2);
	assert_int_equal(count_of(d, "structural"), 1);
	assert_int_equal(count_of(d, "semantic"), 0);
	d = domain_at(m, 1); /* write */
	assert_string_equal(json_string_value(json_object_get(d, "status")), "pass");
	assert_int_equal(count_of(d, "parity"), 1);
	d = domain_at(m, 2); /* pipeline */
	assert_string_equal(json_string_value(json_object_get(d, "status")), "diverge");
	assert_int_equal(count_of(d, "semantic"), 1);
	d = domain_at(m, 3); /* auth: timing only is still "diverge" */
	assert_string_equal(json_string_value(json_object_get(d, "domain")), "auth");
	assert_string_equal(json_string_value(json_object_get(d, "status")), "diverge");
	assert_int_equal(count_of(d, "timing"), 1);
	d = domain_at(m, 4); /* watcher: no rows */
	assert_string_equal(json_string_value(json_object_get(d, "status")), "pass");
	d = domain_at(m, 5); /* gitsync: explicit error kept */
	assert_string_equal(json_string_value(json_object_get(d, "domain")), "gitsync");
	assert_string_equal(json_string_value(json_object_get(d, "status")), "error");
	assert_string_equal(json_string_value(json_object_get(d, "reason")),
			    "runtime did not start");
	d = domain_at(m, 6); /* mcp: an error row beats a structural one */
	assert_string_equal(json_string_value(json_object_get(d, "status")), "error");
	assert_int_equal(count_of(d, "error"), 1);
	assert_int_equal(count_of(d, "structural"), 1);
	d = domain_at(m, 7); /* secrets: explicit skipped kept */
	assert_string_equal(json_string_value(json_object_get(d, "status")), "skipped");
	assert_string_equal(json_string_value(json_object_get(m, "verdict")), "error");
	assert_int_equal(ph_matrix_verdict(m), PH_ERROR);
	json_decref(m);

	/* the verdict is the worst class; a domain-level error alone makes it "error" */
	m = ph_matrix_new("a", "1", "b", "2");
	add(m, "read", "r1", PH_TIMING);
	ph_matrix_finish(m);
	assert_string_equal(json_string_value(json_object_get(m, "verdict")), "timing");
	add(m, "read", "r2", PH_SEMANTIC);
	ph_matrix_finish(m);
	assert_string_equal(json_string_value(json_object_get(m, "verdict")), "semantic");
	add(m, "write", "w1", PH_STRUCTURAL);
	ph_matrix_finish(m);
	assert_string_equal(json_string_value(json_object_get(m, "verdict")), "structural");
	assert_int_equal(ph_matrix_verdict(m), PH_STRUCTURAL);
	ph_matrix_domain_status(m, "schema", "error", "plugin init failed");
	ph_matrix_finish(m);
	assert_string_equal(json_string_value(json_object_get(m, "verdict")), "error");
	json_decref(m);

	/* all parity (and a skipped domain) is parity; finish is idempotent */
	m = ph_matrix_new("a", "1", "b", "2");
	add(m, "read", "r1", PH_PARITY);
	ph_matrix_domain_status(m, "mcp", "skipped", "no plugin found");
	ph_matrix_finish(m);
	ph_matrix_finish(m);
	assert_string_equal(json_string_value(json_object_get(m, "verdict")), "parity");
	assert_int_equal(count_of(domain_at(m, 0), "parity"), 1);
	/* a skipped domain that later got rows is judged on its rows */
	add(m, "mcp", "m1", PH_SEMANTIC);
	ph_matrix_finish(m);
	assert_string_equal(json_string_value(json_object_get(domain_at(m, 1), "status")),
			    "diverge");
	/* an explicit error with a reason stays an error even with rows */
	ph_matrix_domain_status(m, "read", "error", "runtime crashed");
	ph_matrix_finish(m);
	assert_string_equal(json_string_value(json_object_get(domain_at(m, 0), "status")), "error");
	json_decref(m);
}

static void canonical_domain_order(void **state)
{
	static const char *const added[] = {"zeta",   "secrets", "alpha", "read", "gitsync",
					    "schema", "mcp",	 "write", "beta"};
	static const char *const want[] = {"schema",  "read",  "write", "gitsync", "mcp",
					   "secrets", "alpha", "beta",	"zeta"};
	json_t *m = ph_matrix_new("a", "1", "b", "2"), *d;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(added) / sizeof(added[0]); i++)
		add(m, added[i], "first", PH_PARITY);
	/* features keep insertion order */
	add(m, "read", "zz-second", PH_PARITY);
	add(m, "read", "aa-third", PH_PARITY);
	ph_matrix_finish(m);
	assert_int_equal(json_array_size(json_object_get(m, "domains")), 9);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(json_string_value(json_object_get(domain_at(m, i), "domain")),
				    want[i]);
	d = domain_at(m, 1);
	t_assert_strs_at(json_object_get(d, "features"), "feature",
			 T_LIST("first", "zz-second", "aa-third"));
	/* ph_matrix_domain finds an existing domain rather than adding a second */
	assert_ptr_equal(ph_matrix_domain(m, "read"), d);
	json_decref(m);
}

/* A finished matrix with three domains, each with a diverging feature. */
static json_t *good_matrix(void)
{
	char p[] = "a.b", msg[] = "differs";
	struct ph_divergence dv = {PH_SEMANTIC, "value", p, NULL, NULL, msg};
	struct ph_result res = {NULL, PH_SEMANTIC, 1, &dv};
	struct ph_row row = {"GET /x", "c", "200", PH_PARITY, &res, 1.5, 2.5, NULL};
	json_t *m = ph_matrix_new("js", "1", "rust", "2");

	dv.a = json_integer(1);
	dv.b = json_integer(2);
	assert_int_equal(ph_matrix_add_row(m, "schema", &row, NULL), 0);
	assert_int_equal(ph_matrix_add_row(m, "read", &row, NULL), 0);
	assert_int_equal(ph_matrix_add_row(m, "write", &row, NULL), 0);
	json_decref(dv.a);
	json_decref(dv.b);
	json_object_set_new(json_object_get(m, "metrics"), "reference",
			    json_pack("{s:i}", "rss_kb", 1000));
	ph_matrix_finish(m);
	return m;
}

/* The member at a dot path ("domains.2.features.0"); parent and last key for mutation. */
static json_t *walk(json_t *root, const char *path, json_t **parent, char *last, size_t cap)
{
	char buf[256], *tok, *save = NULL;
	json_t *cur = root;

	snprintf(buf, sizeof(buf), "%s", path);
	*parent = NULL;
	for (tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
		*parent = cur;
		snprintf(last, cap, "%s", tok);
		if (json_is_array(cur))
			cur = json_array_get(cur, (size_t)atoi(tok));
		else
			cur = json_object_get(cur, tok);
	}
	return cur;
}

static void validate_names_the_path(void **state)
{
	/* clang-format off */
	static const struct {
		const char *path;
		const char *value; /* JSON text; NULL deletes the key */
		const char *want;
	} cases[] = {
	    {"schema", NULL,
	     "m.json: schema: missing, expected a string"},
	    {"schema", "\"parity-matrix/2\"",
	     "m.json: schema: expected \"parity-matrix/1\", got \"parity-matrix/2\""},
	    {"generated_at", "\"2026-11-23 12:00:00\"",
	     "m.json: generated_at: expected a UTC time YYYY-MM-DDTHH:MM:SSZ"},
	    {"generated_at", "\"2026-13-23T12:00:00Z\"",
	     "m.json: generated_at: expected"},
	    {"runtimes", "[]",
	     "m.json: runtimes: expected an object"},
	    {"runtimes.candidate", NULL,
	     "m.json: runtimes.candidate: missing, expected an object"},
	    {"runtimes.candidate.name", "5",
	     "m.json: runtimes.candidate.name: expected a string"},
	    {"runtimes.reference.version", NULL,
	     "m.json: runtimes.reference.version: missing"},
	    {"domains", "{}",
	     "m.json: domains: expected an array"},
	    {"domains.1", "7",
	     "m.json: domains[1]: expected an object"},
	    {"domains.2.domain", "\"\"",
	     "m.json: domains[2].domain: expected a non-empty string"},
	    {"domains.1.domain", "\"schema\"",
	     "m.json: domains[1]: domain 'schema' appears twice (also domains[0])"},
	    {"domains.2.status", "\"ok\"",
	     "m.json: domains[2].status: expected one of pass|diverge|error|skipped"},
	    {"domains.2.reason", "false",
	     "m.json: domains[2].reason: expected a string"},
	    {"domains.2.counts", NULL,
	     "m.json: domains[2].counts: missing, expected an object"},
	    {"domains.2.counts.timing", "-1",
	     "m.json: domains[2].counts.timing: expected a non-negative integer"},
	    {"domains.2.counts.error", "1.0",
	     "m.json: domains[2].counts.error: expected a non-negative integer"},
	    {"domains.2.features", "null",
	     "m.json: domains[2].features: expected an array"},
	    {"domains.2.features.0.feature", NULL,
	     "m.json: domains[2].features[0].feature: missing, expected a string"},
	    {"domains.2.features.0.case", "1",
	     "m.json: domains[2].features[0].case: expected a string"},
	    {"domains.2.features.0.reference", "{}",
	     "m.json: domains[2].features[0].reference: expected a string"},
	    {"domains.2.features.0.candidate", "\"bad\"",
	     "m.json: domains[2].features[0].candidate: expected one of "
	     "parity|structural|semantic|timing|error"},
	    {"domains.2.features.0.error", "[]",
	     "m.json: domains[2].features[0].error: expected a string"},
	    {"domains.2.features.0.divergences", "{}",
	     "m.json: domains[2].features[0].divergences: expected an array"},
	    {"domains.2.features.0.divergences.0", "\"x\"",
	     "m.json: domains[2].features[0].divergences[0]: expected an object"},
	    {"domains.2.features.0.divergences.0.class", "\"weird\"",
	     "m.json: domains[2].features[0].divergences[0].class: expected one of"},
	    {"domains.2.features.0.divergences.0.kind", NULL,
	     "m.json: domains[2].features[0].divergences[0].kind: missing, expected a string"},
	    {"domains.2.features.0.divergences.0.path", "3",
	     "m.json: domains[2].features[0].divergences[0].path: expected a string"},
	    {"domains.2.features.0.divergences.0.message", NULL,
	     "m.json: domains[2].features[0].divergences[0].message: missing"},
	    {"domains.2.features.0.latency_ms", "3",
	     "m.json: domains[2].features[0].latency_ms: expected an object"},
	    {"domains.2.features.0.latency_ms.reference", "\"3\"",
	     "m.json: domains[2].features[0].latency_ms.reference: expected a number or null"},
	    {"domains.2.features.0.latency_ms.candidate", NULL,
	     "m.json: domains[2].features[0].latency_ms.candidate: missing"},
	    {"domains.2.features.0.latency_ms.candidate", "-2",
	     "m.json: domains[2].features[0].latency_ms.candidate: expected a non-negative"},
	    {"metrics", "[]",
	     "m.json: metrics: expected an object"},
	    {"metrics", NULL,
	     "m.json: metrics: missing, expected an object"},
	    {"verdict", "\"great\"",
	     "m.json: verdict: expected one of parity|structural|semantic|timing|error"},
	};
	/* clang-format on */
	struct ph_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *m = good_matrix(), *parent, *v = NULL;
		char last[64];

		assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
		walk(m, cases[i].path, &parent, last, sizeof(last));
		assert_non_null(parent);
		if (cases[i].value) {
			v = json_loads(cases[i].value, JSON_DECODE_ANY, NULL);
			assert_non_null(v);
		}
		if (json_is_array(parent))
			json_array_set_new(parent, (size_t)atoi(last), v);
		else if (v)
			json_object_set_new(parent, last, v);
		else
			json_object_del(parent, last);
		memset(&err, 0, sizeof(err));
		if (ph_matrix_validate(m, "m.json", &err) != PH_E_INVALID ||
		    strncmp(err.msg, cases[i].want, strlen(cases[i].want)) != 0)
			fail_msg("case %zu (%s): got \"%s\", want \"%s...\"", i, cases[i].path,
				 err.msg, cases[i].want);
		json_decref(m);
	}
	/* not an object at all */
	{
		json_t *a = json_array();

		assert_int_equal(ph_matrix_validate(a, "m.json", &err), PH_E_INVALID);
		assert_string_equal(err.msg, "m.json: expected a JSON object");
		json_decref(a);
	}
	/* a row may lack divergences and latency_ms (an error row, a state check) */
	{
		json_t *m = good_matrix(), *f, *parent;
		char last[64];

		f = walk(m, "domains.0.features.0", &parent, last, sizeof(last));
		json_object_del(f, "divergences");
		json_object_del(f, "latency_ms");
		assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
		json_object_set_new(f, "divergences", json_null());
		json_object_set_new(f, "latency_ms", json_null());
		assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
		/* present, they are still checked */
		json_object_set_new(f, "latency_ms", json_object());
		assert_int_equal(ph_matrix_validate(m, "m.json", &err), PH_E_INVALID);
		assert_non_null(strstr(err.msg, "latency_ms.reference: missing"));
		json_decref(m);
	}
	/* divergence values a and b may be absent or any JSON value */
	{
		json_t *m = good_matrix(), *dv, *parent;
		char last[64];

		dv = walk(m, "domains.0.features.0.divergences.0", &parent, last, sizeof(last));
		json_object_del(dv, "a");
		json_object_set_new(dv, "b", json_pack("{s:[i]}", "k", 1));
		assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
		json_decref(m);
	}
}

static void load_and_round_trip(void **state)
{
	char path[512];
	struct ph_err err;
	json_t *m = good_matrix(), *back = NULL;

	(void)state;
	snprintf(path, sizeof(path), "%s/matrix.json", t_dir);
	assert_int_equal(ph_report_json(m, path, &err), 0);
	assert_int_equal(ph_matrix_load(path, &back, &err), 0);
	assert_true(json_equal(m, back));
	assert_int_equal(ph_matrix_verdict(back), PH_SEMANTIC);
	json_decref(back);

	/* not JSON: file:line:col */
	t_write(path, "{\"schema\": \"parity-matrix/1\",\n  oops}");
	assert_int_equal(ph_matrix_load(path, &back, &err), PH_E_PARSE);
	assert_null(back);
	assert_true(strncmp(err.msg, path, strlen(path)) == 0);
	assert_non_null(strstr(err.msg, ":2:"));

	/* JSON of the wrong shape: the file and the key */
	t_write(path, "{\"schema\": \"parity-matrix/1\"}");
	assert_int_equal(ph_matrix_load(path, &back, &err), PH_E_INVALID);
	assert_null(back);
	{
		char want[600];

		snprintf(want, sizeof(want), "%s: generated_at: missing, expected a string", path);
		assert_string_equal(err.msg, want);
	}

	/* a missing file */
	snprintf(path, sizeof(path), "%s/absent.json", t_dir);
	assert_int_equal(ph_matrix_load(path, &back, &err), PH_E_IO);
	assert_non_null(strstr(err.msg, "absent.json"));
	json_decref(m);
}

/*
 * An expectation row (a suite's own expectation broke) is counted apart, keeps its class
 * whatever its result lists, and never makes a domain diverge or the verdict worse.
 */
static void expectation_rows_are_counted_apart(void **state)
{
	struct ph_err err;
	struct ph_result res = {0};
	struct ph_row row = {"POST /api/memory/remember", "c/s expected", "200", PH_EXPECTATION,
			     &res, -1, -1, NULL};
	json_t *m = ph_matrix_new("a", "1", "b", "2"), *d, *f;

	(void)state;
	assert_int_equal(ph_result_add(&res, PH_EXPECTATION, "expectation", "$.deduped", NULL,
				       json_true(), "reference: expected true, got absent"),
			 0);
	assert_int_equal(res.verdict, PH_PARITY);
	add(m, "replay", "r1", PH_PARITY);
	assert_int_equal(ph_matrix_add_row(m, "replay", &row, &err), 0);
	ph_result_clear(&res);
	ph_matrix_finish(m);
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
	d = domain_at(m, 0);
	assert_string_equal(json_string_value(json_object_get(d, "status")), "pass");
	assert_int_equal(count_of(d, "parity"), 1);
	assert_int_equal(count_of(d, "expectation"), 1);
	f = feature_at(d, 1);
	assert_string_equal(json_string_value(json_object_get(f, "candidate")), "expectation");
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(f, "divergences"), 0), "class")),
			    "expectation");
	assert_string_equal(json_string_value(json_object_get(m, "verdict")), "parity");
	/* a domain without such rows has no such count, and a verdict is never one */
	json_object_set_new(m, "verdict", json_string("expectation"));
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), PH_E_INVALID);
	json_decref(m);
}

static int is_semantic(void *ctx, const struct ph_divergence *d)
{
	(*(int *)ctx)++;
	return d->cls == PH_SEMANTIC;
}

/* Dropping divergences recomputes the verdict from the rest, expectations aside. */
static void result_drop_recomputes_the_verdict(void **state)
{
	struct ph_result res = {0};
	int asked = 0;

	(void)state;
	ph_result_add(&res, PH_SEMANTIC, "value", "a", NULL, NULL, "x");
	ph_result_add(&res, PH_TIMING, "latency", "", NULL, NULL, "y");
	ph_result_add(&res, PH_EXPECTATION, "expectation", "b", NULL, NULL, "z");
	ph_result_add(&res, PH_SEMANTIC, "value", "c", json_integer(1), json_integer(2), "w");
	assert_int_equal(res.verdict, PH_SEMANTIC);
	ph_result_drop(&res, is_semantic, &asked);
	assert_int_equal(asked, 4);
	assert_int_equal(res.count, 2);
	assert_int_equal(res.verdict, PH_TIMING);
	assert_string_equal(res.items[0].path, "");
	assert_string_equal(res.items[1].path, "b");
	ph_result_clear(&res);
}

T_MAIN(t_dir_setup, t_dir_teardown, cmocka_unit_test(new_matrix_is_valid),
       cmocka_unit_test(row_takes_worst_class_and_copies_divergences),
       cmocka_unit_test(error_rows_and_bad_rows),
       cmocka_unit_test(finish_counts_statuses_and_verdict),
       cmocka_unit_test(expectation_rows_are_counted_apart),
       cmocka_unit_test(result_drop_recomputes_the_verdict),
       cmocka_unit_test(canonical_domain_order), cmocka_unit_test(validate_names_the_path),
       cmocka_unit_test(load_and_round_trip))
