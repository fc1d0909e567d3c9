/*
 * Token minting and checking for the auth domain, and the agent.yaml auth block: the
 * harness mints every token condition itself with the secret each runtime wrote to its
 * workspace, and checks tokens a runtime issues with the same rules the daemons apply.
 * HMAC-SHA256 and base64url come from libsodium (crypto_auth_hmacsha256_*,
 * sodium_bin2base64 with the URL-safe no-padding variant).
 */
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING

static int hmac(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len,
		unsigned char mac[32])
{
	crypto_auth_hmacsha256_state st;

	if (sodium_init() < 0)
		return -1;
	crypto_auth_hmacsha256_init(&st, key, key_len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)msg, msg_len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_memzero(&st, sizeof(st));
	return 0;
}

int auth_sign(const unsigned char *key, size_t key_len, const char *msg, size_t msg_len,
	      char out[AUTH_SIG_B64_SIZE], struct ph_err *err)
{
	unsigned char mac[32];

	if (hmac(key, key_len, msg, msg_len, mac))
		return ph_error(err, PH_E_CRYPTO, "libsodium cannot be initialised");
	sodium_bin2base64(out, AUTH_SIG_B64_SIZE, mac, sizeof(mac), B64);
	return 0;
}

int auth_token_mint(const unsigned char *secret, size_t secret_len, const json_t *claims,
		    char **token, struct ph_err *err)
{
	char *json, *tok;
	size_t jl, pl;
	int rc;

	*token = NULL;
	if (!json_is_object(claims))
		return ph_error(err, PH_E_INVALID, "token claims must be an object");
	if (!(json = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	jl = strlen(json);
	pl = sodium_base64_ENCODED_LEN(jl, B64);
	if (!(tok = malloc(pl + AUTH_SIG_B64_SIZE + 1))) {
		free(json);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	sodium_bin2base64(tok, pl, (const unsigned char *)json, jl, B64);
	free(json);
	pl = strlen(tok);
	tok[pl] = '.';
	if ((rc = auth_sign(secret, secret_len, tok, pl, tok + pl + 1, err))) {
		free(tok);
		return rc;
	}
	*token = tok;
	return 0;
}

static int valid_role(const char *r)
{
	return r && (!strcmp(r, "admin") || !strcmp(r, "operator") || !strcmp(r, "agent") ||
		     !strcmp(r, "readonly"));
}

const char *auth_token_verify(const unsigned char *secret, size_t secret_len, const char *token,
			      double now, json_t **claims)
{
	const char *dot = token ? strchr(token, '.') : NULL, *end, *why = NULL;
	unsigned char mac[32], want[32], *payload;
	size_t maclen = 0, blen = 0, plen;
	json_t *c;

	*claims = NULL;
	if (!dot || dot == token || !dot[1] || strchr(dot + 1, '.'))
		return "invalid token format";
	if (sodium_base642bin(mac, sizeof(mac), dot + 1, strlen(dot + 1), NULL, &maclen, &end,
			      B64) ||
	    *end || maclen != sizeof(mac))
		return "invalid token signature";
	plen = (size_t)(dot - token);
	if (hmac(secret, secret_len, token, plen, want))
		return "libsodium cannot be initialised";
	if (crypto_verify_32(mac, want))
		return "invalid token signature";
	if (!(payload = malloc(plen + 1)))
		return "out of memory";
	if (sodium_base642bin(payload, plen + 1, token, plen, NULL, &blen, &end, B64) ||
	    end != dot) {
		free(payload);
		return "invalid token payload";
	}
	c = json_loadb((const char *)payload, blen, JSON_REJECT_DUPLICATES, NULL);
	free(payload);
	if (!json_is_object(c))
		why = "invalid token payload";
	else if (!json_is_string(json_object_get(c, "sub")))
		why = "invalid token: sub must be a string";
	else if (!valid_role(json_string_value(json_object_get(c, "role"))))
		why = "invalid token: unknown role";
	else if (!json_is_object(json_object_get(c, "scope")))
		why = "invalid token: scope must be an object";
	else if (!json_is_number(json_object_get(c, "iat")) ||
		 !json_is_number(json_object_get(c, "exp")))
		why = "invalid token: iat and exp must be numbers";
	else if (now >= json_number_value(json_object_get(c, "exp")))
		why = "token expired";
	if (why) {
		json_decref(c);
		return why;
	}
	*claims = c;
	return NULL;
}

/* Does the line at p (up to end) belong to the block above it: blank, comment or indented? */
static int continues_block(const char *p, const char *end)
{
	if (p == end || *p == '\r')
		return 1;
	return *p == ' ' || *p == '\t' || *p == '#';
}

int auth_yaml_set_block(const char *text, const char *block, char **out, struct ph_err *err)
{
	const char *start = NULL, *stop = NULL, *p = text;
	size_t tl = strlen(text), bl = strlen(block), n;
	char *r;

	*out = NULL;
	while (p < text + tl) {
		const char *eol = strchr(p, '\n');
		const char *next = eol ? eol + 1 : text + tl;
		const char *lend = eol ? eol : text + tl;

		if (!start) {
			if (!strncmp(p, "auth:", 5)) {
				const char *q = p + 5;

				while (q < lend && (*q == ' ' || *q == '\r'))
					q++;
				if (q == lend || *q == '#')
					start = p;
			}
		} else if (!continues_block(p, lend)) {
			stop = p;
			break;
		}
		p = next;
	}
	if (start && !stop)
		stop = text + tl;
	if (!start) {
		int nl = tl && text[tl - 1] != '\n';

		n = tl + (size_t)nl + bl;
		if (!(r = malloc(n + 1)))
			return ph_error(err, PH_E_NOMEM, "out of memory");
		memcpy(r, text, tl);
		if (nl)
			r[tl] = '\n';
		memcpy(r + tl + nl, block, bl + 1);
	} else {
		size_t head = (size_t)(start - text), tail = tl - (size_t)(stop - text);

		n = head + bl + tail;
		if (!(r = malloc(n + 1)))
			return ph_error(err, PH_E_NOMEM, "out of memory");
		memcpy(r, text, head);
		memcpy(r + head, block, bl);
		memcpy(r + head + bl, stop, tail);
		r[n] = '\0';
	}
	*out = r;
	return 0;
}

/* Append to a growing string; frees it and returns NULL on failure. */
static char *cat(char *s, const char *add)
{
	size_t a = s ? strlen(s) : 0, b = strlen(add);
	char *r = realloc(s, a + b + 1);

	if (!r) {
		free(s);
		return NULL;
	}
	memcpy(r + a, add, b + 1);
	return r;
}

static int yaml_word(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

char *auth_yaml_block(const char *mode, const json_t *rate_limits)
{
	char line[160], *s;
	const char *op;
	json_t *lim;

	if (!yaml_word(mode))
		return NULL;
	snprintf(line, sizeof(line), "auth:\n  method: token\n  mode: %s\n", mode);
	s = cat(NULL, line);
	if (s && json_object_size(rate_limits))
		s = cat(s, "  rateLimits:\n");
	json_object_foreach((json_t *)rate_limits, op, lim)
	{
		json_t *w = json_object_get(lim, "windowMs"), *m = json_object_get(lim, "max");

		if (!s)
			return NULL;
		if (!yaml_word(op) || (w && (!json_is_integer(w) || json_integer_value(w) < 0)) ||
		    !json_is_integer(m) || json_integer_value(m) < 0) {
			free(s);
			return NULL;
		}
		snprintf(line, sizeof(line), "    %s:\n", op);
		s = cat(s, line);
		if (s && w) {
			snprintf(line, sizeof(line), "      windowMs: %lld\n",
				 (long long)json_integer_value(w));
			s = cat(s, line);
		}
		if (s) {
			snprintf(line, sizeof(line), "      max: %lld\n",
				 (long long)json_integer_value(m));
			s = cat(s, line);
		}
	}
	return s;
}
