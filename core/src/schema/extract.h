/*
 * Reading one ordinary table of a SQLite database into the schema model
 * (extract_table.c), for the extraction of a whole schema (extract.c). Internal to
 * core/src/schema.
 */
#ifndef PARITY_SCHEMA_EXTRACT_H
#define PARITY_SCHEMA_EXTRACT_H

#include <jansson.h>
#include <sqlite3.h>

#include "parity/err.h"

/*
 * Prepared pragma statements reused for every table of one extraction (reset and
 * rebound): preparing a table-valued pragma costs more than running it. Zero-initialise,
 * set db, release with ph_schema_stcache_free.
 */
struct stcache {
	sqlite3 *db;
	const char *sql[8];
	sqlite3_stmt *st[8];
};

void ph_schema_stcache_free(struct stcache *c);

/*
 * Read the columns, primary key, options (from `options`, a map table -> "without rowid,
 * strict"), indexes (expression terms from `index_sql`, a map lower-case index name ->
 * CREATE INDEX statement) and foreign keys of table `name` into tab. Returns 0, or
 * PH_E_DB / PH_E_NOMEM with a message naming source.
 */
int ph_schema_read_table(struct stcache *c, const char *source, const char *name, json_t *tab,
			 const json_t *options, const json_t *index_sql, struct ph_err *err);

/* Prepare sql on db, binding arg (when not NULL) to ?1; an SQLite result code. */
int ph_schema_prep(sqlite3 *db, const char *sql, const char *arg, sqlite3_stmt **st);

/* PH_E_DB with "<source>: <what>: <SQLite's message>". */
int ph_schema_db_fail(struct ph_err *err, sqlite3 *db, const char *source, const char *what);

/* Column col of the current row as a new JSON string, or JSON null. */
json_t *ph_schema_text_or_null(sqlite3_stmt *st, int col);

#endif
