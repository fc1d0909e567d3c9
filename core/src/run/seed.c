/*
 * The seed phase (seed.h): the config's "seed" object, the SQL applied statement by
 * statement inside one transaction (so an error can name its line), the two starts of
 * each runtime, the readiness wait, and the copy of the seeded database files into the
 * workspaces the session prepares afterwards.
 */
#include "run/seed.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "parity/jsonio.h"
#include "parity/path.h"
#include "run/session.h"
#include "run/workspace.h"

#define SEED_TIMEOUT_DEFAULT_MS 60000
#define READY_POLL_MS 250

static const char *const roles[] = { "reference", "candidate" };
/* The files SQLite keeps for one database in WAL mode. */
static const char *const db_suffixes[] = { "", "-wal", "-shm" };

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int ph_seed_spec_parse(struct ph_seed_spec *spec, const json_t *seed, const char *repo,
		       const char *source, struct ph_err *err)
{
	json_t *sql, *req, *ready, *timeout, *v;
	const char *key;
	size_t i;

	memset(spec, 0, sizeof(*spec));
	if (!seed)
		return 0;
	if (!json_is_object(seed))
		return ph_error(err, PH_E_INVALID, "%s: seed: expected an object", source);
	json_object_foreach((json_t *)seed, key, v)
	{
		if (strcmp(key, "sql") && strcmp(key, "requests") && strcmp(key, "ready") &&
		    strcmp(key, "timeout_ms") && strcmp(key, "note"))
			return ph_error(err, PH_E_INVALID,
					"%s: seed.%s: unknown key (known: sql, requests, ready, "
					"timeout_ms, note)",
					source, key);
	}
	sql = json_object_get(seed, "sql");
	if (!json_is_string(sql) || !*json_string_value(sql))
		return ph_error(err, PH_E_INVALID, "%s: seed.sql: expected the path of an SQL file",
				source);
	spec->sql = json_string_value(sql)[0] == '/' ? strdup(json_string_value(sql)) :
						       ph_path_join(repo, json_string_value(sql));
	req = json_object_get(seed, "requests");
	if (req && !json_is_array(req))
		return ph_error(err, PH_E_INVALID, "%s: seed.requests: expected an array", source);
	json_array_foreach(req, i, v)
	{
		json_t *m = json_object_get(v, "method"), *p = json_object_get(v, "path");

		if (!json_is_object(v) || !json_is_string(m) || !json_is_string(p) ||
		    json_string_value(p)[0] != '/')
			return ph_error(err, PH_E_INVALID,
					"%s: seed.requests[%zu]: expected {\"method\", \"path\" "
					"starting with /, \"body\"?}",
					source, i);
	}
	spec->requests = req ? json_incref(req) : json_array();
	ready = json_object_get(seed, "ready");
	if (ready) {
		json_t *q = json_object_get(ready, "sql"), *min = json_object_get(ready, "min");

		if (!json_is_object(ready) || !json_is_string(q) || !json_is_integer(min))
			return ph_error(err, PH_E_INVALID,
					"%s: seed.ready: expected {\"sql\": \"SELECT ...\", \"min\": "
					"N}",
					source);
		spec->ready_sql = strdup(json_string_value(q));
		spec->ready_min = json_integer_value(min);
	}
	timeout = json_object_get(seed, "timeout_ms");
	if (timeout && (!json_is_integer(timeout) || json_integer_value(timeout) < 1))
		return ph_error(err, PH_E_INVALID, "%s: seed.timeout_ms: expected a positive integer",
				source);
	spec->timeout_ms = timeout ? (long)json_integer_value(timeout) : SEED_TIMEOUT_DEFAULT_MS;
	if (!spec->sql || !spec->requests || (ready && !spec->ready_sql))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	return 0;
}

void ph_seed_spec_release(struct ph_seed_spec *spec)
{
	free(spec->sql);
	json_decref(spec->requests);
	free(spec->ready_sql);
	memset(spec, 0, sizeof(*spec));
}

/* The line of text at offset off (1-based). */
static int line_at(const char *text, size_t off)
{
	int line = 1;

	for (size_t i = 0; i < off && text[i]; i++)
		line += text[i] == '\n';
	return line;
}

