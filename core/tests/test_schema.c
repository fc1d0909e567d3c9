/*
 * Unit tests of the schema library and `parity verify-schema` (schema.h,
 * cmd_verify_schema.c): one test per kind of difference and its class on schemas built
 * in the test, layout-only changes that must not count, bad input, the migration
 * folders of tests/schema/, and the real TS/Rust pair from ../shared/signet (skipped
 * when it is absent), which must show what CONTRACT.md §1.3 lists and no shadow-table or
 * sqlite_sequence noise.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "parity/jsonio.h"
#include "schema/schema.h"

#include "support.h"

#define REPO_TESTS PARITY_TEST_DIR "/../../tests/schema"
#define TS_DB PARITY_SHARED_DIR "/signet/ts-fresh.db"
#define RS_DB PARITY_SHARED_DIR "/signet/rs-fresh-emulated.db"

/* The schema of a fresh in-memory database after running sql. */
static json_t *schema_of(const char *sql)
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

/* Differences between the schemas two SQL scripts build. */
static json_t *diff_sql(const char *a, const char *b)
{
	json_t *sa = schema_of(a), *sb = schema_of(b), *diffs = NULL;
	struct ph_err err = {0};

	assert_int_equal(ph_schema_diff(sa, sb, &diffs, &err), 0);
	json_decref(sa);
	json_decref(sb);
	return diffs;
}

static const json_t *find_diff(const json_t *diffs, const char *kind, const char *table,
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

static void dump_on_fail(const json_t *diffs)
{
	char *s = ph_json_dump_pretty(diffs);

	print_message("%s", s ? s : "?");
	free(s);
}

/* diffs holds exactly this one difference, of this class. */
static void assert_only(json_t *diffs, const char *kind, const char *table, const char *name,
			const char *cls)
{
	const json_t *d = find_diff(diffs, kind, table, name);

	if (json_array_size(diffs) != 1 || !d)
		dump_on_fail(diffs);
	assert_int_equal(json_array_size(diffs), 1);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_object_get(d, "class")), cls);
	json_decref(diffs);
}

static void assert_same(json_t *diffs)
{
	if (json_array_size(diffs))
		dump_on_fail(diffs);
	assert_int_equal(json_array_size(diffs), 0);
	assert_int_equal(ph_schema_verdict(diffs), PH_PARITY);
	json_decref(diffs);
}

/* Schemas built by a and b that differ by exactly one difference: kind at table.name. */
struct one_diff {
	const char *a, *b, *kind, *table, *name, *cls;
};

static void assert_each_only(const struct one_diff *t, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_only(diff_sql(t[i].a, t[i].b), t[i].kind, t[i].table, t[i].name, t[i].cls);
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
	assert_same(diff_sql(rich, rich));
}

/* Layout, keyword case, identifier quoting and option quoting are not differences. */
static void test_layout_only_same(void **state)
{
	(void)state;
	assert_same(diff_sql(
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
	    {"CREATE TABLE a(x); CREATE TABLE b(y);",
	     "CREATE TABLE a(x);",
	     "missing-table", "b", NULL, "structural"},
	    {"CREATE TABLE a(x);",
	     "CREATE TABLE a(x); CREATE TABLE b(y);",
	     "extra-table", "b", NULL, "structural"},
	    {"CREATE TABLE a(x);",
	     "CREATE VIEW a AS SELECT 1 AS x;",
	     "table-type", "a", NULL, "structural"},
	};

	(void)state;
	assert_each_only(t, sizeof(t) / sizeof(t[0]));
}

static void test_column_missing_extra(void **state)
{
	(void)state;
	assert_only(diff_sql("CREATE TABLE t(a, b TEXT);", "CREATE TABLE t(a);"), "missing-column",
		    "t", "b", "structural");
	assert_only(diff_sql("CREATE TABLE t(a);", "CREATE TABLE t(a, b TEXT);"), "extra-column",
		    "t", "b", "structural");
}

static void test_column_type_notnull(void **state)
{
	(void)state;
	assert_only(diff_sql("CREATE TABLE t(a TEXT);", "CREATE TABLE t(a INTEGER);"),
		    "column-type", "t", "a", "structural");
	assert_same(diff_sql("CREATE TABLE t(a VARCHAR(10));", "CREATE TABLE t(a varchar( 10 ));"));
	assert_only(diff_sql("CREATE TABLE t(a TEXT);", "CREATE TABLE t(a TEXT NOT NULL);"),
		    "column-notnull", "t", "a", "structural");
}

static void test_table_options_hidden(void **state)
{
	(void)state;
	assert_only(diff_sql("CREATE TABLE t(a TEXT NOT NULL PRIMARY KEY, b);",
			     "CREATE TABLE t(a TEXT NOT NULL PRIMARY KEY, b) WITHOUT ROWID;"),
		    "table-options", "t", NULL, "structural");
	assert_only(diff_sql("CREATE TABLE t(a INT, b INT);",
			     "CREATE TABLE t(a INT, b INT AS (a + 1) STORED);"),
		    "column-hidden", "t", "b", "structural");
}

static void test_primary_key(void **state)
{
	json_t *diffs;
	const json_t *d;

	(void)state;
	diffs = diff_sql("CREATE TABLE t(a TEXT, b TEXT, PRIMARY KEY (b, a));",
			 "CREATE TABLE t(a TEXT, b TEXT, PRIMARY KEY (a, b));");
	d = find_diff(diffs, "primary-key", "t", NULL);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "a"), 0)), "b");
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "b"), 0)), "a");
	assert_only(diffs, "primary-key", "t", NULL, "structural");
	assert_only(diff_sql("CREATE TABLE t(a TEXT PRIMARY KEY, b);",
			     "CREATE TABLE t(a TEXT, b);"),
		    "primary-key", "t", NULL, "structural");
}

