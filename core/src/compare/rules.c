/*
 * Parity rules loaded (rules.h): reads the upstream rules format (rules.default,
 * rules.endpoints keyed "METHOD /path/:param", errorComparison) and resolves every
 * endpoint rule against the default once at load time (inherited modes, union of ignore
 * lists). Unknown keys ("description", "note", ...) are allowed; a known key of the wrong
 * shape or with an invalid value is an error naming the key path, e.g.
 * `rules.json: rules.endpoints["GET /x"].ignoreFields: expected an array of strings`.
 * Patterns and route paths are split in pattern.c; finding a rule is rule_lookup.c.
 */
#include "compare/rules.h"

#include "parity/jsonio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ---- */

/* The values of the enum keys as a rules file spells them, in the order of the enums. */
static const char *const modes[] = {"json", "bytes", NULL};
static const char *const precisions[] = {"millisecond", "second", "minute", NULL};
static const char *const orderings[] = {"ordered", "unordered", NULL};

const char *ph_compare_mode_name(enum ph_compare_mode m)
{
	return modes[m == PH_MODE_BYTES];
}

const char *ph_ts_precision_name(enum ph_ts_precision p)
{
	return precisions[p == PH_TS_MILLISECOND ? 0 : p == PH_TS_MINUTE ? 2 : 1];
}

const char *ph_ordering_name(enum ph_ordering o)
{
	return orderings[o == PH_UNORDERED];
}

/* ---- rules ---- */

static void rule_clear(struct ph_rule *r)
{
	size_t i;

	free(r->key);
	free(r->method);
	ph_route_free(r->segs, r->n_segs);
	ph_patterns_free(r->ignore, r->n_ignore);
	ph_patterns_free(r->deterministic, r->n_deterministic);
	ph_patterns_free(r->generated, r->n_generated);
	for (i = 0; i < r->n_tolerance; i++)
		free(r->tolerance[i].key);
	free(r->tolerance);
	free(r->note);
	memset(r, 0, sizeof(*r));
}

void ph_rules_free(struct ph_rules *rules)
{
	size_t i;

	if (!rules)
		return;
	free(rules->source);
	rule_clear(&rules->deflt);
	for (i = 0; i < rules->n_endpoints; i++)
		rule_clear(&rules->endpoints[i]);
	free(rules->endpoints);
	ph_patterns_free(rules->error_ignore, rules->n_error_ignore);
	free(rules);
}

/* ---- loading ---- */

/* Split "METHOD /path" into method (upper-case letters) and the path; 0, 1 when the key
 * does not parse, or PH_E_NOMEM. */
static int split_endpoint(const char *key, char **method, const char **path)
{
	const char *s = key;

	while (*s >= 'A' && *s <= 'Z')
		s++;
	if (s == key || *s != ' ' || s[1] != '/' || strchr(s + 1, ' '))
		return 1;
	*method = strndup(key, (size_t)(s - key));
	*path = s + 1;
	return *method ? 0 : PH_E_NOMEM;
}

struct loader {
	const char *source;
	struct ph_err *err;
};

static int bad(struct loader *ld, const char *where, const char *what)
{
	return ph_error(ld->err, PH_E_INVALID, "%s: %s: %s", ld->source, where, what);
}

/* Read an array of dot-path patterns at `where`. */
static int load_patterns(struct loader *ld, const json_t *arr, const char *where,
			 struct ph_pattern **out, size_t *n_out)
{
	size_t i, n;
	struct ph_pattern *v;

	*out = NULL;
	*n_out = 0;
	if (!json_is_array(arr))
		return bad(ld, where, "expected an array of strings");
	n = json_array_size(arr);
	for (i = 0; i < n; i++)
		if (!json_is_string(json_array_get(arr, i)))
			return bad(ld, where, "expected an array of strings");
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return ph_error(ld->err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		int rc = ph_pattern_init(&v[i], json_string_value(json_array_get(arr, i)));

		if (rc) {
			char msg[512];

			ph_patterns_free(v, i);
			if (rc == PH_E_NOMEM)
				return ph_error(ld->err, PH_E_NOMEM, "out of memory");
			snprintf(msg, sizeof(msg), "pattern %zu \"%s\" has an empty segment", i,
				 json_string_value(json_array_get(arr, i)));
			return bad(ld, where, msg);
		}
	}
	*out = v;
	*n_out = n;
	return 0;
}

static int pick(struct loader *ld, const json_t *v, const char *where, const char *const *names,
		int *out)
{
	int i;
	char msg[256];

	if (!json_is_string(v))
		goto fail;
	for (i = 0; names[i]; i++)
		if (!strcmp(json_string_value(v), names[i])) {
			*out = i;
			return 0;
		}
fail:
	snprintf(msg, sizeof(msg), "expected one of");
	for (i = 0; names[i]; i++) {
		size_t l = strlen(msg);

		snprintf(msg + l, sizeof(msg) - l, "%s \"%s\"", i ? "," : "", names[i]);
	}
	return bad(ld, where, msg);
}