int ph_seed_apply_sql(const char *db_path, const char *sql_path, struct ph_err *err)
{
	sqlite3 *db = NULL;
	char *text = NULL;
	const char *at, *tail;
	size_t len;
	int rc;

	if ((rc = ph_file_read(sql_path, 0, &text, &len, err)))
		return rc;
	if (access(db_path, F_OK) != 0) {
		free(text);
		return ph_error(err, PH_E_NOTFOUND,
				"seed: the runtime created no database at '%s' on its first start",
				db_path);
	}
	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "seed: cannot open '%s': %s", db_path,
			      db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "seed: '%s': %s", db_path, sqlite3_errmsg(db));
		goto out;
	}
	for (at = text; *at; at = tail) {
		sqlite3_stmt *st = NULL;
		int step;

		if (sqlite3_prepare_v2(db, at, -1, &st, &tail) != SQLITE_OK) {
			rc = ph_error(err, PH_E_DB, "%s:%d: %s", sql_path,
				      line_at(text, (size_t)(at - text) +
							    strspn(at, " \t\r\n")),
				      sqlite3_errmsg(db));
			break;
		}
		if (!st) /* only blanks or comments were left */
			continue;
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			;
		if (step != SQLITE_DONE) {
			rc = ph_error(err, PH_E_DB, "%s:%d: %s (database '%s')", sql_path,
				      line_at(text, (size_t)(at - text) +
							    strspn(at, " \t\r\n")),
				      sqlite3_errmsg(db), db_path);
			sqlite3_finalize(st);
			break;
		}
		sqlite3_finalize(st);
	}
	if (rc)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	else if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = ph_error(err, PH_E_DB, "seed: '%s': commit: %s", db_path, sqlite3_errmsg(db));
out:
	sqlite3_close(db);
	free(text);
	return rc;
}

/* The first column of the first row of sql on db_path, or -1 with err filled. */
static int ready_value(const char *db_path, const char *sql, long long *value,
		       struct ph_err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "seed: cannot open '%s': %s", db_path,
			      db ? sqlite3_errmsg(db) : "out of memory");
	} else {
		sqlite3_busy_timeout(db, 2000);
		if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
			rc = ph_error(err, PH_E_DB, "seed.ready.sql: cannot prepare '%s': %s", sql,
				      sqlite3_errmsg(db));
		else if (sqlite3_step(st) == SQLITE_ROW)
			*value = sqlite3_column_int64(st, 0);
		else
			*value = 0;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}

/* Send the seed's requests to side; any answer but 2xx is an error naming it. */
static int send_requests(struct ph_session *s, int side, struct ph_err *err)
{
	const struct ph_seed_spec *spec = &s->cfg.seed;
	json_t *r;
	size_t i;

	json_array_foreach(spec->requests, i, r)
	{
		struct ph_header h = { "Content-Type", "application/json" };
		json_t *body = json_object_get(r, "body");
		char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
		struct ph_request req = { 0 };
		struct ph_response resp;
		int rc;

		req.method = json_string_value(json_object_get(r, "method"));
		req.path = json_string_value(json_object_get(r, "path"));
		req.body = text;
		req.body_len = text ? strlen(text) : 0;
		req.headers = &h;
		req.n_headers = text ? 1 : 0;
		req.timeout_ms = spec->timeout_ms;
		rc = ph_http_send(s->side[side].http, &req, &resp, err);
		free(text);
		if (!rc && (resp.status < 200 || resp.status > 299))
			rc = ph_error(err, PH_E_RUNTIME,
				      "seed: %s runtime '%s' answered %ld to %s %s: %.300s",
				      roles[side], s->cfg.runtimes[side].name, resp.status,
				      req.method, req.path, resp.body ? resp.body : "");
		else if (rc)
			ph_error_prefix(err, "seed: %s runtime '%s': %s %s", roles[side],
					s->cfg.runtimes[side].name, req.method, req.path);
		else
			ph_session_log(s, "seed: %s: %s %s -> %ld", roles[side], req.method,
				       req.path, resp.status);
		ph_response_release(&resp);
		if (rc)
			return rc;
	}
	return 0;
}