static void test_defaults(void **state)
{
	json_t *diffs;
	const json_t *d;

	(void)state;
	/* DEFAULT NULL (dflt_value 'NULL') and no default (SQL NULL) store the same: one default
	 * spelled two ways is no difference at all */
	diffs = diff_sql("CREATE TABLE t(a TEXT DEFAULT NULL);", "CREATE TABLE t(a TEXT);");
	assert_int_equal(json_array_size(diffs), 0);
	json_decref(diffs);
	diffs = diff_sql("CREATE TABLE t(a INTEGER DEFAULT 0);", "CREATE TABLE t(a INTEGER DEFAULT '0');");
	assert_int_equal(json_array_size(diffs), 0);
	json_decref(diffs);
	diffs = diff_sql("CREATE TABLE t(a REAL DEFAULT 1);", "CREATE TABLE t(a REAL DEFAULT (1.0));");
	assert_int_equal(json_array_size(diffs), 0);
	json_decref(diffs);
	(void)d;
	/* A real change is structural: an insert without the column stores something else. */
	assert_only(
	    diff_sql("CREATE TABLE t(a TEXT DEFAULT 'default');", "CREATE TABLE t(a TEXT);"),
	    "column-default", "t", "a", "structural");
	assert_only(diff_sql("CREATE TABLE t(a TEXT DEFAULT 'NULL');",
			     "CREATE TABLE t(a TEXT DEFAULT NULL);"),
		    "column-default", "t", "a", "structural");
	assert_only(
	    diff_sql("CREATE TABLE t(a TEXT DEFAULT 'A');", "CREATE TABLE t(a TEXT DEFAULT 'a');"),
	    "column-default", "t", "a", "structural");
	assert_same(diff_sql("CREATE TABLE t(a TEXT DEFAULT (datetime('now')));",
			     "CREATE TABLE t(a TEXT DEFAULT (DATETIME( 'now' )));"));
}

static void test_column_order(void **state)
{
	json_t *diffs;
	const json_t *d;

	(void)state;
	diffs = diff_sql("CREATE TABLE t(a, b, c);", "CREATE TABLE t(a, c, b);");
	d = find_diff(diffs, "column-order", "t", NULL);
	assert_non_null(d);
	assert_string_equal(json_string_value(json_array_get(json_object_get(d, "b"), 1)), "c");
	assert_int_equal(ph_schema_verdict(diffs), PH_SEMANTIC);
	assert_only(diffs, "column-order", "t", NULL, "semantic");
	/* An extra column alone does not make the shared ones "reordered". */
	assert_only(diff_sql("CREATE TABLE t(a, b);", "CREATE TABLE t(a, x, b);"), "extra-column",
		    "t", "x", "structural");
}

