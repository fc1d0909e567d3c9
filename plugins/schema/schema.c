/*
 * The schema domain (issue 4): what each runtime leaves in a fresh workspace's database,
 * and whether each runtime can open the other's database (the rollback path).
 *
 * Both runtimes start on fresh copies of the fixture workspace. The plugin notes how many
 * memories each lists, stops both, snapshots both databases (snapshot.h) and compares the
 * schemas with the host's verify_schema: one matrix row per table, view or virtual table
 * (feature "table <name>", case "fresh-schema"), whose class is the worst of that table's
 * differences, plus one row for the migration ledger (feature "schema_migrations",
 * compared by version set only). Then the reference runtime is started on the candidate's
 * workspace and must get healthy and list as many memories as the candidate did, and the
 * reverse; a runtime that cannot start on the other's database is a structural row
 * carrying the reason, not a harness error. Both runtimes are left stopped; the session
 * starts the next domain afresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/plugin.h"
#include "snapshot.h"

/* The read suite's list endpoint, with a limit well above the fixture's size. */
#define LIST_PATH "/api/memories?limit=1000&offset=0"
#define FRESH_CASE "fresh-schema"
#define CROSS_CASE "cross-open"

static const char *const side_names[2] = {"reference", "candidate"};

static enum ph_class class_of(const char *name)
{
	if (!name)
		return PH_ERROR;
	if (!strcmp(name, "parity"))
		return PH_PARITY;
	if (!strcmp(name, "timing"))
		return PH_TIMING;
	if (!strcmp(name, "semantic"))
		return PH_SEMANTIC;
	if (!strcmp(name, "structural"))
		return PH_STRUCTURAL;
	return PH_ERROR;
}

/*
 * Append one divergence to a result built here (released with host->result_release);
 * a and b are stolen. kind is borrowed: it must live until the row is recorded.
 */
static int res_add(struct ph_result *res, enum ph_class cls, const char *kind, const char *path,
		   json_t *a, json_t *b, const char *message)
{
	struct ph_divergence *items = realloc(res->items, (res->count + 1) * sizeof(*items));
	struct ph_divergence *d;

	if (!items) {
		json_decref(a);
		json_decref(b);
		return PH_E_NOMEM;
	}
	res->items = items;
	d = &items[res->count];
	d->cls = cls;
	d->kind = kind;
	d->path = strdup(path);
	d->message = strdup(message);
	d->a = a;
	d->b = b;
	res->count++;
	if (cls > res->verdict)
		res->verdict = cls;
	return d->path && d->message ? 0 : PH_E_NOMEM;
}

static int record(const struct ph_host *host, struct ph_run *run, const char *feature,
		  const char *case_name, const char *reference, const struct ph_result *res,
		  const char *error)
{
	struct ph_row row;

	memset(&row, 0, sizeof(row));
	row.feature = feature;
	row.case_name = case_name;
	row.reference = reference;
	row.cls = error ? PH_ERROR : PH_PARITY;
	row.result = res;
	row.error = error;
	row.latency_reference_ms = -1;
	row.latency_candidate_ms = -1;
	return host->record(run, &row);
}

/* What a runtime answered to the list endpoint. */
struct listing {
	long status;   /* 0: no answer */
	long count;    /* length of "memories", -1 when absent */
	char why[512]; /* why count is -1 */
};

static void list_memories(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			  struct listing *l)
{
	struct ph_request req;
	struct ph_response resp;
	struct ph_err err;
	json_t *doc, *arr;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = LIST_PATH;
	l->status = 0;
	l->count = -1;
	l->why[0] = '\0';
	ph_err_clear(&err);
	host->http(run, side, &req, &resp, &err);
	if (resp.error) {
		snprintf(l->why, sizeof(l->why), "GET %s: %s", LIST_PATH, resp.error);
		host->response_release(&resp);
		return;
	}
	l->status = resp.status;
	doc = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, NULL);
	arr = json_object_get(doc, "memories");
	if (json_is_array(arr))
		l->count = (long)json_array_size(arr);
	else
		snprintf(l->why, sizeof(l->why), "GET %s answered %ld without a \"memories\" array",
			 LIST_PATH, resp.status);
	json_decref(doc);
	host->response_release(&resp);
}

