/*
 * Unit tests of the timing rule and the "timing" parser (compare/timing.h): the rule's
 * edges (0 ms, floor 0, equal latencies, a ratio exactly at its bound, an infinite
 * bound), the comparison engine and the shadow reader agreeing with it everywhere on a
 * grid, and the config loader and the shadow reader reading one "timing" block alike.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "compare/compare.h"
#include "compare/timing.h"
#include "run/config.h"
#include "shadow/shadow.h"

#include "support.h"

/* One input of the rule and the verdict DESIGN.md asks for. */
struct edge {
	double a, b;
	struct ph_timing t;
	int timing;
	const char *why;
};

#define DEF 2.0, 100.0, 5.0

static void test_rule_edges(void **state)
{
	static const struct edge edges[] = {
		{0, 0, {DEF}, 0, "equal, under the floor"},
		{0, 0, {2.0, 100.0, 0.0}, 0, "0 vs 0 with floor 0: equal latencies do not differ"},
		{0, 0, {2.0, 0.0, 0.0}, 0, "0 vs 0: no difference is above delta 0"},
		{7, 7, {2.0, 100.0, 0.0}, 0, "equal, floor 0"},
		{0, 0, {0.5, 100.0, 0.0}, 1, "0 vs 0 has the ratio 1, as 7 vs 7 has"},
		{7, 7, {0.5, 100.0, 0.0}, 1, "equal: ratio 1 is above a bound of 0.5"},
		{0, 4, {DEF}, 0, "against 0 ms, under the floor"},
		{0, 5, {DEF}, 1, "a difference at the floor is not under it: infinite ratio"},
		{0, 6, {DEF}, 1, "against 0 ms the ratio is infinite"},
		{0, 0.5, {2.0, 100.0, 0.0}, 1, "against 0 ms, floor 0"},
		{0, 6, {INFINITY, 100.0, 5.0}, 0, "an infinite ratio bound admits every ratio"},
		{0, 101, {INFINITY, 100.0, 5.0}, 1, "... but not a delta above delta_ms"},
		{10, 20, {DEF}, 0, "ratio exactly at the bound is not more than it"},
		{20, 10, {DEF}, 0, "either order"},
		{10, 20.5, {DEF}, 1, "ratio just above the bound"},
		{300, 400, {DEF}, 0, "delta exactly at delta_ms is not more than it"},
		{300, 400.5, {DEF}, 1, "delta just above delta_ms"},
		{1, 4, {DEF}, 0, "ratio 4 under the floor"},
		{38, 7, {DEF}, 1, "ratio 5.4"},
		{300, 390, {DEF}, 0, "ratio 1.3, delta 90"},
		{NAN, 10, {DEF}, 0, "no latency is no divergence"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		const struct edge *e = &edges[i];

		if (ph_timing_diverges(&e->t, e->a, e->b) != e->timing)
			fail_msg("%g vs %g (ratio %g, delta %g, floor %g): expected %s (%s)", e->a,
				 e->b, e->t.ratio, e->t.delta_ms, e->t.floor_ms,
				 e->timing ? "timing" : "no timing", e->why);
		if (ph_timing_diverges(&e->t, e->b, e->a) != e->timing)
			fail_msg("%g vs %g swapped: expected the same verdict (%s)", e->a, e->b,
				 e->why);
	}
}

/* Does the engine find a timing divergence between latencies a and b under t? */
static int engine_says(struct ph_rules *rules, const struct ph_timing *t, double a, double b)
{
	struct ph_response ra, rb;
	struct ph_result res;
	struct ph_err err;
	int timing;

	memset(&ra, 0, sizeof(ra));
	memset(&rb, 0, sizeof(rb));
	ra.status = rb.status = 200;
	ra.body = rb.body = "{}";
	ra.body_len = rb.body_len = 2;
	ra.latency_ms = a;
	rb.latency_ms = b;
	assert_int_equal(ph_compare_responses(rules, "GET /x", &ra, &rb, t, &res, &err), 0);
	timing = res.verdict == PH_TIMING;
	ph_result_release(&res);
	return timing;
}

/* Does the shadow reader count a Rust proxy line with latencies a and b as timing? */
static int shadow_says(const struct ph_timing *t, double a, double b)
{
	struct ph_shadow s;
	struct ph_shadow_pos at = {0, 1};
	char line[512];
	int timing;

	snprintf(line, sizeof(line),
		 "{\"timestamp\": \"2026-05-01T00:00:00Z\", \"endpoint\": \"GET /x\", "
		 "\"primaryStatus\": 200, \"shadowStatus\": 200, \"primaryLatencyMs\": %.17g, "
		 "\"shadowLatencyMs\": %.17g, \"divergences\": []}",
		 a, b);
	ph_shadow_init(&s, NULL, t);
	assert_int_equal(ph_shadow_add_line(&s, "grid", at, line, strlen(line)), 0);
	assert_int_equal(s.entries, 1);
	timing = ph_shadow_totals(&s).timing == 1;
	ph_shadow_release(&s);
	return timing;
}

static void test_engine_and_shadow_agree(void **state)
{
	static const double lat[] = {0,  0.5, 1,   4,   5,   6,   7,   10,
				     20, 21,  38, 100, 101, 300, 400, 401};
	static const struct ph_timing ts[] = {
		{DEF}, {2.0, 100.0, 0.0}, {0.5, 100.0, 0.0}, {1.0, 0.0, 0.0}, {3.0, 1000.0, 5.0},
		{INFINITY, 100.0, 5.0}, {INFINITY, 1000.0, 0.0},
	};
	struct ph_rules *rules = ph_rules_builtin();
	size_t i, j, k;

	(void)state;
	assert_non_null(rules);
	for (k = 0; k < sizeof(ts) / sizeof(ts[0]); k++)
		for (i = 0; i < sizeof(lat) / sizeof(lat[0]); i++)
			for (j = 0; j < sizeof(lat) / sizeof(lat[0]); j++) {
				int rule = ph_timing_diverges(&ts[k], lat[i], lat[j]);

				if (engine_says(rules, &ts[k], lat[i], lat[j]) != rule ||
				    shadow_says(&ts[k], lat[i], lat[j]) != rule)
					fail_msg("%g vs %g (ratio %g, delta %g, floor %g): the "
						 "engine or the shadow reader disagrees with the "
						 "rule (%d)",
						 lat[i], lat[j], ts[k].ratio, ts[k].delta_ms,
						 ts[k].floor_ms, rule);
			}
	ph_rules_free(rules);
}

/* Parse text's "timing" over the defaults; returns the code, err filled. */
static int parse(const char *text, struct ph_timing *t, struct ph_timing_confirm *c,
		 struct ph_err *err)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	int rc;

	if (!doc)
		fail_msg("test input is not JSON: %s", je.text);
	*t = PH_TIMING_DEFAULT;
	if (c)
		*c = PH_TIMING_CONFIRM_DEFAULT;
	ph_err_clear(err);
	rc = ph_timing_parse(doc, "cfg.json", t, c, err);
	json_decref(doc);
	return rc;
}

