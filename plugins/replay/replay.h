/*
 * The replay domain's parts. A replay corpus is upstream Signet's own case format
 * (platform/daemon-rs/contracts/replay-corpus: a manifest.json listing case files, each
 * case an environment, a seed, one request or steps of requests, what each answer and the
 * database should then hold). For each case both runtimes are started on an empty
 * workspace holding the case's agent.yaml, seeded with its SQL (setup.c), and each step is
 * sent to both (step.c): the two answers are compared under the run's rules, each side is
 * checked against the case's expectations (expect.c, on JSONPath from jsonpath.c), and what
 * the step left in each database is compared (state.c). case.c loads and checks the case
 * files. Functions return 0 or a negative PH_E_* code with err filled unless they say
 * otherwise.
 */
#ifndef PH_REPLAY_H
#define PH_REPLAY_H

#include <stddef.h>
#include <jansson.h>

#include "parity/plugin.h"

extern const char *const rp_sides[2]; /* "reference", "candidate" */

/* One domain run. */
struct rp_run {
	const struct ph_host *host;
	struct ph_run *run;
	const char *corpus;          /* the corpus folder (holds manifest.json) */
	const char *database;        /* the database inside a workspace */
	unsigned turn;               /* exchanges so far: who is asked first */
	size_t n_case;               /* cases begun, for unique canon names */
};

/* One loaded case: its document, where it came from, and what of it is not applied. */
struct rp_case {
	json_t *doc;                 /* the case file's object */
	char *file;                  /* its path */
	const char *id;              /* doc's "id" */
	char label[64];              /* id as a pass label (letters, digits, '-', '_') */
	json_t *steps;               /* [{name, request, expectedResponse, expectedInternalState?}] */
	json_t *unknown;             /* ["steps[1].expectedResponse.foo", ...]: keys not known */
	json_t *not_applied;         /* ["environment.clock", ...]: known, not reproducible */
	double tolerance;            /* normalization.floatTolerance */
};

/* ---- case.c ---- */

/* The case files the corpus's manifest.json lists, as paths (new array). */
int rp_manifest(const char *corpus, json_t **files, struct ph_err *err);
/*
 * Load and check one case file: required keys and their types are errors naming the file
 * and the key; unknown keys are listed in c->unknown, not refused. A single top-level
 * request becomes one step named "request".
 */
int rp_case_load(const char *path, struct rp_case *c, struct ph_err *err);
void rp_case_release(struct rp_case *c);

/* ---- jsonpath.c: the subset the corpus uses: $, .name, [n], [*], ['name'] ---- */

/*
 * The values path selects in doc, as a new array (borrowed values, incref'd); NULL when the
 * path is not of that subset. *multi is set when it has a wildcard (then it names a list).
 */
json_t *rp_path_select(const json_t *doc, const char *path, int *multi);
/* Remove what path selects from doc (members of objects, elements of arrays). */
void rp_path_remove(json_t *doc, const char *path);
/* "$.a[0].b" as the dot path of a matrix divergence ("a.0.b"; "[*]" as "*"). */
void rp_path_dotted(const char *path, char *buf, size_t cap);

/* ---- expect.c ---- */

/*
 * Check side's answer r (its body parsed: body, NULL when not JSON) against an
 * expectedResponse; each broken expectation is a divergence of class expectation in res,
 * its message naming the side.
 */
int rp_expect_response(const json_t *want, enum ph_side side, const struct ph_response *r,
		       const json_t *body, double tolerance, struct ph_result *res);
/* JSON values equal, numbers within tolerance (1 equals 1.0). */
int rp_json_equal(const json_t *a, const json_t *b, double tolerance);
/* Does actual hold everything of want (objects: each key; arrays: each element in order)? */
int rp_json_contains(const json_t *actual, const json_t *want, double tolerance);

/* ---- setup.c ---- */

/* Start both runtimes for case c: empty workspaces, its agent.yaml and env, its seed. */
int rp_setup(struct rp_run *r, struct rp_case *c, struct ph_err *err);

/* ---- state.c ---- */

/* Every row of side's database, by table and key (new object): {table: {key: row}}. */
int rp_state_snapshot(struct rp_run *r, enum ph_side side, json_t **snap, struct ph_err *err);
/*
 * What changed from before to after: {table: {added: [rows], removed: [rows], changed:
 * [{row, columns}]}} with the case's ignored columns left out and timestamps masked (new).
 */
json_t *rp_state_changes(const json_t *before, const json_t *after, const json_t *norm);
/*
 * Run an expectedInternalState's db entries on side: *results (new) gets per entry
 * {count} or {rows}; broken expectations are added to res as class expectation.
 */
int rp_state_expect(struct rp_run *r, enum ph_side side, const json_t *want, double tolerance,
		    json_t **results, struct ph_result *res, struct ph_err *err);
/*
 * Name the keys of the rows side added from before to after (ordered by their content
 * under norm) for every later comparison (canon_add), so generated ids compare.
 */
void rp_state_name_new_rows(struct rp_run *r, enum ph_side side, const json_t *before,
			    const json_t *after, const json_t *norm);

/* ---- step.c ---- */

/* Run case c's steps on both runtimes and record their rows. */
int rp_case_run(struct rp_run *r, struct rp_case *c, struct ph_err *err);

#endif
