/*
 * Values that differ between the two instances by design, not by behaviour: each one's
 * port (taken from the --primary and --shadow URLs), and what the user names with
 * `--same PRIMARY=SHADOW` (a workspace folder, a pid). The pair's two values get one name,
 * in a canonical-form table per side (compare/canon.h, as `parity run` names each
 * runtime's port and workspace), and both answers say the name before the comparison:
 * numbers as numbers (a port, a pid), other values anywhere inside strings (a path under
 * the workspace). Built before the proxy runs, read by every worker after.
 */
#ifndef PARITY_PROXY_SAME_H
#define PARITY_PROXY_SAME_H

#include <stddef.h>

#include "compare/canon.h"

struct ph_same {
	struct ph_canon *side[2];    /* 0 the primary's values, 1 the shadow's */
	size_t n;                    /* pairs named so far */
};

/* An empty pair table: 0, or -1 when out of memory. */
int ph_same_init(struct ph_same *m);
void ph_same_release(struct ph_same *m);

/*
 * Add "PRIMARY=SHADOW": -1 when it has no '=', a side is empty or shorter than 3 bytes (it
 * would match by accident), or out of memory. Equal values need no pair.
 */
int ph_same_add_spec(struct ph_same *m, const char *spec);
/* The ports of two http://host:port URLs, when both name one: 0, or -1 out of memory. */
int ph_same_add_ports(struct ph_same *m, const char *primary_url, const char *shadow_url);

/*
 * Side's JSON body (0 primary, 1 shadow) with its values said by their names: 1 and *out
 * (new, compact) when something changed; 0 when nothing did or the body is not JSON.
 */
int ph_same_body(const struct ph_same *m, int side, const char *body, size_t len, char **out,
		 size_t *out_len);

#endif