static void test_indexes(void **state)
{
	static const struct one_diff t[] = {
	    {"CREATE TABLE t(a, b); CREATE INDEX i ON t(a);",
	     "CREATE TABLE t(a, b);",
	     "missing-index", "t", "i", "structural"},
	    {"CREATE TABLE t(a, b);",
	     "CREATE TABLE t(a, b); CREATE INDEX i ON t(a);",
	     "extra-index", "t", "i", "structural"},
	    {"CREATE TABLE t(a, b); CREATE INDEX i ON t(a);",
	     "CREATE TABLE t(a, b); CREATE UNIQUE INDEX i ON t(a);",
	     "index-unique", "t", "i", "structural"},
	    {"CREATE TABLE t(a, b); CREATE INDEX i ON t(a, b);",
	     "CREATE TABLE t(a, b); CREATE INDEX i ON t(b, a);",
	     "index-columns", "t", "i", "structural"},
	    {"CREATE TABLE t(a, b); CREATE INDEX i ON t(a DESC);",
	     "CREATE TABLE t(a, b); CREATE INDEX i ON t(a);",
	     "index-columns", "t", "i", "structural"},
	    {"CREATE TABLE t(a, b); CREATE INDEX i ON t(lower(a));",
	     "CREATE TABLE t(a, b); CREATE INDEX i ON t(upper(a));",
	     "index-columns", "t", "i", "structural"},
	    {"CREATE TABLE t(a, b); CREATE INDEX i ON t(a) WHERE a IS NOT NULL;",
	     "CREATE TABLE t(a, b); CREATE INDEX i ON t(a);",
	     "index-partial", "t", "i", "structural"},
	    {"CREATE TABLE t(a, b); CREATE INDEX i ON t(a) WHERE b = 'x';",
	     "CREATE TABLE t(a, b); CREATE INDEX i ON t(a) WHERE b = 'X';",
	     "index-partial", "t", "i", "structural"},
	};
	json_t *diffs;

	(void)state;
	assert_each_only(t, sizeof(t) / sizeof(t[0]));
	/* UNIQUE constraints are keyed by their columns, not by SQLite's autoindex names. */
	assert_same(diff_sql("CREATE TABLE t(a, b, c, UNIQUE(a), UNIQUE(b, c));",
			     "CREATE TABLE t(a, b, c, UNIQUE(b, c), UNIQUE(a));"));
	diffs = diff_sql("CREATE TABLE t(a, b, UNIQUE(a, b));", "CREATE TABLE t(a, b, UNIQUE(a));");
	assert_int_equal(json_array_size(diffs), 2);
	assert_non_null(find_diff(diffs, "missing-index", "t", "unique(a,b)"));
	assert_non_null(find_diff(diffs, "extra-index", "t", "unique(a)"));
	json_decref(diffs);
}

static void test_foreign_keys(void **state)
{
	static const char p[] = "CREATE TABLE p(id INTEGER PRIMARY KEY, k TEXT UNIQUE);";
	char a[512], b[512];

	(void)state;
	snprintf(a, sizeof(a), "%s CREATE TABLE c(x REFERENCES p(id));", p);
	snprintf(b, sizeof(b), "%s CREATE TABLE c(x);", p);
	assert_only(diff_sql(a, b), "missing-foreign-key", "c", "(x)->p(id)", "structural");
	assert_only(diff_sql(b, a), "extra-foreign-key", "c", "(x)->p(id)", "structural");
	/* REFERENCES p (implicit primary key) is the same key as REFERENCES p(id). */
	snprintf(b, sizeof(b), "%s CREATE TABLE c(x REFERENCES p);", p);
	assert_same(diff_sql(a, b));
	snprintf(b, sizeof(b), "%s CREATE TABLE c(x REFERENCES p(id) ON DELETE CASCADE);", p);
	assert_only(diff_sql(a, b), "foreign-key-action", "c", "(x)->p(id)", "structural");
}

static void test_triggers(void **state)
{
	static const char base[] = "CREATE TABLE m(content TEXT, n INT); CREATE TABLE log(x TEXT);";
	char a[512], b[512];

	(void)state;
	snprintf(a, sizeof(a),
		 "%s CREATE TRIGGER m_au AFTER UPDATE OF content ON m BEGIN "
		 "INSERT INTO log VALUES ('delete'); END;",
		 base);
	snprintf(b, sizeof(b),
		 "%s CREATE TRIGGER m_au AFTER UPDATE ON m BEGIN "
		 "INSERT INTO log VALUES ('delete'); END;",
		 base);
	assert_only(diff_sql(a, b), "trigger-sql", "m", "m_au", "structural");
	/* A string literal is compared exactly, outside literals case does not count. */
	snprintf(b, sizeof(b),
		 "%s create trigger M_AU after update of CONTENT on m begin "
		 "insert into LOG values ('DELETE'); end;",
		 base);
	assert_only(diff_sql(a, b), "trigger-sql", "m", "m_au", "structural");
	snprintf(b, sizeof(b),
		 "%s create trigger M_AU after update of CONTENT on m\nbegin\n"
		 "  insert into LOG values ('delete');\nend;",
		 base);
	assert_same(diff_sql(a, b));
	assert_only(diff_sql(a, base), "missing-trigger", "m", "m_au", "structural");
	assert_only(diff_sql(base, a), "extra-trigger", "m", "m_au", "structural");
}

