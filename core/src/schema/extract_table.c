/*
 * One ordinary table read into the schema model (extract.h) through SQLite's pragmas:
 * table_xinfo for columns and the primary key, index_list and index_xinfo for indexes
 * (UNIQUE constraints keyed by their columns, since SQLite names them
 * sqlite_autoindex_*), foreign_key_list for foreign keys keyed by what they link. Names
 * are lower-cased into keys, as SQLite compares them.
 */
#include "schema/extract.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema/model.h"
#include "schema/sql.h"

int ph_schema_db_fail(struct ph_err *err, sqlite3 *db, const char *source, const char *what)
{
	return ph_error(err, PH_E_DB, "%s: %s: %s", source, what, sqlite3_errmsg(db));
}

int ph_schema_prep(sqlite3 *db, const char *sql, const char *arg, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc == SQLITE_OK && arg)
		rc = sqlite3_bind_text(*st, 1, arg, -1, SQLITE_TRANSIENT);
	return rc;
}

json_t *ph_schema_text_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? json_string((const char *)s) : json_null();
}

static int prep_c(struct stcache *c, const char *sql, const char *arg, sqlite3_stmt **st)
{
	size_t i;
	int rc;

	for (i = 0; i < 8 && c->sql[i] && c->sql[i] != sql; i++)
		;
	if (i < 8 && c->sql[i] == sql) {
		*st = c->st[i];
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return arg ? sqlite3_bind_text(*st, 1, arg, -1, SQLITE_TRANSIENT) : SQLITE_OK;
	}
	rc = ph_schema_prep(c->db, sql, arg, st);
	if (rc == SQLITE_OK && i < 8) {
		c->sql[i] = sql;
		c->st[i] = *st;
	}
	return rc;
}

/* Done with st for now: cached statements are reset, others finalized. */
static void release(struct stcache *c, sqlite3_stmt *st)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (c->st[i] == st && st) {
			sqlite3_reset(st);
			return;
		}
	sqlite3_finalize(st);
}

/* prep_c for a table's pragma; when it fails, st is released and `what` reported. */
static int prep_table(struct stcache *c, const char *source, const char *sql, const char *name,
		      sqlite3_stmt **st, const char *what, struct ph_err *err)
{
	if (prep_c(c, sql, name, st) == SQLITE_OK)
		return 0;
	release(c, *st);
	return ph_schema_db_fail(err, c->db, source, what);
}

void ph_schema_stcache_free(struct stcache *c)
{
	size_t i;

	for (i = 0; i < 8; i++)
		sqlite3_finalize(c->st[i]);
	memset(c, 0, sizeof(*c));
}

/* Columns, primary key and options of an ordinary table. */
static int extract_columns(struct stcache *c, const char *source, const char *name, json_t *tab,
			   const json_t *options, struct ph_err *err)
{
	sqlite3_stmt *st = NULL;
	json_t *cols = json_object(), *order = json_array(), *pk = json_array();
	json_t *pkv[256] = {0};
	int rc, i;

	json_object_set_new(tab, "columns", cols);
	json_object_set_new(tab, "order", order);
	json_object_set_new(tab, "pk", pk);
	if (!cols || !order || !pk)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = prep_table(c, source,
			     "SELECT name, type, \"notnull\", dflt_value, pk, hidden "
			     "FROM pragma_table_xinfo(?1) ORDER BY cid",
			     name, &st, "cannot read columns", err)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cname = (const char *)sqlite3_column_text(st, 0);
		char *key = ph_schema_lower(cname);
		int pkn = sqlite3_column_int(st, 4);

		if (!key) {
			release(c, st);
			return ph_error(err, PH_E_NOMEM, "out of memory");
		}
		json_object_set_new(
		    cols, key,
		    json_pack("{s:s?,s:s,s:b,s:o,s:i,s:i}", "name", cname, "type",
			      sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1)
							 : "",
			      "notnull", sqlite3_column_int(st, 2) != 0, "default",
			      ph_schema_text_or_null(st, 3), "pk", pkn, "hidden",
			      sqlite3_column_int(st, 5)));
		json_array_append_new(order, json_string(key));
		if (pkn > 0 && pkn < 256 && !pkv[pkn])
			pkv[pkn] = json_string(key);
		free(key);
	}
	release(c, st);
	if (rc != SQLITE_DONE)
		return ph_schema_db_fail(err, c->db, source, "cannot read columns");
	for (i = 1; i < 256; i++)
		if (pkv[i])
			json_array_append_new(pk, pkv[i]);
	if (json_object_get(options, name))
		json_object_set(tab, "options", json_object_get(options, name));

	return 0;
}

