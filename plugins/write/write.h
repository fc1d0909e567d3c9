/*
 * The write plugin's pure helpers, shared by write.c and its unit test: the id labels
 * that let two runtimes' generated ids compare (an id becomes the label of the step that
 * created it, per runtime), the normalisation of database rows before they are compared
 * (rows paired by natural key, timestamps masked) and the crash-consistency verdict.
 */
#ifndef PARITY_PLUGIN_WRITE_H
#define PARITY_PLUGIN_WRITE_H

#include <jansson.h>

/*
 * Per-run state: labels[side] maps an id to its label; touched holds the labels a case used,
 * routes the requests it sent ("METHOD /path?query" of the reference's, each once, in
 * order): what its database rows show the effect of.
 */
struct ph_write_state {
	json_t *labels[2];
	json_t *touched;
	json_t *routes;
	json_t *latency;     /* feature -> {endpoint, a: [ms], b: [ms]} */
	unsigned long steps; /* steps sent so far: even ones ask the reference first */
};

/* Set up empty maps; release with ph_write_state_release. */
void ph_write_state_init(struct ph_write_state *ws);
void ph_write_state_release(struct ph_write_state *ws);

/*
 * A deep copy of v with every string that is a known id of side replaced by its label;
 * with touch, those labels are added to ws->touched. New reference.
 */
json_t *ph_write_rewrite_ids(struct ph_write_state *ws, int side, const json_t *v, int touch);

/*
 * memories rows of side (db_query output) as compared: rows of touched memories, plus rows
 * no answer named (labelled "new:<content_hash>" and counted once), ids as labels,
 * timestamps (*_at, last_accessed) masked to "<set>" or null. New array.
 */
json_t *ph_write_normalise_memories(struct ph_write_state *ws, int side, const json_t *rows);

/*
 * Rows that belong to a memory (memory_history, memory_jobs; each with memory_id, in rowid
 * order, `_rowid` dropped): those of touched memories, id replaced by the natural key
 * "<memory label>/<kind>#<n>" (kind: the kind_key column's value, or "" when kind_key is
 * NULL; n counts from 1 per memory and kind), timestamps masked. New array.
 */
json_t *ph_write_normalise_children(struct ph_write_state *ws, int side, const json_t *rows,
				    const char *kind_key);

/* The median of an array of numbers (-1 when empty); *iqr (when given) its interquartile range. */
double ph_write_spread(const json_t *samples, double *iqr);

/*
 * Verdict on a crash batch: memories rows {id, version, is_deleted, changes, last_life}
 * and orphans (history rows {memory_id} of absent memories). NULL when every memory is
 * complete, else a message (caller frees) naming the first incomplete one.
 */
char *ph_write_crash_verdict(const json_t *memories, const json_t *orphans);

#endif
