/*
 * Snapshots and table lists of a runtime's database for the schema plugin (snapshot.h).
 * The copy is made with phutil's file helpers and checkpointed with SQLite so the schema
 * comparison, which opens files immutable, sees what the runtime last committed even
 * when the runtime left its WAL behind.
 */
#include "snapshot.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "parity/jsonio.h"
#include "parity/path.h"

/* A database file's companion ("<path>-wal"), a new string; NULL when out of memory. */
static char *suffixed(const char *path, const char *suffix)
{
	size_t n = strlen(path);
	char *s = malloc(n + strlen(suffix) + 1);

	if (s) {
		memcpy(s, path, n);
		strcpy(s + n, suffix);
	}
	return s;
}

/* Copy src to dst when src exists; remove dst when it does not. */
static int copy_if_exists(const char *src, const char *dst, struct ph_err *err)
{
	struct stat sb;
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (stat(src, &sb)) {
		if (unlink(dst) && errno != ENOENT)
			return ph_error(err, PH_E_IO, "cannot remove '%s': %s", dst,
					strerror(errno));
		return 0;
	}
	if ((rc = ph_file_read(src, 0, &data, &len, err)))
		return rc;
	rc = ph_file_write_atomic(dst, data, len, 0644, err);
	free(data);
	return rc;
}

/* schema_snapshot of the file db into dest_dir/name. */
static int snapshot_to(const char *db, const char *dest_dir, const char *name, char **out_path,
		       struct ph_err *err)
{
	static const char *const suffixes[] = {"-wal", "-journal"};
	struct stat sb;
	char *dst = NULL, *src_x = NULL, *dst_x = NULL;
	sqlite3 *conn = NULL;
	int rc = 0;
	size_t i;

