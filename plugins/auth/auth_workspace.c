/*
 * The auth domain's hold on the workspaces: a mode is agent.yaml's auth block (written
 * in both workspaces, both runtimes restarted when it changed), and each runtime's
 * .daemon/auth-secret is read to mint that runtime's tokens for every token condition.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "auth.h"
#include "parity/jsonio.h"
#include "parity/path.h"
#include "token.h"

void auth_tokens_release(struct ctx *c)
{
	for (int s = 0; s < 2; s++) {
		for (int i = 0; i < MAX_TOKENS; i++) {
			free(c->side[s].tok[i]);
			c->side[s].tok[i] = NULL;
		}
		sodium_memzero(c->side[s].secret, sizeof(c->side[s].secret));
		c->side[s].secret_len = 0;
	}
}

/* Write the mode's auth block into a workspace's agent.yaml; *changed when it differs. */
static int set_mode(struct ctx *c, int side, const json_t *mode, int *changed, struct ph_err *err)
{
	char *path = ph_path_join(c->host->workspace(c->run, (enum ph_side)side), "agent.yaml");
	char *text = NULL, *block = NULL, *out = NULL;
	size_t len;
	int rc;

	if (!path)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = ph_file_read(path, 1 << 20, &text, &len, err);
	if (rc && errno == ENOENT) {
		ph_err_clear(err);
		text = strdup("");
		rc = text ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if (!rc &&
	    !(block = auth_yaml_block(str(mode, "mode"), json_object_get(mode, "rateLimits"))))
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
	if (!rc)
		rc = auth_yaml_set_block(text, block, &out, err);
	if (!rc && strcmp(out, text)) {
		*changed = 1;
		rc = ph_file_write_atomic(path, out, strlen(out), 0644, err);
	}
	free(path);
	free(text);
	free(block);
	free(out);
	return rc;
}

/* Facts about a workspace's .daemon/auth-secret: {exists, bytes?, mode?}; loads it into s. */
json_t *auth_read_secret(struct ctx *c, int side)
{
	char *path = ph_path_join(c->host->workspace(c->run, (enum ph_side)side), ".daemon/auth-secret");
	struct side_tokens *s = &c->side[side];
	char *data = NULL, mode[8];
	struct stat st;
	size_t len = 0;
	struct ph_err err;
	json_t *facts;

	s->secret_len = 0;
	if (!path)
		return NULL;
	if (stat(path, &st)) {
		free(path);
		return json_pack("{s:b}", "exists", 0);
	}
	snprintf(mode, sizeof(mode), "%04o", (unsigned)(st.st_mode & 07777));
	facts = json_pack("{s:b, s:I, s:s}", "exists", 1, "bytes", (json_int_t)st.st_size, "mode",
			  mode);
	if (!ph_file_read(path, sizeof(s->secret), &data, &len, &err) && len &&
	    len <= sizeof(s->secret)) {
		memcpy(s->secret, data, len);
		s->secret_len = len;
	}
	if (data) {
		sodium_memzero(data, len);
		free(data);
	}
	free(path);
	return facts;
}

/* Mint every token condition for one side with its secret. */
int auth_mint_side(struct ctx *c, int side, struct ph_err *err)
{
	struct side_tokens *s = &c->side[side];
	size_t i;
	json_t *t;
	int rc;

	json_array_foreach(c->tokens, i, t)
	{
		const char *role = str(t, "role"), *sign = str(t, "sign");
		json_t *scope = json_object_get(t, "scope"), *claims;
		int expired = json_is_true(json_object_get(t, "expired"));
		long long iat = expired ? c->now - 7200 : c->now;
		char sub[96];

		if (!role)
			continue; /* no token */
		snprintf(sub, sizeof(sub), "parity:%s", str(t, "name"));
		claims = json_pack("{s:s, s:o, s:s, s:I, s:I}", "sub", sub, "scope",
				   scope ? json_incref(scope) : json_object(), "role", role, "iat",
				   (json_int_t)iat, "exp", (json_int_t)(iat + 3600));
		if (!claims)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		rc = auth_token_mint(s->secret, s->secret_len, claims, &s->tok[i], err);
		json_decref(claims);
		if (rc)
			return rc;
		if (sign && !strcmp(sign, "bad")) {
			/* a valid token with one bit of its signature flipped, in base64url */
			char *last = s->tok[i] + strlen(s->tok[i]) - 2;

			*last = *last == 'A' ? 'B' : 'A';
		}
	}
	return 0;
}

int auth_enter_mode(struct ctx *c, const json_t *mode, struct ph_err *err)
{
	int changed = 0, rc = 0;

	for (int s = 0; s < 2 && !rc; s++)
		rc = set_mode(c, s, mode, &changed, err);
	if (rc)
		return rc;
	if (changed) {
		c->host->log(c->run, PH_LOG_INFO, "auth: mode %s: restarting both runtimes",
			     str(mode, "mode"));
		for (int s = 0; s < 2 && !rc; s++)
			rc = c->host->runtime_restart(c->run, (enum ph_side)s, NULL, err);
	}
	return rc;
}
