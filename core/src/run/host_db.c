/*
 * The host's database services (parity/plugin.h db_query, verify_schema): read-only
 * queries on the database of a runtime's workspace (the config's "database" path), rows
 * as JSON objects; and schema comparison as `parity verify-schema` does it.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/path.h"
#include "run/host_impl.h"
#include "run/session.h"
#include "schema/schema.h"

static json_t *column_value(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer((json_int_t)sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_TEXT: {
		const char *t = (const char *)sqlite3_column_text(st, i);
		json_t *v = json_stringn(t, (size_t)sqlite3_column_bytes(st, i));

		return v ? v : json_string("<invalid UTF-8>");
	}
	case SQLITE_BLOB: {
		const unsigned char *p = sqlite3_column_blob(st, i);
		int n = sqlite3_column_bytes(st, i), k;
		char *hex = malloc((size_t)n * 2 + 4);
		json_t *v;

		if (!hex)
			return NULL;
		strcpy(hex, "x'");
		for (k = 0; k < n; k++)
			snprintf(hex + 2 + k * 2, 3, "%02x", p[k]);
		strcpy(hex + 2 + n * 2, "'");
		v = json_string(hex);
		free(hex);
		return v;
	}
	default:
		return json_null();
	}
}

int ph_host_db_query(struct ph_run *run, enum ph_side side, const char *sql, json_t **rows,
			 struct ph_err *err)
{
	char *path = ph_path_join(run->s->side[side].workspace, run->s->cfg.database);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc;

	*rows = NULL;
	if (!path)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open '%s': %s", path,
			      db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "%s: cannot prepare '%s': %s", path, sql,
			      sqlite3_errmsg(db));
		goto out;
	}
	*rows = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = json_object();
		int i;

		for (i = 0; i < sqlite3_column_count(st); i++)
			json_object_set_new(row, sqlite3_column_name(st, i), column_value(st, i));
		json_array_append_new(*rows, row);
	}
	if (rc != SQLITE_DONE) {
		rc = ph_error(err, PH_E_DB, "%s: '%s': %s", path, sql, sqlite3_errmsg(db));
		json_decref(*rows);
		*rows = NULL;
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(path);
	return rc;
}

int ph_host_verify_schema(struct ph_run *run, const char *a, const char *b,
			      json_t **differences, struct ph_err *err)
{
	json_t *sa = NULL, *sb = NULL;
	int rc;

	(void)run;
	*differences = NULL;
	rc = ph_schema_load(a, &sa, err);
	if (!rc)
		rc = ph_schema_load(b, &sb, err);
	if (!rc)
		rc = ph_schema_diff(sa, sb, differences, err);
	json_decref(sa);
	json_decref(sb);
	return rc;
}
