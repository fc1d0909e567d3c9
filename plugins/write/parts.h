/*
 * The parts of the write domain's run, one file each, as write.c calls them in order: the
 * ids already there labelled as themselves (ids.c), each case's steps and the database
 * state they left (steps.c, dbstate.c), the per-feature timing rows (timing.c), crash
 * consistency (crash.c) and rollback (rollback.c); with the requests and rows those checks
 * share (requests.c, rows.c). Each returns 0, a negative code, or (where it says so) 1.
 */
#ifndef PARITY_PLUGIN_WRITE_PARTS_H
#define PARITY_PLUGIN_WRITE_PARTS_H

#include "parity/plugin.h"
#include "write.h"

extern const char *const ph_write_sides[2]; /* "reference", "candidate" */

/* The label of id on side, or NULL when the id is not known. Borrowed. */
const char *ph_write_label_of(struct ph_write_state *ws, int side, const char *id);

/*
 * Mark every memory id already in both databases as known (itself) before the first case,
 * so rows the seed phase left are in no case's scope. err names the side that failed.
 */
int ph_write_seed_labels(const struct ph_host *host, struct ph_run *run,
			 struct ph_write_state *ws, struct ph_err *err);

/* Whether table exists in side's database: 1, 0, or a negative code. */
int ph_write_table_exists(const struct ph_host *host, struct ph_run *run, int side,
			  const char *table, struct ph_err *err);

/* Run case c: its steps, then its database rows. A malformed case is an error. */
int ph_write_case(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
		  const json_t *c, struct ph_err *err);

/* Compare the database state a case left, one row per table. */
int ph_write_db_compare(const struct ph_host *host, struct ph_run *run,
			struct ph_write_state *ws, const char *case_name);

/* Note one step's latencies under its feature, for the per-feature timing rows. */
void ph_write_latency_add(struct ph_write_state *ws, const char *feature, const char *endpoint,
			  double a, double b);

/* One timing row per feature with enough steps: their medians compared. */
int ph_write_timing_rows(const struct ph_host *host, struct ph_run *run,
			 struct ph_write_state *ws, struct ph_err *err);

/* Crash consistency on side: one row. Returns host->record's code. */
int ph_write_crash_check(const struct ph_host *host, struct ph_run *run, int side);

/* Rollback without data loss: one row; both runtimes back on their own workspaces after. */
int ph_write_rollback_check(const struct ph_host *host, struct ph_run *run);

/* ---- requests.c: requests of the checks, never compared ---- */

/* POST a JSON body to side; the "id" of a 200 answer (caller frees) or NULL. */
char *ph_write_post_id(const struct ph_host *host, struct ph_run *run, int side,
		       const char *path, const char *body);

/* Send a request to side without waiting for the answer (a burst before a kill). */
void ph_write_fire(const struct ph_host *host, struct ph_run *run, int side,
		   const char *method, const char *path, const char *body);

/* The JSON of a 200 answer of side to method path (body may be NULL), or NULL. */
json_t *ph_write_get_json(const struct ph_host *host, struct ph_run *run, int side,
			  const char *method, const char *path, const char *body);

/* ---- rows.c ---- */

/* A new string printf makes, or NULL when out of memory. */
char *ph_write_dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Record the row of one of the domain's own checks: parity, an error (message is why), or
 * one divergence of class cls and kind at path "" with message.
 */
int ph_write_check_row(const struct ph_host *host, struct ph_run *run, const char *feature,
		       const char *case_name, const char *reference, enum ph_class cls,
		       const char *kind, const char *message);

#endif
