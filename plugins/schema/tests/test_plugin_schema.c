/*
 * Unit tests of the schema plugin, driven through the shared fake host and fixture
 * (tests/support): the workspaces are folders of the fixture holding databases this test
 * builds, verify_schema is the core's schema comparison, and HTTP, restarts and stops
 * are scripted per side. The tests check the rows a user reads in the matrix: one per
 * table with the worst class of that table's differences, candidate-only tables, no rows
 * for FTS shadow tables, the ledger row, the cross-opening rows (a runtime that cannot
 * start is a structural row with the reason), and that a schema still in a WAL file is
 * seen.
 */
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

#include "parity/plugin.h"
#include "plugin_fixture.h"
#include "run/host_impl.h"

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

/* A recorded row as these tests read it. */
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

/* A test's runtimes and rows, on the shared fixture's fake host (fh.user). */
struct sfx {
	struct plugin_fixture *pf;
	char suite[512]; /* the suite folder use_suite writes */
	struct fake_side side[2];
	struct got_row rows[MAX_ROWS];
	int n_rows;
};

static struct sfx *sfx_of(struct ph_run *run)
{
	return fake_host_of(run)->user;
}

/* The fake host's responder: own_count memories, or cross_count on the other's workspace. */
static int fake_http(struct fake_host *fh, enum ph_side side, const struct ph_request *req,
		     struct ph_response *resp)
{
	struct fake_side *s = &((struct sfx *)fh->user)->side[side];
	long status = s->on_other ? s->cross_status : 200;
	int n = s->on_other ? s->cross_count : s->own_count, i;
	json_t *doc = json_pack("{s:[], s:{s:i}}", "memories", "stats", "total", n);

	assert_string_equal(req->method, "GET");
	assert_true(!strncmp(req->path, "/api/memories", 13));
	for (i = 0; i < n; i++)
		json_array_append_new(json_object_get(doc, "memories"),
				      json_pack("{s:i}", "id", i));
	resp->status = status;
	resp->body = status == 200 ? json_dumps(doc, 0) : strdup("{\"error\":\"boom\"}");
	resp->body_len = strlen(resp->body);
	resp->latency_ms = 1;
	json_decref(doc);
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
	struct sfx *t = sfx_of(run);
	struct fake_side *s = &t->side[side];

	/* The plugin starts a side only on the other side's workspace. */
	assert_string_equal(workspace, t->side[!side].ws);
	if (s->restart_rc)
		return ph_error(err, s->restart_rc, "boom: database refused");
	s->on_other = 1;
	return 0;
}

static int fake_stop(struct ph_run *run, enum ph_side side, int hard, struct ph_err *err)
{
	struct fake_side *s = &sfx_of(run)->side[side];

	(void)hard;
	(void)err;
	s->stops++;
	s->on_other = 0;
	return 0;
}

static enum ph_class class_named(const char *name)
{
	enum ph_class c;

	for (c = PH_PARITY; c < PH_ERROR; c++)
		if (name && !strcmp(name, ph_class_name(c)))
			break;
	return c;
}

/* The fake host's recorded rows, as got_rows. */
static void collect_rows(struct sfx *t)
{
	json_t *row, *d;
	size_t i, k;

	t->n_rows = 0;
	json_array_foreach(t->pf->fh.rows, i, row)
	{
		struct got_row *g = &t->rows[t->n_rows];
		const char *ref = json_string_value(json_object_get(row, "reference"));
		const char *error = json_string_value(json_object_get(row, "error"));

		assert_true(t->n_rows++ < MAX_ROWS);
		memset(g, 0, sizeof(*g));
		snprintf(g->feature, sizeof(g->feature), "%s",
			 json_string_value(json_object_get(row, "feature")));
		snprintf(g->case_name, sizeof(g->case_name), "%s",
			 json_string_value(json_object_get(row, "case")));
		snprintf(g->reference, sizeof(g->reference), "%s", ref ? ref : "");
		g->cls = class_named(json_string_value(json_object_get(row, "class")));
		json_array_foreach(json_object_get(row, "divergences"), k, d)
		{
			const char *kind = json_string_value(json_object_get(d, "kind"));
			const char *msg = json_string_value(json_object_get(d, "message"));

			snprintf(g->kinds + strlen(g->kinds), sizeof(g->kinds) - strlen(g->kinds),
				 "%s%s", k ? "," : "", kind);
			snprintf(g->messages + strlen(g->messages),
				 sizeof(g->messages) - strlen(g->messages), "%s|", msg);
		}
		if (error)
			snprintf(g->messages, sizeof(g->messages), "%s", error);
	}
}

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

