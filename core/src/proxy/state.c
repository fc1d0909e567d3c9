/*
 * The state snapshot after a replayed write (state.h), on SQLite opened read-only.
 */
#include "proxy/state.h"

#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "compare/compare.h"
#include "parity/dbrow.h"

static json_t *column_value(sqlite3_stmt *st, int i)
{
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return json_integer((json_int_t)sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, i));
	case SQLITE_NULL:
		return json_null();
	case SQLITE_BLOB:
		return json_string("<blob>");
	default:
		return json_stringn((const char *)sqlite3_column_text(st, i),
				    (size_t)sqlite3_column_bytes(st, i));
	}
}

/* A row as an object: ids dropped, timestamps masked to "<set>" or null. */
static json_t *row_of(sqlite3_stmt *st)
{
	json_t *row = json_object();
	int i, n = sqlite3_column_count(st);

	for (i = 0; row && i < n; i++) {
		const char *k = sqlite3_column_name(st, i);
		json_t *v;

		if (!strcmp(k, "id") || !strcmp(k, "memory_id") || !strcmp(k, "rowid"))
			continue;
		v = column_value(st, i);
		json_object_set_new(row, k, v ? v : json_null());
	}
	if (row)
		ph_dbrow_mask_times(row);
	return row;
}

int ph_state_snapshot(const char *path, const char *id, json_t **out, struct ph_err *err)
{
	static const char *const sql[2] = {
		"SELECT * FROM memories WHERE id = ?1",
		"SELECT * FROM memory_history WHERE memory_id = ?1 ORDER BY rowid",
	};
	sqlite3 *db = NULL;
	json_t *doc = json_object(), *hist = json_array();
	int t, rc;

	*out = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		ph_error(err, PH_E_IO, "'%s': %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(db, 1000);
	json_object_set_new(doc, "memories", json_null());
	for (t = 0; t < 2; t++) {
		sqlite3_stmt *st = NULL;

		if (sqlite3_prepare_v2(db, sql[t], -1, &st, NULL) != SQLITE_OK) {
			ph_error(err, PH_E_IO, "'%s': %s", path, sqlite3_errmsg(db));
			goto fail;
		}
		sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (t == 0)
				json_object_set_new(doc, "memories", row_of(st));
			else
				json_array_append_new(hist, row_of(st));
		}
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE) {
			ph_error(err, PH_E_IO, "'%s': %s", path, sqlite3_errmsg(db));
			goto fail;
		}
	}
	json_object_set_new(doc, "memory_history", hist);
	sqlite3_close(db);
	*out = doc;
	return 0;
fail:
	json_decref(hist);
	json_decref(doc);
	sqlite3_close(db);
	return PH_E_IO;
}

/* "memory_history.3.event" -> "db.memory_history.event"; "memories" -> "db.memories". */
static char *state_path(const char *path)
{
	const char *dot = strchr(path, '.'), *col = NULL;
	size_t tn = dot ? (size_t)(dot - path) : strlen(path);
	char *out;

	if (dot) {
		col = dot + 1;
		if (*col >= '0' && *col <= '9') { /* an array index: the row, not a column */
			col = strchr(col, '.');
			col = col ? col + 1 : NULL;
		}
	}
	if (col) {
		const char *end = strchr(col, '.');
		size_t cn = end ? (size_t)(end - col) : strlen(col);

		out = malloc(tn + cn + 5);
		if (out)
			snprintf(out, tn + cn + 5, "db.%.*s.%.*s", (int)tn, path, (int)cn, col);
	} else {
		out = malloc(tn + 4);
		if (out)
			snprintf(out, tn + 4, "db.%.*s", (int)tn, path);
	}
	return out;
}

int ph_state_compare(const json_t *a, const json_t *b, struct ph_rules *rules,
		     struct ph_result *out, struct ph_err *err)
{
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = ph_compare_json_rule(&rules->deflt, a, b, out, err)))
		return rc;
	for (i = 0; i < out->count; i++) {
		char *p = state_path(out->items[i].path ? out->items[i].path : "");

		if (p) {
			free(out->items[i].path);
			out->items[i].path = p;
		}
	}
	return 0;
}
