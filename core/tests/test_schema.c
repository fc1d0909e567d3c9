/*
 * Unit tests of schemas read from files and of `parity verify-schema` (schema.h,
 * cmd_verify_schema.c): a database whose vec0 module is not loaded (read without a
 * change, its virtual table compared by its DDL), the migration folders of tests/schema/,
 * bad input, the command's output and exit codes, and the real TS/Rust pair from
 * ../shared/signet (skipped when it is absent), which must show what CONTRACT.md §1.3
 * lists and no shadow-table or sqlite_sequence noise. Differences of schemas built from
 * SQL are test_schema_diff.c's.
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
#include "support_schema.h"

#define REPO_TESTS PARITY_TEST_DIR "/../../tests/schema"
#define TS_DB PARITY_SHARED_DIR "/signet/ts-fresh.db"
#define RS_DB PARITY_SHARED_DIR "/signet/rs-fresh-emulated.db"

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
	assert_false(t_shadow_noise(diffs));
	assert_int_equal(json_array_size(diffs), 1);
	d = t_find_diff(diffs, "virtual-table", "vec_embeddings", NULL);
	assert_non_null(d);
	assert_non_null(strstr(json_string_value(json_object_get(d, "message")), "DDL"));
	assert_non_null(strstr(json_string_value(json_object_get(d, "a")), "768"));
	json_decref(report);
	/* Without vec_embeddings on the other side: one missing table, not its shadow tables. */
	json_decref(sb);
	sb = t_schema_of("CREATE TABLE embeddings(id TEXT PRIMARY KEY);");
	assert_int_equal(ph_schema_report(sa, sb, &report, &err), 0);
	diffs = json_object_get(report, "differences");
	assert_false(t_shadow_noise(diffs));
	assert_int_equal(json_array_size(diffs), 1);
	assert_non_null(t_find_diff(diffs, "missing-table", "vec_embeddings", NULL));
	json_decref(report);
	json_decref(sa);
	json_decref(sb);
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
	t_assert_same(diffs);
	assert_int_equal(ph_schema_diff(a, b, &diffs, &err), 0);
	if (json_array_size(diffs) != 6)
		t_dump_diffs(diffs);
	assert_int_equal(json_array_size(diffs), 6);
	assert_non_null(t_find_diff(diffs, "column-order", "memories", NULL));
	assert_non_null(t_find_diff(diffs, "column-notnull", "memories", "scope"));
	assert_non_null(t_find_diff(diffs, "column-default", "memories", "scope"));
	assert_non_null(t_find_diff(diffs, "missing-index", "memories", "idx_memories_scope"));
	assert_non_null(t_find_diff(diffs, "trigger-sql", "memories", "memories_ai"));
	d = t_find_diff(diffs, "migration-versions", "schema_migrations", NULL);
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
	t_assert_same(diffs);
	json_decref(a);
	assert_int_equal(ph_schema_load(RS_DB, &a, &err), 0);
	assert_int_equal(ph_schema_diff(a, a, &diffs, &err), 0);
	t_assert_same(diffs);
	json_decref(a);
}

static void expect(const json_t *diffs, const char *kind, const char *table, const char *name,
		   const char *cls)
{
	const json_t *d = t_find_diff(diffs, kind, table, name);

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
	d = t_find_diff(diffs, "column-default", "memories", "scope");
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
	d = t_find_diff(diffs, "migration-versions", "schema_migrations", NULL);
	assert_non_null(d);
	assert_int_equal(json_array_size(json_object_get(d, "a")), 24); /* TS 40..63 */
	assert_int_equal(json_array_size(json_object_get(d, "b")), 0);
	/* memories_fts differs only in naming the default tokenizer: the same table */
	assert_null(t_find_diff(diffs, "virtual-table", "memories_fts", NULL));
	assert_null(t_find_diff(diffs, "virtual-table", "memory_artifacts_fts", NULL));
	assert_false(t_shadow_noise(diffs));
	assert_int_equal(ph_schema_verdict(diffs), PH_STRUCTURAL);
	json_decref(diffs);
	json_decref(a);
	json_decref(b);
}

T_MAIN(t_dir_setup, t_dir_teardown, cmocka_unit_test(test_vec0_not_loaded),
       cmocka_unit_test(test_migration_folders), cmocka_unit_test(test_bad_input),
       cmocka_unit_test(test_cli), cmocka_unit_test(test_real_pair_self),
       cmocka_unit_test(test_real_pair))
