/*
 * The schema tests' shared helpers (support_schema.h): schemas from SQL, their
 * differences, and the checks on a list of differences.
 */
#include "support_schema.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "parity/jsonio.h"
#include "schema/schema.h"

json_t *t_schema_of(const char *sql)
{
	sqlite3 *db = NULL;
	struct ph_err err = {0};
	json_t *model = NULL;
	char *emsg = NULL;

	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	if (sqlite3_exec(db, sql, NULL, NULL, &emsg) != SQLITE_OK)
		fail_msg("test sql failed: %s", emsg);
	assert_int_equal(ph_schema_extract(db, "test", &model, &err), 0);
	sqlite3_close(db);
	return model;
}

json_t *t_diff_sql(const char *a, const char *b)
{
	json_t *sa = t_schema_of(a), *sb = t_schema_of(b), *diffs = NULL;
	struct ph_err err = {0};

	assert_int_equal(ph_schema_diff(sa, sb, &diffs, &err), 0);
	json_decref(sa);
	json_decref(sb);
	return diffs;
}

const json_t *t_find_diff(const json_t *diffs, const char *kind, const char *table,
			  const char *name)
{
	const json_t *d;
	size_t i;

	json_array_foreach((json_t *)diffs, i, d)
	{
		const json_t *n = json_object_get(d, "name");

		if (!strcmp(json_string_value(json_object_get(d, "kind")), kind) &&
		    !strcmp(json_string_value(json_object_get(d, "table")), table) &&
		    (name ? json_is_string(n) && !strcmp(json_string_value(n), name)
			  : json_is_null(n)))
			return d;
	}
	return NULL;
}

void t_dump_diffs(const json_t *diffs)
{
	char *s = ph_json_dump_pretty(diffs);

	print_message("%s", s ? s : "?");
	free(s);
}

void t_assert_only(json_t *diffs, const char *kind, const char *table, const char *name,
		   const char *cls)
{
	const json_t *d = t_find_diff(diffs, kind, table, name);

	if (json_array_size(diffs) != 1 || !d)
		t_dump_diffs(diffs);
	assert_int_equal(json_array_size(diffs), 1);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "class")), cls);
	json_decref(diffs);
}

void t_assert_same(json_t *diffs)
{
	if (json_array_size(diffs))
		t_dump_diffs(diffs);
	assert_int_equal(json_array_size(diffs), 0);
	assert_int_equal(ph_schema_verdict(diffs), PH_PARITY);
	json_decref(diffs);
}

int t_shadow_noise(const json_t *diffs)
{
	static const char *suffixes[] = {
	    "_data", "_idx",	"_docsize", "_config",		"_content",
	    "_info", "_chunks", "_rowids",  "_vector_chunks00", NULL};
	const json_t *d;
	size_t i, s;

	json_array_foreach((json_t *)diffs, i, d)
	{
		const char *t = json_string_value(json_object_get(d, "table"));
		size_t tl = strlen(t);

		if (!strcmp(t, "sqlite_sequence") || strstr(t, "sqlite_"))
			return 1;
		for (s = 0; suffixes[s]; s++) {
			size_t sl = strlen(suffixes[s]);

			if (tl > sl && !strcmp(t + tl - sl, suffixes[s]))
				return 1;
		}
	}
	return 0;
}
