/*
 * The auth suite's cases sorted by kind: "token" (a condition: role, scope, expired, sign
 * "bad", or no role for no token), "mode" (mode, rateLimits), "endpoint" (method, path,
 * body, modes) or "rate-limit" (mode, op, role, method, path, body); each kind's keys are
 * checked before anything runs.
 */
#include <string.h>

#include "auth.h"
#include "token.h"

int auth_sort_cases(struct ctx *c, json_t *cases, struct ph_err *err)
{
	size_t i;
	json_t *k;

	c->tokens = json_array();
	c->modes = json_array();
	c->endpoints = json_array();
	c->limits = json_array();
	json_array_foreach(cases, i, k)
	{
		const char *kind = str(k, "kind"), *name = str(k, "name");

		if (!kind)
			return ph_error(err, PH_E_INVALID, "%s: case '%s': no \"kind\"", c->suite,
					name);
		if (!strcmp(kind, "token")) {
			json_t *role = json_object_get(k, "role"),
			       *scope = json_object_get(k, "scope");

			if ((role && !json_is_string(role)) || (scope && !json_is_object(scope)))
				return ph_error(err, PH_E_INVALID,
						"%s: case '%s': expected \"role\" a string and "
						"\"scope\" an object",
						c->suite, name);
			if (json_array_size(c->tokens) == MAX_TOKENS)
				return ph_error(err, PH_E_INVALID,
						"%s: case '%s': at most %d tokens", c->suite, name,
						MAX_TOKENS);
			json_array_append(c->tokens, k);
		} else if (!strcmp(kind, "mode")) {
			const char *m = str(k, "mode");
			char *block =
			    m ? auth_yaml_block(m, json_object_get(k, "rateLimits")) : NULL;

			if (!block)
				return ph_error(err, PH_E_INVALID,
						"%s: case '%s': expected \"mode\" a word and "
						"\"rateLimits\" {op: {windowMs?, max}} of integers",
						c->suite, name);
			free(block);
			json_array_append(c->modes, k);
		} else if (!strcmp(kind, "endpoint") || !strcmp(kind, "rate-limit")) {
			const char *method = str(k, "method"), *path = str(k, "path");

			if (!method || !path || path[0] != '/')
				return ph_error(err, PH_E_INVALID,
						"%s: case '%s': expected \"method\" and a \"path\" "
						"starting with /",
						c->suite, name);
			if (!strcmp(kind, "rate-limit") && (!str(k, "mode") || !str(k, "op")))
				return ph_error(
				    err, PH_E_INVALID,
				    "%s: case '%s': a rate-limit case needs \"mode\" and "
				    "\"op\"",
				    c->suite, name);
			json_array_append(!strcmp(kind, "endpoint") ? c->endpoints : c->limits, k);
		} else {
			return ph_error(err, PH_E_INVALID,
					"%s: case '%s': unknown kind '%s' (token, mode, endpoint, "
					"rate-limit)",
					c->suite, name, kind);
		}
	}
	if (!json_array_size(c->tokens) || !json_array_size(c->modes))
		return ph_error(err, PH_E_INVALID, "%s: no token or mode cases", c->suite);
	return 0;
}

int auth_endpoint_in_mode(const json_t *e, const char *mode)
{
	json_t *modes = json_object_get(e, "modes"), *m;
	size_t i;

	if (!modes)
		return 1;
	json_array_foreach(modes, i, m) if (json_is_string(m) &&
					    !strcmp(json_string_value(m), mode)) return 1;
	return 0;
}
