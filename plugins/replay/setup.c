/*
 * Starting both runtimes as a case says. Each case gets fresh workspaces and HOMEs
 * (runtimes_fresh under the case's label); then each side is stopped, its workspace
 * emptied but for the case's agent.yaml, and started with the case's env so that the
 * runtime creates and migrates its own database ("migrations-current"); stopped again, the
 * case's seed SQL is written into that database in one transaction, and it starts once
 * more. The runtimes are started without waiting for the config's "ready" values: a
 * case's agent.yaml may turn off the worker they wait for.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "parity/jsonio.h"
#include "parity/path.h"
#include "replay.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	if (ftw->level == 0) /* the workspace itself stays */
		return 0;
	return remove(path) ? -1 : 0;
}

/* Empty dir (it stays) and write the case's agent.yaml into it. */
static int fresh_workspace(const char *dir, const char *agent_yaml, struct ph_err *err)
{
	char *path;
	int rc = 0;

	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS))
		return ph_error(err, PH_E_IO, "cannot empty workspace %s: %s", dir, strerror(errno));
	if (!agent_yaml)
		return 0;
	if (!(path = ph_path_join(dir, "agent.yaml")))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = ph_file_write_atomic(path, agent_yaml, strlen(agent_yaml), 0644, err);
	free(path);
	return rc;
}

/* Write the SQL of sql_path into the database at db in one transaction. */
static int seed_database(const char *db_path, const char *sql_path, struct ph_err *err)
{
	char *sql = NULL, *msg = NULL;
	size_t len;
	sqlite3 *db = NULL;
	struct stat st;
	int rc;

	if (stat(db_path, &st))
		return ph_error(err, PH_E_RUNTIME,
				"the runtime made no database at %s on an empty workspace", db_path);
	if ((rc = ph_file_read(sql_path, 0, &sql, &len, err)))
		return rc;
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open %s: %s", db_path,
			      db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "%s: seeding %s: %s", sql_path, db_path,
			      msg ? msg : sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
out:
	sqlite3_free(msg);
	sqlite3_close(db);
	free(sql);
	return rc;
}

static int setup_side(struct rp_run *r, struct rp_case *c, enum ph_side side, const char *sql,
		      struct ph_err *err)
{
	const struct ph_host *h = r->host;
	const json_t *env = json_object_get(c->doc, "environment");
	const char *yaml = json_string_value(json_object_get(env, "agentYaml"));
	char *db;
	int rc;

	if ((rc = h->runtime_stop(r->run, side, 0, err)) ||
	    (rc = fresh_workspace(h->workspace(r->run, side), yaml, err)) ||
	    (rc = h->runtime_restart(r->run, side, NULL, err)))
		return rc;
	if (!sql)
		return 0;
	if ((rc = h->runtime_stop(r->run, side, 0, err)))
		return rc;
	if (!(db = ph_path_join(h->workspace(r->run, side), r->database)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = seed_database(db, sql, err);
	free(db);
	return rc ? rc : h->runtime_restart(r->run, side, NULL, err);
}

int rp_setup(struct rp_run *r, struct rp_case *c, struct ph_err *err)
{
	const struct ph_host *h = r->host;
	const json_t *env = json_object_get(json_object_get(c->doc, "environment"), "env");
	const char *rel = json_string_value(json_object_get(json_object_get(c->doc, "seed"), "sql"));
	json_t *opts = json_pack("{s:b}", "ready", 0);
	char *sql = NULL;
	int rc = 0, side;

	if (!opts)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (env)
		json_object_set(opts, "env", (json_t *)env);
	if (!PH_HOST_HAS(h, runtime_options)) {
		json_decref(opts);
		return ph_error(err, PH_E_INVALID,
				"the host has no runtime_options (ABI 1.3): cannot start a case's "
				"environment");
	}
	for (side = 0; side < 2 && !rc; side++)
		rc = h->runtime_options(r->run, (enum ph_side)side, opts, err);
	json_decref(opts);
	if (rc)
		return rc;
	if (rel && !(sql = rel[0] == '/' ? strdup(rel) : ph_path_join(r->corpus, rel)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (!(rc = h->runtimes_fresh(r->run, c->label, err)))
		for (side = 0; side < 2 && !rc; side++)
			if ((rc = setup_side(r, c, (enum ph_side)side, sql, err)))
				ph_error_prefix(err, "%s", rp_sides[side]);
	free(sql);
	return rc;
}