/* Bits of what a rule object set itself (load_rule's choices, in order). */
#define SET_MODE 1u
#define SET_PRECISION 2u
#define SET_ORDERING 4u

/* Read one rule object; prefix is its key path ("rules.default"). */
static int load_rule(struct loader *ld, const json_t *obj, const char *prefix, struct ph_rule *r,
		     unsigned *set)
{
	/* the keys of one value among names, in the order of the SET_* bits */
	static const struct {
		const char *key;
		const char *const *names;
	} choices[] = {{"compareMode", modes},
		       {"timestampPrecision", precisions},
		       {"arrayOrdering", orderings}};
	const struct {
		const char *key;
		struct ph_pattern **v;
		size_t *n;
	} lists[] = {{"ignoreFields", &r->ignore, &r->n_ignore},
		     {"deterministic", &r->deterministic, &r->n_deterministic},
		     {"generated", &r->generated, &r->n_generated}};
	char where[1024];
	const json_t *v;
	size_t j;
	int rc, x = 0;

	*set = 0;
	if (!json_is_object(obj))
		return bad(ld, prefix, "expected an object");
	for (j = 0; j < 3; j++) {
		if (!(v = json_object_get(obj, choices[j].key)))
			continue;
		snprintf(where, sizeof(where), "%s.%s", prefix, choices[j].key);
		if ((rc = pick(ld, v, where, choices[j].names, &x)))
			return rc;
		*set |= 1u << j;
		if (j == 0)
			r->mode = x ? PH_MODE_BYTES : PH_MODE_JSON;
		else if (j == 1)
			r->precision = x == 0	? PH_TS_MILLISECOND
				       : x == 1 ? PH_TS_SECOND
						: PH_TS_MINUTE;
		else
			r->ordering = x ? PH_UNORDERED : PH_ORDERED;
	}
	for (j = 0; j < 3; j++) {
		if (!(v = json_object_get(obj, lists[j].key)))
			continue;
		snprintf(where, sizeof(where), "%s.%s", prefix, lists[j].key);
		if ((rc = load_patterns(ld, v, where, lists[j].v, lists[j].n)))
			return rc;
	}
	r->has_deterministic = json_object_get(obj, "deterministic") != NULL;
	if ((v = json_object_get(obj, "tolerance"))) {
		const char *k;
		const json_t *b;
		size_t i = 0;

		snprintf(where, sizeof(where), "%s.tolerance", prefix);
		if (!json_is_object(v))
			return bad(ld, where, "expected an object of non-negative numbers");
		r->tolerance = calloc(json_object_size(v) + 1, sizeof(*r->tolerance));
		if (!r->tolerance)
			return ph_error(ld->err, PH_E_NOMEM, "out of memory");
		json_object_foreach((json_t *)v, k, b)
		{
			if (!json_is_number(b) || json_number_value(b) < 0) {
				snprintf(where, sizeof(where), "%s.tolerance.%s", prefix, k);
				return bad(ld, where, "expected a non-negative number");
			}
			r->tolerance[i].key = strdup(k);
			if (!r->tolerance[i].key)
				return ph_error(ld->err, PH_E_NOMEM, "out of memory");
			r->tolerance[i].bound = json_number_value(b);
			r->n_tolerance = ++i;
		}
	}
	if ((v = json_object_get(obj, "note")) && json_is_string(v)) {
		r->note = strdup(json_string_value(v));
		if (!r->note)
			return ph_error(ld->err, PH_E_NOMEM, "out of memory");
	}
	return 0;
}

/* Append to (*v, *n) the patterns of d[0..dn) it does not list itself. */
static int union_patterns(struct ph_pattern **v, size_t *n, struct ph_pattern *d, size_t dn)
{
	size_t i, j, own = *n;
	struct ph_pattern *nv;

	if (!dn)
		return 0;
	if (!(nv = realloc(*v, (own + dn) * sizeof(*nv))))
		return PH_E_NOMEM;
	*v = nv;
	for (i = 0; i < dn; i++) {
		for (j = 0; j < own; j++)
			if (!strcmp(nv[j].text, d[i].text))
				break;
		if (j < own)
			continue; /* the endpoint lists it itself */
		if (ph_pattern_copy(&nv[*n], &d[i]))
			return PH_E_NOMEM;
		(*n)++;
	}
	return 0;
}

/* Fill an endpoint rule's inherited values from the default. */
static int inherit(struct ph_rule *r, unsigned set, struct ph_rule *d)
{

	if (!(set & SET_MODE)) {
		r->mode = d->mode;
		r->inherited |= PH_INHERIT_MODE;
	}
	if (!(set & SET_PRECISION)) {
		r->precision = d->precision;
		r->inherited |= PH_INHERIT_PRECISION;
	}
	if (!(set & SET_ORDERING)) {
		r->ordering = d->ordering;
		r->inherited |= PH_INHERIT_ORDERING;
	}
	if (union_patterns(&r->ignore, &r->n_ignore, d->ignore, d->n_ignore))
		return PH_E_NOMEM;
	return union_patterns(&r->generated, &r->n_generated, d->generated, d->n_generated);
}

