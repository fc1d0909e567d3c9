/*
 * Parity rules: reads the upstream rules format (rules.default, rules.endpoints keyed
 * "METHOD /path/:param", errorComparison), resolves every endpoint rule against the
 * default once at load time (inherited modes, union of ignore lists), and finds the rule
 * for a request path. Unknown keys ("description", "note", ...) are allowed; a known key
 * of the wrong shape or with an invalid value is an error naming the key path, e.g.
 * `rules.json: rules.endpoints["GET /x"].ignoreFields: expected an array of strings`.
 */
#include "compare/rules.h"

#include "parity/jsonio.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- patterns ---- */

static void pattern_clear(struct ph_pattern *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_segs; i++)
		free(p->segs[i]);
	free(p->segs);
	free(p->seg_len);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

/* Split text on '.' into p; 0, 1 on an empty segment, or PH_E_NOMEM. */
static int pattern_init(struct ph_pattern *p, const char *text)
{
	const char *s = text, *dot;
	size_t n = 1, i = 0;

	memset(p, 0, sizeof(*p));
	if (!*text)
		return 1;
	for (s = text; *s; s++)
		n += *s == '.';
	p->text = strdup(text);
	p->segs = calloc(n, sizeof(*p->segs));
	p->seg_len = calloc(n, sizeof(*p->seg_len));
	if (!p->text || !p->segs || !p->seg_len) {
		pattern_clear(p);
		return PH_E_NOMEM;
	}
	s = text;
	for (;;) {
		size_t len;

		dot = strchr(s, '.');
		len = dot ? (size_t)(dot - s) : strlen(s);
		if (len == 0) {
			p->n_segs = i;
			pattern_clear(p);
			return 1;
		}
		p->segs[i] = strndup(s, len);
		if (!p->segs[i]) {
			p->n_segs = i;
			pattern_clear(p);
			return PH_E_NOMEM;
		}
		p->seg_len[i++] = len;
		if (!dot)
			break;
		s = dot + 1;
	}
	p->n_segs = i;
	return 0;
}

static int pattern_copy(struct ph_pattern *dst, struct ph_pattern *src)
{
	int rc = pattern_init(dst, src->text);

	if (rc)
		return PH_E_NOMEM; /* src was valid, so only memory can fail */
	dst->origin = src->origin ? src->origin : src;
	return 0;
}

int ph_pattern_match(const struct ph_pattern *p, char *const *segs, size_t n)
{
	size_t i;

	if (!p || n != p->n_segs)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(p->segs[i], "*") && strcmp(p->segs[i], segs[i]))
			return 0;
	return 1;
}

void ph_pattern_hit(struct ph_pattern *p)
{
	p->hits++;
	if (p->origin)
		p->origin->hits++;
}

/* ---- names ---- */

const char *ph_compare_mode_name(enum ph_compare_mode m)
{
	return m == PH_MODE_BYTES ? "bytes" : "json";
}

const char *ph_ts_precision_name(enum ph_ts_precision p)
{
	switch (p) {
	case PH_TS_MILLISECOND:
		return "millisecond";
	case PH_TS_MINUTE:
		return "minute";
	case PH_TS_SECOND:
		break;
	}
	return "second";
}

const char *ph_ordering_name(enum ph_ordering o)
{
	return o == PH_UNORDERED ? "unordered" : "ordered";
}

/* ---- rules ---- */

static void patterns_free(struct ph_pattern *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		pattern_clear(&v[i]);
	free(v);
}

static void rule_clear(struct ph_rule *r)
{
	size_t i;

	free(r->key);
	free(r->method);
	for (i = 0; i < r->n_segs; i++)
		free(r->segs[i]);
	free(r->segs);
	patterns_free(r->ignore, r->n_ignore);
	patterns_free(r->deterministic, r->n_deterministic);
	patterns_free(r->generated, r->n_generated);
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
	patterns_free(rules->error_ignore, rules->n_error_ignore);
	free(rules);
}

