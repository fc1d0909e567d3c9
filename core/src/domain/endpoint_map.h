/*
 * The endpoint -> domain map (the "routes" of suites/domains.json): which domain of the
 * list (list.h) an HTTP endpoint of the Signet API belongs to, so that shadow logs and
 * gate reasons can be grouped per domain. The routes are an ordered list of "METHOD
 * /path" patterns; a `:param` segment matches any one segment, a final `*` segment
 * matches the rest of the path (zero or more segments) and a method of `*` matches any
 * method. The first matching route wins; an endpoint no route matches is "unmapped".
 *
 * File shape: {"schema": "parity-domains/1", "routes": [{"route": "GET /v1/things",
 * "domain": "<name>"}, ...]}; its "domains" and "defaults" are the list's (list.h).
 */
#ifndef PARITY_ENDPOINT_MAP_H
#define PARITY_ENDPOINT_MAP_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

#define PH_DOMAINS_SCHEMA "parity-domains/1"
#define PH_DOMAIN_UNMAPPED "unmapped"

/* One route of the map. Owned by struct ph_domain_map. */
struct ph_domain_route {
	char *route;  /* the text as written, "GET /v1/things/:id" */
	char *method; /* upper case, or "*" */
	char **segs;  /* path segments; "*" only as the last one */
	size_t n_segs;
	int rest;	    /* the last pattern segment is "*" */
	const char *domain; /* a name of the repo's domain list (list.h): lives as long */
};

struct ph_domain_map {
	char *source; /* the file it came from */
	struct ph_domain_route *routes;
	size_t n_routes;
};

/*
 * Load a domain map from path (NULL: the repo's suites/domains.json, as repo.h's
 * ph_repo_data_path finds it). A route's domain must be one of the repo's list (list.h).
 * Messages name the file and the route index ("domains.json: routes[3].domain: expected
 * a domain (known: schema read ...)"). *out is freed with ph_domain_map_free.
 */
int ph_domain_map_load(struct ph_domain_map **out, const char *path, struct ph_err *err);

/* The same from a parsed document; source names it in messages. */
int ph_domain_map_from_json(struct ph_domain_map **out, const json_t *doc, const char *source,
			    struct ph_err *err);

/*
 * The first route matching method and path (query string ignored, empty segments
 * ignored), or NULL when unmapped. Borrowed from map.
 */
const struct ph_domain_route *ph_domain_map_match(const struct ph_domain_map *map,
						  const char *method, const char *path);

/* The domain name for method and path: a static string, PH_DOMAIN_UNMAPPED when none. */
const char *ph_domain_map_domain(const struct ph_domain_map *map, const char *method,
				 const char *path);

/*
 * The endpoint template of "METHOD path" for grouping: the matched route's pattern when it
 * has no trailing `*` (with the real method when the route's is `*`), else the path with
 * id-like segments (UUIDs, numbers, "mem-0001", long hex) replaced by ":id". Query string
 * dropped. Writes at most size bytes into buf (always NUL-terminated) and returns buf.
 */
char *ph_domain_map_template(const struct ph_domain_map *map, const char *method, const char *path,
			     char *buf, size_t size);

/* Free a map; NULL is fine. */
void ph_domain_map_free(struct ph_domain_map *map);

#endif