static void test_views(void **state)
{
	static const struct one_diff t[] = {
	    {"CREATE TABLE t(a); CREATE VIEW v AS SELECT a FROM t;",
	     "CREATE TABLE t(a);",
	     "missing-view", "v", NULL, "structural"},
	    {"CREATE TABLE t(a);",
	     "CREATE TABLE t(a); CREATE VIEW v AS SELECT a FROM t;",
	     "extra-view", "v", NULL, "structural"},
	    {"CREATE TABLE t(a); CREATE VIEW v AS SELECT a FROM t WHERE a > 1;",
	     "CREATE TABLE t(a); CREATE VIEW v AS SELECT a FROM t WHERE a > 2;",
	     "view-sql", "v", NULL, "structural"},
	};

	(void)state;
	assert_each_only(t, sizeof(t) / sizeof(t[0]));
}

static int has_shadow_noise(const json_t *diffs)
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

static void test_virtual_tables(void **state)
{
	json_t *diffs;
	const json_t *d;

	(void)state;
	/* The TS vs Rust memories_fts: the default tokenizer named (TS) or not (Rust) is the
	 * same table; another tokenizer is a difference */
	diffs = diff_sql("CREATE TABLE m(content); CREATE VIRTUAL TABLE m_fts USING "
			 "fts5(content, content='m', content_rowid='rowid', tokenize='unicode61');",
			 "CREATE TABLE m(content); CREATE VIRTUAL TABLE m_fts USING "
			 "fts5(content, content=m, content_rowid=rowid);");
	assert_int_equal(json_array_size(diffs), 0);
	json_decref(diffs);
	diffs = diff_sql("CREATE TABLE m(content); CREATE VIRTUAL TABLE m_fts USING "
			 "fts5(content, content='m', tokenize='porter unicode61');",
			 "CREATE TABLE m(content); CREATE VIRTUAL TABLE m_fts USING "
			 "fts5(content, content=m);");
	d = find_diff(diffs, "virtual-table", "m_fts", NULL);
	assert_non_null(d);
	assert_non_null(strstr(json_string_value(json_object_get(d, "a")), "porter"));
	assert_non_null(strstr(json_string_value(json_object_get(d, "b")), "tokenize=unicode61"));
	assert_only(diffs, "virtual-table", "m_fts", NULL, "structural");
	/* A missing FTS table is one difference: its shadow tables are not reported. */
	diffs =
	    diff_sql("CREATE VIRTUAL TABLE f USING fts5(a); CREATE VIRTUAL TABLE g USING fts4(a);",
		     "CREATE TABLE other(x);");
	assert_false(has_shadow_noise(diffs));
	assert_non_null(find_diff(diffs, "missing-table", "f", NULL));
	assert_non_null(find_diff(diffs, "missing-table", "g", NULL));
	assert_non_null(find_diff(diffs, "extra-table", "other", NULL));
	assert_int_equal(json_array_size(diffs), 3);
	json_decref(diffs);
	/* sqlite_sequence (one side uses AUTOINCREMENT elsewhere) is not reported. */
	assert_only(
	    diff_sql("CREATE TABLE t(a); CREATE TABLE s(id INTEGER PRIMARY KEY AUTOINCREMENT);"
		     "INSERT INTO s DEFAULT VALUES;",
		     "CREATE TABLE t(a);"),
	    "missing-table", "s", NULL, "structural");
	/* A table merely named like a shadow table of nothing is an ordinary table. */
	assert_only(diff_sql("CREATE TABLE t(a); CREATE TABLE t_data(a);", "CREATE TABLE t(a);"),
		    "missing-table", "t_data", NULL, "structural");
}

