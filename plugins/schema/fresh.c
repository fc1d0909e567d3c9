/*
 * The fresh-schema check (checks.h): both runtimes stopped, their databases snapshotted
 * (snapshot.h) and compared with the host's verify_schema. One row per table, view or
 * virtual table of either side (feature "table <name>", the reference's summary or
 * "absent"), whose class is the worst of that table's differences, and one for the
 * migration ledger (feature "schema_migrations", compared by version set only, as the
 * core's schema comparison does). A side whose database cannot be read gives one row for
 * the database instead: structural when the candidate created none, else an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "snapshot.h"

/* The ledger's table: the schema comparison keys the version set by this name. */
#define LEDGER "schema_migrations"

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
		rc = ph_result_add(res, class_of(json_string_value(json_object_get(d, "class"))),
				   kind ? kind : "schema", path, json_incref(json_object_get(d, "a")),
				   json_incref(json_object_get(d, "b")), msg ? msg : "");
		if (rc)
			break;
	}
	return rc;
}

/* The row of one table (key) under feature `feature`, or under "table <name>" when NULL. */
static int table_row(const struct ph_host *host, struct ph_run *run, const char *case_name,
		     const json_t *diffs, const char *key, const char *name, const char *feature,
		     const char *summary)
{
	struct ph_result res;
	char buf[512];
	int rc;

	memset(&res, 0, sizeof(res));
	if (!feature) {
		snprintf(buf, sizeof(buf), "table %s", name);
		feature = buf;
	}
	rc = table_result(diffs, key, &res);
	if (!rc)
		rc = schema_record(host, run, feature, case_name, summary, &res);
	host->result_release(&res);
	return rc;
}

/* Is the table of difference d neither in la nor in lb, nor the ledger, nor seen before i? */
static int orphan_table(const json_t *diffs, size_t i, const struct schema_list *la,
			const struct schema_list *lb)
{
	const char *t = json_string_value(json_object_get(json_array_get(diffs, i), "table"));
	size_t k;

	if (!t || !strcmp(t, LEDGER) || schema_list_find(la, t) >= 0 ||
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

/* A row for the whole database when the schemas could not be compared. */
static int fresh_failed(const struct ph_host *host, struct ph_run *run, const char *case_name,
			const char *database, enum ph_class cls, const char *why)
{
	struct ph_result res;
	int rc;

	if (cls == PH_ERROR)
		return ph_row_error(host, run, database, case_name, "a database", why);
	memset(&res, 0, sizeof(res));
	rc = ph_result_add(&res, cls, "missing", database, NULL, NULL, why);
	if (!rc)
		rc = schema_record(host, run, database, case_name, "a database", &res);
	host->result_release(&res);
	return rc;
}

/* The rows of a comparison that succeeded: tables of a, then b's own, orphans, ledger. */
static int table_rows(const struct ph_host *host, struct ph_run *run, const char *case_name,
		      const json_t *diffs, const struct schema_list list[2])
{
	size_t i;
	int rc = 0;

	for (i = 0; !rc && i < list[0].n; i++)
		rc = table_row(host, run, case_name, diffs, list[0].v[i].key, list[0].v[i].name,
			       NULL, list[0].v[i].summary);
	for (i = 0; !rc && i < list[1].n; i++)
		if (schema_list_find(&list[0], list[1].v[i].key) < 0)
			rc = table_row(host, run, case_name, diffs, list[1].v[i].key,
				       list[1].v[i].name, NULL, "absent");
	/* Differences naming a table neither list has (should not happen): still reported. */
	for (i = 0; !rc && i < json_array_size(diffs); i++)
		if (orphan_table(diffs, i, &list[0], &list[1])) {
			const char *t =
			    json_string_value(json_object_get(json_array_get(diffs, i), "table"));

			rc = table_row(host, run, case_name, diffs, t, t, NULL, "not listed");
		}
	if (!rc)
		rc = table_row(host, run, case_name, diffs, LEDGER, LEDGER, LEDGER,
			       list[0].ledger_summary);
	return rc;
}

int schema_fresh(const struct ph_host *host, struct ph_run *run, const char *case_name,
		 const char *database)
{
	char *snap[2] = {NULL, NULL};
	struct schema_list list[2];
	json_t *diffs = NULL;
	struct ph_err err;
	char why[1400];
	int side, rc = 0;

	memset(list, 0, sizeof(list));
	for (side = 0; side < 2; side++) {
		ph_err_clear(&err);
		rc = schema_snapshot(host->workspace(run, side), database, &snap[side], &err);
		if (rc == PH_E_NOMEM)
			goto out;
		if (rc) {
			snprintf(why, sizeof(why), "%s: %s", schema_side_names[side], err.msg);
			/* A candidate that created no database diverges; anything else: error. */
			rc = fresh_failed(
			    host, run, case_name, database,
			    side == PH_CANDIDATE && rc == PH_E_NOTFOUND ? PH_STRUCTURAL : PH_ERROR,
			    why);
			goto out;
		}
		ph_err_clear(&err);
		rc = schema_list_tables(snap[side], &list[side], &err);
		if (rc == PH_E_NOMEM)
			goto out;
		if (rc) {
			snprintf(why, sizeof(why), "%s: %s", schema_side_names[side], err.msg);
			rc = fresh_failed(host, run, case_name, database, PH_ERROR, why);
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
		rc = fresh_failed(host, run, case_name, database, PH_ERROR, why);
		goto out;
	}
	rc = table_rows(host, run, case_name, diffs, list);
out:
	for (side = 0; side < 2; side++) {
		free(snap[side]);
		schema_list_free(&list[side]);
	}
	json_decref(diffs);
	return rc;
}
