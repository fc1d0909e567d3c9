/*
 * Unit tests of noise calibration (calibrate.h): paths generalised over array indexes,
 * the candidate replaced by a second instance of the reference, the rules stripped of
 * their masks and nothing else, and the proposal learned from a matrix: evidence counts
 * per pattern, patterns the rules in force already ignore kept apart from new ones,
 * timing left out, unmaskable differences listed, and a proposal that loads as rules.
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

#include "run/calibrate.h"
#include "compare/compare.h"
#include "run/config.h"
#include "matrix/matrix.h"
#include "compare/rules.h"

#include "support.h"

static char tmp_path[512]; /* a file in t_dir the tests write */

static void write_file(const char *text)
{
	t_write(tmp_path, text);
}

/* A fresh t_dir holding tmp_path. */
static int setup(void **state)
{
	if (t_dir_setup(state))
		return -1;
	snprintf(tmp_path, sizeof(tmp_path), "%s", t_path(t_dir, "calibrate.json"));
	return 0;
}

static void patterns(void **state)
{
	static const char *const cases[][2] = {
		{ "memories.0.tags", "memories.*.tags" },
		{ "history.12.id", "history.*.id" },
		{ "a.10", "a.*" },
		{ "0", "*" },
		{ "pid", "pid" },
		{ "x0.1a.b2", "x0.1a.b2" },
		{ "files.5.content", "files.*.content" },
		{ "", "" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = ph_calibrate_pattern(cases[i][0]);

		assert_non_null(p);
		assert_string_equal(p, cases[i][1]);
		free(p);
	}
}

/* The candidate becomes the reference's second instance: same command, env and health. */
static void candidate_is_reference(void **state)
{
	struct ph_config cfg;
	struct ph_err err;

	(void)state;
	write_file("{\"runtimes\": {\"reference\": {\"name\": \"ts\", \"command\": [\"bun\", "
		   "\"daemon.ts\", \"{port}\"], \"env\": {\"A\": \"1\"}, \"health\": \"/h\"},"
		   "\"candidate\": {\"name\": \"rust\", \"command\": [\"signet-daemon\"]}}}");
	assert_int_equal(ph_config_load(&cfg, tmp_path, &err), 0);
	assert_string_equal(cfg.runtimes[1].name, "rust");
	assert_int_equal(ph_calibrate_config(&cfg, &err), 0);
	assert_string_equal(cfg.runtimes[1].name, "ts");
	assert_string_equal(cfg.runtimes[1].role, "candidate");
	assert_int_equal(cfg.runtimes[1].argc, 3);
	assert_string_equal(cfg.runtimes[1].argv[0], "bun");
	assert_string_equal(cfg.runtimes[1].argv[2], "{port}");
	assert_string_equal(cfg.runtimes[1].env[0], "A=1");
	assert_string_equal(cfg.runtimes[1].health, "/h");
	/* the reference itself is untouched */
	assert_string_equal(cfg.runtimes[0].name, "ts");
	assert_string_equal(cfg.runtimes[0].role, "reference");
	ph_config_release(&cfg);
}

static void rules_lose_their_masks_only(void **state)
{
	struct ph_rules *r;
	const struct ph_rule *ep;
	struct ph_err err;

	(void)state;
	write_file("{\"rules\": {\"default\": {\"ignoreFields\": [\"requestId\"], "
		   "\"timestampPrecision\": \"minute\"}, \"endpoints\": {\"GET /api/status\": "
		   "{\"ignoreFields\": [\"pid\", \"uptime\"]}, \"POST /api/memory/recall\": "
		   "{\"ignoreFields\": [\"results.*.score\"], \"arrayOrdering\": \"unordered\", "
		   "\"tolerance\": {\"score\": 0.05}}}}, \"errorComparison\": {\"ignoreFields\": "
		   "[\"error.trace\"]}}");
	assert_int_equal(ph_calibrate_rules(tmp_path, &r, &err), 0);
	assert_int_equal(r->deflt.n_ignore, 0);
	assert_int_equal(r->deflt.precision, PH_TS_MINUTE);
	ep = ph_rules_find(r, "GET /api/status");
	assert_non_null(ep);
	assert_int_equal(ep->n_ignore, 0);
	ep = ph_rules_find(r, "POST /api/memory/recall");
	assert_non_null(ep);
	assert_int_equal(ep->n_ignore, 0);
	assert_int_equal(ep->ordering, PH_UNORDERED);
	assert_int_equal(ep->n_tolerance, 1);
	assert_int_equal(r->n_error_ignore, 1);
	ph_rules_free(r);

	assert_int_equal(ph_calibrate_rules(NULL, &r, &err), 0);
	assert_int_equal(r->deflt.n_ignore, 0);
	ph_rules_free(r);

	write_file("{\"rules\": {\"endpoints\": {\"GET /x\": {\"ignoreFields\": [\"a\"], "
		   "\"arrayOrdering\": \"sideways\"}}}}");
	assert_int_equal(ph_calibrate_rules(tmp_path, &r, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, tmp_path));
	assert_int_equal(ph_calibrate_rules("/nonexistent/rules.json", &r, &err), PH_E_IO);
}

/* Add a row with the given divergences (class, kind, path) to domain. */
static void row(json_t *m, const char *domain, const char *feature, const char *const divs[][3],
		size_t n)
{
	struct ph_result res;
	struct ph_row r;
	struct ph_err err;
	size_t i;

	memset(&res, 0, sizeof(res));
	memset(&r, 0, sizeof(r));
	res.items = calloc(n ? n : 1, sizeof(*res.items));
	assert_non_null(res.items);
	for (i = 0; i < n; i++) {
		res.items[i].cls = (enum ph_class)ph_class_parse(divs[i][0]);
		res.items[i].kind = divs[i][1];
		res.items[i].path = strdup(divs[i][2]);
		res.items[i].a = json_integer(1);
		res.items[i].b = json_integer(2);
		res.items[i].message = strdup("value 1 -> 2");
		if (res.items[i].cls > res.verdict)
			res.verdict = res.items[i].cls;
	}
	res.count = n;
	r.feature = feature;
	r.case_name = "c";
	r.reference = "200";
	r.result = &res;
	r.latency_reference_ms = r.latency_candidate_ms = 1;
	assert_int_equal(ph_matrix_add_row(m, domain, &r, &err), 0);
	ph_result_release(&res);
}

static int listed(const json_t *arr, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (!strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

static void proposal(void **state)
{
	static const char *const status1[][3] = { { "semantic", "value", "pid" },
						  { "semantic", "value", "uptime" } };
	static const char *const status2[][3] = { { "semantic", "value", "pid" },
						  { "timing", "latency", "" } };
	static const char *const history[][3] = { { "semantic", "value", "history.0.id" },
						  { "semantic", "value", "history.1.id" },
						  { "structural", "missing", "history.1.note" } };
	static const char *const broken[][3] = { { "structural", "status", "" } };
	static const char *const dbrow[][3] = { { "semantic", "value", "rows.0.created_at" } };
	static const char *const slow[][3] = { { "timing", "latency", "" } };
	json_t *m = ph_matrix_new("refd", "1", "refd", "1"), *p, *ev, *eps, *news, *c, *un;
	struct ph_rules *current, *loaded;
	struct ph_err err;

	(void)state;
	row(m, "read", "GET /api/status", status1, 2);
	row(m, "auth", "GET /api/status [team]", status2, 2); /* a plugin's qualified feature */
	row(m, "read", "GET /api/memory/:id/history", history, 3);
	row(m, "read", "GET /api/memories", NULL, 0);
	row(m, "read", "GET /api/identity", broken, 1);
	row(m, "write", "db: memories after write", dbrow, 1);
	row(m, "read", "GET /api/config", slow, 1);
	ph_matrix_finish(m);

	/* the rules in force already ignore pid on /api/status and history ids */
	write_file("{\"rules\": {\"endpoints\": {\"GET /api/status\": {\"ignoreFields\": "
		   "[\"pid\"]}, \"GET /api/memory/:id/history\": {\"ignoreFields\": "
		   "[\"history.*.id\"]}}}}");
	assert_int_equal(ph_rules_load(&current, tmp_path, &err), 0);
	p = ph_calibrate_propose(m, current);
	assert_non_null(p);

	ev = json_object_get(p, "evidence");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "GET /api/status"),
							    "pid")),
			 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(ev, "GET /api/status"),
							    "uptime")),
			 1);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(ev, "GET /api/memory/:id/history"), "history.*.id")),
			 2);
	assert_int_equal(json_integer_value(json_object_get(
				 json_object_get(ev, "GET /api/memory/:id/history"), "history.*.note")),
			 1);
	/* timing is not noise of values; a row at parity brings nothing */
	assert_null(json_object_get(ev, "GET /api/config"));
	assert_null(json_object_get(ev, "GET /api/memories"));

	eps = json_object_get(json_object_get(p, "rules"), "endpoints");
	assert_int_equal(json_object_size(eps), 2);
	assert_true(listed(json_object_get(json_object_get(eps, "GET /api/status"), "ignoreFields"),
			   "pid"));
	assert_true(listed(json_object_get(json_object_get(eps, "GET /api/status"), "ignoreFields"),
			   "uptime"));

	news = json_object_get(p, "new");
	assert_true(listed(json_object_get(news, "GET /api/status"), "uptime"));
	assert_false(listed(json_object_get(news, "GET /api/status"), "pid"));
	assert_true(listed(json_object_get(news, "GET /api/memory/:id/history"), "history.*.note"));
	assert_false(listed(json_object_get(news, "GET /api/memory/:id/history"), "history.*.id"));

	/* a status difference and a non-endpoint feature cannot be masked by ignoreFields */
	un = json_object_get(p, "unmaskable");
	assert_int_equal(json_array_size(un), 2);
	assert_string_equal(t_str_at(un, 0, "kind"), "status");
	assert_string_equal(t_str_at(un, 1, "feature"), "db: memories after write");

	c = json_object_get(p, "calibration");
	assert_int_equal(json_integer_value(json_object_get(c, "rows")), 7);
	assert_int_equal(json_integer_value(json_object_get(c, "rows_differing")), 5);
	assert_int_equal(json_integer_value(json_object_get(c, "patterns")), 4);
	assert_int_equal(json_integer_value(json_object_get(c, "new_patterns")), 2);
	assert_string_equal(json_string_value(json_object_get(c, "runtime")), "refd");

	/* the proposal is a rules file in the upstream format: it loads as it is */
	assert_int_equal(ph_rules_from_json(&loaded, p, "proposed-rules.json", &err), 0);
	assert_int_equal(ph_rules_find(loaded, "GET /api/status")->n_ignore, 2);
	ph_rules_free(loaded);

	/* without rules in force, every pattern is new */
	json_decref(p);
	p = ph_calibrate_propose(m, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "calibration"),
							    "new_patterns")),
			 4);
	json_decref(p);
	ph_rules_free(current);
	json_decref(m);
}

T_MAIN(setup, t_dir_teardown, cmocka_unit_test(patterns), cmocka_unit_test(candidate_is_reference),
       cmocka_unit_test(rules_lose_their_masks_only), cmocka_unit_test(proposal))
