/*
 * Shadow-divergence logs (CONTRACT.md section 10): reading the line formats of the TS
 * daemon, of the Rust proxy and of `parity shadow` (parity-shadow/1, docs/shadow-log.md),
 * classifying every divergence (structural, semantic, timing, error),
 * mapping endpoints to domains, and folding repeated divergences into fingerprints.
 * Reading is streamed line by line: memory grows with the number of distinct
 * fingerprints, never with the size of the log. A line that cannot be used is counted
 * with its line number and a message; no line is dropped silently.
 *
 * Usage: ph_shadow_init, ph_shadow_read_file for every log (or ph_shadow_add_line),
 * then ph_shadow_to_json / ph_shadow_write_text / ph_shadow_write_md, ph_shadow_release.
 */
#ifndef PARITY_SHADOW_H
#define PARITY_SHADOW_H

#include <stdio.h>
#include <jansson.h>

#include "parity/err.h"
#include "parity/plugin.h"
#include "compare/compare.h"
#include "domain/endpoint_map.h"

/* Line numbers of malformed lines kept for the report; the count goes on beyond it. */
#define PH_SHADOW_MALFORMED_KEEP 1000
/* Messages of malformed lines kept ("file:17: not a JSON object"). */
#define PH_SHADOW_MESSAGES_KEEP 5
/* Longest line read whole by default; a longer one is counted as malformed. */
#define PH_SHADOW_MAX_LINE ((size_t)64 << 20)
/*
 * Domain slots: the domains of the list (domain/list.h) in its order, at most 32, then
 * "unmapped" in the last slot; a domain beyond the 32nd counts as unmapped.
 */
#define PH_SHADOW_SLOTS 33

/* Per-domain tallies: entries (log lines) and divergences per class. */
struct ph_shadow_counts {
	unsigned long entries;
	unsigned long structural;
	unsigned long semantic;
	unsigned long timing;
	unsigned long error;
};

/* Where a line is: the index of its file among those read (from 0) and its number. */
struct ph_shadow_pos {
	unsigned file;
	unsigned long line;
};

/* A group of repeated divergences. Owned by struct ph_shadow. */
struct ph_shadow_fp {
	const char *domain; /* static */
	char *endpoint;	    /* template, "GET /api/memory/:id" */
	enum ph_class cls;
	char *path; /* field path, indexes folded: "results[].tags" */
	unsigned long count;
	long long first_ms, last_ms; /* epoch milliseconds */
	json_t *example;	     /* the first occurrence: {source, line, divergence} */
	struct ph_shadow_pos example_at;
	unsigned long hash;
};

/* A malformed line's message, "file:17: not a JSON object". */
struct ph_shadow_message {
	struct ph_shadow_pos at;
	char *text;
};

/*
 * The event lines of parity-shadow/1 logs (docs/shadow-log.md), counted apart from
 * entries: how many of each, and the counters of the stop lines added up (one per run of
 * the proxy; a rotated log may hold several).
 */
struct ph_shadow_events {
	unsigned long start, overflow, stop;
	unsigned long other;	      /* an "event" this reader does not know */
	unsigned long overflow_dropped; /* the overflow lines' "dropped", added up */
	/* the stop lines' counters, added up */
	unsigned long forwarded, replayed, compared, divergent, dropped, skipped_writes,
	    shadow_errors;
	unsigned long undrained; /* stop lines with "drained": false */
};

struct ph_endpoint_cache;

struct ph_shadow {
	const struct ph_domain_map *map; /* borrowed; NULL maps everything to "unmapped" */
	struct ph_timing timing;
	size_t max_line;  /* 0: PH_SHADOW_MAX_LINE */
	unsigned threads; /* parsing threads; 0: one per CPU (at most 8) */

	unsigned long lines;   /* every line read, blank ones included */
	unsigned long entries; /* lines in one of the two formats */
	unsigned long ts_entries, rust_entries;
	unsigned long parity_entries;	 /* entries of parity-shadow/1 */
	unsigned long domain_mismatches; /* parity-shadow/1 entries whose domain is not the map's */
	struct ph_shadow_events events;	 /* parity-shadow/1 event lines */
	unsigned long malformed;
	struct ph_shadow_pos malformed_at[PH_SHADOW_MALFORMED_KEEP]; /* the first ones */
	size_t n_malformed_at;
	struct ph_shadow_message messages[PH_SHADOW_MESSAGES_KEEP]; /* the first ones */
	size_t n_messages;
	long long first_ms, last_ms; /* span of entry timestamps; first_ms > last_ms: none */
	struct ph_shadow_counts domains[PH_SHADOW_SLOTS];
	unsigned files; /* files read so far; the next file's index */

