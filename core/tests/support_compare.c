/*
 * The comparison tests' shared helpers (support_compare.h): rules from text, one
 * comparison, the checks on its result, the built-in rules as a group state.
 */
#include "support_compare.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

struct ph_rules *t_rules_of(const char *text)
{
	json_error_t je;
	json_t *doc = json_loads(text, 0, &je);
	struct ph_rules *r = NULL;
	struct ph_err err = {0, ""};

	if (!doc)
		fail_msg("bad test JSON: %s", je.text);
	if (ph_rules_from_json(&r, doc, "rules.json", &err))
		fail_msg("rules did not load: %s", err.msg);
	json_decref(doc);
	return r;
}

struct ph_rules *t_rules_in(void **state, const char *text)
{
	*state = t_rules_of(text);
	return *state;
}

int t_rules_teardown(void **state)
{
	ph_rules_free(*state);
	return 0;
}

struct ph_response t_resp(long status, const char *body)
{
	struct ph_response r;

	memset(&r, 0, sizeof(r));
	r.status = status;
	r.body = (char *)body;
	r.body_len = body ? strlen(body) : 0;
	r.latency_ms = -1;
	return r;
}

void t_cmp_status(struct ph_rules *rules, const char *endpoint, long sa, const char *a, long sb,
		  const char *b, struct ph_result *res)
{
	struct ph_response ra = t_resp(sa, a), rb = t_resp(sb, b);
	struct ph_err err = {0, ""};

	if (ph_compare_responses(rules, endpoint, &ra, &rb, NULL, res, &err))
		fail_msg("compare failed: %s", err.msg);
}

void t_cmp(struct ph_rules *rules, const char *endpoint, const char *a, const char *b,
	   struct ph_result *res)
{
	t_cmp_status(rules, endpoint, 200, a, 200, b, res);
}

const struct ph_divergence *t_at(const struct ph_result *res, const char *path)
{
	const struct ph_divergence *d = res->items, *end = res->items + res->count;

	while (d < end && strcmp(d->path, path))
		d++;
	return d < end ? d : NULL;
}

void t_expect_one(const struct ph_result *res, enum ph_class cls, const char *kind,
		  const char *path)
{
	if (res->count != 1) {
		size_t i;

		for (i = 0; i < res->count; i++)
			print_message("  %s %s %s: %s\n", ph_class_name(res->items[i].cls),
				      res->items[i].kind, res->items[i].path,
				      res->items[i].message);
		fail_msg("expected exactly one divergence, got %zu", res->count);
	}
	assert_string_equal(res->items[0].kind, kind);
	assert_int_equal(res->items[0].cls, cls);
	assert_string_equal(res->items[0].path, path);
	assert_int_equal(res->verdict, cls);
}

void t_expect_parity(const struct ph_result *res)
{
	if (res->count) {
		print_message("first: %s %s %s\n", res->items[0].kind, res->items[0].path,
			      res->items[0].message);
		fail_msg("expected parity, got %zu divergences", res->count);
	}
	assert_int_equal(res->verdict, PH_PARITY);
}

void t_expect_status(struct ph_rules *rules, const char *endpoint, long sa, const char *a, long sb,
		     const char *b, enum ph_class cls, const char *kind, const char *path)
{
	struct ph_result res;

	t_cmp_status(rules, endpoint, sa, a, sb, b, &res);
	if (kind)
		t_expect_one(&res, cls, kind, path);
	else
		t_expect_parity(&res);
	ph_result_release(&res);
}

void t_expect_cmp(struct ph_rules *rules, const char *endpoint, const char *a, const char *b,
		  enum ph_class cls, const char *kind, const char *path)
{
	t_expect_status(rules, endpoint, 200, a, 200, b, cls, kind, path);
}

void t_builtin_parity(const char *a, const char *b)
{
	t_builtin_one(a, b, PH_PARITY, NULL, NULL);
}

void t_builtin_one(const char *a, const char *b, enum ph_class cls, const char *kind,
		   const char *path)
{
	struct ph_rules *r = ph_rules_builtin();

	t_expect_cmp(r, "GET /x", a, b, cls, kind, path);
	ph_rules_free(r);
}

int t_builtin_setup(void **state)
{
	*state = ph_rules_builtin();
	return *state ? 0 : -1;
}

int t_builtin_teardown(void **state)
{
	ph_rules_free(*state);
	return 0;
}
