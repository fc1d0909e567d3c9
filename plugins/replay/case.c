/*
 * Loading the corpus: manifest.json's "cases" (paths relative to the corpus folder), and
 * each case file checked against the format upstream's MANIFEST.md gives. What a case must
 * have is an error naming the file and the key; keys the format does not know are listed
 * (c->unknown) so the run reports them instead of dropping them; known keys that cannot be
 * reproduced on a daemon (a fixed clock, a uuid seed) are listed in c->not_applied.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/jsonio.h"
#include "parity/path.h"
#include "replay.h"

int rp_manifest(const char *corpus, json_t **files, struct ph_err *err)
{
	char *path = ph_path_join(corpus, "manifest.json");
	json_t *doc = NULL, *cases, *v;
	size_t i;
	int rc;

	*files = NULL;
	if (!path)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = ph_json_load_file(path, &doc, err))) {
		free(path);
		return rc;
	}
	cases = json_object_get(doc, "cases");
	if (!json_is_array(cases) || !json_array_size(cases)) {
		rc = ph_error(err, PH_E_INVALID, "%s: expected {\"cases\": [case file paths]}", path);
		goto out;
	}
	*files = json_array();
	json_array_foreach(cases, i, v)
	{
		char *f;

		if (!json_is_string(v) || !json_string_length(v)) {
			rc = ph_error(err, PH_E_INVALID, "%s: cases[%zu]: expected a file path",
				      path, i);
			goto out;
		}
		f = json_string_value(v)[0] == '/' ? strdup(json_string_value(v))
						   : ph_path_join(corpus, json_string_value(v));
		if (!f || json_array_append_new(*files, json_string(f))) {
			free(f);
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		free(f);
	}
out:
	if (rc) {
		json_decref(*files);
		*files = NULL;
	}
	json_decref(doc);
	free(path);
	return rc;
}

/* The keys of the format, per object kind. */
static const char *const k_case[] = {"id", "source", "classification", "environment", "seed",
				     "request", "expectedResponse", "expectedInternalState",
				     "steps", "normalization", NULL};
static const char *const k_source[] = {"file", "testName", "line", NULL};
static const char *const k_class[] = {"family", "convertibility", "tags", NULL};
static const char *const k_env[] = {"agentYaml", "env", "clock", "uuidSeed", NULL};
static const char *const k_seed[] = {"schema", "sql", "files", "redactions", NULL};
static const char *const k_step[] = {"name", "request", "expectedResponse",
				     "expectedInternalState", NULL};
static const char *const k_request[] = {"method", "path", "headers", "body", NULL};
static const char *const k_response[] = {"status", "headers", "json", "jsonContains",
					 "jsonMatchers", "jsonPathAssertions",
					 "ignoreJsonPaths", NULL};
static const char *const k_assert[] = {"path", "contains", "excludes", "equals", "count", NULL};
static const char *const k_state[] = {"db", "files", NULL};
static const char *const k_db[] = {"table", "where", "orderBy", "columns", "rows", "count", NULL};
static const char *const k_file[] = {"path", "exists", "sha256", "contains", NULL};
static const char *const k_norm[] = {"ignoreColumns", "sortRowsBy", "floatTolerance", NULL};

/* A key's place in the file, for messages; cut short when very deep. */
static void at(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void at(char *buf, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, cap, fmt, ap);
	va_end(ap);
}

static int known(const char *const *keys, const char *k)
{
	for (; *keys; keys++)
		if (!strcmp(*keys, k))
			return 1;
	return 0;
}

/* List the keys of obj (at where) that keys does not name. */
static void unknown_keys(struct rp_case *c, const json_t *obj, const char *where,
			 const char *const *keys)
{
	const char *k;
	json_t *v;
	char path[512];

	json_object_foreach((json_t *)obj, k, v)
	{
		if (known(keys, k))
			continue;
		at(path, sizeof(path), "%s%s%s", where, *where ? "." : "", k);
		json_array_append_new(c->unknown, json_string(path));
	}
}

static int need(const json_t *obj, const char *key, json_type type, const char *file,
		const char *where, struct ph_err *err)
{
	const json_t *v = json_object_get(obj, key);

	if (v && json_typeof(v) == type)
		return 0;
	return ph_error(err, PH_E_INVALID, "%s: %s%s%s: %s", file, where, *where ? "." : "", key,
			v ? "has the wrong type" : "missing");
}

static int check_response(struct rp_case *c, const json_t *r, const char *where,
			  struct ph_err *err)
{
	const json_t *a;
	char p[300];
	size_t i;
	int rc;

