/*
 * What the schema tests (test_schema_diff.c, test_schema.c) share: schemas built from SQL
 * in a fresh in-memory database, the differences of two, and the checks on a list of
 * differences (one of a kind and class, none at all, no shadow-table noise). A failed
 * check prints the differences it saw.
 */
#ifndef PARITY_TEST_SUPPORT_SCHEMA_H
#define PARITY_TEST_SUPPORT_SCHEMA_H

#include <jansson.h>

/* The schema model of a fresh in-memory database after running sql (caller decrefs). */
json_t *t_schema_of(const char *sql);

/* The differences between the schemas two SQL scripts build (caller decrefs). */
json_t *t_diff_sql(const char *a, const char *b);

/* The difference of this kind at table.name (name NULL: the table itself), or NULL. */
const json_t *t_find_diff(const json_t *diffs, const char *kind, const char *table,
			  const char *name);

/* Print the differences, for a check about to fail. */
void t_dump_diffs(const json_t *diffs);

/* diffs (stolen) holds exactly one difference, kind at table.name, of class cls. */
void t_assert_only(json_t *diffs, const char *kind, const char *table, const char *name,
		   const char *cls);

/* diffs (stolen) is empty: the schemas are the same. */
void t_assert_same(json_t *diffs);

/* Whether diffs names sqlite_sequence, an sqlite_ table or an FTS/vec0 shadow table. */
int t_shadow_noise(const json_t *diffs);

#endif
