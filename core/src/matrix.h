/*
 * The parity matrix: an in-memory JSON document with the fixed keys of DESIGN.md
 * ("parity-matrix/1"), the helpers that add rows and recompute counts, statuses and the
 * verdict, and loading a matrix.json back with schema checks. Renderers (report.h) read
 * only this document.
 */
#ifndef PARITY_MATRIX_H
#define PARITY_MATRIX_H

#include <jansson.h>

#include "parity/err.h"
#include "parity/plugin.h"

#define PH_MATRIX_SCHEMA "parity-matrix/1"

/* A new empty matrix (new reference); generated_at is now, in UTC. */
json_t *ph_matrix_new(const char *ref_name, const char *ref_version, const char *cand_name,
		      const char *cand_version);

/* The domain object named domain, created (status "pass", no features) when absent. Borrowed. */
json_t *ph_matrix_domain(json_t *matrix, const char *domain);

/* Mark a domain skipped or error with a reason (stored as "reason"). */
void ph_matrix_domain_status(json_t *matrix, const char *domain, const char *status,
			     const char *reason);

/* Append a feature row to domain from a ph_row. */
int ph_matrix_add_row(json_t *matrix, const char *domain, const struct ph_row *row,
		      struct ph_err *err);

/* Recompute every domain's counts and status and the overall verdict. */
void ph_matrix_finish(json_t *matrix);

/* Check a matrix document against the fixed schema; source names it in messages. */
int ph_matrix_validate(const json_t *matrix, const char *source, struct ph_err *err);

/* Load and validate a matrix.json (new reference in *out). */
int ph_matrix_load(const char *path, json_t **out, struct ph_err *err);

/* Worst class of the matrix as an enum (error counts as worst). */
enum ph_class ph_matrix_verdict(const json_t *matrix);

#endif