/* A database file whose vec_embeddings uses the (not loaded) vec0 module with dimension dim. */
static void make_vec0_db(const char *path, int dim)
{
	sqlite3 *db = NULL;
	char sql[1024], *emsg = NULL;

	unlink(path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(
	    sql, sizeof(sql),
	    "CREATE TABLE embeddings(id TEXT PRIMARY KEY);"
	    "CREATE TABLE vec_embeddings_info(key TEXT PRIMARY KEY, value ANY);"
	    "CREATE TABLE vec_embeddings_chunks(chunk_id INTEGER PRIMARY KEY, size INTEGER);"
	    "CREATE TABLE vec_embeddings_rowids(rowid INTEGER PRIMARY KEY, id TEXT);"
	    "CREATE TABLE vec_embeddings_vector_chunks00(rowid PRIMARY KEY, vectors BLOB);"
	    "PRAGMA writable_schema = ON;"
	    "INSERT INTO sqlite_master(type, name, tbl_name, rootpage, sql) VALUES ('table', "
	    "'vec_embeddings', 'vec_embeddings', 0, 'CREATE VIRTUAL TABLE vec_embeddings USING "
	    "vec0(id TEXT PRIMARY KEY, embedding FLOAT[%d] distance_metric=cosine)');"
	    "PRAGMA writable_schema = OFF;",
	    dim);
	if (sqlite3_exec(db, sql, NULL, NULL, &emsg) != SQLITE_OK)
		fail_msg("cannot build vec0 fixture: %s", emsg);
	sqlite3_close(db);
}

static void test_vec0_not_loaded(void **state)
{
	char dir[300], a[320], b[320], side[340];
	json_t *sa = NULL, *sb = NULL, *report = NULL;
	struct stat before, after;
	struct ph_err err = {0};
	const json_t *diffs, *d;

	(void)state;
	snprintf(dir, sizeof(dir), "%s", t_mkdir_in(t_dir, "vec0"));
	snprintf(a, sizeof(a), "%s/a.db", dir);
	snprintf(b, sizeof(b), "%s/b.db", dir);
	make_vec0_db(a, 768);
	make_vec0_db(b, 384);
	assert_int_equal(stat(a, &before), 0);
	assert_int_equal(ph_schema_load(a, &sa, &err), 0);
	/* Read-only and immutable: the file is untouched and no -wal/-shm/-journal appears. */
	assert_int_equal(stat(a, &after), 0);
	assert_int_equal(before.st_size, after.st_size);
	assert_int_equal(before.st_mtime, after.st_mtime);
	snprintf(side, sizeof(side), "%s-wal", a);
	assert_int_not_equal(access(side, F_OK), 0);
	snprintf(side, sizeof(side), "%s-shm", a);
	assert_int_not_equal(access(side, F_OK), 0);
	snprintf(side, sizeof(side), "%s-journal", a);
	assert_int_not_equal(access(side, F_OK), 0);
	assert_int_equal(ph_schema_load(b, &sb, &err), 0);
	assert_int_equal(ph_schema_report(sa, sa, &report, &err), 0);
	assert_string_equal(json_string_value(json_object_get(report, "verdict")), "same");
	/* The report says the module was not loaded and the table was compared by its DDL. */
	assert_true(json_array_size(json_object_get(report, "notes")) >= 1);
	assert_non_null(strstr(json_string_value(json_object_get(
				   json_array_get(json_object_get(report, "notes"), 0), "message")),
			       "compared by its DDL"));
	json_decref(report);
	assert_int_equal(ph_schema_report(sa, sb, &report, &err), 0);
	diffs = json_object_get(report, "differences");
	assert_false(has_shadow_noise(diffs));
	assert_int_equal(json_array_size(diffs), 1);
	d = find_diff(diffs, "virtual-table", "vec_embeddings", NULL);
	assert_non_null(d);
	assert_non_null(strstr(json_string_value(json_object_get(d, "message")), "DDL"));
	assert_non_null(strstr(json_string_value(json_object_get(d, "a")), "768"));
	json_decref(report);
	/* Without vec_embeddings on the other side: one missing table, not its shadow tables. */
	json_decref(sb);
	sb = schema_of("CREATE TABLE embeddings(id TEXT PRIMARY KEY);");
	assert_int_equal(ph_schema_report(sa, sb, &report, &err), 0);
	diffs = json_object_get(report, "differences");
	assert_false(has_shadow_noise(diffs));
	assert_int_equal(json_array_size(diffs), 1);
	assert_non_null(find_diff(diffs, "missing-table", "vec_embeddings", NULL));
	json_decref(report);
	json_decref(sa);
	json_decref(sb);
}

static void test_migration_versions(void **state)
{
	static const char ddl[] = "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
				  "applied_at TEXT NOT NULL, checksum TEXT NOT NULL);";
	char a[512], b[512];
	json_t *diffs;
	const json_t *d;

	(void)state;
	/* Checksums are computed differently by the two runtimes: not compared. */
	snprintf(a, sizeof(a),
		 "%s INSERT INTO schema_migrations VALUES (1,'t','-d014c92'),"
		 "(2,'t','-71a9d1c1'),(3,'t','x');",
		 ddl);
	snprintf(b, sizeof(b),
		 "%s INSERT INTO schema_migrations VALUES (1,'u','f2feb36e'),"
		 "(2,'u','8e562e3f'),(3,'u','x');",
		 ddl);
	assert_same(diff_sql(a, b));
	snprintf(b, sizeof(b),
		 "%s INSERT INTO schema_migrations VALUES (1,'u','f2feb36e'),"
		 "(4,'u','y'),(5,'u','z');",
		 ddl);
	diffs = diff_sql(a, b);
	d = find_diff(diffs, "migration-versions", "schema_migrations", NULL);
	assert_non_null(d);
	assert_int_equal(json_array_size(json_object_get(d, "a")), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "a"), 0)), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "b"), 1)), 5);
	assert_non_null(strstr(json_string_value(json_object_get(d, "message")), "checksum"));
	assert_only(diffs, "migration-versions", "schema_migrations", NULL, "semantic");
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