static char *path_join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *s = malloc(n);

	if (s)
		snprintf(s, n, "%s%s", a, b);
	return s;
}

/* Divergences of one table (its key as the schema comparison names it) into res. */
static int table_result(const json_t *diffs, const char *key, struct ph_result *res)
{
	const json_t *d;
	size_t i;
	int rc = 0;

	json_array_foreach((json_t *)diffs, i, d)
	{
		const char *table = json_string_value(json_object_get(d, "table"));
		const char *name = json_string_value(json_object_get(d, "name"));
		const char *kind = json_string_value(json_object_get(d, "kind"));
		const char *msg = json_string_value(json_object_get(d, "message"));
		char path[512];

		if (!table || strcmp(table, key))
			continue;
		snprintf(path, sizeof(path), "%s%s%s", table, name ? "." : "", name ? name : "");
		rc = res_add(res, class_of(json_string_value(json_object_get(d, "class"))),
			     kind ? kind : "schema", path, json_incref(json_object_get(d, "a")),
			     json_incref(json_object_get(d, "b")), msg ? msg : "");
		if (rc)
			break;
	}
	return rc;
}

static int table_row(const struct ph_host *host, struct ph_run *run, const json_t *diffs,
		     const char *key, const char *name, const char *summary)
{
	struct ph_result res;
	char feature[512];
	int rc;

	memset(&res, 0, sizeof(res));
	snprintf(feature, sizeof(feature), "table %s", name);
	rc = table_result(diffs, key, &res);
	if (!rc)
		rc = record(host, run, feature, FRESH_CASE, summary, &res, NULL);
	host->result_release(&res);
	return rc;
}

/* Is the table of difference d neither in la nor in lb, nor the ledger, nor seen before i? */
static int orphan_table(const json_t *diffs, size_t i, const struct schema_list *la,
			const struct schema_list *lb)
{
	const char *t = json_string_value(json_object_get(json_array_get(diffs, i), "table"));
	size_t k;

	if (!t || !strcmp(t, "schema_migrations") || schema_list_find(la, t) >= 0 ||
	    schema_list_find(lb, t) >= 0)
		return 0;
	for (k = 0; k < i; k++) {
		const char *u =
		    json_string_value(json_object_get(json_array_get(diffs, k), "table"));

		if (u && !strcmp(u, t))
			return 0;
	}
	return 1;
}

/* A row for the whole fresh schema when it could not be compared. */
static int fresh_failed(const struct ph_host *host, struct ph_run *run, enum ph_class cls,
			const char *why)
{
	struct ph_result res;
	int rc;

	if (cls == PH_ERROR)
		return record(host, run, "memory/memories.db", FRESH_CASE, "a database", NULL, why);
	memset(&res, 0, sizeof(res));
	rc = res_add(&res, cls, "missing", "memory/memories.db", NULL, NULL, why);
	if (!rc)
		rc = record(host, run, "memory/memories.db", FRESH_CASE, "a database", &res, NULL);
	host->result_release(&res);
	return rc;
}

/*
 * Compare the schemas the two runtimes created (both stopped): a row per table of either
 * side and one for the ledger. Only running out of memory is an error of the call.
 */
