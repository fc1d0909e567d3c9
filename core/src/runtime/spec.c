/*
 * A runtime's config entry (runtime.h, DESIGN.md "Runtimes"), parsed and checked: every
 * message names the config file and the key at fault. Keys "<name>_stdio" are stdio
 * companions, processes spoken to over stdio beside the runtime: each is a spec of its
 * own, named after the runtime and the key, with the runtime's env beneath its own and
 * the runtime's cwd and timeouts unless it sets them. The core gives them no meaning;
 * the plugin that asks for one by its key does.
 */
#include "runtime/runtime.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/internal.h"

#define COMPANION_SUFFIX "_stdio"
/* The longest companion key: it names a log file and appears in messages. */
#define COMPANION_KEY_MAX 64

void ph_strv_free(char **v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; v[i]; i++)
		free(v[i]);
	free(v);
}

static const char *const spec_keys[] = {
	"name", "command", "cwd", "env", "health", "start_timeout_ms", "stop_timeout_ms",
	"version", "ready", "health_status", "port", NULL
};

/* Is k one of keys (NULL-terminated)? */
static int known(const char *const *keys, const char *k)
{
	while (*keys && strcmp(*keys, k))
		keys++;
	return *keys != NULL;
}

static int bad(struct ph_err *err, const char *source, const char *role, const char *key,
	       const char *what)
{
	return ph_error(err, PH_E_INVALID, "%s: runtimes.%s.%s: %s", source, role, key, what);
}

static int opt_string(const json_t *obj, const char *key, const char *source, const char *role,
		      const char *dflt, char **out, struct ph_err *err)
{
	json_t *v = json_object_get(obj, key);

	if (v && !json_is_string(v))
		return bad(err, source, role, key, "expected a string");
	if (!v && !dflt)
		return 0;
	*out = strdup(v ? json_string_value(v) : dflt);
	return *out ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
}

static int opt_ms(const json_t *obj, const char *key, const char *source, const char *role,
		  long dflt, long *out, struct ph_err *err)
{
	json_t *v = json_object_get(obj, key);

	*out = dflt;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) <= 0 ||
	    json_integer_value(v) > 24L * 3600 * 1000)
		return bad(err, source, role, key,
			   "expected a positive whole number of milliseconds (at most a day)");
	*out = (long)json_integer_value(v);
	return 0;
}

static int parse_command(struct ph_runtime_spec *spec, const json_t *cmd, const char *source,
			 const char *role, struct ph_err *err)
{
	size_t i, n = json_is_array(cmd) ? json_array_size(cmd) : 0;

	if (!n)
		return bad(err, source, role, "command", "expected a non-empty array of strings");
	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(cmd, i)) ||
		    (i == 0 && !*json_string_value(json_array_get(cmd, 0))))
			return bad(err, source, role, "command",
				   "expected a non-empty array of strings");
	spec->argv = calloc(n + 1, sizeof(char *));
	if (!spec->argv)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		spec->argv[i] = strdup(json_string_value(json_array_get(cmd, i)));
		if (!spec->argv[i])
			return ph_error(err, PH_E_NOMEM, "out of memory");
		spec->argc++;
	}
	return 0;
}

static int parse_env(struct ph_runtime_spec *spec, const json_t *env, const char *source,
		     const char *role, struct ph_err *err)
{
	const char *k;
	json_t *v;
	size_t n = 0;

	if (!env) {
		spec->env = calloc(1, sizeof(char *));
		return spec->env ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if (!json_is_object(env))
		return bad(err, source, role, "env", "expected an object of strings");
	spec->env = calloc(json_object_size(env) + 1, sizeof(char *));
	if (!spec->env)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	json_object_foreach((json_t *)env, k, v) {
		size_t len;

		if (!*k || strchr(k, '='))
			return ph_error(err, PH_E_INVALID,
					"%s: runtimes.%s.env: '%s' is not a variable name", source,
					role, k);
		if (!json_is_string(v))
			return ph_error(err, PH_E_INVALID,
					"%s: runtimes.%s.env.%s: expected a string", source, role, k);
		len = strlen(k) + 1 + strlen(json_string_value(v)) + 1;
		spec->env[n] = malloc(len);
		if (!spec->env[n])
			return ph_error(err, PH_E_NOMEM, "out of memory");
		snprintf(spec->env[n], len, "%s=%s", k, json_string_value(v));
		spec->n_env = ++n;
	}
	return 0;
}

/* Put base's env entries beneath m's own: m's win where both set a variable. */
static int env_beneath(struct ph_runtime_spec *m, const struct ph_runtime_spec *base,
		       struct ph_err *err)
{
	char **env = calloc(base->n_env + m->n_env + 1, sizeof(char *));
	size_t i, j, n = 0;

	if (!env)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < base->n_env; i++) {
		size_t klen = strcspn(base->env[i], "=") + 1;
		int own = 0;

		for (j = 0; j < m->n_env && !own; j++)
			own = !strncmp(m->env[j], base->env[i], klen);
		if (!own && !(env[n++] = strdup(base->env[i]))) {
			ph_strv_free(env);
			return ph_error(err, PH_E_NOMEM, "out of memory");
		}
	}
	for (i = 0; i < m->n_env; i++) {
		env[n++] = m->env[i];
		m->env[i] = NULL;
	}
	free(m->env);
	m->env = env;
	m->n_env = n;
	return 0;
}

