/*
 * Where a schema comes from (schema.h): a database file, opened read-only and immutable
 * so that comparing a runtime's live database never writes to it or creates a -wal, or
 * a folder of NNN-*.sql migrations applied in numeric order to a fresh in-memory
 * database, so that `9-` runs before `10-` and a migration SQLite rejects names its file.
 */
#include "schema/schema.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parity/jsonio.h"
#include "schema/model.h"
#include "parity/strbuf.h"

/* The URI that opens path read-only and immutable, its bytes percent-encoded. */
static char *file_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct ph_strbuf s = {0};
	const unsigned char *p;

	ph_strbuf_add(&s, "file:");
	for (p = (const unsigned char *)path; *p; p++) {
		if (isalnum(*p) || strchr("/-_.~", *p)) {
			ph_strbuf_addc(&s, (char)*p);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			ph_strbuf_addn(&s, e, 3);
		}
	}
	ph_strbuf_add(&s, "?mode=ro&immutable=1");
	return ph_strbuf_take(&s);
}

int ph_schema_load_db(const char *path, json_t **out, struct ph_err *err)
{
	static const char magic[16] = "SQLite format 3";
	char header[16] = {0};
	struct stat sb;
	sqlite3 *db = NULL;
	char *uri, *wal;
	FILE *f;
	size_t got;
	int rc;

	*out = NULL;
	if (stat(path, &sb))
		return ph_error(err, PH_E_IO, "cannot open '%s': %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return ph_error(err, PH_E_INVALID, "'%s' is not a regular file", path);
	f = fopen(path, "rb");
	if (!f)
		return ph_error(err, PH_E_IO, "cannot open '%s': %s", path, strerror(errno));
	got = fread(header, 1, sizeof(header), f);
	fclose(f);
	if (got != sizeof(header) || memcmp(header, magic, sizeof(magic)))
		return ph_error(err, PH_E_INVALID,
				"'%s' is not a SQLite database (no SQLite header)", path);
	uri = file_uri(path);
	if (!uri)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open '%s': %s", path,
			      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc;
	}
	rc = ph_schema_extract(db, path, out, err);
	sqlite3_close(db);
	if (rc)
		return rc;
	wal = malloc(strlen(path) + 5);
	if (wal) {
		sprintf(wal, "%s-wal", path);
		if (!stat(wal, &sb) && sb.st_size > 0)
			ph_schema_add_note(*out, NULL,
					   "'%s' was not read (the database is opened immutable); "
					   "checkpoint it for the current schema",
					   wal);
		free(wal);
	}
	return 0;
}

struct migration {
	unsigned long long num;
	char *name;
};

static int cmp_migration(const void *pa, const void *pb)
{
	const struct migration *a = pa, *b = pb;

	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* "NNN-anything.sql" */
static int is_migration_name(const char *name)
{
	size_t digits = strspn(name, "0123456789"), len = strlen(name);

	return digits > 0 && name[digits] == '-' && len > digits + 5 &&
	       !strcmp(name + len - 4, ".sql");
}

int ph_schema_load_migrations(const char *dir, json_t **out, struct ph_err *err)
{
	struct migration *m = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	sqlite3 *db = NULL;
	DIR *d;
	int rc = 0;

	*out = NULL;
	d = opendir(dir);
	if (!d)
		return ph_error(err, PH_E_IO, "cannot open folder '%s': %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (!is_migration_name(de->d_name))
			continue;
		if (n == cap) {
			struct migration *nm;

			cap = cap ? cap * 2 : 16;
			nm = realloc(m, cap * sizeof(*m));
			if (!nm) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				break;
			}
			m = nm;
		}
		m[n].num = strtoull(de->d_name, NULL, 10);
		m[n].name = strdup(de->d_name);
		if (!m[n].name) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (rc)
		goto out;
	if (!n) {
		rc = ph_error(err, PH_E_INVALID, "'%s' holds no NNN-*.sql migrations", dir);
		goto out;
	}
	qsort(m, n, sizeof(*m), cmp_migration);
	for (i = 1; i < n; i++)
		if (m[i].num == m[i - 1].num) {
			rc = ph_error(err, PH_E_INVALID,
				      "%s: migrations '%s' and '%s' have the same number", dir,
				      m[i - 1].name, m[i].name);
			goto out;
		}
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open an in-memory database: %s",
			      db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *path = malloc(strlen(dir) + strlen(m[i].name) + 2);
		char *sql = NULL, *emsg = NULL;
		size_t len;

		if (!path) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		sprintf(path, "%s/%s", dir, m[i].name);
		rc = ph_file_read(path, 0, &sql, &len, err);
		if (!rc && sqlite3_exec(db, sql, NULL, NULL, &emsg) != SQLITE_OK)
			rc = ph_error(err, PH_E_PARSE, "%s: migration failed: %s", path,
				      emsg ? emsg : sqlite3_errmsg(db));
		sqlite3_free(emsg);
		free(sql);
		free(path);
		if (rc)
			goto out;
	}
	rc = ph_schema_extract(db, dir, out, err);
out:
	sqlite3_close(db);
	for (i = 0; i < n; i++)
		free(m[i].name);
	free(m);
	return rc;
}

int ph_schema_load(const char *path, json_t **out, struct ph_err *err)
{
	struct stat sb;

	if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
		return ph_schema_load_migrations(path, out, err);
	return ph_schema_load_db(path, out, err);
}
