/*
 * Unit tests of suite loading: files in name order, cases annotated with their file, and
 * bad suite files reported with the file and the case index.
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

#include "parity/suite.h"
#include "run/workspace.h"

#include "support.h"

static void put(const char *rel, const char *text)
{
	t_write_in(t_dir, rel, text);
}

static void loads_in_order(void **state)
{
	struct ph_err err;
	json_t *cases;

	(void)state;
	put("b.json", "{\"cases\": [{\"name\": \"b1\"}, {\"name\": \"b2\"}]}");
	put("a.json", "{\"cases\": [{\"name\": \"a1\", \"method\": \"GET\"}]}");
	put("notes.txt", "not a suite");
	assert_int_equal(ph_suite_load_dir(t_dir, &cases, &err), 0);
	assert_int_equal(json_array_size(cases), 3);
	assert_string_equal(t_str_at(cases, 0, "name"), "a1");
	assert_string_equal(t_str_at(cases, 0, "file"), "a.json");
	assert_string_equal(t_str_at(cases, 2, "name"), "b2");
	json_decref(cases);
}

static void expect_bad(const char *text, const char *fragment)
{
	struct ph_err err;
	json_t *cases;

	put("z.json", text);
	ph_err_clear(&err);
	assert_true(ph_suite_load_dir(t_dir, &cases, &err) < 0);
	assert_null(cases);
	if (!strstr(err.msg, "z.json") || !strstr(err.msg, fragment))
		fail_msg("message '%s' lacks 'z.json' or '%s'", err.msg, fragment);
}

static void bad_suites(void **state)
{
	struct ph_err err;
	json_t *cases;

	(void)state;
	expect_bad("{\"cases\": [", ":1:");
	expect_bad("[]", "expected an object");
	expect_bad("{\"cases\": [{\"name\": \"x\"}, {\"nom\": \"y\"}]}", "cases[1]");
	expect_bad("{\"cases\": [{\"name\": \"a1\"}]}", "used twice");
	{
		char p[4096];

		snprintf(p, sizeof(p), "%s/z.json", t_dir);
		unlink(p);
	}
	assert_int_equal(ph_suite_load_dir("/nonexistent/suite", &cases, &err), PH_E_NOTFOUND);
	assert_non_null(strstr(err.msg, "/nonexistent/suite"));
}

T_MAIN(t_dir_setup, t_dir_teardown, cmocka_unit_test(loads_in_order), cmocka_unit_test(bad_suites))