int ph_runtime_companion_key(const char *key)
{
	size_t n = strlen(key), s = sizeof(COMPANION_SUFFIX) - 1, i;

	if (n <= s || n > COMPANION_KEY_MAX || strcmp(key + n - s, COMPANION_SUFFIX))
		return 0;
	for (i = 0; i < n - s; i++)
		if (!isalnum((unsigned char)key[i]) && key[i] != '_')
			return 0;
	return 1;
}

/*
 * The companion `key`: {command, env?, cwd?} (obj) of spec, appended to its list as a
 * spec of its own named "<runtime name>-<key, '_' as '-'>": its env is the runtime's
 * with its own entries on top, its cwd the runtime's unless it names one, its timeouts
 * the runtime's.
 */
static int parse_companion(struct ph_runtime_spec *spec, const char *key, const json_t *obj,
			   const char *source, const char *role, struct ph_err *err)
{
	static const char *const keys[] = { "command", "env", "cwd", NULL };
	struct ph_runtime_companion *c;
	struct ph_runtime_spec *m;
	char sub[COMPANION_KEY_MAX + 16], *p;
	const char *k;
	json_t *v;
	size_t n;
	int rc;

	if (!json_is_object(obj))
		return bad(err, source, role, key, "expected an object {command, env?, cwd?}");
	json_object_foreach((json_t *)obj, k, v) {
		if (!known(keys, k))
			return ph_error(err, PH_E_INVALID,
					"%s: runtimes.%s.%s: unknown key '%s' (expected command, "
					"env, cwd)",
					source, role, key, k);
	}
	c = &spec->companions[spec->n_companions++];
	m = &c->spec;
	snprintf(sub, sizeof(sub), "%s.%s", role, key);
	c->key = strdup(key);
	m->role = strdup(role);
	n = strlen(spec->name) + 1 + strlen(key) + 1;
	if ((m->name = malloc(n))) {
		snprintf(m->name, n, "%s-%s", spec->name, key);
		for (p = m->name + strlen(spec->name); *p; p++)
			if (*p == '_')
				*p = '-';
	}
	m->health = strdup(spec->health);
	if (!c->key || !m->role || !m->name || !m->health)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	m->start_timeout_ms = spec->start_timeout_ms;
	m->stop_timeout_ms = spec->stop_timeout_ms;
	if ((rc = parse_command(m, json_object_get(obj, "command"), source, sub, err)) ||
	    (rc = parse_env(m, json_object_get(obj, "env"), source, sub, err)) ||
	    (rc = opt_string(obj, "cwd", source, sub, spec->cwd, &m->cwd, err)))
		return rc;
	return env_beneath(m, spec, err);
}

