/*
 * Inside the comparison engine: the state of one walk over two JSON documents and the
 * functions its files share (compare.h is the API; nothing outside core/src/compare
 * includes this). The walk keeps the current dot path in one reusable buffer and, per
 * node, only the patterns whose leading segments still match, so a pattern is never
 * re-matched from the root; unordered arrays are paired by sorting keys (ids or
 * canonical forms), never by scanning n x n. Nesting is bounded by PH_COMPARE_MAX_DEPTH,
 * so a hostile document cannot exhaust the stack. Pattern hit counts are kept in the
 * rules for ph_rules_unmatched.
 *
 * walk.c walks and tracks patterns, values.c compares scalars, members.c pairs array
 * members through canonical forms, result.c records divergences, compare.c compares
 * whole responses.
 */
#ifndef PARITY_WALK_H
#define PARITY_WALK_H

#include <stddef.h>
#include <jansson.h>

#include "compare/compare.h"
#include "parity/strbuf.h"

/* Unsigned decimal into buf (at least 21 bytes); returns the length. */
size_t walk_utoa(size_t v, char *buf);

/* One walk under one rule, filling one result. */
struct walk {
	struct ph_pattern *ign;
	size_t n_ign;
	struct ph_pattern *det;
	size_t n_det;
	int has_det;
	struct ph_pattern *gen;
	size_t n_gen;
	const struct ph_tolerance *tol;
	size_t n_tol;
	enum ph_ordering ordering;
	enum ph_ts_precision precision;
	struct ph_result *res;
	size_t cap;
	struct ph_strbuf path;
	unsigned *act; /* stack of active pattern indices: ignore, then det (+ n_ign), then
			* generated (+ n_ign + n_det) */
	size_t act_len, act_cap;
	int count_hits;
	int oom;
};

/* A node of the walk; the patterns alive at it are act[lo..hi). */
struct walk_frame {
	size_t depth; /* segments in the path */
	size_t lo, hi;
	size_t plen; /* path length before this node's segment: walk_leave restores it */
	int det;     /* values are compared here */
	int gen;     /* a generated value: only its type is compared */
	double tol;  /* tolerance bound, < 0 when none */
};

/* ---- walk.c ---- */

/* Start a walk under rule into out (zeroed by the caller); walk_release frees its state. */
void walk_init(struct walk *c, const struct ph_rule *rule, struct ph_result *out);
void walk_release(struct walk *c);

/* Compare two parsed documents from the root. */
void walk_root(struct walk *c, const json_t *a, const json_t *b);

/*
 * Enter a child: append seg to the path and work out which patterns are still alive,
 * which matched here (ignored? deterministic? generated?), and the tolerance bound
 * beneath; count: pattern hits are counted. Returns 1 when the child is ignored. The
 * caller calls walk_leave(c, cf) afterwards, ignored or not.
 */
int walk_enter(struct walk *c, const struct walk_frame *f, const char *seg, size_t len,
	       struct walk_frame *cf, int count);
void walk_leave(struct walk *c, const struct walk_frame *cf);

/* Element i of two arrays; a or b NULL when absent on that side. member: unordered. */
void walk_child_index(struct walk *c, const struct walk_frame *f, size_t i, const json_t *a,
		      const json_t *b, int member);

/* ---- values.c ---- */

/* "object", "array", "string", "number", "boolean" or "null". */
const char *walk_type_name(const json_t *v);

/* JSON type with integer and real as one ("number") and true/false as one. */
int walk_type_class(const json_t *v);

/* A short rendering for messages (at most ~60 characters). */
void walk_brief(const json_t *v, char *buf, size_t size);

/* Numbers compare numerically within tol (< 0: exactly); strings also as instants. */
int walk_num_equal(const json_t *a, const json_t *b, double tol);
int walk_str_equal(const struct walk *c, const json_t *a, const json_t *b);

/* ---- members.c ---- */

/* Arrays as multisets (members paired by id or canonical form), or position by position. */
void walk_array_unordered(struct walk *c, const struct walk_frame *f, const json_t *a,
			  const json_t *b);
void walk_array_ordered(struct walk *c, const struct walk_frame *f, const json_t *a,
			const json_t *b);

/* ---- result.c ---- */

/* Append a divergence at the current path; a and b are borrowed (a reference is taken). */
void walk_add(struct walk *c, enum ph_class cls, const char *kind, const json_t *a,
	      const json_t *b, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* A semantic "value" divergence: "value 1 -> 2". */
void walk_add_value(struct walk *c, const json_t *a, const json_t *b);

/* Drop the divergences recorded after the first count. */
void walk_truncate(struct walk *c, size_t count);

/* The result's verdict: its worst class, or parity. */
void walk_verdict(struct ph_result *r);

#endif