/* The databases each side created: ref_sql's and cand_sql's. */
static void make_dbs(struct sfx *t, const char *ref_sql, const char *cand_sql)
{
	make_db(t->side[PH_REFERENCE].ws, ref_sql);
	make_db(t->side[PH_CANDIDATE].ws, cand_sql);
}

/*
 * Both sides' workspaces in the fixture's folder, each listing 10 memories on its own and
 * on the other's; the fake host's table with the runtimes above and the core's schema
 * comparison as verify_schema; the shipped suite.
 */
static int schema_setup(struct plugin_fixture *pf)
{
	struct sfx *t = pf->user;
	int i;

	t->pf = pf;
	for (i = 0; i < 2; i++) {
		snprintf(t->side[i].ws, sizeof(t->side[i].ws), "%s/%s", pf->dir,
			 i ? "cand" : "ref");
		if (mkdir(t->side[i].ws, 0755))
			return -1;
		t->side[i].own_count = 10;
		t->side[i].cross_status = 200;
		t->side[i].cross_count = 10;
		pf->fh.workspace[i] = t->side[i].ws;
	}
	pf->fh.suite_dir = shipped_suite;
	pf->fh.user = t;
	pf->fh.respond = fake_http;
	pf->fh.host.progress = fake_progress;
	pf->fh.host.runtime_restart = fake_restart;
	pf->fh.host.runtime_stop = fake_stop;
	pf->fh.host.verify_schema = ph_host_verify_schema;
	return 0;
}

static const struct plugin_fixture_spec fixture = {.domain = "schema",
						    .entry = ph_schema_plugin,
						    .user_size = sizeof(struct sfx),
						    .setup = schema_setup};

static struct sfx *fx_of(void **state)
{
	return ((struct plugin_fixture *)*state)->user;
}

static int run_plugin_err(struct sfx *t, struct ph_err *err)
{
	int rc = plugin_fixture_run(t->pf, err);

	collect_rows(t);
	return rc;
}

static int run_plugin(struct sfx *t)
{
	struct ph_err err;

	return run_plugin_err(t, &err);
}

/* Make the plugin read a suite folder holding one file, schema.json, with text. */
static void use_suite(struct sfx *t, const char *text)
{
	char path[1024];
	FILE *f;

	snprintf(t->suite, sizeof(t->suite), "%s/suite", t->pf->dir);
	assert_int_equal(mkdir(t->suite, 0755), 0);
	snprintf(path, sizeof(path), "%s/schema.json", t->suite);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	t->pf->fh.suite_dir = t->suite;
}

static const struct got_row *row_of(const struct sfx *t, const char *feature)
{
	for (const struct got_row *r = t->rows; r < t->rows + t->n_rows; r++)
		if (!strcmp(r->feature, feature))
			return r;
	return NULL;
}

static const struct got_row *must_row(const struct sfx *t, const char *feature)
{
	const struct got_row *r = row_of(t, feature);

	if (!r)
		fail_msg("no row for '%s'", feature);
	return r;
}

/* The row of feature, of class cls and, when kinds is set, with those divergence kinds. */
static const struct got_row *expect_row(const struct sfx *t, const char *feature,
					enum ph_class cls, const char *kinds)
{
	const struct got_row *r = must_row(t, feature);

	assert_int_equal(r->cls, cls);
	if (kinds)
		assert_string_equal(r->kinds, kinds);
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
	struct sfx *t = fx_of(state);
	int i;

