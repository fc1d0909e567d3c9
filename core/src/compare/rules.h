/*
 * Parity rules: loading the upstream rules format (rules.default, rules.endpoints,
 * errorComparison) and resolving the rule for an endpoint. A resolved rule already has
 * the default's compareMode, timestampPrecision and arrayOrdering filled in where the
 * endpoint does not set them, and ignoreFields as the union of both lists.
 *
 * The rules also count how often each ignore and deterministic pattern matched a path,
 * so a run can list the patterns that matched nothing. rules.c loads and frees them,
 * rule_lookup.c finds a rule and reads the counts, pattern.c splits patterns and paths.
 */
#ifndef PARITY_RULES_H
#define PARITY_RULES_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

enum ph_compare_mode { PH_MODE_JSON, PH_MODE_BYTES };
enum ph_ts_precision { PH_TS_MILLISECOND, PH_TS_SECOND, PH_TS_MINUTE };
enum ph_ordering { PH_ORDERED, PH_UNORDERED };

/* A dot-path pattern; `*` matches exactly one segment. */
struct ph_pattern {
	char *text;
	char **segs;
	size_t n_segs;
	unsigned long hits;          /* paths matched so far (counted by the compare engine) */
	size_t *seg_len;             /* strlen of each segment, precomputed for matching */
	struct ph_pattern *origin;   /* inherited copy: the default's pattern, which also
					counts its hits; NULL for a rule's own pattern */
};

struct ph_tolerance {
	char *key;
	double bound;
};

/* One resolved rule. Owned by struct ph_rules. */
struct ph_rule {
	char *key;                   /* "METHOD /path/:param" or "default" */
	char *method;                /* NULL for default */
	char **segs;                 /* path segments of the key */
	size_t n_segs;
	enum ph_compare_mode mode;
	enum ph_ts_precision precision;
	enum ph_ordering ordering;
	struct ph_pattern *ignore;   /* union of default and endpoint ignoreFields */
	size_t n_ignore;
	int has_deterministic;       /* 0: key absent, compare values everywhere */
	struct ph_pattern *deterministic;
	size_t n_deterministic;
	struct ph_pattern *generated; /* "generated": values each runtime makes anew (ids it
					 generates, timings, the time of now): their type is
					 compared, never their value or what lies beneath;
					 union of default and endpoint, as ignoreFields */
	size_t n_generated;
	struct ph_tolerance *tolerance;
	size_t n_tolerance;
	char *note;
	unsigned long uses;          /* comparisons made under this rule since load */
	unsigned inherited;          /* PH_INHERIT_* bits: values taken from the default */
};

/* Which values of a resolved endpoint rule came from the default (struct ph_rule.inherited). */
#define PH_INHERIT_MODE 1u
#define PH_INHERIT_PRECISION 2u
#define PH_INHERIT_ORDERING 4u

struct ph_rules {
	char *source;                /* file name, or "<built-in>" */
	struct ph_rule deflt;
	struct ph_rule *endpoints;
	size_t n_endpoints;
	int status_must_match;       /* errorComparison.mustMatch has "statusCode" */
	int compare_error_body;      /* errorComparison.compareBody (default 1) */
	struct ph_pattern *error_ignore; /* errorComparison.ignoreFields */
	size_t n_error_ignore;
	unsigned long error_uses;    /* error bodies compared under errorComparison */
};

/* Load a rules file. The message names the file and the offending key. */
int ph_rules_load(struct ph_rules **out, const char *path, struct ph_err *err);

/* Build rules from a parsed document; source names it in messages. */
int ph_rules_from_json(struct ph_rules **out, const json_t *doc, const char *source,
		       struct ph_err *err);

/* Built-in rules: JSON, ordered, second precision, no ignores, status must match. */
struct ph_rules *ph_rules_builtin(void);

/*
 * The rule for method and path (query string stripped): a `:param` segment matches any
 * one segment, a literal segment beats a parameter, no match gives the default.
 * Borrowed from rules.
 */
const struct ph_rule *ph_rules_lookup(const struct ph_rules *rules, const char *method,
				      const char *path);

/* The same for "METHOD /path?query" (a key without a method matches any method). */
const struct ph_rule *ph_rules_lookup_endpoint(const struct ph_rules *rules,
					       const char *endpoint);

/* A rule by its exact key ("default" gives the default); NULL when absent. */
const struct ph_rule *ph_rules_find(const struct ph_rules *rules, const char *key);

/* Does pattern match the path given as segments? */
int ph_pattern_match(const struct ph_pattern *p, char *const *segs, size_t n);

/*
 * Patterns that matched nothing since load, among the rules used at least once (a rule
 * never applied says nothing about its patterns), as a new array of
 * {rule, kind: "ignore"|"deterministic"|"generated"|"error-ignore", pattern}.
 */
json_t *ph_rules_unmatched(const struct ph_rules *rules);

/* Count one hit of p (and of the default pattern it was inherited from). */
void ph_pattern_hit(struct ph_pattern *p);

/* Names of the enum values as in the rules file ("json", "second", "unordered", ...). */
const char *ph_compare_mode_name(enum ph_compare_mode m);
const char *ph_ts_precision_name(enum ph_ts_precision p);
const char *ph_ordering_name(enum ph_ordering o);

/* Reset the hit counts. */
void ph_rules_reset_hits(struct ph_rules *rules);

/* Free rules and everything they own; NULL is fine. */
void ph_rules_free(struct ph_rules *rules);

/* ---- patterns and route paths (pattern.c): the rules' own, and route coverage's ---- */

/* Split text on '.' into p; 0, 1 on an empty segment, or PH_E_NOMEM. */
int ph_pattern_init(struct ph_pattern *p, const char *text);

/* A copy of src that counts its hits in src's origin too (an inherited pattern). */
int ph_pattern_copy(struct ph_pattern *dst, struct ph_pattern *src);

/* Free what p owns (NULL is fine); the n patterns of v and v itself. */
void ph_pattern_clear(struct ph_pattern *p);
void ph_patterns_free(struct ph_pattern *v, size_t n);

/*
 * Split "/a/b/:c" into new segments, empty ones dropped, stopping at '?' or '#'.
 * 0 or PH_E_NOMEM; free them with ph_route_free.
 */
int ph_route_split(const char *path, char ***segs, size_t *n);
void ph_route_free(char **segs, size_t n);

/*
 * Does the route pattern pat (n_pat segments; one starting with ':' matches any one
 * segment) match the path segments segs[0..n)?
 */
int ph_route_match(char *const *pat, size_t n_pat, char *const *segs, size_t n);

/*
 * Of two patterns of n segments that match the same path, is a more specific than b?
 * The first segment where one is literal and the other a parameter decides (a literal
 * segment beats a parameter); 0 when none does.
 */
int ph_route_more_specific(char *const *a, char *const *b, size_t n);

#endif
