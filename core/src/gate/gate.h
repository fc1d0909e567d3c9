/*
 * The cutover gate: the rule "shadow mode at least two weeks, zero structural
 * divergences, semantic divergences documented, every domain verified" turned into a
 * verdict over parity matrices, shadow logs and a documented-divergences file. Every
 * reason is collected, not only the first: `blocked` reasons (structural divergence,
 * undocumented semantic divergence, expired documentation) win over `insufficient` ones
 * (missing, skipped or failed domains, error rows, too little or no shadow evidence);
 * without either the gate passes. Performance targets and route coverage minimums, when
 * given, add their own reasons. Notes (timing, stale documentation, malformed shadow
 * lines, exchanges our shadow proxy dropped or left uncompared) never change the verdict.
 */
#ifndef PARITY_GATE_H
#define PARITY_GATE_H

#include <stdio.h>
#include <jansson.h>

#include "coverage/coverage.h"
#include "parity/err.h"
#include "parity/plugin.h"
#include "shadow/shadow.h"

/* One entry of the documented-divergences file. Owned by struct ph_documented. */
struct ph_documented_entry {
	char *domain;	   /* a domain of the list (domain/list.h), "unmapped", or "*" */
	char *feature;	   /* glob over a matrix feature or a shadow endpoint */
	char *path;	   /* glob over the divergence path */
	enum ph_class cls; /* PH_SEMANTIC or PH_TIMING */
	char *reason;
	char *owner;
	char expires[11];      /* YYYY-MM-DD, last day the entry holds */
	int expired;	       /* set by ph_gate_evaluate against its `today` */
	unsigned long matched; /* divergences it covered in the last evaluation */
};

struct ph_documented {
	char *source;
	struct ph_documented_entry *items;
	size_t n;
};

/*
 * Load a documented-divergences file: a JSON array of {domain, feature, path, class,
 * reason, owner, expires}. Wrong shapes fail with PH_E_INVALID naming the file, index and
 * key ("documented.json: [2].expires: expected a date YYYY-MM-DD"). Release with
 * ph_documented_release.
 */
int ph_documented_load(struct ph_documented *doc, const char *path, struct ph_err *err);

/* The same from a parsed document; source names it in messages. */
int ph_documented_from_json(struct ph_documented *doc, const json_t *arr, const char *source,
			    struct ph_err *err);

void ph_documented_release(struct ph_documented *doc);

/* Does text match pattern, where `*` matches any run of characters (none included)? */
int ph_glob_match(const char *pattern, const char *text);

/* Is text a valid calendar date YYYY-MM-DD? */
int ph_date_valid(const char *text);

enum ph_gate_verdict { PH_GATE_PASS = 0, PH_GATE_BLOCKED = 1, PH_GATE_INSUFFICIENT = 3 };

/* What the gate looks at; everything borrowed. */
struct ph_gate_input {
	json_t *const *matrices; /* loaded, validated matrices */
	const char *const *matrix_names;
	size_t n_matrices;
	const struct ph_shadow *shadow;	  /* NULL: no shadow log given */
	struct ph_documented *documented; /* NULL: none; its counters are updated */
	double min_shadow_days;		  /* 0: shadow evidence not required */
	const char *today;		  /* YYYY-MM-DD; entries expiring before it are expired */
};

/* The outcome: a verdict and every reason. */
struct ph_gate {
	enum ph_gate_verdict verdict;
	json_t *reasons; /* [{kind, domain, detail, effect: blocked|insufficient}] */
	json_t *notes;	 /* [{kind, domain, detail}] */
	double shadow_span_days;
};

/*
 * Evaluate in into g (released with ph_gate_release): every domain of the repo's list
 * (domain/list.h) must be in a matrix. Returns 0, PH_E_NOMEM, or the list's error.
 */
int ph_gate_evaluate(struct ph_gate *g, const struct ph_gate_input *in, struct ph_err *err);

/*
 * Performance targets (perf.h), enforced only when set: for each matrix of in, check
 * targets ({name: "<= 0.1", ...}, borrowed) against its metrics.perf.ratios. A missed
 * target blocks (kind "perf-target"); a matrix without a performance section, or a target
 * whose ratio it did not measure, is insufficient evidence ("perf-missing"); a met target
 * is a note. Call after ph_gate_evaluate on the same g. NULL or empty targets do nothing.
 * 0, PH_E_INVALID for a malformed target, PH_E_NOMEM.
 */
int ph_gate_perf(struct ph_gate *g, const struct ph_gate_input *in, const json_t *targets,
		 struct ph_err *err);

/*
 * Route coverage minimums, `--min-coverage body=0.8,state=0.5`: into mins[depth] (for
 * status, body and state; the others are set to -1, not required). Keys are status, body
 * and state, each at most once; values numbers from 0 to 1. 0, or PH_E_USAGE with a
 * message quoting spec.
 */
int ph_gate_coverage_spec(const char *spec, double mins[PH_DEPTH_COUNT], struct ph_err *err);

/*
 * Coverage minimums (mins as ph_gate_coverage_spec fills them; NULL or none set: nothing
 * to check) against each matrix of in: a ratio below its minimum blocks (kind "coverage",
 * "m.json: state 0.12 < 0.50 (route_list X)"), a matrix without coverage is insufficient
 * evidence ("coverage-missing"), a minimum met is a note. Call after ph_gate_evaluate on
 * the same g. 0 or PH_E_NOMEM.
 */
int ph_gate_coverage(struct ph_gate *g, const struct ph_gate_input *in,
		     const double mins[PH_DEPTH_COUNT], struct ph_err *err);

/* {verdict, reasons, notes, shadow_span_days} (new reference). */
json_t *ph_gate_to_json(const struct ph_gate *g);

/* The verdict and every reason, one per line. */
void ph_gate_write_text(const struct ph_gate *g, FILE *f);

/* "pass", "blocked" or "insufficient". */
const char *ph_gate_verdict_name(enum ph_gate_verdict v);

void ph_gate_release(struct ph_gate *g);

#endif