	if ((rc = need(r, "status", JSON_INTEGER, c->file, where, err)))
		return rc;
	unknown_keys(c, r, where, k_response);
	json_array_foreach(json_object_get(r, "jsonPathAssertions"), i, a)
	{
		at(p, sizeof(p), "%s.jsonPathAssertions[%zu]", where, i);
		if (!json_is_object(a) || (rc = need(a, "path", JSON_STRING, c->file, p, err)))
			return rc ? rc : ph_error(err, PH_E_INVALID, "%s: %s: expected an object",
						  c->file, p);
		unknown_keys(c, a, p, k_assert);
	}
	return 0;
}

static int check_state(struct rp_case *c, const json_t *s, const char *where,
		       struct ph_err *err)
{
	const json_t *e;
	char p[300];
	size_t i;
	int rc;

	if (!json_is_object(s))
		return ph_error(err, PH_E_INVALID, "%s: %s: expected an object", c->file, where);
	unknown_keys(c, s, where, k_state);
	json_array_foreach(json_object_get(s, "db"), i, e)
	{
		const char *t;

		at(p, sizeof(p), "%s.db[%zu]", where, i);
		if ((rc = need(e, "table", JSON_STRING, c->file, p, err)))
			return rc;
		t = json_string_value(json_object_get(e, "table"));
		if (strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
		    strlen(t))
			return ph_error(err, PH_E_INVALID, "%s: %s.table: '%s' is not a table name",
					c->file, p, t);
		unknown_keys(c, e, p, k_db);
	}
	json_array_foreach(json_object_get(s, "files"), i, e)
	{
		at(p, sizeof(p), "%s.files[%zu]", where, i);
		if ((rc = need(e, "path", JSON_STRING, c->file, p, err)))
			return rc;
		unknown_keys(c, e, p, k_file);
	}
	return 0;
}

static int check_step(struct rp_case *c, json_t *step, const char *where, struct ph_err *err)
{
	json_t *req = json_object_get(step, "request");
	char p[300];
	int rc;

	if ((rc = need(step, "request", JSON_OBJECT, c->file, where, err)) ||
	    (rc = need(step, "expectedResponse", JSON_OBJECT, c->file, where, err)))
		return rc;
	at(p, sizeof(p), "%s.request", where);
	if ((rc = need(req, "method", JSON_STRING, c->file, p, err)) ||
	    (rc = need(req, "path", JSON_STRING, c->file, p, err)))
		return rc;
	if (json_string_value(json_object_get(req, "path"))[0] != '/')
		return ph_error(err, PH_E_INVALID, "%s: %s.path: expected a path starting with '/'",
				c->file, p);
	unknown_keys(c, req, p, k_request);
	at(p, sizeof(p), "%s.expectedResponse", where);
	if ((rc = check_response(c, json_object_get(step, "expectedResponse"), p, err)))
		return rc;
	at(p, sizeof(p), "%s.expectedInternalState", where);
	if (json_object_get(step, "expectedInternalState") &&
	    (rc = check_state(c, json_object_get(step, "expectedInternalState"), p, err)))
		return rc;
	return 0;
}

/* The case's steps: its steps, or its single request made one step. */
static int gather_steps(struct rp_case *c, struct ph_err *err)
{
	json_t *steps = json_object_get(c->doc, "steps"), *s;
	char where[64];
	size_t i;
	int rc;

	if (steps && json_object_get(c->doc, "request"))
		return ph_error(err, PH_E_INVALID, "%s: has both steps and request", c->file);
	if (!steps) {
		if (!json_object_get(c->doc, "request"))
			return ph_error(err, PH_E_INVALID, "%s: neither steps nor request", c->file);
		s = json_pack("{s:s, s:O, s:O}", "name", "request", "request",
			      json_object_get(c->doc, "request"), "expectedResponse",
			      json_object_get(c->doc, "expectedResponse")
				  ? json_object_get(c->doc, "expectedResponse")
				  : json_null());
		if (s && json_object_get(c->doc, "expectedInternalState"))
			json_object_set(s, "expectedInternalState",
					json_object_get(c->doc, "expectedInternalState"));
		c->steps = json_array();
		if (!s || !c->steps || json_array_append_new(c->steps, s))
			return ph_error(err, PH_E_NOMEM, "out of memory");
		return check_step(c, s, "", err);
	}
	if (!json_is_array(steps) || !json_array_size(steps))
		return ph_error(err, PH_E_INVALID, "%s: steps: expected a non-empty array", c->file);
	c->steps = json_incref(steps);
	json_array_foreach(steps, i, s)
	{
		at(where, sizeof(where), "steps[%zu]", i);
		if (!json_is_object(s) || (rc = need(s, "name", JSON_STRING, c->file, where, err)))
			return json_is_object(s) ? rc
						 : ph_error(err, PH_E_INVALID,
							    "%s: %s: expected an object", c->file,
							    where);
		unknown_keys(c, s, where, k_step);
		if ((rc = check_step(c, s, where, err)))
			return rc;
	}
	return 0;
}