static int fresh_schema(const struct ph_host *host, struct ph_run *run)
{
	char *db[2] = {NULL, NULL}, *dir[2] = {NULL, NULL}, *snap[2] = {NULL, NULL};
	struct schema_list list[2];
	json_t *diffs = NULL;
	struct ph_err err;
	char why[1400];
	size_t i;
	int side, rc = 0;

	memset(list, 0, sizeof(list));
	for (side = 0; side < 2; side++) {
		db[side] = path_join(host->workspace(run, side), "/memory/memories.db");
		dir[side] = path_join(host->workspace(run, side), ".schema-snapshot");
		if (!db[side] || !dir[side]) {
			rc = PH_E_NOMEM;
			goto out;
		}
	}
	for (side = 0; side < 2; side++) {
		ph_err_clear(&err);
		rc = schema_snapshot(db[side], dir[side], &snap[side], &err);
		if (rc == PH_E_NOMEM)
			goto out;
		if (rc) {
			snprintf(why, sizeof(why), "%s: %s", side_names[side], err.msg);
			/* A candidate that created no database diverges; anything else: error. */
			rc = fresh_failed(
			    host, run,
			    side == PH_CANDIDATE && rc == PH_E_NOTFOUND ? PH_STRUCTURAL : PH_ERROR,
			    why);
			goto out;
		}
		ph_err_clear(&err);
		rc = schema_list_tables(snap[side], &list[side], &err);
		if (rc == PH_E_NOMEM)
			goto out;
		if (rc) {
			snprintf(why, sizeof(why), "%s: %s", side_names[side], err.msg);
			rc = fresh_failed(host, run, PH_ERROR, why);
			goto out;
		}
	}
	ph_err_clear(&err);
	rc = host->verify_schema(run, snap[0], snap[1], &diffs, &err);
	if (rc == PH_E_NOMEM)
		goto out;
	if (rc || !json_is_array(diffs)) {
		snprintf(why, sizeof(why), "cannot compare the schemas: %s",
			 rc ? err.msg : "no differences array");
		rc = fresh_failed(host, run, PH_ERROR, why);
		goto out;
	}
	for (i = 0; !rc && i < list[0].n; i++)
		rc = table_row(host, run, diffs, list[0].v[i].key, list[0].v[i].name,
			       list[0].v[i].summary);
	for (i = 0; !rc && i < list[1].n; i++)
		if (schema_list_find(&list[0], list[1].v[i].key) < 0)
			rc = table_row(host, run, diffs, list[1].v[i].key, list[1].v[i].name,
				       "absent");
	/* Differences naming a table neither list has (should not happen): still reported. */
	for (i = 0; !rc && i < json_array_size(diffs); i++)
		if (orphan_table(diffs, i, &list[0], &list[1])) {
			const char *t =
			    json_string_value(json_object_get(json_array_get(diffs, i), "table"));

			rc = table_row(host, run, diffs, t, t, "not listed");
		}
	if (!rc) {
		struct ph_result res;

		memset(&res, 0, sizeof(res));
		rc = table_result(diffs, "schema_migrations", &res);
		if (!rc)
			rc = record(host, run, "schema_migrations", FRESH_CASE,
				    list[0].ledger_summary, &res, NULL);
		host->result_release(&res);
	}
out:
	for (side = 0; side < 2; side++) {
		free(db[side]);
		free(dir[side]);
		free(snap[side]);
		schema_list_free(&list[side]);
	}
	json_decref(diffs);
	return rc;
}

/*
 * Start runtime `who` on the other runtime's workspace and check it serves the list with
 * 200 and as many memories as the owner listed before (`before`); record one row; stop it.
 */
