/*
 * Extraction of a whole schema into the model (schema.h, model.h). sqlite_master is read
 * once and walked in passes: virtual tables first, so their shadow tables can be folded
 * into them and skipped; then ordinary tables (extract_table.c) and views; then the
 * triggers, under the table or view they fire on; last the schema_migrations versions.
 */
#include "schema/schema.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema/extract.h"
#include "schema/model.h"
#include "schema/sql.h"
#include "schema/vtab.h"

/*
 * WITHOUT ROWID and STRICT of every table, by name, read once (pragma table_list exists
 * from SQLite 3.37; older versions give an empty map and the options are not compared).
 */
static json_t *table_options(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	json_t *map = json_object();

	if (ph_schema_prep(db,
			   "SELECT name, wr, strict FROM pragma_table_list WHERE schema = 'main'",
			   NULL, &st) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct ph_strbuf s = {0};

			if (sqlite3_column_int(st, 1))
				ph_strbuf_add(&s, "without rowid");
			if (sqlite3_column_int(st, 2))
				ph_strbuf_add(&s, s.len ? ", strict" : "strict");
			json_object_set_new(map, (const char *)sqlite3_column_text(st, 0),
					    json_string(s.p ? s.p : ""));
			free(s.p);
		}
	sqlite3_finalize(st);
	return map;
}

static int cmp_json_version(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;

	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) < json_integer_value(b)
			   ? -1
			   : json_integer_value(a) > json_integer_value(b);
	if (json_is_integer(a) != json_is_integer(b))
		return json_is_integer(a) ? -1 : 1;
	return strcmp(json_string_value(a) ? json_string_value(a) : "",
		      json_string_value(b) ? json_string_value(b) : "");
}

