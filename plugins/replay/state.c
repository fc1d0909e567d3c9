/*
 * What a step leaves in a runtime's database. A snapshot holds every row of every ordinary
 * table (virtual tables and their shadow tables are left out: their rows mirror others),
 * keyed by primary key; the changes between two snapshots are the rows added, removed and
 * changed, with the case's ignoreColumns left out and timestamp columns (*_at,
 * last_accessed) reduced to set or null, as two runs write them at different instants.
 * The keys a side generated for new rows are named by position (canon_add), so rows of both
 * sides compare although each made its own ids. The case's expectedInternalState is run on
 * each side as queries through the host's read-only db_query.
 */
#define _GNU_SOURCE /* asprintf */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "parity/dbrow.h"
#include "parity/jsonio.h"
#include "parity/path.h"
#include "parity/result.h"
#include "replay.h"

#define MAX_ROWS 20000 /* per table: a replay database is a seed and a few steps */

static int query(struct rp_run *r, enum ph_side side, const char *sql, json_t **rows,
		 struct ph_err *err)
{
	return r->host->db_query(r->run, side, sql, rows, err);
}

/* Names of the virtual tables, whose own and shadow tables are not snapshot. */
static int shadowed(const char *name, const json_t *virtuals)
{
	json_t *v;
	size_t i;

	json_array_foreach(virtuals, i, v)
	{
		const char *vt = json_string_value(v);
		size_t n = strlen(vt);

		if (!strcmp(name, vt) || (!strncmp(name, vt, n) && name[n] == '_'))
			return 1;
	}
	return 0;
}

static char *dump(const json_t *v)
{
	return json_dumps(v, JSON_SORT_KEYS | JSON_COMPACT | JSON_ENCODE_ANY);
}

/* The key of row under pk (an array of column names): their values, or the whole row. */
static char *row_key(const json_t *row, const json_t *pk)
{
	json_t *vals, *c;
	size_t i;
	char *k;

	if (!json_array_size(pk))
		return dump(row);
	if (!(vals = json_array()))
		return NULL;
	json_array_foreach(pk, i, c)
	{
		json_t *v = json_object_get(row, json_string_value(c));

		json_array_append(vals, v ? v : json_null());
	}
	k = dump(vals);
	json_decref(vals);
	return k;
}

static int snapshot_table(struct rp_run *r, enum ph_side side, const char *t, json_t *snap,
			  struct ph_err *err)
{
	char sql[400];
	json_t *cols = NULL, *rows = NULL, *pk = json_array(), *byk = json_object(), *c, *row;
	size_t i;
	int rc;

	if (!pk || !byk) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(sql, sizeof(sql),
		 "SELECT name FROM pragma_table_info('%s') WHERE pk > 0 ORDER BY pk", t);
	if ((rc = query(r, side, sql, &cols, err)))
		goto out;
	json_array_foreach(cols, i, c) json_array_append(pk, json_object_get(c, "name"));
	snprintf(sql, sizeof(sql), "SELECT * FROM \"%s\" LIMIT %d", t, MAX_ROWS + 1);
	if ((rc = query(r, side, sql, &rows, err)))
		goto out;
	if (json_array_size(rows) > MAX_ROWS) {
		r->host->log(r->run, PH_LOG_WARN, "replay: %s: table %s has over %d rows, not compared",
			     rp_sides[side], t, MAX_ROWS);
		goto out;
	}
	json_array_foreach(rows, i, row)
	{
		char *k = row_key(row, pk), *kk = NULL;
		int dup = 0;

		/* rows without a key that are alike are told apart by their count */
		while (k && json_object_get(byk, kk ? kk : k)) {
			free(kk);
			if (asprintf(&kk, "%s#%d", k, ++dup) < 0)
				kk = NULL;
			if (!kk)
				break;
		}
		if (k)
			json_object_set(byk, kk ? kk : k, row);
		free(k);
		free(kk);
	}
	json_object_set_new(snap, t, json_pack("{s:O, s:O}", "pk", pk, "rows", byk));
out:
	json_decref(cols);
	json_decref(rows);
	json_decref(pk);
	json_decref(byk);
	return rc;
}

