/*
 * The database state a case left (write.h): the rows of memories, memory_history and
 * (when the table exists) memory_jobs that belong to the memories the case touched,
 * paired by natural key, with generated ids replaced by their labels and timestamps
 * masked, compared one row per table, each annotated with the case's requests and depth
 * "state" for route coverage. Extraction work is the pipeline domain's: `extract`
 * jobs (which a remember queues when the pipeline is enabled, and the worker then runs
 * concurrently with the case's later steps) are left out here, and the rules ignore
 * memories.extraction_status for the same reason.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/dbrow.h"
#include "parity/row.h"
#include "parts.h"

/* Is the memory label in the case's scope (touched, or first seen now)? */
static int in_scope(struct ph_write_state *ws, const char *label)
{
	return label && json_object_get(ws->touched, label) != NULL;
}

json_t *ph_write_normalise_memories(struct ph_write_state *ws, int side, const json_t *rows)
{
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(rows, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *l = id ? ph_write_label_of(ws, side, id) : NULL;
		json_t *row;

		if (!id)
			continue;
		if (!l) {
			/* a row no answer named: attribute it to this case, once */
			const char *hash = json_string_value(json_object_get(r, "content_hash"));
			char *nl = ph_write_dupf("new:%s", hash ? hash : id);

			if (!nl)
				continue;
			json_object_set_new(ws->labels[side], id, json_string(nl));
			json_object_set_new(ws->touched, nl, json_true());
			free(nl);
			l = ph_write_label_of(ws, side, id);
		}
		if (!in_scope(ws, l))
			continue;
		row = ph_write_rewrite_ids(ws, side, r, 0);
		ph_dbrow_mask_times(row);
		json_array_append_new(out, row);
	}
	return out;
}

json_t *ph_write_normalise_children(struct ph_write_state *ws, int side, const json_t *rows,
				    const char *kind_key)
{
	json_t *out = json_array(), *counts = json_object(), *r;
	size_t i;

	json_array_foreach(rows, i, r)
	{
		const char *mid = json_string_value(json_object_get(r, "memory_id"));
		const char *l = mid ? ph_write_label_of(ws, side, mid) : NULL;
		const char *kind =
		    kind_key ? json_string_value(json_object_get(r, kind_key)) : NULL;
		char *key = NULL, *nid = NULL;
		json_int_t n;
		json_t *row;

		if (!l && mid) {
			/* a memory no answer named (and now absent): this case's, once */
			char *nl = ph_write_dupf("new:%s", mid);

			if (nl) {
				json_object_set_new(ws->labels[side], mid, json_string(nl));
				json_object_set_new(ws->touched, nl, json_true());
				free(nl);
			}
			l = ph_write_label_of(ws, side, mid);
		}
		if (!l)
			l = "?";
		key = ph_write_dupf("%s/%s", l, kind ? kind : "");
		if (!key)
			continue;
		n = json_integer_value(json_object_get(counts, key)) + 1;
		json_object_set_new(counts, key, json_integer(n));
		if (in_scope(ws, l)) {
			nid = ph_write_dupf("%s#%lld", key, (long long)n);
			row = ph_write_rewrite_ids(ws, side, r, 0);
			json_object_del(row, "_rowid");
			ph_dbrow_mask_times(row);
			if (nid)
				json_object_set_new(row, "id", json_string(nid));
			json_array_append_new(out, row);
		}
		free(key);
		free(nid);
	}
	json_decref(counts);
	return out;
}

int ph_write_table_exists(const struct ph_host *host, struct ph_run *run, int side,
			  const char *table, struct ph_err *err)
{
	char *sql = ph_write_dupf("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND "
				  "name = '%s'",
				  table);
	json_t *rows = NULL;
	int rc, found;

	if (!sql)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = host->db_query(run, (enum ph_side)side, sql, &rows, err);
	free(sql);
	if (rc)
		return rc;
	found = json_array_size(rows) > 0;
	json_decref(rows);
	return found;
}