	*out_path = NULL;
	if (stat(db, &sb))
		return ph_error(err, PH_E_NOTFOUND, "no database at '%s': %s", db, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return ph_error(err, PH_E_IO, "'%s' is not a regular file", db);
	if (mkdir(dest_dir, 0755) && errno != EEXIST)
		return ph_error(err, PH_E_IO, "cannot create '%s': %s", dest_dir, strerror(errno));
	dst = ph_path_join(dest_dir, name);
	if (!dst)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	/* -shm is rebuilt from the WAL; a stale copy of it must not survive. */
	src_x = suffixed(dst, "-shm");
	if (!src_x || (unlink(src_x) && errno != ENOENT)) {
		rc = src_x
			 ? ph_error(err, PH_E_IO, "cannot remove '%s': %s", src_x, strerror(errno))
			 : ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	free(src_x);
	src_x = NULL;
	/* The WAL and journal first: the main file is what a reader trusts last. */
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		src_x = suffixed(db, suffixes[i]);
		dst_x = suffixed(dst, suffixes[i]);
		if (!src_x || !dst_x) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		if ((rc = copy_if_exists(src_x, dst_x, err)))
			goto out;
		free(src_x);
		free(dst_x);
		src_x = dst_x = NULL;
	}
	if ((rc = copy_if_exists(db, dst, err)))
		goto out;
	if (sqlite3_open_v2(dst, &conn, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK ||
	    sqlite3_exec(conn, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot checkpoint the copy '%s' of '%s': %s", dst, db,
			      conn ? sqlite3_errmsg(conn) : "out of memory");
		goto out;
	}
out:
	sqlite3_close(conn);
	free(src_x);
	free(dst_x);
	if (rc)
		free(dst);
	else
		*out_path = dst;
	return rc;
}

int schema_snapshot(const char *ws, const char *database, char **out_path, struct ph_err *err)
{
	const char *name = strrchr(database, '/');
	char *db = ph_path_join(ws, database), *dir = ph_path_join(ws, ".schema-snapshot");
	int rc;

	*out_path = NULL;
	if (!db || !dir)
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
	else
		rc = snapshot_to(db, dir, name ? name + 1 : database, out_path, err);
	free(db);
	free(dir);
	return rc;
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s), *p;

	for (p = d; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return d;
}

/* Integer of a one-row, one-column query with ?1 bound to name; -1 on failure. */
static long count_of(sqlite3 *db, const char *sql, const char *name)
{
	sqlite3_stmt *st = NULL;
	long n = -1;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = (long)sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

/* The module of "CREATE VIRTUAL TABLE x USING fts5(...)" into buf ("?" when unreadable). */
static void module_of(const char *sql, char *buf, size_t n)
{
	const char *p;
	size_t k = 0;

	snprintf(buf, n, "?");
	for (p = sql; p && *p; p++)
		if (!strncasecmp(p, "using", 5) && (p == sql || isspace((unsigned char)p[-1])) &&
		    isspace((unsigned char)p[5]))
			break;
	if (!p || !*p)
		return;
	for (p += 5; isspace((unsigned char)*p); p++)
		;
	while (k + 1 < n && (isalnum((unsigned char)*p) || *p == '_'))
		buf[k++] = *p++;
	if (k)
		buf[k] = '\0';
}

static char *table_summary(sqlite3 *db, const char *name, const char *type, const char *sql)
{
	char buf[256], mod[64];
	long cols, idx, trg;
	int n;

	if (!strcmp(type, "view")) {
		snprintf(buf, sizeof(buf), "view");
		return strdup(buf);
	}
	if (sql && !strncasecmp(sql, "create virtual table", 20)) {
		module_of(sql, mod, sizeof(mod));
		snprintf(buf, sizeof(buf), "virtual table (%s)", mod);
		return strdup(buf);
	}
	cols = count_of(db, "SELECT count(*) FROM pragma_table_info(?1)", name);
	idx = count_of(db,
		       "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1"
		       " AND sql IS NOT NULL",
		       name);
	trg = count_of(db,
		       "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND "
		       "tbl_name = ?1",
		       name);
	n = snprintf(buf, sizeof(buf), "%ld column%s, %ld index%s", cols, cols == 1 ? "" : "s", idx,
		     idx == 1 ? "" : "es");
	if (trg > 0 && n > 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ", %ld trigger%s", trg,
			 trg == 1 ? "" : "s");
	return strdup(buf);
}

/* "versions 1-3, 5" from the ledger; integers as ranges, anything else counted. */
static char *ledger_summary(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	char buf[512];
	size_t len;
	long long first = 0, last = 0;
	int have = 0, others = 0, rows = 0, n;

	n = snprintf(buf, sizeof(buf), "versions ");
	len = (size_t)n;
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT version FROM schema_migrations ORDER BY 1", -1,
			       &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		snprintf(buf, sizeof(buf), "schema_migrations unreadable: %s", sqlite3_errmsg(db));
		return strdup(buf);
	}
	for (;;) {
		int step = sqlite3_step(st), flush;
		long long v = 0;

		if (step == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_INTEGER) {
			others++;
			continue;
		}
		if (step == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0), rows++;
		flush = have && (step != SQLITE_ROW || v != last + 1);
		if (flush && len < sizeof(buf)) {
			n = first == last ? snprintf(buf + len, sizeof(buf) - len, "%s%lld",
						     len > 9 ? ", " : "", first)
					  : snprintf(buf + len, sizeof(buf) - len, "%s%lld-%lld",
						     len > 9 ? ", " : "", first, last);
			len = n > 0 ? len + (size_t)n : len;
			have = 0;
		}
		if (step != SQLITE_ROW)
			break;
		if (!have)
			first = v, have = 1;
		last = v;
	}
	sqlite3_finalize(st);
	if (!rows && !others)
		snprintf(buf, sizeof(buf), "no versions recorded");
	else if (others && len < sizeof(buf))
		snprintf(buf + len, sizeof(buf) - len, "%s%d non-integer", rows ? ", " : "",
			 others);
	return strdup(buf);
}

static int cmp_table(const void *pa, const void *pb)
{
	const struct schema_table *a = pa, *b = pb;

	return strcmp(a->key, b->key);
}

/* Is key "<virtual table>_..." for one of the n virtual-table keys in virt? */
static int is_shadow(const char *key, char **virt, size_t n)
{
	size_t i, len;

	for (i = 0; i < n; i++) {
		len = strlen(virt[i]);
		if (!strncmp(key, virt[i], len) && key[len] == '_')
			return 1;
	}
	return 0;
}

/* The virtual tables of a database, lower case. */
#define VIRTUAL_TABLES                                                                     \
	"SELECT lower(name) FROM sqlite_master WHERE type = 'table' AND"                   \
	" sql LIKE 'create virtual table%'"

/* Its tables (shadow tables too) and views, sqlite_* left out. */
#define TABLES_AND_VIEWS                                                                   \
	"SELECT name, type, sql FROM sqlite_master WHERE type IN ('table', 'view') AND"    \
	" name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"

/* The error of a database db whose schema cannot be read. */
static int unreadable(sqlite3 *conn, const char *db, struct ph_err *err)
{
	return ph_error(err, PH_E_DB, "%s: cannot read the schema: %s", db, sqlite3_errmsg(conn));
}

/* Prepare sql, one of the schema queries, on conn (db's connection) into *st. */
static int prepare(sqlite3 *conn, const char *db, const char *sql, sqlite3_stmt **st,
		   struct ph_err *err)
{
	if (sqlite3_prepare_v2(conn, sql, -1, st, NULL) != SQLITE_OK)
		return unreadable(conn, db, err);
	return 0;
}

int schema_list_tables(const char *db, struct schema_list *out, struct ph_err *err)
{
	sqlite3 *conn = NULL;
	sqlite3_stmt *st = NULL;
	char **virt = NULL;
	size_t nvirt = 0, cap = 0;
	int rc = 0, step;

	memset(out, 0, sizeof(*out));
	if (sqlite3_open_v2(db, &conn, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open '%s': %s", db,
			      conn ? sqlite3_errmsg(conn) : "out of memory");
		goto out;
	}
	/* Virtual tables first, so that their shadow tables can be recognised. */
	if ((rc = prepare(conn, db, VIRTUAL_TABLES, &st, err)))
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (nvirt == cap) {
			char **nv = realloc(virt, (cap = cap ? cap * 2 : 8) * sizeof(*nv));

			if (!nv) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				goto out;
			}
			virt = nv;
		}
		virt[nvirt] = strdup((const char *)sqlite3_column_text(st, 0));
		if (!virt[nvirt++]) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if ((rc = prepare(conn, db, TABLES_AND_VIEWS, &st, err)))
		goto out;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *type = (const char *)sqlite3_column_text(st, 1);
		const char *sql = (const char *)sqlite3_column_text(st, 2);
		struct schema_table t = {0}, *nv;
		int virtual = sql && !strncasecmp(sql, "create virtual table", 20);

		if (!name || !type)
			continue;
		t.key = lower_dup(name);
		if (!t.key) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		if (!strcmp(t.key, "schema_migrations")) {
			out->has_ledger = 1;
			free(t.key);
			continue;
		}
		if (!virtual && is_shadow(t.key, virt, nvirt)) {
			free(t.key);
			continue;
		}
		t.name = strdup(name);
		t.summary = table_summary(conn, name, type, sql);
		nv = realloc(out->v, (out->n + 1) * sizeof(*nv));
		if (!t.name || !t.summary || !nv) {
			free(t.key);
			free(t.name);
			free(t.summary);
			if (nv)
				out->v = nv;
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		out->v = nv;
		out->v[out->n++] = t;
	}
	if (step != SQLITE_DONE) {
		rc = unreadable(conn, db, err);
		goto out;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), cmp_table);
	out->ledger_summary =
	    out->has_ledger ? ledger_summary(conn) : strdup("no schema_migrations table");
	if (!out->ledger_summary)
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
out:
	sqlite3_finalize(st);
	sqlite3_close(conn);
	while (nvirt)
		free(virt[--nvirt]);
	free(virt);
	if (rc)
		schema_list_free(out);
	return rc;
}

void schema_list_free(struct schema_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].key);
		free(l->v[i].summary);
	}
	free(l->v);
	free(l->ledger_summary);
	memset(l, 0, sizeof(*l));
}

long schema_list_find(const struct schema_list *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].key, key))
			return (long)i;
	return -1;
}
