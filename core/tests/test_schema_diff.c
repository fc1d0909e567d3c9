/*
 * Unit tests of the schema diff (schema.h) on schemas built in the test from SQL: one test
 * per kind of difference and its class (tables, columns, defaults, keys, indexes, foreign
 * keys, triggers, views, virtual tables, migration versions), layout-only changes that
 * must not count, SQL normalisation, and no shadow-table or sqlite_sequence noise. Schemas
 * read from files and folders, `parity verify-schema` and the real TS/Rust pair are
 * test_schema.c's.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"

#include "support_schema.h"

/* The differences between the schemas of base then a, and of base then b. */
static json_t *diff_after(const char *base, const char *a, const char *b)
{
	char sa[512], sb[512];

	snprintf(sa, sizeof(sa), "%s %s", base, a);
	snprintf(sb, sizeof(sb), "%s %s", base, b);
	return t_diff_sql(sa, sb);
}

/*
 * The SQL after a common script on one side and on the other, and the kind of the one
 * difference they make.
 */
struct one_diff {
	const char *a, *b, *kind;
};

/* Each of t after base makes one structural difference at table.name (NULL: the table). */
static void assert_each_only(const char *base, const char *table, const char *name,
			     const struct one_diff *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		t_assert_only(diff_after(base, t[i].a, t[i].b), t[i].kind, table, name,
			      "structural");
}

static const char rich[] =
    "CREATE TABLE parent (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE);"
    "CREATE TABLE child (a TEXT NOT NULL DEFAULT 'x', b INTEGER DEFAULT 0, parent_id "
    "INTEGER REFERENCES parent ON DELETE CASCADE, PRIMARY KEY (a, b)) WITHOUT ROWID;"
    "CREATE INDEX idx_child_b ON child(b DESC, lower(a)) WHERE b > 0;"
    "CREATE VIEW v AS SELECT a, b FROM child WHERE b > 1;"
    "CREATE TRIGGER t_ai AFTER INSERT ON child BEGIN UPDATE parent SET name = 'it''s' "
    "WHERE id = new.parent_id; END;"
    "CREATE VIRTUAL TABLE f USING fts5(a, content='child', tokenize='porter unicode61');"
    "INSERT INTO parent(name) VALUES ('p');";

static void test_self_same(void **state)
{
	(void)state;
	t_assert_same(t_diff_sql(rich, rich));
}

/* Layout, keyword case, identifier quoting and option quoting are not differences. */
static void test_layout_only_same(void **state)
{
	(void)state;
	t_assert_same(t_diff_sql(
	    rich,
	    "create table \"parent\" (id integer primary key autoincrement, name text unique);\n"
	    "create table child (\n  a text not null default 'x',\n  b integer default 0,\n"
	    "  parent_id integer references parent on delete cascade,\n  primary key (a,b)\n"
	    ") without rowid;\n"
	    "create index [idx_child_b] on child (b desc, LOWER( a )) where b>0;\n"
	    "create view v as\n  select a, b\n  from child\n  where b > 1;\n"
	    "create trigger t_ai after insert on child\nbegin\n  -- keep the parent fresh\n"
	    "  update parent set name='it''s' where id=new.parent_id;\nend;\n"
	    "create virtual table f using fts5(a, tokenize = \"porter unicode61\", "
	    "content=child);"));
}

static void test_table_missing_extra(void **state)
{
	static const struct one_diff t[] = {
	    {.a = "CREATE TABLE b(y);", .b = "", .kind = "missing-table"},
	    {.a = "", .b = "CREATE TABLE b(y);", .kind = "extra-table"},
	};

	(void)state;
	assert_each_only("CREATE TABLE a(x);", "b", NULL, t, sizeof(t) / sizeof(t[0]));
	t_assert_only(t_diff_sql("CREATE TABLE a(x);", "CREATE VIEW a AS SELECT 1 AS x;"),
		      "table-type", "a", NULL, "structural");
}