	make_dbs(t, BASE, BASE);
	assert_int_equal(run_plugin(t), 0);
	/* items, items_fts, notes, ledger, two cross rows; no row for items_fts shadows */
	assert_int_equal(t->n_rows, 6);
	for (i = 0; i < t->n_rows; i++)
		if (t->rows[i].cls != PH_PARITY)
			fail_msg("row '%s' is %s: %s", t->rows[i].feature,
				 ph_class_name(t->rows[i].cls), t->rows[i].messages);
	/* the shipped suite names the rows' cases */
	for (i = 0; i < t->n_rows; i++)
		assert_string_equal(t->rows[i].case_name,
				    strstr(t->rows[i].feature, " opened by ") ? "cross-open"
										 : "fresh-schema");
	assert_string_equal(must_row(t, "table items")->reference,
			    "3 columns, 1 index, 1 trigger");
	assert_string_equal(must_row(t, "table items_fts")->reference, "virtual table (fts5)");
	assert_string_equal(must_row(t, "schema_migrations")->reference, "versions 1-3");
	assert_null(row_of(t, "table items_fts_data"));
	assert_null(row_of(t, "table schema_migrations"));
	assert_string_equal(must_row(t, "candidate db opened by reference")->reference,
			    "healthy, 200, 10 memories");
	must_row(t, "reference db opened by candidate");
	/* both stopped before the comparison, each again after its cross-opening */
	assert_int_equal(t->side[0].stops, 2);
	assert_int_equal(t->side[1].stops, 2);
}

static void test_drift(void **state)
{
	struct sfx *t = fx_of(state);
	const struct got_row *r;

	make_dbs(t, BASE, DRIFT);
	assert_int_equal(run_plugin(t), 0);
	expect_row(t, "table items", PH_STRUCTURAL, "missing-index");
	expect_row(t, "table notes", PH_SEMANTIC, "column-order");
	r = expect_row(t, "table extra_t", PH_STRUCTURAL, "extra-table");
	assert_string_equal(r->reference, "absent");
	expect_row(t, "table items_fts", PH_PARITY, NULL);
	/* versions compared as a set: the differing checksums are not reported */
	expect_row(t, "schema_migrations", PH_SEMANTIC, "migration-versions");
	expect_row(t, "candidate db opened by reference", PH_PARITY, NULL);
}

static void test_cross_failures(void **state)
{
	struct sfx *t = fx_of(state);
	const struct got_row *r;

	make_dbs(t, BASE, BASE);
	t->side[PH_REFERENCE].restart_rc = PH_E_RUNTIME;
	t->side[PH_CANDIDATE].cross_count = 7;
	assert_int_equal(run_plugin(t), 0);
	r = expect_row(t, "candidate db opened by reference", PH_STRUCTURAL, "start");
	assert_non_null(strstr(r->messages, "could not open the candidate's database"));
	assert_non_null(strstr(r->messages, "boom: database refused"));
	expect_row(t, "reference db opened by candidate", PH_SEMANTIC, "length");
	expect_row(t, "table items", PH_PARITY, NULL);
}

static void test_cross_status(void **state)
{
	struct sfx *t = fx_of(state);

	make_dbs(t, BASE, BASE);
	t->side[PH_CANDIDATE].cross_status = 500;
	assert_int_equal(run_plugin(t), 0);
	expect_row(t, "reference db opened by candidate", PH_STRUCTURAL, "status");
	expect_row(t, "candidate db opened by reference", PH_PARITY, NULL);
}

