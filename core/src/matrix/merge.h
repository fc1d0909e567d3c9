/*
 * Merging parity matrices from sharded runs (one domain per CI job) into one document:
 * the runtimes must agree, a domain may appear in several inputs only when its objects
 * are identical, and counts, the verdict and the route coverage are recomputed over the
 * merged domains.
 */
#ifndef PARITY_MERGE_H
#define PARITY_MERGE_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

/*
 * Merge n loaded matrices (borrowed; names[i] names mats[i] in messages) into *out, a new
 * matrix: the first input's top-level keys, domains in the domain list's order (the data
 * file's, then others alphabetically), metrics of all inputs (the first input wins on a
 * key present twice), generated_at now, counts and verdict recomputed, and the inputs'
 * route coverage merged (coverage/coverage.h ph_coverage_merge) when any has the key.
 * Fails with PH_E_INVALID naming both files when runtime names or versions differ, when
 * one domain appears twice with different contents, or when their coverage cannot be
 * merged (coverage of different route lists, or of some inputs only).
 */
int ph_merge_matrices(json_t **out, json_t *const *mats, const char *const *names, size_t n,
		      struct ph_err *err);

#endif
