/*
 * The parity matrix: an in-memory JSON document with the fixed keys of DESIGN.md
 * ("parity-matrix/1"), the helpers that add rows and recompute counts, statuses and the
 * verdict, and loading a matrix.json back with schema checks. Renderers (report.h) read
 * only this document. The document is the whole state: a matrix loaded from disk can be
 * extended and finished like a fresh one.
 */
#ifndef PARITY_MATRIX_H
#define PARITY_MATRIX_H

#include <jansson.h>

#include "parity/err.h"
#include "parity/plugin.h"

#define PH_MATRIX_SCHEMA "parity-matrix/1"

/*
 * A new empty matrix (new reference, NULL when out of memory): no domains, empty metrics,
 * verdict "parity". generated_at is now in UTC ("YYYY-MM-DDTHH:MM:SSZ"), or the time in
 * $SOURCE_DATE_EPOCH when that is set, for reproducible reports. NULL names or versions
 * become "reference"/"candidate" and "unknown".
 */
json_t *ph_matrix_new(const char *ref_name, const char *ref_version, const char *cand_name,
		      const char *cand_version);

/*
 * The domain object named domain, created (status "pass", zero counts, no features) when
 * absent. Borrowed from matrix; NULL when matrix or domain is NULL or empty.
 */
json_t *ph_matrix_domain(json_t *matrix, const char *domain);

/*
 * Mark a domain (created when absent) with status "skipped" or "error" and a reason
 * (stored as "reason" when not NULL). An unknown status is recorded as "error".
 * ph_matrix_finish keeps an explicit "error" with a reason whatever rows the domain has,
 * and an explicit "skipped" only while it has none.
 */
void ph_matrix_domain_status(json_t *matrix, const char *domain, const char *status,
			     const char *reason);

/*
 * Append a feature row to domain (created when absent) from a ph_row, whose pointers are
 * borrowed. The row's class is the worse of row->cls and row->result's verdict; a row with
 * an error message is an error row (the harness could not evaluate, never parity) and
 * carries "error". Divergences are copied from row->result (none without one); latencies
 * below 0 are stored as null. Text that is not UTF-8 is kept with U+FFFD for bad bytes.
 * Returns 0, or PH_E_INVALID (no matrix, domain or feature; class out of range) or
 * PH_E_NOMEM with err filled.
 */
int ph_matrix_add_row(json_t *matrix, const char *domain, const struct ph_row *row,
		      struct ph_err *err);

/*
 * Recompute every domain's counts (features per candidate class) and status, sort the
 * domains in the domain list's order (domain/list.h: the data file's, then others
 * alphabetically; features keep their order) and set the verdict.
 * Status: an explicit error/skipped as described above, else "error" with any error row,
 * else "diverge" with any structural, semantic or timing row (a timing-only domain is
 * "diverge"; whether timing blocks is the gate's call), else "pass".
 * Idempotent; call it again after adding rows.
 */
void ph_matrix_finish(json_t *matrix);

/*
 * Check a matrix document against the fixed schema: every fixed key present with its type
 * and allowed values, no domain twice; and the keys added since that readers rely on: a
 * row's "route" and "depth", the matrix's "coverage" (coverage/coverage.h). source names
 * the document in messages, which name the offending key's path: "m.json:
 * domains[2].features[0].candidate: expected one of parity|structural|semantic|timing|
 * error". Returns 0 or PH_E_INVALID.
 */
int ph_matrix_validate(const json_t *matrix, const char *source, struct ph_err *err);

/*
 * Load and validate a matrix.json (new reference in *out, NULL on failure). Returns 0,
 * PH_E_IO, PH_E_PARSE ("file:line:col: ...") or PH_E_INVALID.
 */
int ph_matrix_load(const char *path, json_t **out, struct ph_err *err);

/*
 * Worst class of the matrix computed from its rows: a domain whose status is "error"
 * counts as PH_ERROR (the worst); skipped domains count as nothing. PH_PARITY when no row
 * diverges; PH_ERROR for a non-object.
 */
enum ph_class ph_matrix_verdict(const json_t *matrix);

#endif