/* Split "/a/b/:c" into segments, empty segments dropped; stops at '?' or '#'. */
static int split_path(const char *path, char ***segs, size_t *n)
{
	const char *s = path;
	size_t cap = 0, cnt = 0;
	char **v = NULL;

	*segs = NULL;
	*n = 0;
	while (*s && *s != '?' && *s != '#') {
		const char *e = s;

		while (*e && *e != '/' && *e != '?' && *e != '#')
			e++;
		if (e > s) {
			if (cnt == cap) {
				char **nv;

				cap = cap ? cap * 2 : 8;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					goto nomem;
				v = nv;
			}
			v[cnt] = strndup(s, (size_t)(e - s));
			if (!v[cnt])
				goto nomem;
			cnt++;
		}
		s = *e == '/' ? e + 1 : e;
	}
	*segs = v;
	*n = cnt;
	return 0;
nomem:
	while (cnt)
		free(v[--cnt]);
	free(v);
	return PH_E_NOMEM;
}

static void free_segs(char **segs, size_t n)
{
	while (n)
		free(segs[--n]);
	free(segs);
}

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
		int rc = pattern_init(&v[i], json_string_value(json_array_get(arr, i)));

		if (rc) {
			char msg[512];

			patterns_free(v, i);
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

/* Bits of what a rule object set itself. */
#define SET_MODE 1u
#define SET_PRECISION 2u
#define SET_ORDERING 4u

/* Read one rule object; prefix is its key path ("rules.default"). */
static int load_rule(struct loader *ld, const json_t *obj, const char *prefix, struct ph_rule *r,
		     unsigned *set)
{
	static const char *const modes[] = {"json", "bytes", NULL};
	static const char *const precs[] = {"millisecond", "second", "minute", NULL};
	static const char *const ords[] = {"ordered", "unordered", NULL};
	char where[1024];
	const json_t *v;
	int rc, x;

	*set = 0;
	if (!json_is_object(obj))
		return bad(ld, prefix, "expected an object");
	if ((v = json_object_get(obj, "compareMode"))) {
		snprintf(where, sizeof(where), "%s.compareMode", prefix);
		if ((rc = pick(ld, v, where, modes, &x)))
			return rc;
		r->mode = x ? PH_MODE_BYTES : PH_MODE_JSON;
		*set |= SET_MODE;
	}
	if ((v = json_object_get(obj, "timestampPrecision"))) {
		snprintf(where, sizeof(where), "%s.timestampPrecision", prefix);
		if ((rc = pick(ld, v, where, precs, &x)))
			return rc;
		r->precision = x == 0 ? PH_TS_MILLISECOND : x == 1 ? PH_TS_SECOND : PH_TS_MINUTE;
		*set |= SET_PRECISION;
	}
	if ((v = json_object_get(obj, "arrayOrdering"))) {
		snprintf(where, sizeof(where), "%s.arrayOrdering", prefix);
		if ((rc = pick(ld, v, where, ords, &x)))
			return rc;
		r->ordering = x ? PH_UNORDERED : PH_ORDERED;
		*set |= SET_ORDERING;
	}
	if ((v = json_object_get(obj, "ignoreFields"))) {
		snprintf(where, sizeof(where), "%s.ignoreFields", prefix);
		if ((rc = load_patterns(ld, v, where, &r->ignore, &r->n_ignore)))
			return rc;
	}
	if ((v = json_object_get(obj, "deterministic"))) {
		snprintf(where, sizeof(where), "%s.deterministic", prefix);
		if ((rc = load_patterns(ld, v, where, &r->deterministic, &r->n_deterministic)))
			return rc;
		r->has_deterministic = 1;
	}
	if ((v = json_object_get(obj, "generated"))) {
		snprintf(where, sizeof(where), "%s.generated", prefix);
		if ((rc = load_patterns(ld, v, where, &r->generated, &r->n_generated)))
			return rc;
	}
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
		if (pattern_copy(&nv[*n], &d[i]))
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
			if (split_path(path, &er->segs, &er->n_segs)) {
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

/*
 * Is candidate more specific than best? Both match the same path; the first segment
 * where one is literal and the other a parameter decides.
 */
static int more_specific(const struct ph_rule *cand, const struct ph_rule *best)
{
	size_t i;

	for (i = 0; i < cand->n_segs; i++) {
		int pc = cand->segs[i][0] == ':', pb = best->segs[i][0] == ':';

		if (pc != pb)
			return pb;
	}
	return 0;
}

static int rule_matches(const struct ph_rule *r, const char *method, char **segs, size_t n)
{
	size_t i;

	if (method && strcmp(method, r->method))
		return 0;
	if (r->n_segs != n)
		return 0;
	for (i = 0; i < n; i++)
		if (r->segs[i][0] != ':' && strcmp(r->segs[i], segs[i]))
			return 0;
	return 1;
}

const struct ph_rule *ph_rules_lookup(const struct ph_rules *rules, const char *method,
				      const char *path)
{
	const struct ph_rule *best = NULL;
	char **segs;
	size_t n, i;

	if (!path || split_path(path, &segs, &n))
		return &rules->deflt;
	for (i = 0; i < rules->n_endpoints; i++) {
		const struct ph_rule *r = &rules->endpoints[i];

		if (rule_matches(r, method, segs, n) && (!best || more_specific(r, best)))
			best = r;
	}
	free_segs(segs, n);
	return best ? best : &rules->deflt;
}

const struct ph_rule *ph_rules_lookup_endpoint(const struct ph_rules *rules, const char *endpoint)
{
	const char *sp, *path = endpoint;
	char method[32];

	if (!endpoint)
		return &rules->deflt;
	while (*path == ' ')
		path++;
	if (*path == '/')
		return ph_rules_lookup(rules, NULL, path);
	sp = strchr(path, ' ');
	if (!sp || (size_t)(sp - path) >= sizeof(method))
		return &rules->deflt;
	memcpy(method, path, (size_t)(sp - path));
	method[sp - path] = '\0';
	while (*sp == ' ')
		sp++;
	return ph_rules_lookup(rules, method, sp);
}

const struct ph_rule *ph_rules_find(const struct ph_rules *rules, const char *key)
{
	size_t i;

	if (!key || !strcmp(key, "default"))
		return &rules->deflt;
	for (i = 0; i < rules->n_endpoints; i++)
		if (!strcmp(rules->endpoints[i].key, key))
			return &rules->endpoints[i];
	return NULL;
}

static int add_unmatched(json_t *arr, const char *rule, const char *kind,
			 const struct ph_pattern *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (v[i].origin || v[i].hits)
			continue; /* inherited copies are reported once, under the default */
		if (json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "rule", rule, "kind",
							 kind, "pattern", v[i].text)))
			return -1;
	}
	return 0;
}

