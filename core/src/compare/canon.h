/*
 * Canonical form of what one runtime answered: the values that belong to the run, not to
 * the runtime (its own port, pid, workspace path, HOME, canned-LLM URL, secrets the
 * harness generated for it) replaced by their placeholder names ("{port}", "{workspace}",
 * ...), so that two runtimes on two workspaces compare equal where they behave alike.
 * One table per side; the session fills it from the placeholders a runtime was started
 * with, plugins add what they generate. Applied once, by the host, to everything it
 * compares: response bodies, database rows, file trees, LLM request logs.
 */
#ifndef PARITY_CANON_H
#define PARITY_CANON_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

/* How a value is found in text. */
enum ph_canon_match {
	PH_CANON_SUBSTRING,   /* anywhere (paths, URLs, secrets) */
	PH_CANON_NUMBER       /* a run of digits not touching other digits, when it is the
			       * whole string or follows ':' or '/'; and a JSON integer equal
			       * to it (ports, pids) */
};

struct ph_canon;

/* A new, empty table, or NULL when out of memory. */
struct ph_canon *ph_canon_new(void);
void ph_canon_free(struct ph_canon *c);

/*
 * Replace value by name from now on (both copied). Values shorter than 3 bytes are
 * refused (PH_E_INVALID): they would match by accident. Adding a value twice keeps the
 * first name. Longer values are replaced first, so a workspace inside the side's folder
 * becomes "{workspace}", not "{dir}/workspace".
 */
int ph_canon_add(struct ph_canon *c, const char *value, const char *name,
		 enum ph_canon_match how, struct ph_err *err);

/* Forget every value added with names for which keep() returns 0. */
void ph_canon_filter(struct ph_canon *c, int (*keep)(const char *name, void *arg), void *arg);

/* Number of values in the table. */
size_t ph_canon_count(const struct ph_canon *c);

/*
 * The text s (len bytes, may hold NULs) with every value replaced; a new NUL-terminated
 * buffer whose length goes to *out_len (may be NULL), or NULL when out of memory. A NULL
 * table copies s unchanged.
 */
char *ph_canon_text(const struct ph_canon *c, const char *s, size_t len, size_t *out_len);

/*
 * A deep copy of v with every string and object key rewritten as ph_canon_text does and
 * every integer equal to a PH_CANON_NUMBER value replaced by its name (a string); a new
 * reference, or NULL when out of memory. Keys that collide after rewriting keep the
 * first one in the object's order. A NULL table gives a new reference to v itself.
 */
json_t *ph_canon_json(const struct ph_canon *c, json_t *v);

#endif
