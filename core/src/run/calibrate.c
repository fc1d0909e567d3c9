/*
 * Noise calibration (calibrate.h): the candidate made a second instance of the reference,
 * the rules stripped of their masks, and the divergences of the resulting matrix turned
 * into proposed ignoreFields per endpoint with evidence counts, written next to the
 * matrix as proposed-rules.json and never applied.
 */
#include "run/calibrate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "parity/jsonio.h"
#include "run/session.h"

int ph_calibrate_config(struct ph_config *cfg, struct ph_err *err)
{
	return ph_config_same_runtime(cfg, "reference", err);
}

int ph_calibrate_rules(const char *path, struct ph_rules **out, struct ph_err *err)
{
	json_t *doc = NULL, *eps, *r;
	const char *k;
	int rc;

	*out = NULL;
	if (!path)
		return (*out = ph_rules_builtin()) ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = ph_json_load_file(path, &doc, err)))
		return rc;
	/* shapes are checked by ph_rules_from_json below; only strip what is there */
	json_object_del(json_object_get(json_object_get(doc, "rules"), "default"), "ignoreFields");
	eps = json_object_get(json_object_get(doc, "rules"), "endpoints");
	json_object_foreach(eps, k, r)
		json_object_del(r, "ignoreFields");
	rc = ph_rules_from_json(out, doc, path, err);
	json_decref(doc);
	return rc;
}

char *ph_calibrate_pattern(const char *path)
{
	size_t n = strlen(path), i = 0, o = 0;
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	while (i <= n) {
		size_t j = i;

		while (j < n && path[j] != '.')
			j++;
		if (j > i && strspn(path + i, "0123456789") == j - i) {
			p[o++] = '*';
		} else {
			memcpy(p + o, path + i, j - i);
			o += j - i;
		}
		if (j < n)
			p[o++] = '.';
		i = j + 1;
	}
	p[o] = '\0';
	return p;
}

/*
 * The endpoint key a feature names: an upper-case word, one space, then "/path", maybe
 * followed by a qualifier the plugin added ("GET /api/status [team]"). Copied into key
 * (size n); returns 0 when the feature names no endpoint.
 */
static int endpoint_key(const char *feature, char *key, size_t n)
{
	const char *p = feature, *end;

	if (!p || !isupper((unsigned char)*p))
		return 0;
	while (isupper((unsigned char)*p) || *p == '_' || *p == '-')
		p++;
	if (p[0] != ' ' || p[1] != '/')
		return 0;
	end = strchr(p + 1, ' ');
	if (!end)
		end = p + strlen(p);
	if ((size_t)(end - feature) >= n)
		return 0;
	memcpy(key, feature, (size_t)(end - feature));
	key[end - feature] = '\0';
	return 1;
}

/* Split a dot path into segments (pointers into buf, a copy the caller frees). */
static size_t split(const char *path, char **buf, char ***segs)
{
	size_t n = 1, i;
	char *p;

	*segs = NULL;
	if (!(*buf = strdup(path)))
		return 0;
	for (p = *buf; *p; p++)
		n += *p == '.';
	if (!(*segs = malloc(n * sizeof(char *)))) {
		free(*buf);
		*buf = NULL;
		return 0;
	}
	(*segs)[0] = *buf;
	for (i = 1, p = *buf; *p; p++)
		if (*p == '.') {
			*p = '\0';
			(*segs)[i++] = p + 1;
		}
	return n;
}

/* Would the rule in force for feature already ignore this concrete path (or a parent)? */
static int ignored(const struct ph_rules *current, const char *feature, const char *path)
{
	const struct ph_rule *rule;
	char *buf, **segs;
	size_t n, i, k;
	int hit = 0;

	if (!current || !(rule = ph_rules_lookup_endpoint(current, feature)))
		return 0;
	if (!(n = split(path, &buf, &segs)))
		return 0;
	for (i = 0; i < rule->n_ignore && !hit; i++)
		for (k = 1; k <= n && !hit; k++)
			hit = ph_pattern_match(&rule->ignore[i], segs, k);
	free(segs);
	free(buf);
	return hit;
}