static const struct {
	const char *table;
	const char *sql;
	const char *kind_key; /* children: what numbers rows within a memory */
	int optional;
} tables[] = {
    {"memories", "SELECT * FROM memories ORDER BY rowid", NULL, 0},
    /*
     * History rows pair by event (<label>/<event>#<n>), not by position: one runtime's
     * extra row (the Rust daemon's "created" on remember) is then one extra member, not
     * a shift of every later pair.
     */
    {"memory_history", "SELECT rowid AS _rowid, * FROM memory_history ORDER BY rowid", "event",
     0},
    {"memory_jobs",
     "SELECT rowid AS _rowid, * FROM memory_jobs WHERE job_type IS NOT 'extract' ORDER BY rowid",
     "job_type", 1},
};

/*
 * The table row just recorded compared what the case's requests left behind: route
 * coverage counts it for each of them at depth "state".
 */
static void annotate_state(const struct ph_host *host, struct ph_run *run,
			   const struct ph_write_state *ws)
{
	json_t *routes;

	if (!json_array_size(ws->routes))
		return;
	/* a copy: the core's host keeps what it is given, and ws->routes changes per case */
	if ((routes = json_deep_copy(ws->routes)))
		host->annotate(run, "route", routes);
	json_decref(routes);
	ph_row_annotate_route(host, run, NULL, "state");
}

/* The rows of table t on both sides, normalised, compared under "DB /<table>". */
static int compare_table(const struct ph_host *host, struct ph_run *run,
			 struct ph_write_state *ws, size_t t, const char *feature,
			 const char *case_name)
{
	json_t *raw[2] = {NULL, NULL}, *norm[2] = {NULL, NULL};
	struct ph_result res = {0};
	struct ph_row row = {0};
	char rule_key[64], summary[64], *why = NULL;
	struct ph_err e;
	int rc, i;

	snprintf(rule_key, sizeof(rule_key), "DB /%s", tables[t].table);
	ph_err_clear(&e);
	for (i = 0; i < 2; i++) {
		if (host->db_query(run, (enum ph_side)i, tables[t].sql, &raw[i], &e))
			break;
		norm[i] = tables[t].kind_key
			      ? ph_write_normalise_children(
				    ws, i, raw[i], *tables[t].kind_key ? tables[t].kind_key : NULL)
			      : ph_write_normalise_memories(ws, i, raw[i]);
	}
	if (!norm[0] || !norm[1]) {
		why = ph_write_dupf("%s: %s", ph_write_sides[i], e.msg);
		rc = ph_row_error(host, run, feature, case_name, NULL, why);
	} else if (host->compare_json(run, rule_key, norm[0], norm[1], &res, &e)) {
		rc = ph_row_error(host, run, feature, case_name, NULL, e.msg);
	} else {
		snprintf(summary, sizeof(summary), "%zu rows", json_array_size(norm[0]));
		row.feature = feature;
		row.case_name = case_name;
		row.reference = summary;
		row.result = &res;
		row.latency_reference_ms = row.latency_candidate_ms = -1;
		if (!(rc = host->record(run, &row)))
			annotate_state(host, run, ws);
	}
	host->result_release(&res);
	free(why);
	for (i = 0; i < 2; i++) {
		json_decref(raw[i]);
		json_decref(norm[i]);
	}
	return rc;
}

int ph_write_db_compare(const struct ph_host *host, struct ph_run *run,
			struct ph_write_state *ws, const char *case_name)
{
	int rc = 0;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]) && !rc; t++) {
		char feature[64], *why;
		int exists[2] = {1, 1};
		struct ph_err e;

		snprintf(feature, sizeof(feature), "db: %s", tables[t].table);
		ph_err_clear(&e);
		for (int i = 0; i < 2 && tables[t].optional; i++) {
			exists[i] = ph_write_table_exists(host, run, i, tables[t].table, &e);
			if (exists[i] < 0)
				break;
		}
		if (exists[0] < 0 || exists[1] < 0) {
			rc = ph_row_error(host, run, feature, case_name, NULL, e.msg);
		} else if (exists[0] != exists[1]) {
			why = ph_write_dupf("table %s exists only on the %s", tables[t].table,
					    ph_write_sides[exists[0] ? 0 : 1]);
			rc = ph_write_check_row(host, run, feature, case_name,
						exists[0] ? "table present" : "no table",
						PH_STRUCTURAL, exists[0] ? "missing" : "extra",
						why ? why : "table");
			free(why);
			if (!rc)
				annotate_state(host, run, ws);
		} else if (exists[0]) {
			rc = compare_table(host, run, ws, t, feature, case_name);
		}
	}
	return rc;
}
