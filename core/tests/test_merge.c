/*
 * Unit tests of merging sharded matrices: disjoint shards combine into a valid matrix
 * with recomputed counts and verdict, an identical domain in two shards is accepted once,
 * a conflicting one and disagreeing runtimes are refused with both files named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "run/config.h"
#include "matrix/matrix.h"
#include "matrix/merge.h"

#include "support.h"

static void add_row(json_t *m, const char *domain, const char *feature, enum ph_class cls)
{
	struct ph_row row = {feature, "c", "200", cls, NULL, 2.0, 1.0, NULL};
	struct ph_err err;

	assert_int_equal(ph_matrix_add_row(m, domain, &row, &err), 0);
}

static json_t *shard(const char *cand_version, const char *const *domains, size_t n)
{
	json_t *m = ph_matrix_new("js", "0.109.15", "rust", cand_version);
	size_t i;

	for (i = 0; i < n; i++)
		add_row(m, domains[i], "GET /health", PH_PARITY);
	ph_matrix_finish(m);
	return m;
}

/* Merging the n shards is refused, with a message naming each string of want. */
static void expect_refused(json_t **mats, const char **names, size_t n, const char *const *want)
{
	json_t *out = NULL;
	struct ph_err err;

	assert_int_equal(ph_merge_matrices(&out, mats, names, n, &err), PH_E_INVALID);
	assert_null(out);
	for (; *want; want++)
		assert_true(strstr(err.msg, *want) != NULL);
}

static void test_disjoint(void **state)
{
	static const char *const a_dom[] = {"secrets", "read"};
	static const char *const b_dom[] = {"schema", "write"};
	json_t *mats[2], *out = NULL, *d;
	const char *names[] = {"a/matrix.json", "b/matrix.json"};
	struct ph_err err;

	(void)state;
	mats[0] = shard("0.82.5", a_dom, 2);
	mats[1] = shard("0.82.5", b_dom, 2);
	add_row(mats[1], "write", "POST /api/memory/remember", PH_STRUCTURAL);
	/* stale counts in the input must not survive: finish is not called on b again */
	json_object_set_new(mats[0], "metrics", json_pack("{s:i}", "rss_kb", 10));
	json_object_set_new(mats[1], "metrics", json_pack("{s:i, s:i}", "rss_kb", 20, "x", 1));
	assert_int_equal(ph_merge_matrices(&out, mats, names, 2, &err), 0);
	assert_int_equal(ph_matrix_validate(out, "merged", &err), 0);
	d = json_object_get(out, "domains");
	assert_int_equal(json_array_size(d), 4);
	/* canonical order: schema read write ... secrets */
	t_assert_strs_at(d, "domain", T_LIST("schema", "read", "write", "secrets"));
	/* counts and status recomputed, verdict the worst */
	assert_int_equal(json_integer_value(json_object_get(
			     json_object_get(json_array_get(d, 2), "counts"), "structural")),
			 1);
	assert_string_equal(t_str_at(d, 2, "status"), "diverge");
	assert_string_equal(t_str(out, "verdict"), "structural");
	/* metrics: union, the first input wins */
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(out, "metrics"), "rss_kb")), 10);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "metrics"), "x")),
			 1);
	/* inputs untouched */
	assert_int_equal(json_array_size(json_object_get(mats[0], "domains")), 2);
	json_decref(out);
	json_decref(mats[0]);
	json_decref(mats[1]);
}

static void test_same_domain(void **state)
{
	static const char *const a_dom[] = {"read", "mcp"};
	static const char *const b_dom[] = {"mcp"};
	json_t *mats[2], *out = NULL;
	const char *names[] = {"shard-1.json", "shard-2.json"};
	struct ph_err err;

	(void)state;
	mats[0] = shard("0.82.5", a_dom, 2);
	mats[1] = shard("0.82.5", b_dom, 1);
	/* identical: fine, kept once */
	assert_int_equal(ph_merge_matrices(&out, mats, names, 2, &err), 0);
	assert_int_equal(json_array_size(json_object_get(out, "domains")), 2);
	json_decref(out);
	/* different: refused, both files named */
	add_row(mats[1], "mcp", "tools/list", PH_SEMANTIC);
	ph_matrix_finish(mats[1]);
	expect_refused(mats, names, 2, T_LIST("'mcp'", "shard-1.json", "shard-2.json"));
	json_decref(mats[0]);
	json_decref(mats[1]);
}

static void test_runtimes_disagree(void **state)
{
	static const char *const a_dom[] = {"read"};
	static const char *const b_dom[] = {"write"};
	json_t *mats[3], *out = NULL;
	const char *names[] = {"one.json", "two.json", "three.json"};
	struct ph_err err;

	(void)state;
	mats[0] = shard("0.82.5", a_dom, 1);
	mats[1] = shard("0.82.5", b_dom, 1);
	mats[2] = shard("0.82.6", b_dom, 1);
	expect_refused(mats, names, 3, T_LIST("one.json", "three.json", "0.82.6"));
	json_decref(mats[2]);
	/* a different reference name */
	mats[2] = ph_matrix_new("ts", "0.109.15", "rust", "0.82.5");
	ph_matrix_finish(mats[2]);
	expect_refused(mats, names, 3, T_LIST("reference"));
	json_decref(mats[0]);
	json_decref(mats[1]);
	json_decref(mats[2]);
	assert_int_equal(ph_merge_matrices(&out, mats, names, 0, &err), PH_E_USAGE);
}

T_MAIN(NULL, NULL, cmocka_unit_test(test_disjoint), cmocka_unit_test(test_same_domain),
       cmocka_unit_test(test_runtimes_disagree))