static json_t *sorted_keys(const json_t *obj)
{
	const char *k;
	json_t *v, *arr = json_array();
	size_t n = json_object_size(obj), i = 0;
	const char **keys = calloc(n ? n : 1, sizeof(char *));

	if (!arr || !keys) {
		free(keys);
		json_decref(arr);
		return NULL;
	}
	json_object_foreach((json_t *)obj, k, v)
		keys[i++] = k;
	for (i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) {
			const char *t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	for (i = 0; i < n; i++)
		json_array_append_new(arr, json_string(keys[i]));
	free(keys);
	return arr;
}

json_t *ph_calibrate_propose(const json_t *matrix, const struct ph_rules *current)
{
	json_t *evidence = json_object(), *fresh = json_object(), *unmask = json_array();
	json_t *covered = json_object(), *endpoints = json_object(), *out;
	const json_t *d, *f, *dv;
	const char *runtime = json_string_value(
		json_object_get(json_object_get(json_object_get(matrix, "runtimes"), "reference"),
				"name"));
	long rows = 0, differing = 0, patterns = 0, n_new = 0;
	size_t i, j, k;
	const char *ep;
	json_t *ev;

	if (!evidence || !fresh || !unmask || !covered || !endpoints)
		goto nomem;
	json_array_foreach(json_object_get(matrix, "domains"), i, d)
	{
		const char *domain = json_string_value(json_object_get(d, "domain"));

		json_array_foreach(json_object_get(d, "features"), j, f)
		{
			const char *feature = json_string_value(json_object_get(f, "feature"));
			char key[1024];
			int noisy = 0;

			rows++;
			json_array_foreach(json_object_get(f, "divergences"), k, dv)
			{
				const char *cls = json_string_value(json_object_get(dv, "class"));
				const char *path = json_string_value(json_object_get(dv, "path"));
				const char *kind = json_string_value(json_object_get(dv, "kind"));
				json_t *per, *cov;
				char *pat;

				if (!cls || (strcmp(cls, "structural") && strcmp(cls, "semantic")))
					continue;
				noisy = 1;
				if (!endpoint_key(feature, key, sizeof(key)) || !path || !*path ||
				    (kind && !strcmp(kind, "status"))) {
					json_array_append_new(
						unmask,
						json_pack("{s:s?, s:s?, s:s?, s:s, s:s?, s:s?, s:O?}",
							  "domain", domain, "feature", feature, "case",
							  json_string_value(json_object_get(f, "case")),
							  "class", cls, "kind", kind, "path", path,
							  "message", json_object_get(dv, "message")));
					continue;
				}
				if (!(pat = ph_calibrate_pattern(path)))
					goto nomem;
				per = json_object_get(evidence, key);
				if (!per) {
					per = json_object();
					json_object_set_new(evidence, key, per);
					json_object_set_new(covered, key, json_object());
				}
				cov = json_object_get(covered, key);
				json_object_set_new(per, pat,
						    json_integer(json_integer_value(
									 json_object_get(per, pat)) +
								 1));
				/* a pattern is new unless the rules in force ignore every instance */
				if (!json_object_get(cov, pat) || json_is_true(json_object_get(cov, pat)))
					json_object_set_new(cov, pat,
							    json_boolean(ignored(current, key, path)));
				free(pat);
			}
			differing += noisy;
		}
	}
	json_object_foreach(evidence, ep, ev)
	{
		json_t *list = sorted_keys(ev), *news = json_array(), *p;
		json_t *cov = json_object_get(covered, ep);

		if (!list || !news) {
			json_decref(list);
			json_decref(news);
			goto nomem;
		}
		json_array_foreach(list, i, p)
		{
			patterns++;
			if (!json_is_true(json_object_get(cov, json_string_value(p)))) {
				json_array_append(news, p);
				n_new++;
			}
		}
		json_object_set_new(endpoints, ep,
				    json_pack("{s:o, s:s}", "ignoreFields", list, "note",
					      "proposed by parity run --calibrate: differed between "
					      "two instances of the reference runtime"));
		if (json_array_size(news))
			json_object_set_new(fresh, ep, news);
		else
			json_decref(news);
	}
	json_decref(covered);
	out = json_pack(
		"{s:s, s:{s:o}, s:o, s:o, s:o, s:{s:s?, s:I, s:I, s:I, s:I}}", "description",
		"Proposed by `parity run --calibrate`: paths whose values differed between two "
		"instances of the reference runtime on two workspaces (noise). Nothing is applied: "
		"merge the ignoreFields you agree with into your rules file. \"evidence\" counts "
		"the divergences behind each pattern, \"new\" lists the patterns the rules in force "
		"do not ignore yet, \"unmaskable\" the differences ignoreFields cannot cover.",
		"rules", "endpoints", endpoints, "evidence", evidence, "new", fresh, "unmaskable",
		unmask, "calibration", "runtime", runtime, "rows", (json_int_t)rows,
		"rows_differing", (json_int_t)differing, "patterns", (json_int_t)patterns,
		"new_patterns", (json_int_t)n_new);
	return out;
nomem:
	json_decref(evidence);
	json_decref(fresh);
	json_decref(unmask);
	json_decref(covered);
	json_decref(endpoints);
	return NULL;
}

static int has_string(const json_t *arr, const char *s)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

int ph_calibrate_begin(struct ph_session *s, struct ph_rules **saved, struct ph_err *err)
{
	struct ph_rules *stripped;
	int rc;

	*saved = NULL;
	if ((rc = ph_calibrate_rules(s->cfg.rules, &stripped, err)))
		return rc;
	*saved = s->rules;
	s->rules = stripped;
	ph_session_log(s, "calibrate: candidate is a second instance of '%s'; comparing under "
			  "%s without ignoreFields",
		       s->cfg.runtimes[0].name, s->cfg.rules ? s->cfg.rules : "the built-in rules");
	return 0;
}

int ph_calibrate_finish(struct ph_session *s, struct ph_rules *saved, FILE *f,
			struct ph_err *err)
{
	json_t *prop = ph_calibrate_propose(s->matrix, saved), *c, *eps, *ev;
	size_t n = strlen(s->out) + sizeof("/" PH_CALIBRATE_FILE);
	char *path = malloc(n);
	const char *key;
	int rc;

	ph_rules_free(s->rules);
	s->rules = saved;
	if (!prop || !path) {
		json_decref(prop);
		free(path);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	snprintf(path, n, "%s/%s", s->out, PH_CALIBRATE_FILE);
	rc = ph_json_write_file(path, prop, err);
	if (!rc && f) {
		c = json_object_get(prop, "calibration");
		fprintf(f, "calibrate: %lld of %lld rows differed between two instances of '%s': "
			   "%lld patterns on %zu endpoints (%lld not ignored by the rules in force), "
			   "%zu unmaskable differences\n",
			(long long)json_integer_value(json_object_get(c, "rows_differing")),
			(long long)json_integer_value(json_object_get(c, "rows")),
			s->cfg.runtimes[0].name,
			(long long)json_integer_value(json_object_get(c, "patterns")),
			json_object_size(json_object_get(json_object_get(prop, "rules"), "endpoints")),
			(long long)json_integer_value(json_object_get(c, "new_patterns")),
			json_array_size(json_object_get(prop, "unmaskable")));
		eps = json_object_get(prop, "evidence");
		json_object_foreach(eps, key, ev)
		{
			const char *pat;
			json_t *cnt;

			json_object_foreach(ev, pat, cnt)
				fprintf(f, "  %-40s %-36s %4lld%s\n", key, pat,
					(long long)json_integer_value(cnt),
					has_string(json_object_get(json_object_get(prop, "new"), key),
						   pat) ?
						"  new" :
						"");
		}
		fprintf(f, "proposed rules (nothing applied): %s\n", path);
	}
	ph_session_log(s, "calibrate: %s: %s", path, rc ? err->msg : "written");
	json_decref(prop);
	free(path);
	return rc;
}