int rp_case_load(const char *path, struct rp_case *c, struct ph_err *err)
{
	const json_t *env, *seed, *norm, *v;
	size_t i;
	int rc;

	memset(c, 0, sizeof(*c));
	c->tolerance = 1e-6;
	if (!(c->file = strdup(path)) || !(c->unknown = json_array()) ||
	    !(c->not_applied = json_array())) {
		rp_case_release(c);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if ((rc = ph_json_load_file(path, &c->doc, err)))
		goto fail;
	if (!json_is_object(c->doc)) {
		rc = ph_error(err, PH_E_INVALID, "%s: expected a replay case object", path);
		goto fail;
	}
	if ((rc = need(c->doc, "id", JSON_STRING, path, "", err)) ||
	    (rc = need(c->doc, "environment", JSON_OBJECT, path, "", err)) ||
	    (rc = need(c->doc, "seed", JSON_OBJECT, path, "", err)))
		goto fail;
	c->id = json_string_value(json_object_get(c->doc, "id"));
	for (i = 0; c->id[i] && i + 1 < sizeof(c->label); i++)
		c->label[i] = isalnum((unsigned char)c->id[i]) || c->id[i] == '-' ? c->id[i] : '_';
	c->label[i] = '\0';
	if (!i) {
		rc = ph_error(err, PH_E_INVALID, "%s: id: empty", path);
		goto fail;
	}
	unknown_keys(c, c->doc, "", k_case);
	unknown_keys(c, json_object_get(c->doc, "source"), "source", k_source);
	unknown_keys(c, json_object_get(c->doc, "classification"), "classification", k_class);
	env = json_object_get(c->doc, "environment");
	unknown_keys(c, env, "environment", k_env);
	if ((v = json_object_get(env, "agentYaml")) && !json_is_string(v)) {
		rc = ph_error(err, PH_E_INVALID, "%s: environment.agentYaml: expected a string", path);
		goto fail;
	}
	if ((v = json_object_get(env, "env"))) {
		const char *k;
		json_t *x;

		if (!json_is_object(v)) {
			rc = ph_error(err, PH_E_INVALID, "%s: environment.env: expected an object",
				      path);
			goto fail;
		}
		json_object_foreach((json_t *)v, k, x) if (!json_is_string(x))
		{
			rc = ph_error(err, PH_E_INVALID,
				      "%s: environment.env.%s: expected a string", path, k);
			goto fail;
		}
	}
	/* neither daemon takes a fixed clock or a uuid seed from outside */
	if (json_object_get(env, "clock"))
		json_array_append_new(c->not_applied, json_string("environment.clock"));
	if (json_object_get(env, "uuidSeed"))
		json_array_append_new(c->not_applied, json_string("environment.uuidSeed"));
	seed = json_object_get(c->doc, "seed");
	unknown_keys(c, seed, "seed", k_seed);
	if ((v = json_object_get(seed, "schema")) &&
	    (!json_is_string(v) || strcmp(json_string_value(v), "migrations-current"))) {
		rc = ph_error(err, PH_E_INVALID,
			      "%s: seed.schema: only \"migrations-current\" (the runtime's own "
			      "migrations) can be seeded",
			      path);
		goto fail;
	}
	if ((v = json_object_get(seed, "sql")) && !json_is_string(v)) {
		rc = ph_error(err, PH_E_INVALID, "%s: seed.sql: expected a path", path);
		goto fail;
	}
	if (json_object_get(seed, "files"))
		json_array_append_new(c->not_applied, json_string("seed.files"));
	norm = json_object_get(c->doc, "normalization");
	unknown_keys(c, norm, "normalization", k_norm);
	if ((v = json_object_get(norm, "floatTolerance"))) {
		if (!json_is_number(v) || json_number_value(v) < 0) {
			rc = ph_error(err, PH_E_INVALID,
				      "%s: normalization.floatTolerance: expected a number >= 0",
				      path);
			goto fail;
		}
		c->tolerance = json_number_value(v);
	}
	if ((rc = gather_steps(c, err)))
		goto fail;
	return 0;
fail:
	rp_case_release(c);
	return rc;
}

void rp_case_release(struct rp_case *c)
{
	json_decref(c->doc);
	json_decref(c->steps);
	json_decref(c->unknown);
	json_decref(c->not_applied);
	free(c->file);
	memset(c, 0, sizeof(*c));
}