/* Wait until the readiness query reaches its minimum on side's database. */
static int wait_ready(struct ph_session *s, int side, const char *db_path, struct ph_err *err)
{
	const struct ph_seed_spec *spec = &s->cfg.seed;
	double deadline = now_ms() + (double)spec->timeout_ms;
	long long v = -1;
	int rc;

	if (!spec->ready_sql)
		return 0;
	for (;;) {
		if ((rc = ready_value(db_path, spec->ready_sql, &v, err)))
			return rc;
		if (v >= spec->ready_min) {
			ph_session_log(s, "seed: %s ready (%lld >= %lld)", roles[side], v,
				       spec->ready_min);
			return 0;
		}
		if (now_ms() > deadline)
			return ph_error(err, PH_E_TIMEOUT,
					"seed: %s runtime '%s' not ready after %ld ms: '%s' gave "
					"%lld, want at least %lld",
					roles[side], s->cfg.runtimes[side].name, spec->timeout_ms,
					spec->ready_sql, v, spec->ready_min);
		if (!ph_session_alive(s, side))
			return ph_error(err, PH_E_RUNTIME, "seed: %s",
					s->side[side].died ? s->side[side].died : "runtime died");
		sleep_ms(READY_POLL_MS);
	}
}

/* Copy a file if it exists (mode kept as the runtime left it, 0644 at least readable). */
static int copy_if_there(const char *from, const char *to, struct ph_err *err)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	if (access(from, F_OK) != 0)
		return 0;
	if ((rc = ph_file_read(from, 0, &data, &len, err)))
		return rc;
	rc = ph_file_write_atomic(to, data, len, 0644, err);
	free(data);
	return rc;
}

/* Copy the database files db_rel (with -wal, -shm) from one workspace-like root to another. */
static int copy_db(const char *from_root, const char *to_root, const char *db_rel,
		   struct ph_err *err)
{
	char *to_db = ph_path_join(to_root, db_rel), *slash;
	int rc = 0;

	if (!to_db)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	slash = strrchr(to_db, '/');
	*slash = '\0';
	rc = ph_mkdirs(to_db, err);
	*slash = '/';
	for (size_t i = 0; !rc && i < sizeof(db_suffixes) / sizeof(db_suffixes[0]); i++) {
		size_t n = strlen(from_root) + strlen(db_rel) + 8;
		char *from = malloc(n), *to = malloc(strlen(to_db) + 8);

		if (!from || !to) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
		} else {
			snprintf(from, n, "%s/%s%s", from_root, db_rel, db_suffixes[i]);
			sprintf(to, "%s%s", to_db, db_suffixes[i]);
			rc = copy_if_there(from, to, err);
		}
		free(from);
		free(to);
	}
	free(to_db);
	return rc;
}

int ph_seed_run(struct ph_session *s, struct ph_err *err)
{
	const struct ph_seed_spec *spec = &s->cfg.seed;
	double t0 = now_ms();
	int rc, i;

	if (!spec->sql)
		return 0;
	fprintf(stderr, "parity: seed: %s into both runtimes' databases\n", spec->sql);
	/* first start: each runtime creates and migrates its own database */
	if ((rc = ph_session_start(s, "seed", err)))
		return ph_error_prefix(err, "seed: first start");
	ph_session_stop(s);
	for (i = 0; i < 2; i++) {
		char *db = ph_path_join(s->side[i].workspace, s->cfg.database);

		rc = db ? ph_seed_apply_sql(db, spec->sql, err) :
			  ph_error(err, PH_E_NOMEM, "out of memory");
		free(db);
		if (rc)
			return ph_error_prefix(err, "seed: %s runtime '%s'", roles[i],
					       s->cfg.runtimes[i].name);
	}
	if ((rc = ph_session_start_both(s, err)))
		return ph_error_prefix(err, "seed: second start");
	for (i = 0; i < 2 && !rc; i++)
		rc = send_requests(s, i, err);
	for (i = 0; i < 2 && !rc; i++) {
		char *db = ph_path_join(s->side[i].workspace, s->cfg.database);

		rc = db ? wait_ready(s, i, db, err) : ph_error(err, PH_E_NOMEM, "out of memory");
		free(db);
	}
	ph_session_stop(s);
	for (i = 0; i < 2 && !rc; i++) {
		struct ph_side_state *st = &s->side[i];
		char *keep = ph_path_join(st->dir, "seeded");

		if (!keep)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		rc = copy_db(st->workspace, keep, s->cfg.database, err);
		free(s->seeded[i]);
		s->seeded[i] = keep;
		free(s->seed_workspace[i]);
		s->seed_workspace[i] = strdup(st->workspace);
	}
	if (!rc)
		ph_session_log(s, "seed: both databases seeded in %.0f ms", now_ms() - t0);
	return rc;
}

int ph_seed_install(struct ph_session *s, int side, const char *workspace, struct ph_err *err)
{
	if (!s->seeded[side])
		return 0;
	return copy_db(s->seeded[side], workspace, s->cfg.database, err);
}
