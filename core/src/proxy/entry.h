/*
 * The lines of a `parity-shadow/1` log (docs/shadow-format.md): one entry per divergent
 * exchange the live proxy saw, and the start, overflow and stop events. Entries carry
 * the divergences' class, kind and path only: never a value, a message, a header, a body
 * or a query string, which may hold secrets or user data. The log file itself (append,
 * one line at a time, rotation at a size cap) is logfile.h.
 */
#ifndef PARITY_PROXY_ENTRY_H
#define PARITY_PROXY_ENTRY_H

#include <stddef.h>
#include <jansson.h>

#include "parity/plugin.h"

#define PH_SHADOW_FORMAT "parity-shadow/1"

/* What an entry says of one exchange besides its divergences; pointers borrowed. */
struct ph_shadow_exchange {
	const char *ts;		/* UTC, "2026-12-07T13:00:00.123Z": when the primary answered */
	const char *request_id; /* "ps-1a2b-000042" */
	const char *method;
	const char *path;	/* may carry a query string: the entry drops it */
	const char *rule;	/* the rules key that matched, "default" if none */
	const char *domain;	/* from the endpoint map, "unmapped" if none */
	long status_primary;
	long status_shadow;	/* 0 when the shadow did not answer */
	double latency_primary; /* ms */
	double latency_shadow;	/* ms; < 0 when the shadow did not answer (null) */
	const char *error;	/* NULL, or why the shadow gave no comparable answer: "timeout",
				   "connect", "reset", "garbage", "too-large" */
};

/*
 * The entry for x as a new JSON object, with the divergences of res (the comparison of
 * the two answers; NULL or empty when none) followed by those of state (the snapshots'
 * kind "state" divergences; NULL when none). With x->error set, the divergences are the
 * one {"class": "error", "kind": "shadow-failed", "path": ""} and res is not read.
 * Returns NULL when there is nothing to write (no error, no divergence) or out of memory.
 */
json_t *ph_shadow_entry_new(const struct ph_shadow_exchange *x, const struct ph_result *res,
			    const struct ph_result *state);

/* An event line {"format", "event": name, "ts"} to which the caller adds its keys. */
json_t *ph_shadow_event_new(const char *name);

/* The wall clock now as the log writes it ("2026-12-07T13:00:00.123Z"); buf >= 32 bytes. */
char *ph_shadow_ts(char *buf, size_t size);

/* Copy path up to its '?' or '#' into buf (at most size bytes, NUL-terminated). */
char *ph_shadow_strip_query(const char *path, char *buf, size_t size);

#endif