static int extract_migrations(sqlite3 *db, const char *source, json_t *model, struct ph_err *err)
{
	const json_t *tab = json_object_get(json_object_get(model, "tables"), "schema_migrations");
	sqlite3_stmt *st = NULL;
	json_t *versions, *sorted;
	int rc;

	if (!tab || strcmp(json_string_value(json_object_get(tab, "type")), "table") ||
	    !json_object_get(json_object_get(tab, "columns"), "version"))
		return 0;
	if (ph_schema_prep(db, "SELECT DISTINCT version FROM main.schema_migrations", NULL, &st) !=
	    SQLITE_OK) {
		sqlite3_finalize(st);
		return ph_schema_db_fail(err, db, source, "cannot read schema_migrations");
	}
	versions = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
			json_array_append_new(versions, json_integer(sqlite3_column_int64(st, 0)));
		else if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			json_array_append_new(
			    versions, json_string((const char *)sqlite3_column_text(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(versions);
		return ph_schema_db_fail(err, db, source, "cannot read schema_migrations");
	}
	sorted = ph_schema_sorted_array(versions, cmp_json_version);
	json_decref(versions);
	json_object_set_new(model, "migrations", sorted ? sorted : json_null());
	return 0;
}

int ph_schema_extract(sqlite3 *db, const char *source, json_t **out, struct ph_err *err)
{
	sqlite3_stmt *st = NULL;
	json_t *model, *tables, *rows, *index_sql, *shadows, *options = NULL, *row;
	struct stcache cache = {0};
	size_t i;
	int rc;

	*out = NULL;
	cache.db = db;
	if (!source)
		source = "database";
	model = json_pack("{s:s,s:{},s:n,s:[]}", "source", source, "tables", "migrations", "notes");
	rows = json_array();
	index_sql = json_object();
	shadows = json_object();
	if (!model || !rows || !index_sql || !shadows) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto fail;
	}
	tables = json_object_get(model, "tables");
	if (ph_schema_prep(db,
			   "SELECT type, name, tbl_name, sql FROM main.sqlite_master "
			   "ORDER BY rowid",
			   NULL, &st) != SQLITE_OK) {
		sqlite3_finalize(st);
		rc = ph_schema_db_fail(err, db, source, "cannot read the schema");
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(
		    rows, json_pack("{s:o,s:o,s:o,s:o}", "type", ph_schema_text_or_null(st, 0),
				    "name", ph_schema_text_or_null(st, 1), "tbl_name",
				    ph_schema_text_or_null(st, 2), "sql",
				    ph_schema_text_or_null(st, 3)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = ph_schema_db_fail(err, db, source, "cannot read the schema");
		goto fail;
	}

	/* Pass 1: virtual tables (their shadow tables are skipped below), index SQL. */
	json_array_foreach(rows, i, row)
	{
		const char *type = json_string_value(json_object_get(row, "type"));
		const char *sql = json_string_value(json_object_get(row, "sql"));
		char *lname = ph_schema_lower(json_string_value(json_object_get(row, "name")));

		if (!lname) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto fail;
		}
		if (type && !strcmp(type, "index") && sql)
			json_object_set_new(index_sql, lname, json_string(sql));
		if (type && !strcmp(type, "table") && sql &&
		    !strncasecmp(sql, "create virtual table", 20)) {
			char *module, *def;
			json_t *vt;

			if (ph_sql_vtab_parse(sql, &module, &def)) {
				free(lname);
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				goto fail;
			}
			vt = json_pack("{s:s,s:s?,s:s,s:s,s:b,s:[],s:{}}", "type", "virtual",
				       "name", json_string_value(json_object_get(row, "name")),
				       "module", module, "definition", def, "module_loaded", 1,
				       "shadow", "triggers");
			json_object_set_new(tables, lname, vt);
			free(module);
			free(def);
		}
		free(lname);
	}
	json_array_foreach(rows, i, row)
	{
		const char *type = json_string_value(json_object_get(row, "type"));
		const char *name = json_string_value(json_object_get(row, "name"));
		char *lname;
		const char *vkey;
		json_t *vt;

		if (!type || strcmp(type, "table") || !name)
			continue;
		lname = ph_schema_lower(name);
		if (!lname) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto fail;
		}
		json_object_foreach(tables, vkey, vt)
		{
			const char *module = json_string_value(json_object_get(vt, "module"));

			if (strcmp(vkey, lname) && ph_schema_is_shadow(vkey, module, lname)) {
				json_object_set_new(shadows, lname, json_true());
				json_array_append_new(json_object_get(vt, "shadow"),
						      json_string(lname));
				break;
			}
		}
		free(lname);
	}

	/* Pass 2: ordinary tables and views; probe virtual tables for their module. */
	json_array_foreach(rows, i, row)
	{
		const char *type = json_string_value(json_object_get(row, "type"));
		const char *name = json_string_value(json_object_get(row, "name"));
		const char *sql = json_string_value(json_object_get(row, "sql"));
		char *lname;
		json_t *tab;

		if (!type || !name || (strcmp(type, "table") && strcmp(type, "view")))
			continue;
		if (!strncasecmp(name, "sqlite_", 7))
			continue; /* sqlite_sequence, sqlite_stat*: SQLite's own bookkeeping */
		lname = ph_schema_lower(name);
		if (!lname) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto fail;
		}
		if (json_object_get(shadows, lname)) {
			free(lname);
			continue;
		}
		tab = json_object_get(tables, lname);
		if (tab) { /* virtual: is its module loaded here? */
			sqlite3_stmt *probe = NULL;
			int prc = ph_schema_prep(db, "SELECT count(*) FROM pragma_table_xinfo(?1)",
						 name, &probe);

			if (prc == SQLITE_OK)
				prc = sqlite3_step(probe);
			if (prc != SQLITE_ROW && prc != SQLITE_DONE) {
				json_object_set_new(tab, "module_loaded", json_false());
				ph_schema_add_note(model, lname,
						   "virtual table '%s': %s; compared by its DDL",
						   lname, sqlite3_errmsg(db));
			}
			sqlite3_finalize(probe);
			free(lname);
			continue;
		}
		if (!strcmp(type, "view")) {
			char *norm = ph_schema_normalize_sql(sql);

			tab = json_pack("{s:s,s:s,s:s?,s:{}}", "type", "view", "name", name, "sql",
					norm, "triggers");
			free(norm);
			json_object_set_new(tables, lname, tab);
			free(lname);
			continue;
		}
		tab = json_pack("{s:s,s:s,s:{}}", "type", "table", "name", name, "triggers");
		if (!tab) {
			free(lname);
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto fail;
		}
		json_object_set_new(tables, lname, tab);
		if (!options)
			options = table_options(db);
		if ((rc = ph_schema_read_table(&cache, source, name, tab, options, index_sql,
					       err))) {
			free(lname);
			goto fail;
		}
		free(lname);
	}

	/* Pass 3: triggers, under the table or view they fire on. */
	json_array_foreach(rows, i, row)
	{
		const char *type = json_string_value(json_object_get(row, "type"));
		char *lname, *ltab, *norm;
		json_t *tab;

		if (!type || strcmp(type, "trigger"))
			continue;
		lname = ph_schema_lower(json_string_value(json_object_get(row, "name")));
		ltab = ph_schema_lower(json_string_value(json_object_get(row, "tbl_name")));
		norm = ph_schema_normalize_sql(json_string_value(json_object_get(row, "sql")));
		tab = json_object_get(tables, ltab ? ltab : "");
		if (lname && norm && tab)
			json_object_set_new(json_object_get(tab, "triggers"), lname,
					    json_string(norm));
		free(lname);
		free(ltab);
		free(norm);
	}

	if ((rc = extract_migrations(db, source, model, err)))
		goto fail;
	json_decref(rows);
	json_decref(index_sql);
	json_decref(shadows);
	json_decref(options);
	ph_schema_stcache_free(&cache);
	*out = model;
	return 0;
fail:
	ph_schema_stcache_free(&cache);
	json_decref(model);
	json_decref(options);
	json_decref(rows);
	json_decref(index_sql);
	json_decref(shadows);
	return rc;
}
