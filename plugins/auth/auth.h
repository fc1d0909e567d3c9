/*
 * The auth plugin's shared state and the seams between its files: auth.c runs the modes
 * and records the rows, auth_suite.c sorts the suite's cases by kind, auth_workspace.c
 * switches a workspace's mode and mints its tokens, auth_exchange.c sends one request of
 * a case to both runtimes with their own tokens through the shared case exchange, and
 * auth_rate.c drives a rate-limit burst.
 */
#ifndef AUTH_AUTH_H
#define AUTH_AUTH_H

#include <jansson.h>

#include "parity/exchange.h"
#include "parity/plugin.h"

#define MAX_TOKENS 16

/* One runtime's auth secret and the tokens minted with it. */
struct side_tokens {
	unsigned char secret[64];
	size_t secret_len;
	char *tok[MAX_TOKENS]; /* per token condition; NULL: no token */
};

struct ctx {
	const struct ph_host *host;
	struct ph_run *run;
	const char *suite;
	json_t *tokens, *modes, *endpoints, *limits; /* borrowed from the cases array */
	long long now;
	int done, total;
	unsigned turns;                              /* exchanges so far: who is asked first */
	struct side_tokens side[2];
};

static inline const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Count one row done for the progress line. */
void auth_progress(struct ctx *c);

/* auth_suite.c: sort the cases into c's lists, checking each kind's keys. */
int auth_sort_cases(struct ctx *c, json_t *cases, struct ph_err *err);
/* Is endpoint case e run in mode (its "modes", all when absent)? */
int auth_endpoint_in_mode(const json_t *e, const char *mode);

/* auth_workspace.c */
/* Put both runtimes in a mode (agent.yaml's auth block); restart them when it changed. */
int auth_enter_mode(struct ctx *c, const json_t *mode, struct ph_err *err);
/* Facts about a workspace's .daemon/auth-secret: {exists, bytes?, mode?}; loads it. */
json_t *auth_read_secret(struct ctx *c, int side);
/* Mint every token condition for one side with its secret. */
int auth_mint_side(struct ctx *c, int side, struct ph_err *err);
/* Forget both sides' tokens and secrets. */
void auth_tokens_release(struct ctx *c);

/* auth_exchange.c */
/* Send one request of case k to one side with token (may be NULL); resp always filled. */
int auth_send(struct ctx *c, int side, const json_t *k, const char *token,
	      struct ph_response *resp);
/*
 * Case k sent to both runtimes, each with its token (tok[side], NULL: none), compared and
 * recorded as one row: statuses and bodies under the rules, and beyond them what the auth
 * contract fixes (error text, WWW-Authenticate and Retry-After, issued tokens as claims).
 * repeatable: the request may be sent again (timing confirmed). The answers are kept in x
 * (release with ph_exchange_release).
 */
int auth_exchange(struct ctx *c, const json_t *k, const char *feature, const char *case_name,
		  char *const tok[2], int repeatable, struct ph_exchange *x);

/* auth_rate.c: the row of a rate-limit case in mode. */
int auth_rate_limit_row(struct ctx *c, const json_t *k, const json_t *mode);

#endif