int rp_state_snapshot(struct rp_run *r, enum ph_side side, json_t **snap, struct ph_err *err)
{
	json_t *tables = NULL, *virtuals = json_array(), *t;
	size_t i;
	int rc;

	*snap = json_object();
	if (!*snap || !virtuals) {
		json_decref(virtuals);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if ((rc = query(r, side,
			"SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT "
			"LIKE 'sqlite_%' ORDER BY name",
			&tables, err)))
		goto out;
	json_array_foreach(tables, i, t)
	{
		const char *s = json_string_value(json_object_get(t, "sql"));

		if (s && !strncmp(s, "CREATE VIRTUAL TABLE", 20))
			json_array_append(virtuals, json_object_get(t, "name"));
	}
	json_array_foreach(tables, i, t)
	{
		const char *name = json_string_value(json_object_get(t, "name"));

		if (!name || shadowed(name, virtuals) || strchr(name, '\'') || strchr(name, '"'))
			continue;
		if ((rc = snapshot_table(r, side, name, *snap, err)))
			goto out;
	}
out:
	json_decref(tables);
	json_decref(virtuals);
	if (rc) {
		json_decref(*snap);
		*snap = NULL;
	}
	return rc;
}

static int in_list(const json_t *list, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach(list, i, v) if (json_is_string(v) && !strcmp(json_string_value(v), s))
	    return 1;
	return 0;
}

/* row without the ignored columns, timestamps reduced to set or null (new). */
static json_t *normalise(const json_t *row, const json_t *ignore)
{
	json_t *out = json_object(), *v;
	const char *k;

	json_object_foreach((json_t *)row, k, v)
		if (!in_list(ignore, k))
			json_object_set(out, k, v);
	ph_dbrow_mask_times(out);
	return out;
}

/* The row without its key columns, dumped: what a new row is sorted and named by. */
static char *content_of(const json_t *row, const json_t *pk)
{
	json_t *copy = json_deep_copy(row), *c;
	size_t i;
	char *s;

	json_array_foreach(pk, i, c) json_object_del(copy, json_string_value(c));
	s = dump(copy);
	json_decref(copy);
	return s;
}

struct sorted {
	char *key;
	json_t *row;
};

static int cmp_sorted(const void *a, const void *b)
{
	return strcmp(((const struct sorted *)a)->key, ((const struct sorted *)b)->key);
}

/* list's rows (objects, or {row} for changed ones) sorted by content; list replaced. */
static void sort_rows(json_t *list, const json_t *pk)
{
	size_t n = json_array_size(list), i;
	struct sorted *s = calloc(n ? n : 1, sizeof(*s));
	json_t *v;

	if (!s)
		return;
	json_array_foreach(list, i, v)
	{
		const json_t *row = json_object_get(v, "row") ? json_object_get(v, "row") : v;

		s[i].key = content_of(row, pk);
		s[i].row = json_incref(v);
	}
	qsort(s, n, sizeof(*s), cmp_sorted);
	json_array_clear(list);
	for (i = 0; i < n; i++) {
		json_array_append_new(list, s[i].row);
		free(s[i].key);
	}
	free(s);
}

/* The columns whose values differ between a and b (new array, sorted). */
static json_t *changed_columns(const json_t *a, const json_t *b)
{
	json_t *cols = json_array(), *v;
	const char *k;

	json_object_foreach((json_t *)b, k, v) if (!json_equal(v, json_object_get(a, k)))
	    json_array_append_new(cols, json_string(k));
	json_object_foreach((json_t *)a, k, v) if (!json_object_get(b, k))
	    json_array_append_new(cols, json_string(k));
	return cols;
}

static json_t *table_changes(const json_t *before, const json_t *after, const json_t *ignore)
{
	const json_t *b = json_object_get(before, "rows"), *a = json_object_get(after, "rows");
	const json_t *pk = json_object_get(after ? after : before, "pk");
	json_t *added = json_array(), *removed = json_array(), *changed = json_array(), *v, *out;
	const char *k;

	json_object_foreach((json_t *)a, k, v)
	{
		const json_t *old = json_object_get(b, k);
		json_t *na = normalise(v, ignore), *nb;

		if (!old) {
			json_array_append_new(added, na);
			continue;
		}
		nb = normalise(old, ignore);
		if (!json_equal(na, nb))
			json_array_append_new(changed, json_pack("{s:o, s:o}", "row", json_incref(na),
								 "columns", changed_columns(nb, na)));
		json_decref(na);
		json_decref(nb);
	}
	json_object_foreach((json_t *)b, k, v) if (!json_object_get(a, k))
	    json_array_append_new(removed, normalise(v, ignore));
	if (!json_array_size(added) && !json_array_size(removed) && !json_array_size(changed)) {
		json_decref(added);
		json_decref(removed);
		json_decref(changed);
		return NULL;
	}
	sort_rows(added, pk);
	sort_rows(removed, pk);
	sort_rows(changed, pk);
	out = json_pack("{s:o, s:o, s:o}", "added", added, "removed", removed, "changed", changed);
	return out;
}

json_t *rp_state_changes(const json_t *before, const json_t *after, const json_t *norm)
{
	const json_t *ignore = json_object_get(norm, "ignoreColumns");
	json_t *out = json_object(), *v, *ch;
	const char *t;

	json_object_foreach((json_t *)after, t, v)
		if ((ch = table_changes(json_object_get(before, t), v, ignore)))
			json_object_set_new(out, t, ch);
	json_object_foreach((json_t *)before, t, v)
		if (!json_object_get(after, t) && (ch = table_changes(v, NULL, ignore)))
			json_object_set_new(out, t, ch);
	return out;
}

void rp_state_name_new_rows(struct rp_run *r, enum ph_side side, const json_t *before,
			    const json_t *after, const json_t *norm)
{
	const json_t *ignore = json_object_get(norm, "ignoreColumns");
	const char *t, *k;
	json_t *ta, *row;
	struct ph_err err;

	if (!PH_HOST_HAS(r->host, canon_add))
		return;
	json_object_foreach((json_t *)after, t, ta)
	{
		const json_t *pk = json_object_get(ta, "pk"), *c;
		const json_t *old = json_object_get(json_object_get(before, t), "rows");
		json_t *added = json_array();
		size_t n = 0, i, j;
		struct sorted *s;

		if (!json_array_size(pk) || !added) {
			json_decref(added);
			continue;
		}
		json_object_foreach(json_object_get(ta, "rows"), k, row)
			if (!json_object_get(old, k))
				json_array_append(added, row);
		s = calloc(json_array_size(added) + 1, sizeof(*s));
		json_array_foreach(added, i, row)
		{
			json_t *nr = normalise(row, ignore);

			if (!s)
				break;
			s[n].key = content_of(nr, pk);
			s[n++].row = row;
			json_decref(nr);
		}
		if (s)
			qsort(s, n, sizeof(*s), cmp_sorted);
		/* a side's generated keys get the name of their row's place among the new */
		for (i = 0; s && i < n; i++) {
			json_array_foreach(pk, j, c)
			{
				const json_t *v = json_object_get(s[i].row, json_string_value(c));
				char name[200];

				if (!json_is_string(v) || json_string_length(v) < 8)
					continue; /* generated keys are long; short ones are data */
				snprintf(name, sizeof(name), "{row:%zu:%s.%zu}", r->n_case, t, i);
				r->host->canon_add(r->run, side, json_string_value(v), name, &err);
			}
			free(s[i].key);
		}
		free(s);
		json_decref(added);
	}
}

/* One db entry's query: count, or the columns' rows in order. */
static int entry_sql(const json_t *e, int count, char *sql, size_t cap)
{
	const char *t = json_string_value(json_object_get(e, "table"));
	const char *where = json_string_value(json_object_get(e, "where"));
	const json_t *cols = json_object_get(e, "columns"), *order = json_object_get(e, "orderBy"), *c;
	size_t len, i;
	int n;

	n = snprintf(sql, cap, "SELECT ");
	len = (size_t)n;
	if (count) {
		len += (size_t)snprintf(sql + len, cap - len, "COUNT(*) AS n");
	} else if (!json_array_size(cols)) {
		len += (size_t)snprintf(sql + len, cap - len, "*");
	} else {
		json_array_foreach(cols, i, c)
		{
			const char *s = json_string_value(c);

			if (!s || strchr(s, '"'))
				return -1;
			len += (size_t)snprintf(sql + len, cap - len, "%s\"%s\"", i ? ", " : "", s);
			if (len >= cap)
				return -1;
		}
	}
	len += (size_t)snprintf(sql + len, cap - len, " FROM \"%s\"", t);
	if (where && len < cap)
		len += (size_t)snprintf(sql + len, cap - len, " WHERE %s", where);
	if (!count && json_array_size(order)) {
		json_array_foreach(order, i, c)
		{
			const char *s = json_string_value(c);

			if (!s || strchr(s, '"') || len >= cap)
				return -1;
			len += (size_t)snprintf(sql + len, cap - len, "%s\"%s\"",
						i ? ", " : " ORDER BY ", s);
		}
	}
	return len < cap ? 0 : -1;
}

/* rows (objects) as arrays in the order of cols (new). */
static json_t *as_arrays(const json_t *rows, const json_t *cols)
{
	json_t *out = json_array(), *row, *c;
	size_t i, j;

	json_array_foreach(rows, i, row)
	{
		json_t *a = json_array();

		json_array_foreach(cols, j, c)
		{
			json_t *v = json_object_get(row, json_string_value(c));

			json_array_append(a, v ? v : json_null());
		}
		json_array_append_new(out, a);
	}
	return out;
}

static int broke(struct ph_result *res, enum ph_side side, const char *path, json_t *actual,
		 const char *msg)
{
	return ph_result_addf(res, PH_EXPECTATION, "expectation", path,
			      side == PH_REFERENCE ? actual : NULL,
			      side == PH_CANDIDATE ? actual : NULL, "%s: %s", rp_sides[side], msg);
}

/* A message names the run's own temporary workspace as "{workspace}", so runs diff. */
static void without_workspace(char *msg, const char *ws)
{
	size_t n = ws ? strlen(ws) : 0;
	char *p;

	if (n < 11) /* the message must not grow: only a longer path is replaced */
		return;
	while ((p = strstr(msg, ws))) {
		memmove(p + 11, p + n, strlen(p + n) + 1);
		memcpy(p, "{workspace}", 11);
	}
}

static int expect_entry(struct rp_run *r, enum ph_side side, const json_t *e, size_t idx,
			double tol, json_t *results, struct ph_result *res)
{
	const char *t = json_string_value(json_object_get(e, "table"));
	const json_t *count = json_object_get(e, "count"), *rows = json_object_get(e, "rows");
	json_t *got = NULL, *out = json_pack("{s:s}", "table", t);
	char sql[2048], path[300], msg[1400];
	struct ph_err qerr;
	int rc = 0;

	snprintf(path, sizeof(path), "db.%zu.%s", idx, t);
	if (json_object_get(e, "where"))
		json_object_set(out, "where", json_object_get(e, "where"));
	if (entry_sql(e, count != NULL && !rows, sql, sizeof(sql))) {
		json_object_set_new(out, "error", json_string("query cannot be built"));
		rc = broke(res, side, path, NULL, "the entry's query cannot be built");
	} else if (query(r, side, sql, &got, &qerr)) {
		/* a side without the table or column breaks the expectation; it is data */
		without_workspace(qerr.msg, r->host->workspace(r->run, side));
		json_object_set_new(out, "error", json_string(qerr.msg));
		snprintf(msg, sizeof(msg), "query on %s failed: %s", t, qerr.msg);
		rc = broke(res, side, path, NULL, msg);
	} else if (count && !rows) {
		json_int_t n = json_integer_value(json_object_get(json_array_get(got, 0), "n"));

		json_object_set_new(out, "count", json_integer(n));
		if (n != json_integer_value(count)) {
			snprintf(msg, sizeof(msg),
				 "expected %" JSON_INTEGER_FORMAT " rows in %s, found %" JSON_INTEGER_FORMAT,
				 json_integer_value(count), t, n);
			rc = broke(res, side, path, json_integer(n), msg);
		}
	} else {
		const json_t *cols = json_object_get(e, "columns");
		json_t *have = json_array_size(cols) ? as_arrays(got, cols) : json_incref(got);

		json_object_set(out, "rows", have);
		if (rows && !rp_json_equal(have, rows, tol)) {
			snprintf(msg, sizeof(msg), "the rows of %s are not the expected ones", t);
			rc = broke(res, side, path, json_incref(have), msg);
		} else if (count && (json_int_t)json_array_size(have) != json_integer_value(count)) {
			snprintf(msg, sizeof(msg), "expected %" JSON_INTEGER_FORMAT " rows in %s",
				 json_integer_value(count), t);
			rc = broke(res, side, path, json_integer((json_int_t)json_array_size(have)),
				   msg);
		}
		json_decref(have);
	}
	json_array_append_new(results, out);
	json_decref(got);
	return rc;
}

static int expect_file(struct rp_run *r, enum ph_side side, const json_t *e, json_t *results,
		       struct ph_result *res)
{
	const char *rel = json_string_value(json_object_get(e, "path"));
	const json_t *exists = json_object_get(e, "exists");
	const char *sha = json_string_value(json_object_get(e, "sha256"));
	const char *has = json_string_value(json_object_get(e, "contains"));
	char *path = ph_path_join(r->host->workspace(r->run, side), rel), *data = NULL;
	char hex[crypto_hash_sha256_BYTES * 2 + 1] = "", p[300];
	size_t len = 0;
	struct ph_err ferr;
	int present, rc = 0;

	if (!path)
		return PH_E_NOMEM;
	snprintf(p, sizeof(p), "files.%s", rel);
	present = !ph_file_read(path, 0, &data, &len, &ferr);
	if (present) {
		unsigned char h[crypto_hash_sha256_BYTES];

		crypto_hash_sha256(h, (const unsigned char *)data, len);
		sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	}
	json_array_append_new(results, json_pack("{s:s, s:b, s:s?}", "file", rel, "exists", present,
						 "sha256", present ? hex : NULL));
	if (exists && json_is_true(exists) != present)
		rc = broke(res, side, p, json_boolean(present),
			   present ? "expected the file absent" : "expected the file present");
	else if (present && sha && strcmp(sha, hex))
		rc = broke(res, side, p, json_string(hex), "the file's sha256 is not the expected one");
	else if (has && (!present || !strstr(data, has)))
		rc = broke(res, side, p, NULL, "the file does not contain the expected text");
	free(data);
	free(path);
	return rc;
}

int rp_state_expect(struct rp_run *r, enum ph_side side, const json_t *want, double tol,
		    json_t **results, struct ph_result *res, struct ph_err *err)
{
	const json_t *e;
	size_t i;
	int rc = 0;

	if (!(*results = json_array()))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	json_array_foreach(json_object_get(want, "db"), i, e)
		if (!rc)
			rc = expect_entry(r, side, e, i, tol, *results, res);
	json_array_foreach(json_object_get(want, "files"), i, e)
		if (!rc)
			rc = expect_file(r, side, e, *results, res);
	return rc ? ph_error(err, rc, "out of memory") : 0;
}
