/*
 * The comparison engine: two responses (status, body, latency) under a resolved rule,
 * giving divergences classed structural, semantic or timing (DESIGN.md "Comparison").
 * Pure: no I/O, no global state besides the pattern hit counts kept in the rules.
 */
#ifndef PARITY_COMPARE_H
#define PARITY_COMPARE_H

#include <jansson.h>

#include "parity/err.h"
#include "parity/plugin.h"
#include "compare/rules.h"
#include "compare/timestamp.h"
#include "compare/timing.h"

/*
 * Compare a and b for endpoint "METHOD /path?query" under rules (lookup as in
 * ph_rules_lookup_endpoint). timing NULL: latencies are not compared. Fills out, which
 * the caller releases with ph_result_release. Returns < 0 only when it could not compare
 * (out of memory); differences are results, not errors.
 */
int ph_compare_responses(struct ph_rules *rules, const char *endpoint,
			 const struct ph_response *a, const struct ph_response *b,
			 const struct ph_timing *timing, struct ph_result *out,
			 struct ph_err *err);

/* Compare two JSON values under one rule (no status, no timing). */
int ph_compare_json_rule(const struct ph_rule *rule, const json_t *a, const json_t *b,
			 struct ph_result *out, struct ph_err *err);

/* The divergences and verdict as the fixed JSON object {endpoint, rule, verdict, divergences}. */
json_t *ph_result_to_json(const struct ph_result *res, const char *endpoint);

/* The divergences alone as an array of {class, kind, path, a, b, message}. */
json_t *ph_result_divergences_json(const struct ph_result *res);

/* Free what a result owns (divergences, rule name) and zero it; NULL is fine. */
void ph_result_release(struct ph_result *res);

/* Free what a response owns (body, content type, headers, error) and zero it; NULL is fine. */
void ph_response_release(struct ph_response *resp);

/*
 * Nesting deeper than this is not compared: the engine reports one divergence of class
 * PH_ERROR, kind "depth", at the first path beyond it (jansson's parser stops at 2048 too).
 */
#define PH_COMPARE_MAX_DEPTH 2048

/* Parse "structural" etc.; returns -1 when unknown. */
int ph_class_parse(const char *name);

#endif