/* Indexes of a table, keyed by name; UNIQUE constraints by "unique(cols)". */
static int extract_indexes(struct stcache *c, const char *source, const char *name, json_t *tab,
			   const json_t *index_sql, struct ph_err *err)
{
	sqlite3_stmt *st = NULL, *xi = NULL;
	json_t *idx = json_object();
	int rc;

	json_object_set_new(tab, "indexes", idx);
	if (!idx)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = prep_table(c, source,
			     "SELECT name, \"unique\", origin FROM pragma_index_list(?1)", name,
			     &st, "cannot list indexes", err)))
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *iname = (const char *)sqlite3_column_text(st, 0);
		const char *origin = (const char *)sqlite3_column_text(st, 2);
		char *lname = ph_schema_lower(iname);
		const char *sql = json_string_value(json_object_get(index_sql, lname ? lname : ""));
		char *partial = NULL;
		json_t *terms = ph_sql_index_terms(sql, &partial);
		json_t *cols = json_array();
		struct ph_strbuf key = {0};
		int xrc, pos = 0;

		if (origin && !strcmp(origin, "pk")) {
			free(lname);
			free(partial);
			json_decref(terms);
			json_decref(cols);
			continue; /* the primary key is compared as the table's "pk" */
		}
		if (prep_c(c,
			   "SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1) "
			   "WHERE key = 1 ORDER BY seqno",
			   iname, &xi) != SQLITE_OK) {
			release(c, xi);
			release(c, st);
			free(lname);
			free(partial);
			json_decref(terms);
			json_decref(cols);
			return ph_schema_db_fail(err, c->db, source, "cannot read index columns");
		}
		while ((xrc = sqlite3_step(xi)) == SQLITE_ROW) {
			struct ph_strbuf c = {0};
			const char *cname = (const char *)sqlite3_column_text(xi, 1);
			const char *coll = (const char *)sqlite3_column_text(xi, 3);
			char *lc;

			if (sqlite3_column_int(xi, 0) == -2) {
				const char *term =
				    json_string_value(json_array_get(terms, (size_t)pos));

				ph_strbuf_add(&c, term ? term : "<expression>");
			} else if (sqlite3_column_int(xi, 0) == -1) {
				ph_strbuf_add(&c, "rowid");
			} else {
				lc = ph_schema_lower(cname);
				ph_strbuf_add(&c, lc ? lc : "");
				free(lc);
				if (sqlite3_column_int(xi, 2))
					ph_strbuf_add(&c, " desc");
			}
			if (coll && strcasecmp(coll, "BINARY")) {
				lc = ph_schema_lower(coll);
				ph_strbuf_add(&c, " collate ");
				ph_strbuf_add(&c, lc ? lc : "");
				free(lc);
			}
			json_array_append_new(cols, json_string(c.p ? c.p : ""));
			free(c.p);
			pos++;
		}
		release(c, xi);
		xi = NULL;
		if (origin && !strcmp(origin, "u")) {
			size_t i;

			ph_strbuf_add(&key, "unique(");
			for (i = 0; i < json_array_size(cols); i++) {
				if (i)
					ph_strbuf_add(&key, ",");
				ph_strbuf_add(&key, json_string_value(json_array_get(cols, i)));
			}
			ph_strbuf_add(&key, ")");
		} else {
			ph_strbuf_add(&key, lname ? lname : "");
		}
		if (key.p)
			json_object_set_new(idx, key.p,
					    json_pack("{s:s?,s:b,s:o,s:s?}", "name", iname,
						      "unique", sqlite3_column_int(st, 1) != 0,
						      "columns", cols, "partial", partial));
		else
			json_decref(cols);
		free(key.p);
		free(lname);
		free(partial);
		json_decref(terms);
		if (xrc != SQLITE_DONE) {
			release(c, st);
			return ph_schema_db_fail(err, c->db, source, "cannot read index columns");
		}
	}
	release(c, st);
	if (rc != SQLITE_DONE)
		return ph_schema_db_fail(err, c->db, source, "cannot list indexes");
	return 0;
}

