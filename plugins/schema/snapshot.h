/*
 * What the schema plugin reads from a runtime's database on its own: a consistent copy of
 * the database its suite names (memory/memories.db), with its -wal folded in because the
 * schema comparison opens files immutable and a runtime stopped without a checkpoint
 * leaves its latest schema in the WAL; and the list of tables and views one matrix row is
 * made for, with a short summary of each ("23 columns, 3 indexes, 3 triggers"). Shadow
 * tables of virtual tables (FTS, R-tree, vec0: named "<virtual table>_...") and sqlite_*
 * tables are left out, as the schema comparison folds them into their virtual table.
 */
#ifndef PARITY_PLUGIN_SCHEMA_SNAPSHOT_H
#define PARITY_PLUGIN_SCHEMA_SNAPSHOT_H

#include <stddef.h>

#include "parity/err.h"

/* One table or view of a database. */
struct schema_table {
	char *name;    /* as declared */
	char *key;     /* lower case: how the schema comparison names it */
	char *summary; /* "12 columns, 3 indexes", "virtual table (fts5)", "view" */
};

/* The tables and views of a database, by name, and its migration ledger. */
struct schema_list {
	struct schema_table *v;
	size_t n;
	int has_ledger;	      /* a schema_migrations table exists */
	char *ledger_summary; /* "versions 1-3", "no schema_migrations table" */
};

/*
 * Copy the SQLite database `database` of workspace ws (a path inside it, "<ws>/<database>")
 * and its -wal and -journal when present to <ws>/.schema-snapshot/<its file name>, and
 * checkpoint the copy, so that the copy's main file alone holds the whole schema. The
 * snapshot folder is created when missing; the source is never written. *out_path is the
 * copy's path (caller frees). A missing source is PH_E_NOTFOUND with a message naming
 * it; other failures PH_E_IO, PH_E_DB or PH_E_NOMEM.
 */
int schema_snapshot(const char *ws, const char *database, char **out_path, struct ph_err *err);

/*
 * List the tables and views of database file `db` (opened read-only) into *out, sorted by
 * name, with shadow and sqlite_* tables left out and `schema_migrations` reported only as
 * the ledger (not in the list). Release with schema_list_free. Returns 0 or PH_E_DB.
 */
int schema_list_tables(const char *db, struct schema_list *out, struct ph_err *err);

/* Free what schema_list_tables filled; the struct may be reused. */
void schema_list_free(struct schema_list *l);

/* Index of the table whose key is `key` in l, or -1. */
long schema_list_find(const struct schema_list *l, const char *key);

#endif
