/*
 * A growing string: appends that double the allocation and a sticky out-of-memory flag,
 * so a builder appends freely and checks once, when it takes the string. The one string
 * buffer of the core (comparison paths and canonical forms, schema keys and SQL, canned
 * LLM answers, placeholders, HTTP bodies) and of any plugin that wants one. Part of phutil.
 */
#ifndef PARITY_STRBUF_H
#define PARITY_STRBUF_H

#include <stddef.h>

/*
 * Zero-initialise ({0}) to start. Fields are read freely and changed through the calls
 * (a builder may set oom when an allocation of its own fails).
 */
struct ph_strbuf {
	char *p;     /* the text, NUL-terminated once anything was added; NULL before */
	size_t len;  /* bytes in p, without the NUL */
	size_t cap;  /* bytes allocated */
	int oom;     /* an allocation failed: p keeps what it had, later appends do nothing */
};

/* Room for more bytes after len (and the NUL). 0, or -1 when out of memory (oom set). */
int ph_strbuf_reserve(struct ph_strbuf *s, size_t more);

/* Append len bytes of str (which may hold NULs), one character, a C string. */
void ph_strbuf_addn(struct ph_strbuf *s, const char *str, size_t len);
void ph_strbuf_addc(struct ph_strbuf *s, char c);
void ph_strbuf_add(struct ph_strbuf *s, const char *str);

/* Append printf-style text. */
void ph_strbuf_addf(struct ph_strbuf *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Cut the text back to its first len bytes (len <= s->len), keeping the allocation. */
void ph_strbuf_truncate(struct ph_strbuf *s, size_t len);

/*
 * The text, owned by the caller from now on ("" when nothing was added), or NULL when an
 * allocation failed. s is empty again either way.
 */
char *ph_strbuf_take(struct ph_strbuf *s);

/* Free the text; s is empty again. */
void ph_strbuf_release(struct ph_strbuf *s);

/* printf-style text in a new string the caller frees, or NULL when out of memory. */
char *ph_strdup_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