static void test_column_missing_extra(void **state)
{
	(void)state;
	t_assert_only(t_diff_sql("CREATE TABLE t(a, b TEXT);", "CREATE TABLE t(a);"),
		      "missing-column", "t", "b", "structural");
	t_assert_only(t_diff_sql("CREATE TABLE t(a);", "CREATE TABLE t(a, b TEXT);"),
		      "extra-column", "t", "b", "structural");
}

static void test_column_type_notnull(void **state)
{
	(void)state;
	t_assert_only(t_diff_sql("CREATE TABLE t(a TEXT);", "CREATE TABLE t(a INTEGER);"),
		      "column-type", "t", "a", "structural");
	t_assert_same(
	    t_diff_sql("CREATE TABLE t(a VARCHAR(10));", "CREATE TABLE t(a varchar( 10 ));"));
	t_assert_only(t_diff_sql("CREATE TABLE t(a TEXT);", "CREATE TABLE t(a TEXT NOT NULL);"),
		      "column-notnull", "t", "a", "structural");
}

static void test_table_options_hidden(void **state)
{
	(void)state;
	t_assert_only(t_diff_sql("CREATE TABLE t(a TEXT NOT NULL PRIMARY KEY, b);",
				 "CREATE TABLE t(a TEXT NOT NULL PRIMARY KEY, b) WITHOUT ROWID;"),
		      "table-options", "t", NULL, "structural");
	t_assert_only(t_diff_sql("CREATE TABLE t(a INT, b INT);",
				 "CREATE TABLE t(a INT, b INT AS (a + 1) STORED);"),
		      "column-hidden", "t", "b", "structural");
}

static void test_primary_key(void **state)
{
	json_t *diffs;
	const json_t *d;

	(void)state;
	diffs = t_diff_sql("CREATE TABLE t(a TEXT, b TEXT, PRIMARY KEY (b, a));",
			   "CREATE TABLE t(a TEXT, b TEXT, PRIMARY KEY (a, b));");
	d = t_find_diff(diffs, "primary-key", "t", NULL);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "a"), 0)), "b");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "b"), 0)), "a");
	t_assert_only(diffs, "primary-key", "t", NULL, "structural");
	t_assert_only(
	    t_diff_sql("CREATE TABLE t(a TEXT PRIMARY KEY, b);", "CREATE TABLE t(a TEXT, b);"),
	    "primary-key", "t", NULL, "structural");
}

static void test_defaults(void **state)
{
	json_t *diffs;
	const json_t *d;

	(void)state;
	/* DEFAULT NULL (dflt_value 'NULL') and no default (SQL NULL) store the same: one default
	 * spelled two ways is no difference at all */
	diffs = t_diff_sql("CREATE TABLE t(a TEXT DEFAULT NULL);", "CREATE TABLE t(a TEXT);");
	assert_int_equal(json_array_size(diffs), 0);
	json_decref(diffs);
	diffs = t_diff_sql("CREATE TABLE t(a INTEGER DEFAULT 0);",
			   "CREATE TABLE t(a INTEGER DEFAULT '0');");
	assert_int_equal(json_array_size(diffs), 0);
	json_decref(diffs);
	diffs = t_diff_sql("CREATE TABLE t(a REAL DEFAULT 1);",
			   "CREATE TABLE t(a REAL DEFAULT (1.0));");
	assert_int_equal(json_array_size(diffs), 0);
	json_decref(diffs);
	(void)d;
	/* A real change is structural: an insert without the column stores something else. */
	t_assert_only(
	    t_diff_sql("CREATE TABLE t(a TEXT DEFAULT 'default');", "CREATE TABLE t(a TEXT);"),
	    "column-default", "t", "a", "structural");
	t_assert_only(t_diff_sql("CREATE TABLE t(a TEXT DEFAULT 'NULL');",
				 "CREATE TABLE t(a TEXT DEFAULT NULL);"),
		      "column-default", "t", "a", "structural");
	t_assert_only(t_diff_sql("CREATE TABLE t(a TEXT DEFAULT 'A');",
				 "CREATE TABLE t(a TEXT DEFAULT 'a');"),
		      "column-default", "t", "a", "structural");
	t_assert_same(t_diff_sql("CREATE TABLE t(a TEXT DEFAULT (datetime('now')));",
				 "CREATE TABLE t(a TEXT DEFAULT (DATETIME( 'now' )));"));
}

