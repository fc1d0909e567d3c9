/*
 * Writing a scenario's seed: the suite's SQL files (a case names them), written into a
 * running runtime's database in one transaction, as the seed phase does; the plugin links
 * sqlite3 itself for it, since the host's db_query is read-only.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "parity/jsonio.h"
#include "parity/path.h"
#include "parts.h"

int ph_pipeline_seed(const struct ph_host *host, struct ph_run *run, enum ph_side side,
		     const char *sql, struct ph_err *err)
{
	char *path = ph_path_join(host->workspace(run, side), "memory/memories.db"), *msg = NULL;
	sqlite3 *db = NULL;
	int rc = 0;

	if (!path)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open '%s': %s", path,
			      db ? sqlite3_errmsg(db) : "out of memory");
		sqlite3_close(db);
		free(path);
		return rc;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "%s: seeding %s: %s", ph_pipeline_sides[side], path,
			      msg ? msg : sqlite3_errmsg(db));
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_free(msg);
	sqlite3_close(db);
	free(path);
	return rc;
}

int ph_pipeline_case_file(const struct ph_host *host, struct ph_run *run, const json_t *c,
			  const char *key, char **text, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *v = json_object_get(c, key);
	char *path;
	size_t len;
	int rc = 0;

	*text = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v) || !*json_string_value(v) || strchr(json_string_value(v), '/'))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"%s\": expected the name of a .sql file of the "
				"suite folder",
				host->suite_dir(run), name, key);
	if (!(path = ph_path_join(host->suite_dir(run), json_string_value(v))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (ph_file_read(path, 0, text, &len, err))
		rc = ph_error_prefix(err, "case '%s'", name);
	free(path);
	return rc;
}
