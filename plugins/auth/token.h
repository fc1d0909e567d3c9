/*
 * Signet bearer tokens as the harness mints and checks them (CONTRACT.md §5):
 * base64url(JSON claims) "." base64url(HMAC-SHA256(secret, <the base64url payload>)),
 * URL-safe base64 without padding, on libsodium. Also the auth block of agent.yaml the
 * auth domain rewrites to switch a workspace's mode. Internal to the auth plugin; the
 * unit tests link these objects directly.
 */
#ifndef AUTH_TOKEN_H
#define AUTH_TOKEN_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

/* Length of base64url(32 bytes) without padding, plus its NUL. */
#define AUTH_SIG_B64_SIZE 44

/*
 * HMAC-SHA256 of msg under a key of any length, written into out as base64url without
 * padding (43 characters and a NUL). Returns 0, or PH_E_CRYPTO when libsodium cannot start.
 */
int auth_sign(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len,
	      char out[AUTH_SIG_B64_SIZE], struct ph_err *err);

/*
 * Mint a token for claims (serialised compactly, keys in insertion order) under secret.
 * *token is new; the caller frees it. Returns 0 or a negative PH_E_* code.
 */
int auth_token_mint(const unsigned char *secret, size_t secret_len, const json_t *claims,
		    char **token, struct ph_err *err);

/*
 * Check a token the way both daemons do: signature (constant time), then the claims'
 * JSON, sub (string), role (admin, operator, agent, readonly), scope (object), iat and
 * exp (numbers), and expiry against now (seconds). Returns NULL and a new *claims when
 * the token is valid, else a static reason ("invalid token signature", "token expired",
 * ...) with *claims NULL.
 */
const char *auth_token_verify(const unsigned char *secret, size_t secret_len, const char *token,
			      double now, json_t **claims);

/*
 * Replace the top-level `auth:` block of an agent.yaml text (the line `auth:` and the
 * indented or blank lines after it) with block, or append block when there is none.
 * block is complete YAML text starting with "auth:" and ending in a newline. *out is
 * new; the caller frees it. Returns 0 or PH_E_NOMEM.
 */
int auth_yaml_set_block(const char *text, const char *block, char **out, struct ph_err *err);

/*
 * Render the auth block for mode with rate limits (an object op -> {windowMs, max}, or
 * NULL): "auth:\n  method: token\n  mode: <mode>\n  rateLimits: ...". New string, or
 * NULL when out of memory or a limit is not a non-negative integer.
 */
char *auth_yaml_block(const char *mode, const json_t *rate_limits);

#endif