static void test_column_order(void **state)
{
	json_t *diffs;
	const json_t *d;

	(void)state;
	diffs = t_diff_sql("CREATE TABLE t(a, b, c);", "CREATE TABLE t(a, c, b);");
	d = t_find_diff(diffs, "column-order", "t", NULL);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "b"), 1)), "c");
	assert_int_equal(ph_schema_verdict(diffs), PH_SEMANTIC);
	t_assert_only(diffs, "column-order", "t", NULL, "semantic");
	/* An extra column alone does not make the shared ones "reordered". */
	t_assert_only(t_diff_sql("CREATE TABLE t(a, b);", "CREATE TABLE t(a, x, b);"),
		      "extra-column", "t", "x", "structural");
}

static void test_indexes(void **state)
{
	/* each after CREATE TABLE t(a, b): a difference of the index t.i */
	/* clang-format off */
	static const struct one_diff t[] = {
	    {.a = "CREATE INDEX i ON t(a);", .b = "", .kind = "missing-index"},
	    {.a = "", .b = "CREATE INDEX i ON t(a);", .kind = "extra-index"},
	    {.a = "CREATE INDEX i ON t(a);", .b = "CREATE UNIQUE INDEX i ON t(a);",
	     .kind = "index-unique"},
	    {.a = "CREATE INDEX i ON t(a, b);", .b = "CREATE INDEX i ON t(b, a);",
	     .kind = "index-columns"},
	    {.a = "CREATE INDEX i ON t(a DESC);", .b = "CREATE INDEX i ON t(a);",
	     .kind = "index-columns"},
	    {.a = "CREATE INDEX i ON t(lower(a));", .b = "CREATE INDEX i ON t(upper(a));",
	     .kind = "index-columns"},
	    {.a = "CREATE INDEX i ON t(a) WHERE a IS NOT NULL;", .b = "CREATE INDEX i ON t(a);",
	     .kind = "index-partial"},
	    {.a = "CREATE INDEX i ON t(a) WHERE b = 'x';",
	     .b = "CREATE INDEX i ON t(a) WHERE b = 'X';", .kind = "index-partial"},
	};
	/* clang-format on */
	json_t *diffs;

	(void)state;
	assert_each_only("CREATE TABLE t(a, b);", "t", "i", t, sizeof(t) / sizeof(t[0]));
	/* UNIQUE constraints are keyed by their columns, not by SQLite's autoindex names. */
	t_assert_same(t_diff_sql("CREATE TABLE t(a, b, c, UNIQUE(a), UNIQUE(b, c));",
				 "CREATE TABLE t(a, b, c, UNIQUE(b, c), UNIQUE(a));"));
	diffs =
	    t_diff_sql("CREATE TABLE t(a, b, UNIQUE(a, b));", "CREATE TABLE t(a, b, UNIQUE(a));");
	assert_int_equal(json_array_size(diffs), 2);
	assert_non_null(t_find_diff(diffs, "missing-index", "t", "unique(a,b)"));
	assert_non_null(t_find_diff(diffs, "extra-index", "t", "unique(a)"));
	json_decref(diffs);
}

