/*
 * The parts of the pipeline domain's run, as pipeline.c dispatches a case: the marks and
 * state of each side (observe.c), the seed written into a running database (seed.c), the
 * rows of a scenario (evaluate.c), the two kinds of scenario (seeded.c, remember.c) and
 * the jobs seeded for the side that did not queue them (backfill.c). Functions return 0 or
 * a negative code with err filled unless they say otherwise.
 */
#ifndef PH_PIPELINE_PARTS_H
#define PH_PIPELINE_PARTS_H

#include <stddef.h>
#include <jansson.h>

#include "parity/plugin.h"

#define SETTLE_DEFAULT_MS 15000
#define SETTLE_POLL_MS 100
#define SETTLE_GRACE_MS 300 /* let the canned-LLM log catch up with the last answer */

#define F_EGRESS "pipeline egress"
#define F_JOBS "pipeline jobs"
#define F_DECISIONS "pipeline decisions"
#define F_REMEMBER_JOBS "pipeline remember jobs"

/* Their rules in the run's rules file: pseudo-endpoints, as rule keys must be "METHOD /path". */
#define R_EGRESS "PIPELINE /egress"
#define R_JOBS "PIPELINE /jobs"
#define R_DECISIONS "PIPELINE /decisions"
#define R_MEMORIES "PIPELINE /memories"
#define R_REMEMBER_JOBS "PIPELINE /remember-jobs"

extern const char *const ph_pipeline_sides[2]; /* "reference", "candidate" */

/* What a side looked like before a scenario's seed. */
struct snap {
	json_int_t mem_seq, hist_seq;
	json_t *jobs; /* object: job id -> true */
	long log_off;
};

/* What a side looks like after it settled. */
struct state {
	json_t *jobs, *history, *memories, *egress;
	size_t requests;  /* egress lines, duplicates included */
	size_t malformed; /* log lines that could not be read */
	const char *egress_error;
};

/* What a scenario set up on each side before the workers' work is waited for. */
struct setup {
	struct snap before[2];
	const char *known[2];  /* ids quoted here are not labelled new-N (collect) */
	json_t *labels[2];     /* id -> label the scenario gave, or NULL */
	const char *jobs_note; /* appended to the jobs row's summary (seeded jobs), or NULL */
	const char *route;     /* the request whose effect the rows compare (route coverage:
				  depth state), or NULL when the work was seeded */
};

/* ---- observe.c ---- */

/* The first column of the first row of a query, as an integer. */
int ph_pipeline_query_int(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			  const char *sql, json_int_t *out, struct ph_err *err);

/* Take side's marks before a scenario; release s->jobs. */
int ph_pipeline_snap(const struct ph_host *host, struct ph_run *run, enum ph_side side,
		     struct snap *s, struct ph_err *err);

/*
 * Wait until neither side has a job left to run, or timeout_ms passed. left[] gets how
 * many each side still has (0: settled).
 */
int ph_pipeline_settle(const struct ph_host *host, struct ph_run *run, long timeout_ms,
		       json_int_t left[2], struct ph_err *err);

/*
 * What a side left after it settled. Memories created since before whose id appears quoted
 * in known ('id': the seed SQL, or the remembered ids) keep their id or get their label
 * from labels (id -> label, may be NULL); other new memories are labelled new-N. Release
 * st with ph_pipeline_state_release.
 */
int ph_pipeline_collect(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			const char *scenario, const struct snap *before, const char *known,
			const json_t *labels, struct state *st, struct ph_err *err);
void ph_pipeline_state_release(struct state *st);

/* ---- seed.c ---- */

/* Write the seed SQL into a side's running database, in one transaction. */
int ph_pipeline_seed(const struct ph_host *host, struct ph_run *run, enum ph_side side,
		     const char *sql, struct ph_err *err);

/* The text of the suite file case c names under key (*text NULL when absent); caller frees. */
int ph_pipeline_case_file(const struct ph_host *host, struct ph_run *run, const json_t *c,
			  const char *key, char **text, struct ph_err *err);

/* ---- evaluate.c ---- */

/* The options both scenario kinds take: settle_timeout_ms and the decisions wanted. */
int ph_pipeline_scenario_options(const struct ph_host *host, struct ph_run *run, const json_t *c,
				 long *timeout_ms, const json_t **want, struct ph_err *err);

/*
 * Compare a and b under rule_key and record the row. settle_note, when given, says the
 * candidate did not finish: the row is at least semantic and the note is logged. *cls,
 * when given, gets the row's class (PH_ERROR when the comparison itself failed). route,
 * when given, is the request whose effect a and b are: route coverage counts the row for
 * it at depth "state". Returns host->record's code.
 */
int ph_pipeline_compare_row(const struct ph_host *host, struct ph_run *run, const char *feature,
			    const char *case_name, const char *rule_key, const char *summary,
			    const json_t *a, const json_t *b, const char *settle_note,
			    const char *route, enum ph_class *cls);

/*
 * The rows of a scenario that cannot be evaluated, each an error saying why: jobs,
 * egress, one decisions row per kind wanted, memories. Returns non-zero only when a row
 * cannot be recorded.
 */
int ph_pipeline_error_rows(const struct ph_host *host, struct ph_run *run, const char *name,
			   const json_t *want, const char *why);

/*
 * The common end of both scenario kinds: wait until the workers settled, collect each
 * side and record the jobs, egress, decisions and memories rows. Returns non-zero only
 * when a row cannot be recorded.
 */
int ph_pipeline_evaluate(const struct ph_host *host, struct ph_run *run, const char *name,
			 const struct setup *su, long timeout_ms, const json_t *want,
			 struct ph_err *err);

/* ---- the scenarios: each returns non-zero only for a malformed case ---- */

int ph_pipeline_seeded_scenario(const struct ph_host *host, struct ph_run *run, const json_t *c,
				struct ph_err *err);
int ph_pipeline_remember_scenario(const struct ph_host *host, struct ph_run *run, const json_t *c,
				  struct ph_err *err);

/*
 * Give each side the jobs the other side's remembers queued and its own did not
 * (backfill.c). note gets what was seeded ("" when nothing), for the jobs row. Returns 0,
 * or -1 with why filled when a job cannot be seeded (the scenario cannot be evaluated).
 */
int ph_pipeline_backfill(const struct ph_host *host, struct ph_run *run, const char *name,
			 struct setup *su, json_t *const queued[2], json_t *const job_labels[2],
			 char *note, size_t nn, char *why, size_t wn);

#endif