static void test_parse(void **state)
{
	static const struct {
		const char *text, *msg;
	} bad[] = {
		{"{\"timing\": 3}", "cfg.json: timing: expected an object"},
		{"{\"timing\": null}", "cfg.json: timing: expected an object"},
		{"{\"timing\": {\"ratio\": \"2\"}}",
		 "cfg.json: timing.ratio: expected a non-negative number"},
		{"{\"timing\": {\"delta_ms\": -1}}",
		 "cfg.json: timing.delta_ms: expected a non-negative number"},
		{"{\"timing\": {\"floor_ms\": true}}",
		 "cfg.json: timing.floor_ms: expected a non-negative number"},
		{"{\"timing\": {\"samples\": 101}}",
		 "cfg.json: timing.samples: expected an integer from 0 to 100"},
		{"{\"timing\": {\"samples\": 2.5}}",
		 "cfg.json: timing.samples: expected an integer from 0 to 100"},
		{"{\"timing\": {\"alpha\": 1}}",
		 "cfg.json: timing.alpha: expected a number between 0 and 1"},
	};
	struct ph_timing t;
	struct ph_timing_confirm c;
	struct ph_err err;
	size_t i;

	(void)state;
	/* absent keys keep what the caller set */
	assert_int_equal(parse("{}", &t, &c, &err), 0);
	assert_true(t.ratio == 2.0 && t.delta_ms == 100.0 && t.floor_ms == 5.0);
	assert_true(c.samples == 5 && c.alpha == 0.01);
	assert_int_equal(parse("[1]", &t, &c, &err), 0);
	assert_int_equal(parse("{\"timing\": {\"ratio\": 3, \"floor_ms\": 0, \"samples\": 0, "
			       "\"alpha\": 0.05}}",
			       &t, &c, &err),
			 0);
	assert_true(t.ratio == 3.0 && t.delta_ms == 100.0 && t.floor_ms == 0.0);
	assert_true(c.samples == 0 && c.alpha == 0.05);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(bad[i].text, &t, &c, &err), PH_E_INVALID);
		assert_string_equal(err.msg, bad[i].msg);
	}
	/* without confirm, "samples" and "alpha" are not read: a shadow log has no samples */
	assert_int_equal(parse("{\"timing\": {\"ratio\": 4, \"samples\": \"x\"}}", &t, NULL, &err),
			 0);
	assert_true(t.ratio == 4.0);
}

#define RUNTIMES                                                                           \
	"\"runtimes\": {\"reference\": {\"name\": \"a\", \"command\": [\"x\"]},"           \
	"\"candidate\": {\"name\": \"b\", \"command\": [\"y\"]}}"

/* parity.json's "timing" read by `parity run` and by `parity shadow-report --config`. */
static void test_config_and_shadow_read_alike(void **state)
{
	static const char *const blocks[] = {
		"{\"ratio\": 3.5, \"delta_ms\": 50, \"floor_ms\": 0}",
		"{\"floor_ms\": 2}",
		"{\"ratio\": -2}",
		"{\"delta_ms\": \"x\"}",
		"[]",
	};
	char path[] = "/tmp/parity-test-timing-XXXXXX";
	int fd = mkstemp(path);
	size_t i;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	for (i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		struct ph_timing t = PH_TIMING_DEFAULT;
		struct ph_err e1 = {0, ""}, e2 = {0, ""};
		struct ph_config cfg;
		int rc1, rc2;
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fprintf(f, "{" RUNTIMES ", \"timing\": %s}", blocks[i]);
		fclose(f);
		rc1 = ph_config_load(&cfg, path, &e1);
		rc2 = ph_shadow_timing_from_config(path, &t, &e2);
		assert_int_equal(rc1, rc2);
		assert_string_equal(e1.msg, e2.msg);
		if (!rc1)
			assert_true(t.ratio == cfg.timing.ratio &&
				    t.delta_ms == cfg.timing.delta_ms &&
				    t.floor_ms == cfg.timing.floor_ms);
		ph_config_release(&cfg);
	}
	unlink(path);
}

T_MAIN(NULL, NULL, cmocka_unit_test(test_rule_edges),
       cmocka_unit_test(test_engine_and_shadow_agree), cmocka_unit_test(test_parse),
       cmocka_unit_test(test_config_and_shadow_read_alike))