static void test_migration_folders(void **state)
{
	json_t *a = NULL, *b = NULL, *diffs = NULL;
	struct ph_err err = {0};
	const json_t *d;

	(void)state;
	assert_int_equal(ph_schema_load(REPO_TESTS "/migrations-a", &a, &err), 0);
	assert_int_equal(ph_schema_load(REPO_TESTS "/migrations-b", &b, &err), 0);
	/* 10- ran after 9-: the index on the column 9- added exists. */
	assert_non_null(json_object_get(
	    json_object_get(
		json_object_get(json_object_get(json_object_get(a, "tables"), "memories"),
				"indexes"),
		"idx_memories_scope"),
	    "columns"));
	assert_int_equal(ph_schema_diff(a, a, &diffs, &err), 0);
	assert_same(diffs);
	assert_int_equal(ph_schema_diff(a, b, &diffs, &err), 0);
	if (json_array_size(diffs) != 6)
		dump_on_fail(diffs);
	assert_int_equal(json_array_size(diffs), 6);
	assert_non_null(find_diff(diffs, "column-order", "memories", NULL));
	assert_non_null(find_diff(diffs, "column-notnull", "memories", "scope"));
	assert_non_null(find_diff(diffs, "column-default", "memories", "scope"));
	assert_non_null(find_diff(diffs, "missing-index", "memories", "idx_memories_scope"));
	assert_non_null(find_diff(diffs, "trigger-sql", "memories", "memories_ai"));
	d = find_diff(diffs, "migration-versions", "schema_migrations", NULL);
	assert_non_null(d);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(d, "b"), 0)), 11);
	/* Stable order: sorted by table, kind, name. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(diffs, 0), "kind")),
			    "column-default");
	assert_string_equal(json_string_value(json_object_get(json_array_get(diffs, 5), "table")),
			    "schema_migrations");
	assert_int_equal(ph_schema_verdict(diffs), PH_STRUCTURAL);
	json_decref(diffs);
	json_decref(a);
	json_decref(b);
}

static void test_bad_input(void **state)
{
	char dir[300], path[320];
	struct ph_err err = {0};
	json_t *m = NULL;

	(void)state;
	assert_int_equal(ph_schema_load(REPO_TESTS "/migrations-bad", &m, &err), PH_E_PARSE);
	assert_null(m);
	assert_non_null(strstr(err.msg, "002-broken.sql"));
	assert_non_null(strstr(err.msg, "no such table"));

	snprintf(dir, sizeof(dir), "%s", t_mkdir_in(t_dir, "bad-input"));
	assert_int_equal(ph_schema_load(dir, &m, &err), PH_E_INVALID); /* no migrations */
	assert_non_null(strstr(err.msg, dir));
	snprintf(path, sizeof(path), "%s/notes.sql", dir);
	t_write(path, "this is not a database");
	assert_int_equal(ph_schema_load(path, &m, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "not a SQLite database"));
	unlink(path);
	t_write(path, ""); /* empty */
	assert_int_equal(ph_schema_load(path, &m, &err), PH_E_INVALID);
	unlink(path);
	assert_int_equal(ph_schema_load(path, &m, &err), PH_E_IO);
	assert_non_null(strstr(err.msg, path));
	/* Two migrations with one number: the order is ambiguous. */
	snprintf(path, sizeof(path), "%s/1-a.sql", dir);
	t_write(path, "");
	snprintf(path, sizeof(path), "%s/001-b.sql", dir);
	t_write(path, "");
	assert_int_equal(ph_schema_load(dir, &m, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "same number"));
}

