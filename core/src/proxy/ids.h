/*
 * The ids each side generated, paired: when the shadow has its own data (--shadow-writes),
 * a write answered with "id" X by the primary and Y by the shadow makes Y the shadow's name
 * for X. Requests replayed to the shadow then name Y where the client named X (path
 * segments, JSON string values of the body), and the shadow's answers name X where they
 * said Y, so that two instances of one build never differ by the ids they made. Bounded:
 * the oldest pair is forgotten past the capacity. Thread-safe.
 */
#ifndef PARITY_PROXY_IDS_H
#define PARITY_PROXY_IDS_H

#include <stddef.h>

struct ph_id_map;

/* A map of at most cap pairs; NULL when out of memory. */
struct ph_id_map *ph_id_map_new(size_t cap);
void ph_id_map_free(struct ph_id_map *m);

/* Pair the primary's id with the shadow's (equal ids, or empty ones, are not kept). */
void ph_id_map_add(struct ph_id_map *m, const char *primary, const char *shadow);
size_t ph_id_map_size(struct ph_id_map *m);

/*
 * uri (path and query) with each path segment that is a paired primary id replaced by the
 * shadow's: a new string, or NULL when nothing changed (or out of memory).
 */
char *ph_id_map_uri_to_shadow(struct ph_id_map *m, const char *uri);

/*
 * A JSON body with every string value that is a paired id of one side replaced by the
 * other's (to_shadow: primary -> shadow; else shadow -> primary): 1 and *out (new,
 * compact, *out_len) when something changed; 0 when nothing did or the body is not JSON.
 */
int ph_id_map_body(struct ph_id_map *m, int to_shadow, const char *body, size_t len, char **out,
		   size_t *out_len);

#endif