static void defaults(struct ph_rules *r)
{
	r->deflt.mode = PH_MODE_JSON;
	r->deflt.precision = PH_TS_SECOND;
	r->deflt.ordering = PH_ORDERED;
	r->status_must_match = 1;
	r->compare_error_body = 1;
}

static int load_error_comparison(struct loader *ld, const json_t *ec, struct ph_rules *r)
{
	const json_t *v;
	size_t i;

	if (!json_is_object(ec))
		return bad(ld, "errorComparison", "expected an object");
	if ((v = json_object_get(ec, "mustMatch"))) {
		if (!json_is_array(v))
			return bad(ld, "errorComparison.mustMatch", "expected an array of strings");
		r->status_must_match = 0;
		for (i = 0; i < json_array_size(v); i++) {
			const json_t *s = json_array_get(v, i);

			if (!json_is_string(s))
				return bad(ld, "errorComparison.mustMatch",
					   "expected an array of strings");
			if (!strcmp(json_string_value(s), "statusCode"))
				r->status_must_match = 1;
		}
	}
	if ((v = json_object_get(ec, "compareBody"))) {
		if (!json_is_boolean(v))
			return bad(ld, "errorComparison.compareBody", "expected true or false");
		r->compare_error_body = json_is_true(v);
	}
	if ((v = json_object_get(ec, "ignoreFields")))
		return load_patterns(ld, v, "errorComparison.ignoreFields", &r->error_ignore,
				     &r->n_error_ignore);
	return 0;
}

int ph_rules_from_json(struct ph_rules **out, const json_t *doc, const char *source,
		       struct ph_err *err)
{
	struct loader ld = {source ? source : "<rules>", err};
	struct ph_rules *r;
	const json_t *rules, *v, *eps;
	unsigned set;
	int rc = 0;

	*out = NULL;
	if (!json_is_object(doc))
		return ph_error(err, PH_E_INVALID, "%s: expected an object at the top level",
				ld.source);
	r = calloc(1, sizeof(*r));
	if (!r || !(r->source = strdup(ld.source)) || !(r->deflt.key = strdup("default"))) {
		ph_rules_free(r);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	defaults(r);
	rules = json_object_get(doc, "rules");
	if (rules ? !json_is_object(rules) : !json_object_get(doc, "errorComparison")) {
		/* a misspelt key must not silently leave the built-in rules in force */
		rc = bad(&ld, "rules", rules ? "expected an object" :
					       "missing: expected an object {\"default\", "
					       "\"endpoints\"}");
		goto fail;
	}
	if (rules && (v = json_object_get(rules, "default")) &&
	    (rc = load_rule(&ld, v, "rules.default", &r->deflt, &set)))
		goto fail;
	eps = rules ? json_object_get(rules, "endpoints") : NULL;
	if (eps) {
		const char *key;
		const json_t *rv;

		if (!json_is_object(eps)) {
			rc = bad(&ld, "rules.endpoints", "expected an object");
			goto fail;
		}
		r->endpoints = calloc(json_object_size(eps) + 1, sizeof(*r->endpoints));
		if (!r->endpoints) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto fail;
		}
		json_object_foreach((json_t *)eps, key, rv)
		{
			struct ph_rule *er = &r->endpoints[r->n_endpoints++];
			char where[1024];
			const char *path;

			snprintf(where, sizeof(where), "rules.endpoints[\"%s\"]", key);
			if (!(er->key = strdup(key))) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				goto fail;
			}
			rc = split_endpoint(key, &er->method, &path);
			if (rc) {
				rc = rc == PH_E_NOMEM
					 ? ph_error(err, rc, "out of memory")
					 : bad(&ld, where, "expected a key \"METHOD /path\"");
				goto fail;
			}
			if (ph_route_split(path, &er->segs, &er->n_segs)) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				goto fail;
			}
			if ((rc = load_rule(&ld, rv, where, er, &set)))
				goto fail;
			if (inherit(er, set, &r->deflt)) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				goto fail;
			}
		}
	}
	if ((v = json_object_get(doc, "errorComparison")) &&
	    (rc = load_error_comparison(&ld, v, r)))
		goto fail;
	*out = r;
	return 0;
fail:
	ph_rules_free(r);
	return rc;
}

int ph_rules_load(struct ph_rules **out, const char *path, struct ph_err *err)
{
	json_t *doc;
	int rc;

	*out = NULL;
	rc = ph_json_load_file(path, &doc, err);
	if (rc)
		return rc;
	rc = ph_rules_from_json(out, doc, path, err);
	json_decref(doc);
	return rc;
}

struct ph_rules *ph_rules_builtin(void)
{
	struct ph_rules *r = calloc(1, sizeof(*r));

	if (!r || !(r->source = strdup("<built-in>")) || !(r->deflt.key = strdup("default"))) {
		ph_rules_free(r);
		return NULL;
	}
	defaults(r);
	return r;
}
