/*
 * Inside the shadow-log analysis: what its files share (shadow.h is the API; nothing
 * outside core/src/shadow includes this). shadow.c keeps the aggregate and accounts each
 * line; log_ts.c, log_rust.c and log_parity.c read the three writers' line formats
 * (the TS daemon, the Rust proxy, `parity shadow`); endpoints.c maps
 * endpoints to domains and templates; fingerprints.c folds repeated divergences;
 * reader.c streams plain or gzip logs through parsing threads; render.c, render_text.c,
 * render_md.c and render_json.c write the reports.
 */
#ifndef PARITY_SHADOW_INT_H
#define PARITY_SHADOW_INT_H

#include <stdio.h>
#include <jansson.h>

#include "shadow/shadow.h"

/* ---- log_ts.c, log_rust.c, log_parity.c: one line of a format ---- */

/* The fields of a log line the formats have, borrowed from the parsed line. */
struct shadow_line {
	const char *method; /* not NUL-terminated after mlen (Rust, parity-shadow/1) */
	size_t mlen;
	const char *path;
	const char *ts;
	const json_t *divs; /* the Rust proxy's or parity-shadow/1's divergences[], or NULL */
	int rust;	    /* written by the Rust proxy */
	int has_latency;    /* la and lb are both known */
	double la, lb;	    /* primary and shadow latency, ms */
	/* parity-shadow/1 only */
	int parity;	     /* written by `parity shadow` */
	const char *domain;  /* as the line says, NULL when absent */
	enum ph_class cls;   /* the exchange's worst class */
	const json_t *paths; /* paths[], or NULL */
	const char *error;   /* why the shadow gave no comparable answer (class error), or NULL */
};

/* The format name of `parity shadow`'s logs, the value of their "format" key. */
#define SHADOW_PARITY_FORMAT "parity-shadow/1"

/* Does o say which format it is ("format" present)? 1: parity-shadow/1, -1: another, 0: no. */
int shadow_parity_format(const json_t *o);

/*
 * Read o, a parity-shadow/1 entry, into l: every key the accounting uses is checked
 * (divergences[] are objects with a known class, a kind and a path), so a line either
 * counts whole or is malformed. Returns NULL, or what is wrong (a static message that
 * quotes no value of the line).
 */
const char *shadow_parity_line(const json_t *o, struct shadow_line *l);

/*
 * Count o, a parity-shadow/1 event line ("event" present), into ev; *ms gets its time.
 * Returns NULL, or what is wrong with it (then ev is unchanged).
 */
const char *shadow_parity_event(const json_t *o, struct ph_shadow_events *ev, long long *ms);

/* Class names a parity-shadow/1 divergence or entry may have: -1 for any other. */
int shadow_parity_class(const char *name);

/*
 * Read o as a line of the TS daemon ({ts, method, path, ...}) or of the Rust proxy
 * ({timestamp, endpoint, divergences, ...latency}) into l. Returns NULL, or what is wrong
 * with it (a static message for the malformed-line report).
 */
const char *shadow_ts_line(const json_t *o, struct shadow_line *l);
const char *shadow_rust_line(const json_t *o, struct shadow_line *l);

/* The class of one of the Rust proxy's divergences, from its message and values. */
enum ph_class shadow_rust_classify(const json_t *div);

/* A status divergence as the Rust proxy writes it, for lines that carry none (new ref). */
json_t *shadow_rust_status_div(long a, long b);

/* ---- endpoints.c ---- */

/*
 * Domain and template of "METHOD path" (method mlen bytes long), remembered in a bounded
 * cache kept in s; both borrowed from it. Returns 0 or PH_E_NOMEM.
 */
int shadow_endpoint(struct ph_shadow *s, const char *method, size_t mlen, const char *path,
		    const char **domain, const char **tmpl);

/* Free the endpoint cache of s. */
void shadow_endpoints_free(struct ph_shadow *s);

/* ---- fingerprints.c ---- */

/* FNV-1a of s, continuing from h, with a separator mixed in after it. */
unsigned long shadow_hash_str(unsigned long h, const char *s);
#define SHADOW_HASH_SEED 1469598103934665603UL

/*
 * Count one divergence (the line's JSON div, borrowed) into its fingerprint, the field
 * path folded; the example is built only for a new fingerprint, so repeated divergences
 * cost no allocation. Returns 0 or PH_E_NOMEM.
 */
int shadow_fp_add(struct ph_shadow *s, const char *domain, const char *endpoint,
		  enum ph_class cls, const char *raw_path, long long ms, const char *source,
		  struct ph_shadow_pos at, const json_t *div);

/* Move the fingerprints of from into s, adding up those both have. 0 or PH_E_NOMEM. */
int shadow_fp_merge(struct ph_shadow *s, struct ph_shadow *from);

/* Free the fingerprints of s. */
void shadow_fp_free(struct ph_shadow *s);

/* Order of lines: by file, then by line number. */
int shadow_pos_cmp(const void *a, const void *b);

/* ---- render.c: the text and Markdown reports are one skeleton in two styles ---- */

struct shadow_style {
	const char *title;	/* the first line(s) */
	const char *bullet;	/* in front of each summary line */
	void (*malformed)(FILE *f, const char *message);
	const char *table_head; /* format: the six column names */
	const char *table_row;	/* format: a domain and its five counts */
	const char *total_name; /* the domain column of the totals row */
	const char *fps_head;	/* format: the domain of the fingerprints that follow */
	/* one fingerprint, its first and last time already formatted */
	void (*fp_row)(FILE *f, const struct ph_shadow_fp *fp, const char *first, const char *last);
	const char *result;	/* format: the verdict */
};

/* Write the report of s in style st, at most top fingerprints per domain (0: 5). */
void shadow_render(const struct ph_shadow *s, FILE *f, size_t top, const struct shadow_style *st);

/* Is slot i listed in reports? "unmapped" only when it has entries. */
int shadow_slot_listed(const struct ph_shadow *s, size_t i);

/* A fingerprint's field path for reports: "(body)" when it has none. */
const char *shadow_fp_path(const struct ph_shadow_fp *fp);

#endif
