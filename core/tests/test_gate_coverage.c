/*
 * Unit tests of the gate's route coverage minimums (--min-coverage): the spec and its bad
 * forms, a ratio below its minimum blocking with the detail that says by how much, a
 * minimum met as a note, and a matrix without coverage as insufficient evidence.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "gate/gate.h"

#include "support.h"

static void spec(void **state)
{
	static const char *const bad[] = {
	    "", "body", "body=", "=0.5", "body=0.5,", ",body=0.5", "body=0.5,,state=1",
	    "body=1.01", "body=-0.1", "body=x", "body=0.5x", "none=0.5", "deep=0.5",
	    "body=0.5,body=0.6", "body=nan", "body=0.5 ",
	};
	double mins[PH_DEPTH_COUNT];
	struct ph_err err;
	size_t i;

	(void)state;
	assert_int_equal(ph_gate_coverage_spec("body=0.8,state=0.5", mins, &err), 0);
	assert_true(mins[PH_DEPTH_NONE] < 0 && mins[PH_DEPTH_STATUS] < 0);
	assert_true(mins[PH_DEPTH_BODY] == 0.8 && mins[PH_DEPTH_STATE] == 0.5);
	assert_int_equal(ph_gate_coverage_spec("status=0,body=1,state=.25", mins, &err), 0);
	assert_true(mins[PH_DEPTH_STATUS] == 0 && mins[PH_DEPTH_BODY] == 1 &&
		    mins[PH_DEPTH_STATE] == 0.25);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ph_err_clear(&err);
		if (ph_gate_coverage_spec(bad[i], mins, &err) != PH_E_USAGE)
			fail_msg("'%s' was accepted", bad[i]);
		assert_non_null(strstr(err.msg, "--min-coverage"));
		assert_non_null(strstr(err.msg, bad[i]));
	}
}

/* A matrix whose coverage ratios are status, body, state (coverage null when < 0). */
static json_t *matrix(double status, double body, double state)
{
	json_t *m = json_pack("{s:s}", "schema", "parity-matrix/1");

	if (status < 0)
		json_object_set_new(m, "coverage", json_null());
	else
		json_object_set_new(
		    m, "coverage",
		    json_pack("{s:s, s:i, s:{s:f, s:f, s:f}}", "source", "${X}/r.json", "routes",
			      323, "ratio", "status", status, "body", body, "state", state));
	return m;
}

/* Evaluate mins over the matrices; g is released by the caller. */
static void evaluate(struct ph_gate *g, json_t **mats, const char **names, size_t n,
		     const char *spec_text)
{
	struct ph_gate_input in = {.matrices = mats, .matrix_names = names, .n_matrices = n};
	double mins[PH_DEPTH_COUNT];
	struct ph_err err;

	memset(g, 0, sizeof(*g));
	g->reasons = json_array();
	g->notes = json_array();
	assert_int_equal(ph_gate_coverage_spec(spec_text, mins, &err), 0);
	assert_int_equal(ph_gate_coverage(g, &in, mins, &err), 0);
}

/* The detail of the i-th entry of list, whose kind must be kind. */
static const char *detail(const json_t *list, size_t i, const char *kind)
{
	assert_string_equal(t_str_at(list, i, "kind"), kind);
	return t_str_at(list, i, "detail");
}

static void minimums(void **state)
{
	const char *names[] = {"a.json", "b.json"};
	json_t *mats[2];
	struct ph_gate g;

	(void)state;
	/* met: notes only, the gate stays as it was */
	mats[0] = matrix(0.9, 0.8, 0.5);
	evaluate(&g, mats, names, 1, "body=0.8,state=0.5");
	assert_int_equal(g.verdict, PH_GATE_PASS);
	assert_int_equal(json_array_size(g.reasons), 0);
	assert_string_equal(detail(g.notes, 0, "coverage"),
			    "a.json: body 0.80 >= 0.80 (route_list ${X}/r.json)");
	assert_string_equal(detail(g.notes, 1, "coverage"),
			    "a.json: state 0.50 >= 0.50 (route_list ${X}/r.json)");
	ph_gate_release(&g);

	/* below: blocked, one reason per ratio missed, the others notes */
	mats[1] = matrix(0.3, 0.2, 0.12);
	evaluate(&g, mats, names, 2, "status=0.25,state=0.5");
	assert_int_equal(g.verdict, PH_GATE_BLOCKED);
	assert_int_equal(json_array_size(g.reasons), 1);
	assert_string_equal(detail(g.reasons, 0, "coverage"),
			    "b.json: state 0.12 < 0.50 (route_list ${X}/r.json)");
	assert_string_equal(t_str_at(g.reasons, 0, "effect"), "blocked");
	assert_int_equal(json_array_size(g.notes), 3);
	ph_gate_release(&g);
	json_decref(mats[1]);

	/* two decimals that would look equal get four */
	mats[1] = matrix(0.4999, 0.4999, 0.4999);
	evaluate(&g, mats + 1, names + 1, 1, "body=0.5");
	assert_string_equal(detail(g.reasons, 0, "coverage"),
			    "b.json: body 0.4999 < 0.5000 (route_list ${X}/r.json)");
	ph_gate_release(&g);
	json_decref(mats[1]);

	/* no coverage: insufficient, whatever the others say */
	mats[1] = matrix(-1, 0, 0);
	json_object_del(mats[0], "coverage");
	evaluate(&g, mats, names, 2, "status=0.1");
	assert_int_equal(g.verdict, PH_GATE_INSUFFICIENT);
	assert_int_equal(json_array_size(g.reasons), 2);
	assert_non_null(strstr(detail(g.reasons, 1, "coverage-missing"), "b.json: coverage "));
	assert_string_equal(t_str_at(g.reasons, 1, "effect"), "insufficient");
	ph_gate_release(&g);

	/* no minimum set: nothing at all */
	memset(&g, 0, sizeof(g));
	g.reasons = json_array();
	g.notes = json_array();
	{
		struct ph_gate_input in = {
		    .matrices = mats, .matrix_names = names, .n_matrices = 2};
		struct ph_err err;

		assert_int_equal(ph_gate_coverage(&g, &in, NULL, &err), 0);
	}
	assert_int_equal(json_array_size(g.reasons) + json_array_size(g.notes), 0);
	ph_gate_release(&g);
	json_decref(mats[0]);
	json_decref(mats[1]);
}

T_MAIN(NULL, NULL, cmocka_unit_test(spec), cmocka_unit_test(minimums))
