/*
 * Id labels (write.h): each id a runtime generated becomes the label of the step that
 * created it ("<case>/<step>"), per runtime, so two runtimes' answers and rows compare
 * where their ids differ; ids that were there before the first case are labelled as
 * themselves. Which labels a case used ("touched") bounds the database rows it compares.
 */
#include <string.h>

#include "parts.h"

void ph_write_state_init(struct ph_write_state *ws)
{
	memset(ws, 0, sizeof(*ws));
	ws->labels[0] = json_object();
	ws->labels[1] = json_object();
	ws->touched = json_object();
	ws->routes = json_array();
	ws->latency = json_object();
}

void ph_write_state_release(struct ph_write_state *ws)
{
	json_decref(ws->labels[0]);
	json_decref(ws->labels[1]);
	json_decref(ws->touched);
	json_decref(ws->routes);
	json_decref(ws->latency);
	memset(ws, 0, sizeof(*ws));
}

const char *ph_write_label_of(struct ph_write_state *ws, int side, const char *id)
{
	return json_string_value(json_object_get(ws->labels[side], id));
}

json_t *ph_write_rewrite_ids(struct ph_write_state *ws, int side, const json_t *v, int touch)
{
	const char *k, *l;
	json_t *out, *child;
	size_t i;

	if (json_is_string(v)) {
		l = ph_write_label_of(ws, side, json_string_value(v));
		if (!l)
			return json_deep_copy(v);
		if (touch)
			json_object_set_new(ws->touched, l, json_true());
		return json_string(l);
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, child)
		    json_object_set_new(out, k, ph_write_rewrite_ids(ws, side, child, touch));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, child)
		    json_array_append_new(out, ph_write_rewrite_ids(ws, side, child, touch));
		return out;
	}
	return json_deep_copy(v);
}

/*
 * Mark every memory id on both sides as known (itself) before the first case: those of
 * memories, and the memory_id of every history and job row already there, so rows the
 * seed phase left (TS's re-embed audit row names memory 'system') are in no case's scope
 * instead of being adopted, as unknown ids are, by the first case.
 */
int ph_write_seed_labels(const struct ph_host *host, struct ph_run *run,
			 struct ph_write_state *ws, struct ph_err *err)
{
	static const struct {
		const char *table, *sql;
		int optional;
	} known[] = {
	    {"memories", "SELECT id FROM memories", 0},
	    {"memory_history", "SELECT DISTINCT memory_id AS id FROM memory_history", 0},
	    {"memory_jobs", "SELECT DISTINCT memory_id AS id FROM memory_jobs", 1},
	};

	for (int i = 0; i < 2; i++) {
		for (size_t t = 0; t < sizeof(known) / sizeof(known[0]); t++) {
			json_t *rows = NULL, *r;
			size_t k;
			int rc = known[t].optional
				     ? ph_write_table_exists(host, run, i, known[t].table, err)
				     : 1;

			if (rc > 0 &&
			    host->db_query(run, (enum ph_side)i, known[t].sql, &rows, err))
				rc = -1;
			if (rc < 0)
				return ph_error_prefix(err, "%s database", ph_write_sides[i]);
			json_array_foreach(rows, k, r)
			{
				json_t *id = json_object_get(r, "id");

				if (json_is_string(id) &&
				    !json_object_get(ws->labels[i], json_string_value(id)))
					json_object_set(ws->labels[i], json_string_value(id), id);
			}
			json_decref(rows);
		}
	}
	return 0;
}
