/*
 * How a side starts when a plugin asked for something else than its config says
 * (parity/plugin.h runtime_options): extra or removed environment variables, and whether
 * the config's "ready" values are waited for. The options are kept as given and turned
 * into a spec of their own at each start: a shallow copy of the configured spec with its
 * own env list, which the started runtime points to until the next start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "run/session.h"

static int check_options(const json_t *opts, struct ph_err *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(opts))
		return ph_error(err, PH_E_INVALID, "runtime_options: expected an object");
	json_object_foreach((json_t *)opts, k, v)
	{
		if (!strcmp(k, "ready")) {
			if (!json_is_boolean(v))
				return ph_error(err, PH_E_INVALID,
						"runtime_options: \"ready\" must be true or false");
		} else if (!strcmp(k, "env")) {
			const char *name;
			json_t *x;

			if (!json_is_object(v))
				return ph_error(err, PH_E_INVALID,
						"runtime_options: \"env\" must be an object");
			json_object_foreach(v, name, x)
			{
				if (!*name || strchr(name, '='))
					return ph_error(err, PH_E_INVALID,
							"runtime_options: env name '%s' is not a "
							"variable name", name);
				if (!json_is_string(x) && !json_is_null(x))
					return ph_error(err, PH_E_INVALID,
							"runtime_options: env.%s must be a string "
							"or null", name);
			}
		} else {
			return ph_error(err, PH_E_INVALID,
					"runtime_options: unknown key '%s' (env, ready)", k);
		}
	}
	return 0;
}

int ph_session_start_options(struct ph_session *s, int side, const json_t *opts,
			     struct ph_err *err)
{
	struct ph_side_state *st = &s->side[side];
	json_t *copy = NULL;
	int rc;

	if (opts) {
		if ((rc = check_options(opts, err)))
			return rc;
		if (!(copy = json_deep_copy(opts)))
			return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	json_decref(st->start_opts);
	st->start_opts = copy;
	return 0;
}

/* Does the configured "NAME=value" entry name one of env's variables? */
static int overridden(const char *entry, const json_t *env)
{
	const char *name;
	json_t *v;
	size_t n = strcspn(entry, "=");

	json_object_foreach((json_t *)env, name, v)
		if (strlen(name) == n && !strncmp(entry, name, n))
			return 1;
	return 0;
}

/* Release what the last ph_session_start_spec made (the runtime no longer points to it). */
void ph_session_start_spec_release(struct ph_session *s, int side)
{
	struct ph_side_state *st = &s->side[side];
	char **e;

	for (e = st->env_opt; e && *e; e++)
		free(*e);
	free(st->env_opt);
	st->env_opt = NULL;
	memset(&st->spec_opt, 0, sizeof(st->spec_opt));
}

const struct ph_runtime_spec *ph_session_start_spec(struct ph_session *s, int side,
						    struct ph_err *err)
{
	struct ph_side_state *st = &s->side[side];
	const struct ph_runtime_spec *cfg = &s->cfg.runtimes[side];
	const json_t *env = json_object_get(st->start_opts, "env");
	const char *name;
	json_t *v;
	size_t n = 0, i;

	ph_session_start_spec_release(s, side);
	if (!st->start_opts)
		return cfg;
	st->spec_opt = *cfg;
	if (json_is_false(json_object_get(st->start_opts, "ready")))
		st->spec_opt.ready = NULL;
	if (!env)
		return &st->spec_opt;
	st->env_opt = calloc(cfg->n_env + json_object_size(env) + 1, sizeof(char *));
	if (!st->env_opt)
		goto nomem;
	for (i = 0; i < cfg->n_env; i++)
		if (!overridden(cfg->env[i], env) && !(st->env_opt[n++] = strdup(cfg->env[i])))
			goto nomem;
	json_object_foreach((json_t *)env, name, v)
	{
		size_t len;

		if (!json_is_string(v))
			continue; /* null: removed */
		len = strlen(name) + json_string_length(v) + 2;
		if (!(st->env_opt[n] = malloc(len)))
			goto nomem;
		snprintf(st->env_opt[n++], len, "%s=%s", name, json_string_value(v));
	}
	st->spec_opt.env = st->env_opt;
	st->spec_opt.n_env = n;
	return &st->spec_opt;
nomem:
	ph_session_start_spec_release(s, side);
	ph_error(err, PH_E_NOMEM, "out of memory");
	return NULL;
}
