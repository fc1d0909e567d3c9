/*
 * SQLite schema extraction and comparison, the library behind `parity verify-schema` and
 * the schema domain. A schema is extracted into a JSON model (tables, views and virtual
 * tables keyed by lower-case name; columns, indexes, foreign keys and triggers keyed by
 * name inside their table; the `schema_migrations` version set) so two runtimes' schemas
 * compare as name-keyed maps rather than as DDL text. Shadow tables of FTS3/4/5, R-tree
 * and vec0 virtual tables are folded into their virtual table, and `sqlite_*` internal
 * tables (sqlite_sequence, sqlite_stat*) are ignored. The comparison yields a sorted JSON
 * array of differences {class, kind, table, name, a, b, message} (DESIGN.md "CLI").
 *
 * Classes: anything a client could trip over is structural (a missing or extra table,
 * view, column, index, trigger or foreign key; a type, NOT NULL, primary-key, hidden,
 * table-option or virtual-table definition change; an index's unique flag, columns or
 * partial WHERE; a trigger's or view's SQL; a real default-value change, because an
 * INSERT without the column stores something else). Column order and the spelling of an
 * equal default (`DEFAULT NULL` vs no default, `0` vs `'0'` vs `0.0`) are semantic, as is
 * a difference in the set of recorded migration versions (only versions are compared:
 * the runtimes compute checksums differently, CONTRACT.md §1.1).
 */
#ifndef PARITY_SCHEMA_H
#define PARITY_SCHEMA_H

#include <jansson.h>
#include <sqlite3.h>

#include "parity/err.h"
#include "parity/plugin.h"

/*
 * Extract the schema of the main database of an open connection into *out (a new
 * reference). `source` names the database in messages and is recorded in the model.
 * Returns 0, or PH_E_DB with a message naming source and SQLite's error.
 */
int ph_schema_extract(sqlite3 *db, const char *source, json_t **out, struct ph_err *err);

/*
 * Open the SQLite database file `path` read-only and immutable (nothing is ever written,
 * no -wal/-shm is created) and extract its schema. A path that does not exist, is not a
 * regular file or does not start with the SQLite header is bad input (PH_E_IO or
 * PH_E_INVALID, message naming the file).
 */
int ph_schema_load_db(const char *path, json_t **out, struct ph_err *err);

/*
 * Apply the `NNN-*.sql` files of folder `dir` in numeric order to a fresh in-memory
 * database and extract the result. Other files are ignored. A folder without migrations,
 * two migrations with the same number, or a migration SQLite rejects is bad input
 * (PH_E_INVALID or PH_E_PARSE; the message names the file and SQLite's message).
 */
int ph_schema_load_migrations(const char *dir, json_t **out, struct ph_err *err);

/* ph_schema_load_migrations for a folder, ph_schema_load_db for anything else. */
int ph_schema_load(const char *path, json_t **out, struct ph_err *err);

/*
 * Compare schema a (reference) with b (candidate), both from ph_schema_extract and
 * borrowed. *out is a new JSON array of differences, sorted by table, kind, name (null
 * name first); "missing-*" means present in a only, "extra-*" present in b only.
 */
int ph_schema_diff(const json_t *a, const json_t *b, json_t **out, struct ph_err *err);

/* Worst class in a differences array (borrowed); PH_PARITY when it is empty. */
enum ph_class ph_schema_verdict(const json_t *differences);

/*
 * The verify-schema report: {verdict: "same"|"drift", differences: [...], notes: [...]}
 * where notes say how something was compared (e.g. a virtual table whose module is not
 * loaded, compared by its DDL). *out is a new reference.
 */
int ph_schema_report(const json_t *a, const json_t *b, json_t **out, struct ph_err *err);

/*
 * Normalise SQL text for comparison: comments dropped, whitespace collapsed (and dropped
 * next to punctuation), lower case outside string literals, simple quoted identifiers
 * unquoted, trailing semicolons dropped. Returns a new string the caller frees, or NULL
 * when out of memory.
 */
char *ph_schema_normalize_sql(const char *sql);

#endif
