/*
 * Unit tests of the schema plugin, driven through a fake host: the workspaces are
 * temporary folders holding databases this test builds, verify_schema is the core's
 * schema comparison, and HTTP, restarts and stops are scripted per side. The tests check
 * the rows a user reads in the matrix: one per table with the worst class of that
 * table's differences, candidate-only tables, no rows for FTS shadow tables, the ledger
 * row, the cross-opening rows (a runtime that cannot start is a structural row with the
 * reason), and that a schema still in a WAL file is seen.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "compare/compare.h"
#include "parity/plugin.h"
#include "schema/schema.h"

const struct ph_plugin *ph_schema_plugin(void);

#define MAX_ROWS 32

/* The shipped suite: the tests run what `parity run` runs, found from this file's path. */
static char shipped_suite[400];

static void find_suite_dir(void)
{
	char *p;
	int up;

	snprintf(shipped_suite, sizeof(shipped_suite), "%s", __FILE__);
	for (up = 0; up < 4; up++) /* .../plugins/schema/tests/test_plugin_schema.c */
		if ((p = strrchr(shipped_suite, '/')))
			*p = '\0';
	strncat(shipped_suite, "/suites/schema", sizeof(shipped_suite) - strlen(shipped_suite) - 1);
}

struct got_row {
	char feature[128];
	char case_name[64];
	char reference[128];
	enum ph_class cls;
	char kinds[256]; /* "missing-index,column-order" */
	char messages[4096];
};

/* The fake runtime state of one side. */
struct fake_side {
	char ws[512];
	int own_count;	   /* memories listed on its own workspace */
	long cross_status; /* answer on the other's workspace */
	int cross_count;
	int restart_rc; /* runtime_restart result on the other's workspace */
	int on_other;	/* currently started on the other's workspace */
	int stops;
};

struct ph_run {
	char tmp[256];
	char suite[512]; /* the suite folder the plugin reads */
	struct fake_side side[2];
	struct got_row rows[MAX_ROWS];
	int n_rows;
};

static void fake_log(struct ph_run *run, enum ph_log_level level, const char *fmt, ...)
{
	(void)run;
	(void)level;
	(void)fmt;
}

static const char *fake_suite_dir(struct ph_run *run)
{
	return run->suite;
}

static const char *fake_workspace(struct ph_run *run, enum ph_side side)
{
	return run->side[side].ws;
}

static int fake_http(struct ph_run *run, enum ph_side side, const struct ph_request *req,
		     struct ph_response *resp, struct ph_err *err)
{
	struct fake_side *s = &run->side[side];
	long status = s->on_other ? s->cross_status : 200;
	int n = s->on_other ? s->cross_count : s->own_count, i;
	json_t *doc = json_pack("{s:[], s:{s:i}}", "memories", "stats", "total", n);

	(void)err;
	assert_string_equal(req->method, "GET");
	assert_true(!strncmp(req->path, "/api/memories", 13));
	for (i = 0; i < n; i++)
		json_array_append_new(json_object_get(doc, "memories"),
				      json_pack("{s:i}", "id", i));
	memset(resp, 0, sizeof(*resp));
	resp->status = status;
	resp->body = status == 200 ? json_dumps(doc, 0) : strdup("{\"error\":\"boom\"}");
	resp->body_len = strlen(resp->body);
	resp->latency_ms = 1;
	json_decref(doc);
	return 0;
}