json_t *ph_rules_unmatched(const struct ph_rules *rules)
{
	json_t *arr = json_array();
	unsigned long any = rules->deflt.uses;
	size_t i;
	int rc = 0;

	if (!arr)
		return NULL;
	/* the default's patterns are inherited by every endpoint rule: any use counts */
	for (i = 0; i < rules->n_endpoints; i++)
		any += rules->endpoints[i].uses;
	if (any) {
		rc |= add_unmatched(arr, "default", "ignore", rules->deflt.ignore,
				    rules->deflt.n_ignore);
		rc |= add_unmatched(arr, "default", "deterministic", rules->deflt.deterministic,
				    rules->deflt.n_deterministic);
		rc |= add_unmatched(arr, "default", "generated", rules->deflt.generated,
				    rules->deflt.n_generated);
	}
	for (i = 0; i < rules->n_endpoints; i++) {
		const struct ph_rule *r = &rules->endpoints[i];

		if (!r->uses)
			continue;
		rc |= add_unmatched(arr, r->key, "ignore", r->ignore, r->n_ignore);
		rc |= add_unmatched(arr, r->key, "deterministic", r->deterministic,
				    r->n_deterministic);
		rc |= add_unmatched(arr, r->key, "generated", r->generated, r->n_generated);
	}
	if (rules->error_uses)
		rc |= add_unmatched(arr, "errorComparison", "error-ignore", rules->error_ignore,
				    rules->n_error_ignore);
	if (rc) {
		json_decref(arr);
		return NULL;
	}
	return arr;
}

static void reset(struct ph_pattern *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i].hits = 0;
}

void ph_rules_reset_hits(struct ph_rules *rules)
{
	size_t i;

	rules->deflt.uses = 0;
	rules->error_uses = 0;
	for (i = 0; i < rules->n_endpoints; i++)
		rules->endpoints[i].uses = 0;
	reset(rules->deflt.ignore, rules->deflt.n_ignore);
	reset(rules->deflt.deterministic, rules->deflt.n_deterministic);
	reset(rules->deflt.generated, rules->deflt.n_generated);
	for (i = 0; i < rules->n_endpoints; i++) {
		reset(rules->endpoints[i].ignore, rules->endpoints[i].n_ignore);
		reset(rules->endpoints[i].deterministic, rules->endpoints[i].n_deterministic);
		reset(rules->endpoints[i].generated, rules->endpoints[i].n_generated);
	}
	reset(rules->error_ignore, rules->n_error_ignore);
}