/* Run cmd_verify_schema with stdout captured; returns its exit code, *out the output. */
static int run_cli(char **out, const char *a1, const char *a2, const char *a3, const char *a4)
{
	char *argv[] = {"verify-schema", (char *)a1, (char *)a2, (char *)a3, (char *)a4, NULL};
	struct t_cli r;

	t_cli_run(&r, cmd_verify_schema, argv, NULL, 0);
	*out = r.out;
	return r.rc;
}

static void test_cli(void **state)
{
	static const char *const keys[] = {"class", "kind", "table", "name", "a", "b", "message"};
	char *out = NULL;
	size_t i;
	json_t *doc = NULL;
	struct ph_err err = {0};
	const json_t *d;

	(void)state;
	assert_int_equal(run_cli(&out, "--format", "json", REPO_TESTS "/migrations-a",
				 REPO_TESTS "/migrations-b"),
			 PH_EXIT_DIVERGE);
	assert_int_equal(ph_json_load_buffer("stdout", out, strlen(out), &doc, &err), 0);
	assert_string_equal(json_string_value(json_object_get(doc, "verdict")), "drift");
	d = json_array_get(json_object_get(doc, "differences"), 0);
	assert_non_null(d);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_get(d, keys[i]))
			fail_msg("a difference without \"%s\"", keys[i]);
	json_decref(doc);
	free(out);

	assert_int_equal(
	    run_cli(&out, REPO_TESTS "/migrations-a", REPO_TESTS "/migrations-a", NULL, NULL),
	    PH_EXIT_OK);
	assert_non_null(strstr(out, "same"));
	free(out);
	assert_int_equal(
	    run_cli(&out, REPO_TESTS "/migrations-a", REPO_TESTS "/migrations-b", NULL, NULL),
	    PH_EXIT_DIVERGE);
	assert_non_null(strstr(out, "structural column-notnull"));
	assert_non_null(strstr(out, "memories.scope"));
	free(out);
	assert_int_equal(
	    run_cli(&out, REPO_TESTS "/migrations-a", REPO_TESTS "/migrations-bad", NULL, NULL),
	    PH_EXIT_USAGE);
	free(out);
	assert_int_equal(run_cli(&out, "--format", "yaml", REPO_TESTS "/migrations-a",
				 REPO_TESTS "/migrations-a"),
			 PH_EXIT_USAGE);
	free(out);
	assert_int_equal(run_cli(&out, REPO_TESTS "/migrations-a", NULL, NULL, NULL),
			 PH_EXIT_USAGE);
	free(out);
	assert_int_equal(run_cli(&out, "--help", NULL, NULL, NULL), PH_EXIT_OK);
	assert_non_null(strstr(out, "usage: parity verify-schema"));
	free(out);
}

static int shared_pair_present(void)
{
	struct stat sb;

	return !stat(TS_DB, &sb) && !stat(RS_DB, &sb);
}

static void test_real_pair_self(void **state)
{
	json_t *a = NULL, *diffs = NULL;
	struct ph_err err = {0};

	(void)state;
	if (!shared_pair_present())
		skip();
	assert_int_equal(ph_schema_load(TS_DB, &a, &err), 0);
	assert_int_equal(ph_schema_diff(a, a, &diffs, &err), 0);
	assert_same(diffs);
	json_decref(a);
	assert_int_equal(ph_schema_load(RS_DB, &a, &err), 0);
	assert_int_equal(ph_schema_diff(a, a, &diffs, &err), 0);
	assert_same(diffs);
	json_decref(a);
}

static void expect(const json_t *diffs, const char *kind, const char *table, const char *name,
		   const char *cls)
{
	const json_t *d = find_diff(diffs, kind, table, name);

	if (!d)
		fail_msg("expected %s %s.%s", kind, table, name ? name : "(table)");
	if (strcmp(json_string_value(json_object_get(d, "class")), cls))
		fail_msg("%s %s.%s: class %s, expected %s", kind, table, name ? name : "",
			 json_string_value(json_object_get(d, "class")), cls);
}