static void test_foreign_keys(void **state)
{
	static const char p[] = "CREATE TABLE p(id INTEGER PRIMARY KEY, k TEXT UNIQUE);";
	static const char a[] = "CREATE TABLE c(x REFERENCES p(id));";
	static const char b[] = "CREATE TABLE c(x);";

	(void)state;
	t_assert_only(diff_after(p, a, b), "missing-foreign-key", "c", "(x)->p(id)", "structural");
	t_assert_only(diff_after(p, b, a), "extra-foreign-key", "c", "(x)->p(id)", "structural");
	/* REFERENCES p (implicit primary key) is the same key as REFERENCES p(id). */
	t_assert_same(diff_after(p, a, "CREATE TABLE c(x REFERENCES p);"));
	t_assert_only(diff_after(p, a, "CREATE TABLE c(x REFERENCES p(id) ON DELETE CASCADE);"),
		      "foreign-key-action", "c", "(x)->p(id)", "structural");
}

static void test_triggers(void **state)
{
	static const char base[] = "CREATE TABLE m(content TEXT, n INT); CREATE TABLE log(x TEXT);";
	static const char a[] = "CREATE TRIGGER m_au AFTER UPDATE OF content ON m BEGIN "
				"INSERT INTO log VALUES ('delete'); END;";

	(void)state;
	t_assert_only(diff_after(base, a,
				 "CREATE TRIGGER m_au AFTER UPDATE ON m BEGIN "
				 "INSERT INTO log VALUES ('delete'); END;"),
		      "trigger-sql", "m", "m_au", "structural");
	/* A string literal is compared exactly, outside literals case does not count. */
	t_assert_only(diff_after(base, a,
				 "create trigger M_AU after update of CONTENT on m begin "
				 "insert into LOG values ('DELETE'); end;"),
		      "trigger-sql", "m", "m_au", "structural");
	t_assert_same(diff_after(base, a,
				 "create trigger M_AU after update of CONTENT on m\nbegin\n"
				 "  insert into LOG values ('delete');\nend;"));
	t_assert_only(diff_after(base, a, ""), "missing-trigger", "m", "m_au", "structural");
	t_assert_only(diff_after(base, "", a), "extra-trigger", "m", "m_au", "structural");
}

static void test_views(void **state)
{
	static const struct one_diff t[] = {
	    {.a = "CREATE VIEW v AS SELECT a FROM t;", .b = "", .kind = "missing-view"},
	    {.a = "", .b = "CREATE VIEW v AS SELECT a FROM t;", .kind = "extra-view"},
	    {.a = "CREATE VIEW v AS SELECT a FROM t WHERE a > 1;",
	     .b = "CREATE VIEW v AS SELECT a FROM t WHERE a > 2;",
	     .kind = "view-sql"},
	};

	(void)state;
	assert_each_only("CREATE TABLE t(a);", "v", NULL, t, sizeof(t) / sizeof(t[0]));
}