/* The entry's companions, in the order of its keys (after everything else is parsed). */
static int parse_companions(struct ph_runtime_spec *spec, const json_t *obj, const char *source,
			    const char *role, struct ph_err *err)
{
	const char *k;
	json_t *v;
	size_t n = 0;
	int rc;

	json_object_foreach((json_t *)obj, k, v)
		n += ph_runtime_companion_key(k);
	if (!n)
		return 0;
	if (!(spec->companions = calloc(n, sizeof(*spec->companions))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	json_object_foreach((json_t *)obj, k, v)
		if (ph_runtime_companion_key(k) &&
		    (rc = parse_companion(spec, k, v, source, role, err)))
			return rc;
	return 0;
}

const struct ph_runtime_spec *ph_runtime_spec_companion(const struct ph_runtime_spec *spec,
							const char *key)
{
	for (size_t i = 0; key && i < spec->n_companions; i++)
		if (!strcmp(spec->companions[i].key, key))
			return &spec->companions[i].spec;
	return NULL;
}

static int spec_parse(struct ph_runtime_spec *spec, const char *role, const json_t *obj,
		      const char *source, struct ph_err *err)
{
	const char *k;
	json_t *v;
	int rc;

	if (!json_is_object(obj))
		return ph_error(err, PH_E_INVALID, "%s: runtimes.%s: expected an object", source,
				role);
	json_object_foreach((json_t *)obj, k, v) {
		/* the hint names the companion key the shipped configs use, as it always has */
		if (!known(spec_keys, k) && !ph_runtime_companion_key(k))
			return ph_error(err, PH_E_INVALID,
					"%s: runtimes.%s: unknown key '%s' (expected name, command, "
					"cwd, env, health, start_timeout_ms, stop_timeout_ms, version, "
					"mcp_stdio, ready, health_status, port)",
					source, role, k);
	}
	if (!(spec->role = strdup(role)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = opt_string(obj, "name", source, role, role, &spec->name, err)))
		return rc;
	if (!*spec->name)
		return bad(err, source, role, "name", "expected a non-empty string");
	/* the name becomes <out>/runtimes/<name>.log: it must not leave that folder */
	if (strchr(spec->name, '/'))
		return bad(err, source, role, "name",
			   "expected a name without '/' (it names a log file)");
	if ((rc = parse_command(spec, json_object_get(obj, "command"), source, role, err)))
		return rc;
	if ((rc = opt_string(obj, "cwd", source, role, NULL, &spec->cwd, err)))
		return rc;
	if ((rc = parse_env(spec, json_object_get(obj, "env"), source, role, err)))
		return rc;
	if ((rc = opt_string(obj, "health", source, role, "/health", &spec->health, err)))
		return rc;
	if (spec->health[0] != '/')
		return bad(err, source, role, "health", "expected a path starting with '/'");
	if ((rc = opt_ms(obj, "start_timeout_ms", source, role, 15000, &spec->start_timeout_ms,
			 err)))
		return rc;
	if ((rc = opt_ms(obj, "stop_timeout_ms", source, role, 5000, &spec->stop_timeout_ms,
			 err)))
		return rc;
	if ((rc = opt_string(obj, "version", source, role, NULL, &spec->version, err)))
		return rc;
	if ((v = json_object_get(obj, "port"))) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 ||
		    json_integer_value(v) > 65535)
			return bad(err, source, role, "port",
				   "expected a TCP port number from 1 to 65535");
		spec->port = (int)json_integer_value(v);
	}
	if (json_object_get(obj, "ready")) {
		json_t *r = json_object_get(obj, "ready");

		if (!json_is_object(r) || !json_object_size(r))
			return bad(err, source, role, "ready",
				   "expected an object of \"dot.path\": value the health body must "
				   "hold");
		spec->ready = json_incref(r);
	}
	spec->health_status[0] = 200;
	spec->n_health_status = 1;
	if (json_object_get(obj, "health_status")) {
		json_t *hs = json_object_get(obj, "health_status"), *v;
		size_t i;

		if (!json_is_array(hs) || !json_array_size(hs) ||
		    json_array_size(hs) > sizeof(spec->health_status) / sizeof(long))
			return bad(err, source, role, "health_status",
				   "expected an array of 1 to 8 HTTP statuses");
		json_array_foreach(hs, i, v)
		{
			if (!json_is_integer(v) || json_integer_value(v) < 100 ||
			    json_integer_value(v) > 599)
				return bad(err, source, role, "health_status",
					   "expected an array of 1 to 8 HTTP statuses");
			spec->health_status[i] = (long)json_integer_value(v);
		}
		spec->n_health_status = json_array_size(hs);
	}
	return parse_companions(spec, obj, source, role, err);
}

int ph_runtime_spec_parse(struct ph_runtime_spec *spec, const char *role, const json_t *obj,
			  const char *source, struct ph_err *err)
{
	int rc;

	memset(spec, 0, sizeof(*spec));
	rc = spec_parse(spec, role ? role : "?", obj, source ? source : "config", err);
	if (rc)
		ph_runtime_spec_release(spec);
	return rc;
}

void ph_runtime_spec_release(struct ph_runtime_spec *spec)
{
	if (!spec)
		return;
	free(spec->role);
	free(spec->name);
	ph_strv_free(spec->argv);
	free(spec->cwd);
	ph_strv_free(spec->env);
	free(spec->health);
	json_decref(spec->ready);
	free(spec->version);
	for (size_t i = 0; i < spec->n_companions; i++) {
		free(spec->companions[i].key);
		ph_runtime_spec_release(&spec->companions[i].spec);
	}
	free(spec->companions);
	memset(spec, 0, sizeof(*spec));
}