/* ts-fresh.db vs rs-fresh-emulated.db: CONTRACT.md §1.3, checked against the files. */
static void test_real_pair(void **state)
{
	static const char *ts_only[] = {"agents",
					"dreaming_passes",
					"dreaming_state",
					"entities_fts",
					"entity_communities",
					"entity_cooccurrence",
					"entity_retrieval_stats",
					"mcp_invocations",
					"memory_hints",
					"memory_hints_fts",
					"memory_md_heads",
					"path_feedback_events",
					"path_feedback_sessions",
					"path_feedback_stats",
					"session_transcripts_fts",
					NULL};
	static const char *ts_only_cols[][2] = {{"entities", "mentions"},
						{"entities", "community_id"},
						{"entity_attributes", "claim_key"},
						{"entity_attributes", "group_key"},
						{"entity_dependencies", "confidence"},
						{"memory_artifacts", "is_deleted"},
						{"memory_artifacts", "deleted_at"},
						{"memory_artifacts", "source_mtime_ms"},
						{"session_memories", "agent_id"},
						{"session_memories", "path_json"},
						{"session_scores", "agent_id"},
						{"session_transcripts", "updated_at"},
						{NULL, NULL}};
	json_t *a = NULL, *b = NULL, *diffs = NULL;
	struct ph_err err = {0};
	const json_t *d;
	size_t i, tables = 0;

	(void)state;
	if (!shared_pair_present())
		skip();
	assert_int_equal(ph_schema_load(TS_DB, &a, &err), 0);
	assert_int_equal(ph_schema_load(RS_DB, &b, &err), 0);
	assert_int_equal(ph_schema_diff(a, b, &diffs, &err), 0);

	for (i = 0; ts_only[i]; i++)
		expect(diffs, "missing-table", ts_only[i], NULL, "structural");
	json_array_foreach(diffs, i, d)
	{
		const char *kind = json_string_value(json_object_get(d, "kind"));

		if (!strcmp(kind, "missing-table"))
			tables++;
		assert_string_not_equal(kind, "extra-table"); /* Rust has no table TS lacks */
	}
	assert_int_equal(tables, 15); /* exactly those: no shadow tables */
	for (i = 0; ts_only_cols[i][0]; i++)
		expect(diffs, "missing-column", ts_only_cols[i][0], ts_only_cols[i][1],
		       "structural");
	expect(diffs, "column-order", "memories", NULL, "semantic");
	/* scope: DEFAULT NULL (TS) and no default (Rust) store the same: not a difference */
	d = find_diff(diffs, "column-default", "memories", "scope");
	assert_null(d);
	expect(diffs, "column-notnull", "memories", "agent_id", "structural");
	expect(diffs, "column-notnull", "memories", "visibility", "structural");
	expect(diffs, "primary-key", "session_transcripts", NULL, "structural");
	expect(diffs, "column-default", "session_extract_cursors", "agent_id", "structural");
	expect(diffs, "extra-column", "summary_jobs", "leased_at", "structural");
	expect(diffs, "extra-column", "summary_jobs", "updated_at", "structural");
	expect(diffs, "extra-column", "summary_jobs", "failed_at", "structural");
	expect(diffs, "column-order", "summary_jobs", NULL, "semantic");
	expect(diffs, "trigger-sql", "memories", "memories_au", "structural");
	expect(diffs, "missing-index", "memories", "idx_memories_agent_id", "structural");
	expect(diffs, "missing-index", "memories", "idx_memories_scope", "structural");
	expect(diffs, "extra-index", "memories", "idx_memories_agent_visibility_scope",
	       "structural");
	expect(diffs, "extra-index", "memory_thread_heads", "idx_memory_thread_heads_agent_latest",
	       "structural");
	expect(diffs, "extra-index", "session_summaries", "idx_summaries_session_agent_depth",
	       "structural");
	d = find_diff(diffs, "migration-versions", "schema_migrations", NULL);
	assert_non_null(d);
	assert_int_equal(json_array_size(json_object_get(d, "a")), 24); /* TS 40..63 */
	assert_int_equal(json_array_size(json_object_get(d, "b")), 0);
	/* memories_fts differs only in naming the default tokenizer: the same table */
	assert_null(find_diff(diffs, "virtual-table", "memories_fts", NULL));
	assert_null(find_diff(diffs, "virtual-table", "memory_artifacts_fts", NULL));
	assert_false(has_shadow_noise(diffs));
	assert_int_equal(ph_schema_verdict(diffs), PH_STRUCTURAL);
	json_decref(diffs);
	json_decref(a);
	json_decref(b);
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
	    cmocka_unit_test(test_vec0_not_loaded),
	    cmocka_unit_test(test_migration_versions),
	    cmocka_unit_test(test_normalize_sql),
	    cmocka_unit_test(test_migration_folders),
	    cmocka_unit_test(test_bad_input),
	    cmocka_unit_test(test_cli),
	    cmocka_unit_test(test_real_pair_self),
	    cmocka_unit_test(test_real_pair),
	};

	return cmocka_run_group_tests(tests, t_dir_setup, t_dir_teardown);
}