static void test_virtual_tables(void **state)
{
	json_t *diffs;
	const json_t *d;

	(void)state;
	/* The TS vs Rust memories_fts: the default tokenizer named (TS) or not (Rust) is the
	 * same table; another tokenizer is a difference */
	diffs =
	    t_diff_sql("CREATE TABLE m(content); CREATE VIRTUAL TABLE m_fts USING "
		       "fts5(content, content='m', content_rowid='rowid', tokenize='unicode61');",
		       "CREATE TABLE m(content); CREATE VIRTUAL TABLE m_fts USING "
		       "fts5(content, content=m, content_rowid=rowid);");
	assert_int_equal(json_array_size(diffs), 0);
	json_decref(diffs);
	diffs = t_diff_sql("CREATE TABLE m(content); CREATE VIRTUAL TABLE m_fts USING "
			   "fts5(content, content='m', tokenize='porter unicode61');",
			   "CREATE TABLE m(content); CREATE VIRTUAL TABLE m_fts USING "
			   "fts5(content, content=m);");
	d = t_find_diff(diffs, "virtual-table", "m_fts", NULL);
	assert_non_null(d);
	assert_non_null(strstr(json_string_value(json_object_get(d, "a")), "porter"));
	assert_non_null(strstr(json_string_value(json_object_get(d, "b")), "tokenize=unicode61"));
	t_assert_only(diffs, "virtual-table", "m_fts", NULL, "structural");
	/* A missing FTS table is one difference: its shadow tables are not reported. */
	diffs = t_diff_sql(
	    "CREATE VIRTUAL TABLE f USING fts5(a); CREATE VIRTUAL TABLE g USING fts4(a);",
	    "CREATE TABLE other(x);");
	assert_false(t_shadow_noise(diffs));
	assert_non_null(t_find_diff(diffs, "missing-table", "f", NULL));
	assert_non_null(t_find_diff(diffs, "missing-table", "g", NULL));
	assert_non_null(t_find_diff(diffs, "extra-table", "other", NULL));
	assert_int_equal(json_array_size(diffs), 3);
	json_decref(diffs);
	/* sqlite_sequence (one side uses AUTOINCREMENT elsewhere) is not reported. */
	t_assert_only(
	    t_diff_sql("CREATE TABLE t(a); CREATE TABLE s(id INTEGER PRIMARY KEY AUTOINCREMENT);"
		       "INSERT INTO s DEFAULT VALUES;",
		       "CREATE TABLE t(a);"),
	    "missing-table", "s", NULL, "structural");
	/* A table merely named like a shadow table of nothing is an ordinary table. */
	t_assert_only(
	    t_diff_sql("CREATE TABLE t(a); CREATE TABLE t_data(a);", "CREATE TABLE t(a);"),
	    "missing-table", "t_data", NULL, "structural");
}

static void test_migration_versions(void **state)
{
	static const char ddl[] = "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
				  "applied_at TEXT NOT NULL, checksum TEXT NOT NULL);";
	static const char a[] = "INSERT INTO schema_migrations VALUES (1,'t','-d014c92'),"
				"(2,'t','-71a9d1c1'),(3,'t','x');";
	json_t *diffs;
	const json_t *d;

	(void)state;
	/* Checksums are computed differently by the two runtimes: not compared. */
	t_assert_same(diff_after(ddl, a,
				 "INSERT INTO schema_migrations VALUES (1,'u','f2feb36e'),"
				 "(2,'u','8e562e3f'),(3,'u','x');"));
	diffs = diff_after(ddl, a,
			   "INSERT INTO schema_migrations VALUES (1,'u','f2feb36e'),"
			   "(4,'u','y'),(5,'u','z');");
	d = t_find_diff(diffs, "migration-versions", "schema_migrations", NULL);
	assert_non_null(d);
	assert_int_equal(json_array_size(json_object_get(d, "a")), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "a"), 0)), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "b"), 1)), 5);
	assert_non_null(strstr(json_string_value(json_object_get(d, "message")), "checksum"));
	t_assert_only(diffs, "migration-versions", "schema_migrations", NULL, "semantic");
}

static void test_normalize_sql(void **state)
{
	char *s;

	(void)state;
	s = ph_schema_normalize_sql("CREATE  TRIGGER \"T\" AFTER\n UPDATE /* c */ ON [m] -- x\n"
				    "BEGIN SELECT 'A  b', \"odd name\"; END ;");
	assert_string_equal(
	    s, "create trigger t after update on m begin select'A  b',\"odd name\";end");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_self_same),
	    cmocka_unit_test(test_layout_only_same),
	    cmocka_unit_test(test_table_missing_extra),
	    cmocka_unit_test(test_column_missing_extra),
	    cmocka_unit_test(test_column_type_notnull),
	    cmocka_unit_test(test_table_options_hidden),
	    cmocka_unit_test(test_primary_key),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_column_order),
	    cmocka_unit_test(test_indexes),
	    cmocka_unit_test(test_foreign_keys),
	    cmocka_unit_test(test_triggers),
	    cmocka_unit_test(test_views),
	    cmocka_unit_test(test_virtual_tables),
	    cmocka_unit_test(test_migration_versions),
	    cmocka_unit_test(test_normalize_sql),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
