/*
 * Route coverage: which routes of a route list (routes.h) the rows of parity matrices
 * drive, and how deep they compare what those routes do. A row names the routes it drives
 * by its key "route" ("METHOD /concrete/path?query", an array of such, or null for none;
 * set by plugins through host->annotate), else by its feature when that reads "METHOD
 * /path ..." with an HTTP method. Its depth is its key "depth": "status" (only the status
 * was compared), "body" (the answer compared under the rules; the default) or "state"
 * (what the request left behind compared: database rows, files, LLM egress). Only rows
 * that compared something count: a row whose candidate class is error (or any class but
 * parity, timing, semantic and structural, such as expectation rows) proves nothing about
 * the route. A route's depth is that of its deepest row; routes driven but not listed are
 * reported apart ("unlisted").
 *
 * The result is the matrix key "coverage" (docs/coverage.md):
 *   {source, routes, counts: {none, status, body, state}, ratio: {status, body, state},
 *    routes_table: [{route, depth, rows, listed_status}], unlisted: [{route, depth, rows}]}
 * counts: routes whose deepest row is exactly that deep; ratio: the share of routes
 * driven at least that deep, rounded to 4 decimals; routes_table in the list's order,
 * unlisted by route.
 */
#ifndef PARITY_COVERAGE_H
#define PARITY_COVERAGE_H

#include <stddef.h>
#include <jansson.h>

#include "coverage/routes.h"
#include "parity/err.h"

/* How deep a row compared what its route does; ordered, deepest last. */
enum ph_depth { PH_DEPTH_NONE = 0, PH_DEPTH_STATUS, PH_DEPTH_BODY, PH_DEPTH_STATE };
#define PH_DEPTH_COUNT 4

/* "none", "status", "body", "state". */
const char *ph_depth_name(enum ph_depth d);

/* The depth named name, or -1 when it names none (NULL included). */
int ph_depth_of(const char *name);

/*
 * Check the coverage keys of one matrix row ("route" and "depth"): 0 when absent or
 * well-formed; otherwise -1 with key (cap bytes) set to the offending key ("route",
 * "route[2]", "depth") and *why to what was expected.
 */
int ph_coverage_row_check(const json_t *row, char *key, size_t cap, const char **why);

/*
 * The coverage of the rows of n matrices (borrowed; names[i] names mats[i] in messages)
 * against list l: a new object in *out whose "source" is source (the list as the user
 * named it). A row whose "route" or "depth" is malformed fails with PH_E_INVALID naming
 * the matrix and the row ("m.json: domains[2].features[5].route: ..."); PH_E_NOMEM.
 */
int ph_coverage_compute(json_t **out, const struct ph_route_list *l, const char *source,
			json_t *const *mats, const char *const *names, size_t n,
			struct ph_err *err);

/*
 * Recompute "routes", "counts" and "ratio" of a coverage object from its routes_table.
 * 0 or PH_E_NOMEM.
 */
int ph_coverage_summarise(json_t *cov);

/*
 * Check a matrix's "coverage" value against the shape above (null is fine: no route
 * list was set). source names the matrix in messages, which name the key's path
 * ("m.json: coverage.routes_table[3].depth: expected one of none|status|body|state").
 * 0 or PH_E_INVALID.
 */
int ph_coverage_validate(const json_t *cov, const char *source, struct ph_err *err);

/*
 * Merge the coverage values of n matrices (covs[i] borrowed, NULL or null when the
 * matrix has none; names[i] names it in messages) into *out, a new value: null when
 * none has coverage; otherwise every one must have coverage of the same list (the same
 * source, and routes_table listing the same routes with the same listed_status), and the
 * result takes each route's deepest depth and the sum of its rows (unlisted routes too),
 * with counts and ratio recomputed. The matrices are taken to hold different rows, as
 * shards do. Mixed, different sources or different lists: PH_E_INVALID naming both
 * files; PH_E_NOMEM.
 */
int ph_coverage_merge(json_t **out, json_t *const *covs, const char *const *names, size_t n,
		      struct ph_err *err);

#endif
