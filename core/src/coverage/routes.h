/*
 * Route lists: the routes a daemon serves, and which listed route a request drives. A
 * list is upstream's route-parity.json ({generatedBy, statusLegend, summary, routes:
 * [{method, path, file, line, status, ...}]}) or our own shorter form: an array of
 * {method, path} objects or "METHOD /path" strings, or an object whose "routes" is such
 * an array. A listed path segment ":name" matches any one segment and the method "ALL"
 * any method (the two pattern forms upstream's list uses). Among the listed routes a
 * request matches, the one rule lookup would pick wins (compare/rules.h: the first
 * segment where one is literal and the other a parameter decides), then a named method
 * over ALL, then the earlier in the list; so every request drives at most one route.
 */
#ifndef PARITY_COVERAGE_ROUTES_H
#define PARITY_COVERAGE_ROUTES_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

/* One listed route; owned by its struct ph_route_list. */
struct ph_route {
	char *key;    /* "METHOD /path" as listed: the method, one space, the path */
	char *method; /* upper case; "ALL" matches any method */
	char **segs;  /* the path's segments, empty ones dropped */
	size_t n_segs;
	char *status; /* the list's own "status" of the route, or NULL when it has none */
};

struct ph_route_list {
	char *source; /* the file it came from, for messages */
	struct ph_route *routes;
	size_t n;
};

/*
 * Load a route list file into l (released with ph_route_list_release, also after a
 * failure). Bad input is PH_E_INVALID naming the file and the entry ("r.json: routes[3]:
 * expected {method, path} or \"METHOD /path\""); PH_E_IO or PH_E_PARSE as
 * ph_json_load_file. A list needs at least one route, and none twice (a route is the same
 * as another when its method and its path, whatever its parameters are called, are).
 */
int ph_route_list_load(struct ph_route_list *l, const char *path, struct ph_err *err);

/* The same from a parsed document (borrowed); source names it in messages. */
int ph_route_list_from_json(struct ph_route_list *l, const json_t *doc, const char *source,
			    struct ph_err *err);

/* Free what l owns; l is empty after. */
void ph_route_list_release(struct ph_route_list *l);

/*
 * Split a request "METHOD /path?query" into a new method string and new path segments
 * (the query string and fragment stripped; free with free() and ph_route_free). With
 * strict, the path is the whole rest of text; otherwise it ends at the first blank (a
 * feature "GET /api/status [local]"). 0; 1 when text does not read so (METHOD upper-case
 * letters, one or more spaces, a path starting with '/'); PH_E_NOMEM.
 */
int ph_route_text_split(const char *text, int strict, char **method, char ***segs, size_t *n);

/*
 * The index in l of the route a request (method, path segments) drives, or -1 when it
 * drives none of them.
 */
long ph_route_list_match(const struct ph_route_list *l, const char *method, char *const *segs,
			 size_t n);

/* "METHOD /seg/seg" of method and segs ("METHOD /" without segments): a new string or NULL. */
char *ph_route_key(const char *method, char *const *segs, size_t n);

#endif
