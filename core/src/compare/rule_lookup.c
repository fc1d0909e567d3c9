/*
 * Loaded rules at work (rules.h): the rule for a request (a literal segment beats a
 * parameter, no match gives the default), a rule by its key, and what the hit counts the
 * comparisons left say: the patterns that matched nothing in a run.
 */
#include "compare/rules.h"

#include <stdlib.h>
#include <string.h>

static int rule_matches(const struct ph_rule *r, const char *method, char **segs, size_t n)
{
	return (!method || !strcmp(method, r->method)) &&
	       ph_route_match(r->segs, r->n_segs, segs, n);
}

const struct ph_rule *ph_rules_lookup(const struct ph_rules *rules, const char *method,
				      const char *path)
{
	const struct ph_rule *best = NULL;
	char **segs;
	size_t n, i;

	if (!path || ph_route_split(path, &segs, &n))
		return &rules->deflt;
	for (i = 0; i < rules->n_endpoints; i++) {
		const struct ph_rule *r = &rules->endpoints[i];

		/* both match the same path: the first literal-versus-parameter segment decides */
		if (rule_matches(r, method, segs, n) &&
		    (!best || ph_route_more_specific(r->segs, best->segs, n)))
			best = r;
	}
	ph_route_free(segs, n);
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

/* The unmatched patterns of one rule's three lists. */
static int rule_unmatched(json_t *arr, const struct ph_rule *r)
{
	int rc = add_unmatched(arr, r->key, "ignore", r->ignore, r->n_ignore);

	rc |= add_unmatched(arr, r->key, "deterministic", r->deterministic, r->n_deterministic);
	rc |= add_unmatched(arr, r->key, "generated", r->generated, r->n_generated);
	return rc;
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
	if (any)
		rc |= rule_unmatched(arr, &rules->deflt);
	for (i = 0; i < rules->n_endpoints; i++)
		if (rules->endpoints[i].uses)
			rc |= rule_unmatched(arr, &rules->endpoints[i]);
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

static void rule_reset(struct ph_rule *r)
{
	r->uses = 0;
	reset(r->ignore, r->n_ignore);
	reset(r->deterministic, r->n_deterministic);
	reset(r->generated, r->n_generated);
}

void ph_rules_reset_hits(struct ph_rules *rules)
{
	size_t i;

	rule_reset(&rules->deflt);
	for (i = 0; i < rules->n_endpoints; i++)
		rule_reset(&rules->endpoints[i]);
	rules->error_uses = 0;
	reset(rules->error_ignore, rules->n_error_ignore);
}