static void fake_response_release(struct ph_response *resp)
{
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

static int fake_record(struct ph_run *run, const struct ph_row *row)
{
	struct got_row *g;
	size_t i;

	assert_true(run->n_rows < MAX_ROWS);
	g = &run->rows[run->n_rows++];
	memset(g, 0, sizeof(*g));
	snprintf(g->feature, sizeof(g->feature), "%s", row->feature);
	snprintf(g->case_name, sizeof(g->case_name), "%s", row->case_name);
	snprintf(g->reference, sizeof(g->reference), "%s", row->reference ? row->reference : "");
	g->cls = row->cls;
	if (row->result && row->result->verdict > g->cls)
		g->cls = row->result->verdict;
	for (i = 0; row->result && i < row->result->count; i++) {
		const struct ph_divergence *d = &row->result->items[i];

		snprintf(g->kinds + strlen(g->kinds), sizeof(g->kinds) - strlen(g->kinds), "%s%s",
			 i ? "," : "", d->kind);
		snprintf(g->messages + strlen(g->messages),
			 sizeof(g->messages) - strlen(g->messages), "%s|", d->message);
	}
	if (row->error)
		snprintf(g->messages, sizeof(g->messages), "%s", row->error);
	return 0;
}

static void fake_progress(struct ph_run *run, int done, int total)
{
	(void)run;
	assert_true(done >= 0 && done <= total);
}

static int fake_restart(struct ph_run *run, enum ph_side side, const char *workspace,
			struct ph_err *err)
{
	struct fake_side *s = &run->side[side];

	/* The plugin starts a side only on the other side's workspace. */
	assert_string_equal(workspace, run->side[!side].ws);
	if (s->restart_rc)
		return ph_error(err, s->restart_rc, "boom: database refused");
	s->on_other = 1;
	return 0;
}

static int fake_stop(struct ph_run *run, enum ph_side side, int hard, struct ph_err *err)
{
	(void)hard;
	(void)err;
	run->side[side].stops++;
	run->side[side].on_other = 0;
	return 0;
}

static int fake_verify_schema(struct ph_run *run, const char *a, const char *b,
			      json_t **differences, struct ph_err *err)
{
	json_t *sa = NULL, *sb = NULL;
	int rc;

	(void)run;
	rc = ph_schema_load(a, &sa, err);
	if (!rc)
		rc = ph_schema_load(b, &sb, err);
	if (!rc)
		rc = ph_schema_diff(sa, sb, differences, err);
	json_decref(sa);
	json_decref(sb);
	return rc;
}

static const struct ph_host fake_host = {
    .abi_major = PH_ABI_MAJOR,
    .abi_minor = PH_ABI_MINOR,
    .size = sizeof(struct ph_host),
    .log = fake_log,
    .suite_dir = fake_suite_dir,
    .workspace = fake_workspace,
    .http = fake_http,
    .response_release = fake_response_release,
    .result_release = ph_result_release,
    .record = fake_record,
    .progress = fake_progress,
    .runtime_restart = fake_restart,
    .runtime_stop = fake_stop,
    .verify_schema = fake_verify_schema,
};

/* ---- databases ---- */

#define LEDGER                                                                                     \
	"CREATE TABLE schema_migrations(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL,"    \
	" checksum TEXT NOT NULL);"
#define ITEMS                                                                                      \
	"CREATE TABLE items(id TEXT PRIMARY KEY, body TEXT NOT NULL, n INTEGER DEFAULT 0);"        \
	"CREATE VIRTUAL TABLE items_fts USING fts5(body);"                                         \
	"CREATE TRIGGER items_ai AFTER INSERT ON items BEGIN"                                      \
	" INSERT INTO items_fts(body) VALUES (new.body); END;"
#define BASE                                                                                       \
	LEDGER "INSERT INTO schema_migrations VALUES (1,'x','a'),(2,'x','b'),(3,'x','c');" ITEMS   \
	       "CREATE INDEX idx_items_n ON items(n);"                                             \
	       "CREATE TABLE notes(id INTEGER PRIMARY KEY, a TEXT, b TEXT);"
/* The candidate's drift: index missing, notes reordered, an extra table, version 2 gone. */
#define DRIFT                                                                                      \
	LEDGER "INSERT INTO schema_migrations VALUES (1,'x','other'),(3,'x','other');" ITEMS       \
	       "CREATE TABLE notes(id INTEGER PRIMARY KEY, b TEXT, a TEXT);"                       \
	       "CREATE TABLE extra_t(x INTEGER);"

static void make_db(const char *ws, const char *sql)
{
	char path[1024];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/memory", ws);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/memory/memories.db", ws);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int setup(void **state)
{
	struct ph_run *run = calloc(1, sizeof(*run));
	int i;

	assert_non_null(run);
	snprintf(run->tmp, sizeof(run->tmp), "/tmp/parity-schema-test-XXXXXX");
	assert_non_null(mkdtemp(run->tmp));
	snprintf(run->suite, sizeof(run->suite), "%s", shipped_suite);
	for (i = 0; i < 2; i++) {
		snprintf(run->side[i].ws, sizeof(run->side[i].ws), "%s/%s", run->tmp,
			 i ? "cand" : "ref");
		assert_int_equal(mkdir(run->side[i].ws, 0755), 0);
		run->side[i].own_count = 10;
		run->side[i].cross_status = 200;
		run->side[i].cross_count = 10;
	}
	*state = run;
	return 0;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct ph_run *run = *state;

	nftw(run->tmp, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(run);
	return 0;
}

static int run_plugin_err(struct ph_run *run, struct ph_err *err)
{
	ph_err_clear(err);
	return ph_schema_plugin()->run(NULL, &fake_host, run, err);
}

static int run_plugin(struct ph_run *run)
{
	struct ph_err err;

	return run_plugin_err(run, &err);
}

/* Make the plugin read a suite folder holding one file, schema.json, with text. */
static void use_suite(struct ph_run *run, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(run->suite, sizeof(run->suite), "%s/suite", run->tmp);
	assert_int_equal(mkdir(run->suite, 0755), 0);
	snprintf(path, sizeof(path), "%s/schema.json", run->suite);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static const struct got_row *row_of(const struct ph_run *run, const char *feature)
{
	int i;

	for (i = 0; i < run->n_rows; i++)
		if (!strcmp(run->rows[i].feature, feature))
			return &run->rows[i];
	return NULL;
}

static const struct got_row *must_row(const struct ph_run *run, const char *feature)
{
	const struct got_row *r = row_of(run, feature);

	if (!r)
		fail_msg("no row for '%s'", feature);
	return r;
}

/* ---- tests ---- */

static void test_descriptor(void **state)
{
	const struct ph_plugin *p = ph_schema_plugin();

	(void)state;
	assert_int_equal(p->abi_major, PH_ABI_MAJOR);
	assert_string_equal(p->name, "schema");
	assert_non_null(p->run);
}

static void test_self_parity(void **state)
{
	struct ph_run *run = *state;
	int i;

	make_db(run->side[0].ws, BASE);
	make_db(run->side[1].ws, BASE);
	assert_int_equal(run_plugin(run), 0);
	/* items, items_fts, notes, ledger, two cross rows; no row for items_fts shadows */
	assert_int_equal(run->n_rows, 6);
	for (i = 0; i < run->n_rows; i++)
		if (run->rows[i].cls != PH_PARITY)
			fail_msg("row '%s' is %s: %s", run->rows[i].feature,
				 ph_class_name(run->rows[i].cls), run->rows[i].messages);
	/* the shipped suite names the rows' cases */
	for (i = 0; i < run->n_rows; i++)
		assert_string_equal(run->rows[i].case_name,
				    strstr(run->rows[i].feature, " opened by ") ? "cross-open"
										 : "fresh-schema");
	assert_string_equal(must_row(run, "table items")->reference,
			    "3 columns, 1 index, 1 trigger");
	assert_string_equal(must_row(run, "table items_fts")->reference, "virtual table (fts5)");
	assert_string_equal(must_row(run, "schema_migrations")->reference, "versions 1-3");
	assert_null(row_of(run, "table items_fts_data"));
	assert_null(row_of(run, "table schema_migrations"));
	assert_string_equal(must_row(run, "candidate db opened by reference")->reference,
			    "healthy, 200, 10 memories");
	must_row(run, "reference db opened by candidate");
	/* both stopped before the comparison, each again after its cross-opening */
	assert_int_equal(run->side[0].stops, 2);
	assert_int_equal(run->side[1].stops, 2);
}

static void test_drift(void **state)
{
	struct ph_run *run = *state;
	const struct got_row *r;

	make_db(run->side[0].ws, BASE);
	make_db(run->side[1].ws, DRIFT);
	assert_int_equal(run_plugin(run), 0);
	r = must_row(run, "table items");
	assert_int_equal(r->cls, PH_STRUCTURAL);
	assert_string_equal(r->kinds, "missing-index");
	r = must_row(run, "table notes");
	assert_int_equal(r->cls, PH_SEMANTIC);
	assert_string_equal(r->kinds, "column-order");
	r = must_row(run, "table extra_t");
	assert_int_equal(r->cls, PH_STRUCTURAL);
	assert_string_equal(r->reference, "absent");
	assert_string_equal(r->kinds, "extra-table");
	assert_int_equal(must_row(run, "table items_fts")->cls, PH_PARITY);
	/* versions compared as a set: the differing checksums are not reported */
	r = must_row(run, "schema_migrations");
	assert_int_equal(r->cls, PH_SEMANTIC);
	assert_string_equal(r->kinds, "migration-versions");
	assert_int_equal(must_row(run, "candidate db opened by reference")->cls, PH_PARITY);
}

static void test_cross_failures(void **state)
{
	struct ph_run *run = *state;
	const struct got_row *r;

	make_db(run->side[0].ws, BASE);
	make_db(run->side[1].ws, BASE);
	run->side[PH_REFERENCE].restart_rc = PH_E_RUNTIME;
	run->side[PH_CANDIDATE].cross_count = 7;
	assert_int_equal(run_plugin(run), 0);
	r = must_row(run, "candidate db opened by reference");
	assert_int_equal(r->cls, PH_STRUCTURAL);
	assert_string_equal(r->kinds, "start");
	assert_non_null(strstr(r->messages, "could not open the candidate's database"));
	assert_non_null(strstr(r->messages, "boom: database refused"));
	r = must_row(run, "reference db opened by candidate");
	assert_int_equal(r->cls, PH_SEMANTIC);
	assert_string_equal(r->kinds, "length");
	assert_int_equal(must_row(run, "table items")->cls, PH_PARITY);
}

static void test_cross_status(void **state)
{
	struct ph_run *run = *state;
	const struct got_row *r;

	make_db(run->side[0].ws, BASE);
	make_db(run->side[1].ws, BASE);
	run->side[PH_CANDIDATE].cross_status = 500;
	assert_int_equal(run_plugin(run), 0);
	r = must_row(run, "reference db opened by candidate");
	assert_int_equal(r->cls, PH_STRUCTURAL);
	assert_string_equal(r->kinds, "status");
	assert_int_equal(must_row(run, "candidate db opened by reference")->cls, PH_PARITY);
}

/* A schema change still in the -wal (runtime stopped without checkpoint) is compared. */
static void test_wal_schema_seen(void **state)
{
	struct ph_run *run = *state;
	char path[1024], wal[1040];
	struct stat before, after;
	sqlite3 *db = NULL;
	const struct got_row *r;

	make_db(run->side[0].ws, BASE);
	make_db(run->side[1].ws, BASE);
	snprintf(path, sizeof(path), "%s/memory/memories.db", run->side[1].ws);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
				      " CREATE TABLE late_t(x INTEGER);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(stat(wal, &before), 0);
	assert_true(before.st_size > 0);
	assert_int_equal(run_plugin(run), 0);
	/* the runtime's own files are not touched: the snapshot is a copy */
	assert_int_equal(stat(wal, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	sqlite3_close(db);
	r = must_row(run, "table late_t");
	assert_int_equal(r->cls, PH_STRUCTURAL);
	assert_string_equal(r->kinds, "extra-table");
}

static void test_missing_databases(void **state)
{
	struct ph_run *run = *state;
	const struct got_row *r;

	make_db(run->side[0].ws, BASE);
	assert_int_equal(run_plugin(run), 0);
	r = must_row(run, "memory/memories.db");
	assert_int_equal(r->cls, PH_STRUCTURAL);
	assert_non_null(strstr(r->messages, "candidate"));
	assert_null(row_of(run, "table items"));
}

static void test_missing_reference_database(void **state)
{
	struct ph_run *run = *state;
	const struct got_row *r;

	make_db(run->side[1].ws, BASE);
	assert_int_equal(run_plugin(run), 0);
	r = must_row(run, "memory/memories.db");
	/* the harness cannot evaluate without the reference's schema: an error, not parity */
	assert_int_equal(r->cls, PH_ERROR);
	assert_non_null(strstr(r->messages, "reference"));
}

/* The suite says what is checked: here one opening only, under the suite's names. */
static void test_suite_drives_checks(void **state)
{
	struct ph_run *run = *state;
	const struct got_row *r;

	make_db(run->side[0].ws, BASE);
	make_db(run->side[1].ws, BASE);
	use_suite(run, "{\"cases\": [{\"name\": \"reopen\", \"kind\": \"cross-open\","
		       " \"list\": {\"path\": \"/api/memories?limit=5\", \"array\": \"memories\"},"
		       " \"openings\": [{\"runtime\": \"candidate\", \"feature\": \"rollback\"}]}]}");
	run->side[PH_REFERENCE].own_count = 4;
	run->side[PH_CANDIDATE].cross_count = 4;
	assert_int_equal(run_plugin(run), 0);
	assert_int_equal(run->n_rows, 1);
	r = must_row(run, "rollback");
	assert_string_equal(r->case_name, "reopen");
	assert_string_equal(r->reference, "healthy, 200, 4 memories");
	assert_int_equal(r->cls, PH_PARITY);
	/* only the candidate was started on the other's workspace */
	assert_int_equal(run->side[PH_REFERENCE].stops, 1);
	assert_int_equal(run->side[PH_CANDIDATE].stops, 2);
}

static void test_bad_suite(void **state)
{
	static const struct {
		const char *text;
		const char *want;
	} bad[] = {
	    {"{\"cases\": []}", "/suite: no cases"},
	    {"{\"cases\": [{\"name\": \"x\"}]}", "schema.json: case 'x': no \"kind\""},
	    {"{\"cases\": [{\"name\": \"x\", \"kind\": \"drop\"}]}",
	     "case 'x': unknown kind 'drop' (fresh-schema, cross-open)"},
	    {"{\"cases\": [{\"name\": \"x\", \"kind\": \"fresh-schema\", \"database\": \"/db\"}]}",
	     "case 'x': \"database\" must be a path inside the workspace"},
	    {"{\"cases\": [{\"name\": \"x\", \"kind\": \"cross-open\", \"list\": {\"path\": \"/a\"}}]}",
	     "case 'x': \"list\" must be"},
	    {"{\"cases\": [{\"name\": \"x\", \"kind\": \"cross-open\","
	     " \"list\": {\"path\": \"/a\", \"array\": \"m\"}, \"openings\": []}]}",
	     "case 'x': \"openings\" must be a non-empty array"},
	    {"{\"cases\": [{\"name\": \"x\", \"kind\": \"cross-open\","
	     " \"list\": {\"path\": \"/a\", \"array\": \"m\"},"
	     " \"openings\": [{\"runtime\": \"both\", \"feature\": \"f\"}]}]}",
	     "each of \"openings\" must be"},
	};
	struct ph_run *run = *state;
	struct ph_err err;
	char path[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (i) {
			snprintf(path, sizeof(path), "%s/schema.json", run->suite);
			assert_int_equal(unlink(path), 0);
			assert_int_equal(rmdir(run->suite), 0);
		}
		use_suite(run, bad[i].text);
		assert_int_equal(run_plugin_err(run, &err), PH_E_INVALID);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("suite %zu: '%s' does not say '%s'", i, err.msg, bad[i].want);
		/* nothing ran: no row, no runtime stopped */
		assert_int_equal(run->n_rows, 0);
		assert_int_equal(run->side[0].stops + run->side[1].stops, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_descriptor),
	    cmocka_unit_test_setup_teardown(test_self_parity, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drift, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cross_failures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cross_status, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wal_schema_seen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_databases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_reference_database, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_suite_drives_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_suite, setup, teardown),
	};

	find_suite_dir();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