	struct ph_shadow_fp **fps; /* open-addressing table, n_fp_slots entries */
	size_t n_fps, n_fp_slots;
	struct ph_endpoint_cache *cache;
};

/* Start an empty aggregation; map is borrowed for the object's life, timing copied (NULL:
 * PH_TIMING_DEFAULT). */
void ph_shadow_init(struct ph_shadow *s, const struct ph_domain_map *map,
		    const struct ph_timing *timing);

/*
 * Read one log: "-" is stdin; a gzip file (any name) is decompressed with zlib, other
 * files are read as they are. One thread reads and cuts the stream into blocks of whole
 * lines, s->threads threads parse them into partial aggregates merged at the end; the
 * result does not depend on the number of threads. Returns 0, or PH_E_IO / PH_E_PARSE
 * when the file cannot be opened or its compressed data is corrupt (malformed lines are
 * not errors).
 */
int ph_shadow_read_file(struct ph_shadow *s, const char *path, struct ph_err *err);

/*
 * Account one line (without its newline) of file number at.file (named source) at line
 * at.line: blank lines only count, JSON objects of a known format are classified (the
 * format is told line by line: "format": "parity-shadow/1", else the TS or the Rust
 * one), parity-shadow/1 event lines are counted in s->events, anything else is
 * malformed. Returns 0, or PH_E_NOMEM.
 */
int ph_shadow_add_line(struct ph_shadow *s, const char *source, struct ph_shadow_pos at,
		       const char *line, size_t len);

/* Record a malformed line with its message (used for lines too long to read). */
int ph_shadow_add_malformed(struct ph_shadow *s, const char *source, struct ph_shadow_pos at,
			    const char *what);

/*
 * Add the partial aggregate from into s and empty it (its fingerprints move to s).
 * Counts add up; the first malformed lines, messages and examples are kept by position.
 * Returns 0 or PH_E_NOMEM.
 */
int ph_shadow_merge(struct ph_shadow *s, struct ph_shadow *from);

/* Slot of a domain name in s->domains (PH_SHADOW_SLOTS - 1 for "unmapped"). */
size_t ph_shadow_slot(const char *domain);
/* Name of a slot. */
const char *ph_shadow_slot_name(size_t slot);

/* Totals over all domains. */
struct ph_shadow_counts ph_shadow_totals(const struct ph_shadow *s);

/* Days between the first and last timestamp (0 when fewer than two entries). */
double ph_shadow_span_days(const struct ph_shadow *s);

/*
 * The fingerprints sorted worst class first, then by count, as a new array of borrowed
 * pointers (caller frees the array, not the elements); *n gets the length.
 */
const struct ph_shadow_fp **ph_shadow_sorted(const struct ph_shadow *s, size_t *n);

/*
 * The report as the fixed JSON of DESIGN.md: {lines, entries, malformed{count, lines,
 * messages}, span_days, first_seen, last_seen, domains{...}, fingerprints[...]} (new ref).
 */
json_t *ph_shadow_to_json(const struct ph_shadow *s);

/* Human-readable report; top fingerprints per domain (0: 5). */
void ph_shadow_write_text(const struct ph_shadow *s, FILE *f, size_t top);

/* Markdown report (a table of domains, then top fingerprints). */
void ph_shadow_write_md(const struct ph_shadow *s, FILE *f, size_t top);

/* Format epoch milliseconds as "2026-05-01T12:00:00.412Z" into buf (>= 32 bytes). */
char *ph_shadow_format_ms(long long ms, char *buf, size_t size);

/*
 * Parse an ISO-8601 timestamp with a Z or +hh:mm offset (fraction optional) into epoch
 * milliseconds. Returns 0, or -1 when text is not one.
 */
int ph_shadow_parse_time(const char *text, long long *ms);

/*
 * Fold array indexes of a field path: "results[3].tags" -> "results[].tags",
 * "a.0.b" -> "a.*.b". Writes into buf (always NUL-terminated), returns buf.
 */
char *ph_shadow_fold_path(const char *path, char *buf, size_t size);

/*
 * Read the "timing" object ({ratio, delta_ms, floor_ms}, each optional) of a parity.json
 * into t, leaving absent keys as they are. Messages name the file and key.
 */
int ph_shadow_timing_from_config(const char *path, struct ph_timing *t, struct ph_err *err);

/* Free everything s owns. */
void ph_shadow_release(struct ph_shadow *s);

#endif
