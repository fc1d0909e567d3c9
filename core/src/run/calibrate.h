/*
 * Noise calibration (`parity run --calibrate`, issue 9): the reference runtime is run as
 * both sides (two instances, two workspaces), compared under the configured rules with
 * every ignoreFields list emptied, and the paths whose values differ between the two
 * instances (generated ids, timestamps, uptimes) are learned from the rows' divergences
 * and written as a proposed rules file, <out>/proposed-rules.json, in the upstream format
 * with ignoreFields per endpoint and evidence counts per pattern. Nothing is applied: the
 * user merges what they agree with. Calibration never looks at the candidate runtime, so
 * a difference seen only between reference and candidate can never be taken for noise.
 */
#ifndef PARITY_CALIBRATE_H
#define PARITY_CALIBRATE_H

#include <stdio.h>
#include <jansson.h>

#include "run/config.h"
#include "parity/err.h"
#include "compare/rules.h"

struct ph_session;

/* The file ph_calibrate_finish writes into the report folder. */
#define PH_CALIBRATE_FILE "proposed-rules.json"

/*
 * Make the candidate a second instance of the reference: runtimes.candidate is replaced
 * by runtimes.reference of the config document, parsed again (role "candidate").
 * 0 or PH_E_*.
 */
int ph_calibrate_config(struct ph_config *cfg, struct ph_err *err);

/*
 * The rules calibration compares under (new, free with ph_rules_free): the rules file at
 * path with the ignoreFields of the default and of every endpoint removed (modes,
 * orderings, precision, tolerances and deterministic lists kept), so every difference
 * between the two instances shows; the built-in rules when path is NULL.
 */
int ph_calibrate_rules(const char *path, struct ph_rules **out, struct ph_err *err);

/*
 * A divergence path as a pattern: segments made only of digits (array indexes) become
 * `*`. New string, NULL when out of memory.
 */
char *ph_calibrate_pattern(const char *path);

/*
 * Learn from a finished calibration matrix (borrowed). Divergences of class structural or
 * semantic at a non-empty path, on a row whose feature is an endpoint key ("METHOD
 * /path"), become ignore patterns of that endpoint with their counts; timing divergences
 * are not noise of values and are left out; status, whole-body and non-endpoint
 * differences cannot be masked by ignoreFields and are listed under "unmaskable". current
 * (may be NULL) are the rules in force: patterns they do not already ignore are listed
 * under "new". Returns the proposal (new reference):
 * {description, rules: {endpoints: {key: {ignoreFields, note}}}, evidence: {key: {pattern:
 * count}}, new: {key: [pattern]}, unmaskable: [...], calibration: {runtime, rows,
 * rows_differing, patterns, new_patterns}}; NULL when out of memory.
 */
json_t *ph_calibrate_propose(const json_t *matrix, const struct ph_rules *current);

/*
 * Begin a calibration run on an initialised session: *saved gets the session's rules
 * (the ones in force) and the session compares under ph_calibrate_rules from then on.
 */
int ph_calibrate_begin(struct ph_session *s, struct ph_rules **saved, struct ph_err *err);

/*
 * End it: learn from s->matrix, write <s->out>/proposed-rules.json, print a summary to f,
 * and put the saved rules back into the session (taking saved in every case).
 * 0 or PH_E_*.
 */
int ph_calibrate_finish(struct ph_session *s, struct ph_rules *saved, FILE *f,
			struct ph_err *err);

#endif