/* A schema change still in the -wal (runtime stopped without checkpoint) is compared. */
static void test_wal_schema_seen(void **state)
{
	struct sfx *t = fx_of(state);
	char path[1024], wal[1040];
	struct stat before, after;
	sqlite3 *db = NULL;

	make_dbs(t, BASE, BASE);
	snprintf(path, sizeof(path), "%s/memory/memories.db", t->side[1].ws);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
				      " CREATE TABLE late_t(x INTEGER);",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	assert_int_equal(stat(wal, &before), 0);
	assert_true(before.st_size > 0);
	assert_int_equal(run_plugin(t), 0);
	/* the runtime's own files are not touched: the snapshot is a copy */
	assert_int_equal(stat(wal, &after), 0);
	assert_int_equal(after.st_size, before.st_size);
	sqlite3_close(db);
	expect_row(t, "table late_t", PH_STRUCTURAL, "extra-table");
}

/*
 * Only side with_db created its database: one row for the database, of class cls, its
 * message naming the side without one (names).
 */
static struct sfx *only_database(void **state, enum ph_side with_db, enum ph_class cls,
				 const char *names)
{
	struct sfx *t = fx_of(state);
	const struct got_row *r;

	make_db(t->side[with_db].ws, BASE);
	assert_int_equal(run_plugin(t), 0);
	r = expect_row(t, "memory/memories.db", cls, NULL);
	assert_non_null(strstr(r->messages, names));
	return t;
}

static void test_missing_databases(void **state)
{
	struct sfx *t = only_database(state, PH_REFERENCE, PH_STRUCTURAL, "candidate");

	assert_null(row_of(t, "table items"));
}

static void test_missing_reference_database(void **state)
{
	/* the harness cannot evaluate without the reference's schema: an error, not parity */
	only_database(state, PH_CANDIDATE, PH_ERROR, "reference");
}

/* The suite says what is checked: here one opening only, under the suite's names. */
static void test_suite_drives_checks(void **state)
{
	struct sfx *t = fx_of(state);
	const struct got_row *r;

	make_dbs(t, BASE, BASE);
	use_suite(t, "{\"cases\": [{\"name\": \"reopen\", \"kind\": \"cross-open\","
		       " \"list\": {\"path\": \"/api/memories?limit=5\", \"array\": \"memories\"},"
		       " \"openings\": [{\"runtime\": \"candidate\", \"feature\": \"rollback\"}]}]}");
	t->side[PH_REFERENCE].own_count = 4;
	t->side[PH_CANDIDATE].cross_count = 4;
	assert_int_equal(run_plugin(t), 0);
	assert_int_equal(t->n_rows, 1);
	r = must_row(t, "rollback");
	assert_string_equal(r->case_name, "reopen");
	assert_string_equal(r->reference, "healthy, 200, 4 memories");
	assert_int_equal(r->cls, PH_PARITY);
	/* only the candidate was started on the other's workspace */
	assert_int_equal(t->side[PH_REFERENCE].stops, 1);
	assert_int_equal(t->side[PH_CANDIDATE].stops, 2);
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
	struct sfx *t = fx_of(state);
	struct ph_err err;
	char path[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (i) {
			snprintf(path, sizeof(path), "%s/schema.json", t->suite);
			assert_int_equal(unlink(path), 0);
			assert_int_equal(rmdir(t->suite), 0);
		}
		use_suite(t, bad[i].text);
		assert_int_equal(run_plugin_err(t, &err), PH_E_INVALID);
		if (!strstr(err.msg, bad[i].want))
			fail_msg("suite %zu: '%s' does not say '%s'", i, err.msg, bad[i].want);
		/* nothing ran: no row, no runtime stopped */
		assert_int_equal(t->n_rows, 0);
		assert_int_equal(t->side[0].stops + t->side[1].stops, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_descriptor),
	    cmocka_unit_test(test_self_parity),
	    cmocka_unit_test(test_drift),
	    cmocka_unit_test(test_cross_failures),
	    cmocka_unit_test(test_cross_status),
	    cmocka_unit_test(test_wal_schema_seen),
	    cmocka_unit_test(test_missing_databases),
	    cmocka_unit_test(test_missing_reference_database),
	    cmocka_unit_test(test_suite_drives_checks),
	    cmocka_unit_test(test_bad_suite),
	};

	find_suite_dir();
	return plugin_fixture_run_tests(&fixture, tests);
}