/* The primary-key columns of `table` (for a foreign key that names no columns). */
static json_t *pk_columns(struct stcache *c, const char *table)
{
	sqlite3_stmt *st = NULL;
	json_t *cols = json_array();

	if (prep_c(c, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk", table,
		   &st) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			char *l = ph_schema_lower((const char *)sqlite3_column_text(st, 0));

			json_array_append_new(cols, json_string(l ? l : ""));
			free(l);
		}
	release(c, st);
	return cols;
}

/* Foreign keys of a table, keyed "(from)->table(to)" with their actions. */
static int extract_fks(struct stcache *c, const char *source, const char *name, json_t *tab,
		       struct ph_err *err)
{
	sqlite3_stmt *st = NULL;
	json_t *fks = json_object(), *from = NULL, *to = NULL;
	char *target = NULL, *on_update = NULL, *on_delete = NULL;
	int rc, cur = -1, any_null_to = 0;

	json_object_set_new(tab, "foreign_keys", fks);
	if (!fks)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = prep_table(c, source,
			     "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete "
			     "FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
			     name, &st, "cannot list foreign keys", err)))
		return rc;
	for (;;) {
		rc = sqlite3_step(st);
		if (cur >= 0 && (rc != SQLITE_ROW || sqlite3_column_int(st, 0) != cur)) {
			struct ph_strbuf key = {0};

			if (any_null_to) {
				json_decref(to);
				to = pk_columns(c, target);
			}
			ph_strbuf_add(&key, "(");
			ph_schema_join(&key, from);
			ph_strbuf_add(&key, ")->");
			ph_strbuf_add(&key, target ? target : "");
			ph_strbuf_add(&key, "(");
			ph_schema_join(&key, to);
			ph_strbuf_add(&key, ")");
			if (key.p)
				json_object_set_new(
				    fks, key.p,
				    json_pack("{s:s,s:s}", "on_update", on_update ? on_update : "",
					      "on_delete", on_delete ? on_delete : ""));
			free(key.p);
			json_decref(from);
			json_decref(to);
			free(target);
			free(on_update);
			free(on_delete);
			from = to = NULL;
			target = on_update = on_delete = NULL;
			cur = -1;
		}
		if (rc != SQLITE_ROW)
			break;
		if (cur < 0) {
			cur = sqlite3_column_int(st, 0);
			from = json_array();
			to = json_array();
			any_null_to = 0;
			target = ph_schema_lower((const char *)sqlite3_column_text(st, 1));
			on_update = ph_schema_lower((const char *)sqlite3_column_text(st, 4));
			on_delete = ph_schema_lower((const char *)sqlite3_column_text(st, 5));
		}
		{
			char *f = ph_schema_lower((const char *)sqlite3_column_text(st, 2));
			char *t = ph_schema_lower((const char *)sqlite3_column_text(st, 3));

			if (!sqlite3_column_text(st, 3))
				any_null_to = 1;
			json_array_append_new(from, json_string(f ? f : ""));
			json_array_append_new(to, json_string(t ? t : ""));
			free(f);
			free(t);
		}
	}
	release(c, st);
	if (rc != SQLITE_DONE)
		return ph_schema_db_fail(err, c->db, source, "cannot list foreign keys");
	return 0;
}

int ph_schema_read_table(struct stcache *c, const char *source, const char *name, json_t *tab,
			 const json_t *options, const json_t *index_sql, struct ph_err *err)
{
	int rc;

	if ((rc = extract_columns(c, source, name, tab, options, err)) ||
	    (rc = extract_indexes(c, source, name, tab, index_sql, err)) ||
	    (rc = extract_fks(c, source, name, tab, err)))
		return rc;
	return 0;
}