static int cross_open(const struct ph_host *host, struct ph_run *run, enum ph_side who,
		      const char *feature, const struct listing *before)
{
	enum ph_side owner = who == PH_REFERENCE ? PH_CANDIDATE : PH_REFERENCE;
	struct ph_result res;
	struct listing l;
	struct ph_err err;
	char summary[128], msg[1600];
	int rc;

	memset(&res, 0, sizeof(res));
	if (before->count >= 0)
		snprintf(summary, sizeof(summary), "healthy, 200, %ld memories", before->count);
	else
		snprintf(summary, sizeof(summary), "healthy, 200");
	ph_err_clear(&err);
	rc = host->runtime_restart(run, who, host->workspace(run, owner), &err);
	if (rc == PH_E_INTERRUPTED || rc == PH_E_NOMEM)
		return rc;
	if (rc) {
		snprintf(msg, sizeof(msg), "the %s runtime could not open the %s's database: %s",
			 side_names[who], side_names[owner], err.msg);
		rc = res_add(&res, PH_STRUCTURAL, "start", "", NULL, NULL, msg);
	} else {
		list_memories(host, run, who, &l);
		if (!l.status) {
			snprintf(msg, sizeof(msg), "the %s runtime on the %s's database: %s",
				 side_names[who], side_names[owner], l.why);
			rc = res_add(&res, PH_STRUCTURAL, "status", "", json_integer(200),
				     json_null(), msg);
		} else if (l.status != 200) {
			snprintf(msg, sizeof(msg),
				 "the %s runtime on the %s's database answered GET %s with %ld",
				 side_names[who], side_names[owner], LIST_PATH, l.status);
			rc = res_add(&res, PH_STRUCTURAL, "status", "", json_integer(200),
				     json_integer(l.status), msg);
		} else if (l.count < 0) {
			snprintf(msg, sizeof(msg), "the %s runtime on the %s's database: %s",
				 side_names[who], side_names[owner], l.why);
			rc = res_add(&res, PH_STRUCTURAL, "type", "memories", NULL, NULL, msg);
		} else if (before->count >= 0 && l.count != before->count) {
			snprintf(msg, sizeof(msg),
				 "the %s runtime lists %ld memories from the %s's database, which "
				 "listed %ld itself",
				 side_names[who], l.count, side_names[owner], before->count);
			rc = res_add(&res, PH_SEMANTIC, "length", "memories",
				     json_integer(before->count), json_integer(l.count), msg);
		}
		ph_err_clear(&err);
		if (host->runtime_stop(run, who, 0, &err))
			host->log(run, PH_LOG_WARN, "cannot stop the %s runtime: %s",
				  side_names[who], err.msg);
	}
	if (!rc)
		rc = record(host, run, feature, CROSS_CASE, summary, &res, NULL);
	host->result_release(&res);
	return rc;
}

static int schema_run(void *state, const struct ph_host *host, struct ph_run *run,
		      struct ph_err *err)
{
	struct listing before[2];
	struct ph_err e;
	int side, rc;

	(void)state;
	host->progress(run, 0, 3);
	for (side = 0; side < 2; side++)
		list_memories(host, run, side, &before[side]);
	/* Stopped runtimes leave consistent files behind, and cross-opening needs them down. */
	for (side = 0; side < 2; side++) {
		ph_err_clear(&e);
		if (host->runtime_stop(run, side, 0, &e))
			host->log(run, PH_LOG_WARN, "cannot stop the %s runtime: %s",
				  side_names[side], e.msg);
	}
	if ((rc = fresh_schema(host, run)))
		goto fail;
	host->progress(run, 1, 3);
	if ((rc = cross_open(host, run, PH_REFERENCE, "candidate db opened by reference",
			     &before[PH_CANDIDATE])))
		goto fail;
	host->progress(run, 2, 3);
	if ((rc = cross_open(host, run, PH_CANDIDATE, "reference db opened by candidate",
			     &before[PH_REFERENCE])))
		goto fail;
	host->progress(run, 3, 3);
	return 0;
fail:
	if (rc == PH_E_INTERRUPTED)
		return ph_error(err, rc, "interrupted");
	return ph_error(err, rc, "schema domain: %s", ph_strerror(rc));
}

static const struct ph_plugin plugin = {
    PH_PLUGIN_HEADER,
    .name = "schema",
    .version = "1.0.0",
    .description = "fresh schemas compared table by table, migration ledger, and each "
		   "runtime opening the other's database",
    .run = schema_run,
};

const struct ph_plugin *ph_schema_plugin(void);

const struct ph_plugin *ph_schema_plugin(void)
{
	return &plugin;
}
