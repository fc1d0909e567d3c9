/*
 * What the comparison tests (test_compare.c, test_compare_rules.c, test_rules.c) share:
 * rules from inline JSON, responses made of a status and a body, one comparison under
 * rules for an endpoint, and the checks on its result (parity, or exactly one divergence
 * of a class and kind at a path). The built-in rules are the group state t_builtin_setup
 * makes, for the tests that compare under them.
 */
#ifndef PARITY_TEST_SUPPORT_COMPARE_H
#define PARITY_TEST_SUPPORT_COMPARE_H

#include "compare/compare.h"
#include "compare/rules.h"

/* Rules from inline JSON text (named rules.json); fails the test when they do not load. */
struct ph_rules *t_rules_of(const char *text);

/*
 * t_rules_of for one test: the rules are its state, which the per-test teardown
 * t_rules_teardown frees.
 */
struct ph_rules *t_rules_in(void **state, const char *text);
int t_rules_teardown(void **state);

/* A response of this status and body (borrowed), latency unknown. */
struct ph_response t_resp(long status, const char *body);

/* Compare body a (status sa) with body b (status sb) under rules for endpoint into res. */
void t_cmp_status(struct ph_rules *rules, const char *endpoint, long sa, const char *a, long sb,
		  const char *b, struct ph_result *res);

/* t_cmp_status with both statuses 200. */
void t_cmp(struct ph_rules *rules, const char *endpoint, const char *a, const char *b,
	   struct ph_result *res);

/* The divergence of res at path, or NULL. */
const struct ph_divergence *t_at(const struct ph_result *res, const char *path);

/* res holds exactly one divergence, of class cls and kind at path; its verdict is cls. */
void t_expect_one(const struct ph_result *res, enum ph_class cls, const char *kind,
		  const char *path);

/* res holds no divergence; its verdict is parity. */
void t_expect_parity(const struct ph_result *res);

/*
 * Compare a and b (statuses sa, sb) under rules for endpoint and check the result: parity
 * when kind is NULL, else exactly one divergence of class cls and kind at path.
 */
void t_expect_status(struct ph_rules *rules, const char *endpoint, long sa, const char *a, long sb,
		     const char *b, enum ph_class cls, const char *kind, const char *path);

/* t_expect_status with both statuses 200. */
void t_expect_cmp(struct ph_rules *rules, const char *endpoint, const char *a, const char *b,
		  enum ph_class cls, const char *kind, const char *path);

/*
 * Compare a and b under fresh built-in rules for "GET /x": parity, or exactly one
 * divergence of class cls and kind at path.
 */
void t_builtin_parity(const char *a, const char *b);
void t_builtin_one(const char *a, const char *b, enum ph_class cls, const char *kind,
		   const char *path);

/* cmocka group setup and teardown: *state is the built-in rules (ph_rules_builtin). */
int t_builtin_setup(void **state);
int t_builtin_teardown(void **state);

#endif
