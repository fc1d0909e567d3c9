/*
 * Values that differ between the two instances by design, not by behaviour: each one's
 * port (taken from the --primary and --shadow URLs), and what the user names with
 * `--same PRIMARY=SHADOW` (a workspace folder, a pid). Before the comparison the shadow's
 * answer says the primary's value wherever it said its own: inside JSON strings (a path
 * under the workspace), and as a whole number (a port). Not thread-safe to change; read
 * by every worker once the proxy runs.
 */
#ifndef PARITY_PROXY_SAME_H
#define PARITY_PROXY_SAME_H

#include <stddef.h>

struct ph_same {
	char **primary, **shadow;
	int *number;                 /* per pair: 1 whole integers only, 0 inside strings */
	size_t n;
};

/*
 * Add a pair (copied) to be replaced inside strings, or with number set as whole
 * integers; equal or empty values are not kept. 0, or -1 out of memory.
 */
int ph_same_add(struct ph_same *m, const char *primary, const char *shadow, int number);
/* Add "PRIMARY=SHADOW" (inside strings, and as integers when both are digits); -1 when it
 * has no '=' or a side is empty. */
int ph_same_add_spec(struct ph_same *m, const char *spec);
/*
 * The ports of two http://host:port URLs, when both name one and they differ: as integers,
 * and inside strings only after a ':' (an address), never as any run of digits.
 */
int ph_same_add_ports(struct ph_same *m, const char *primary_url, const char *shadow_url);
void ph_same_release(struct ph_same *m);

/*
 * The shadow's JSON body with its values said as the primary's: 1 and *out (new, compact)
 * when something changed; 0 when nothing did or the body is not JSON.
 */
int ph_same_body(const struct ph_same *m, const char *body, size_t len, char **out,
		 size_t *out_len);

#endif
