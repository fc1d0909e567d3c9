/*
 * The growing string buffer the schema files build keys, descriptions and normalised SQL
 * in. A failed allocation is remembered rather than reported at each call, so a builder
 * appends freely and checks once, when it takes the string.
 */
#ifndef PARITY_SCHEMA_SBUF_H
#define PARITY_SCHEMA_SBUF_H

#include <stddef.h>
#include <jansson.h>

/* Zero-initialise ({0}); p is NUL-terminated once anything was added. */
struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

void ph_sb_addn(struct sbuf *s, const char *str, size_t len);
void ph_sb_add(struct sbuf *s, const char *str);

/* The strings of JSON array arr (borrowed) separated by ",", a non-string as "". */
void ph_sb_join(struct sbuf *s, const json_t *arr);

/* The built string (never NULL unless out of memory); ownership passes to the caller. */
char *ph_sb_take(struct sbuf *s);

/* A lower-case copy of s (NULL reads as ""), or NULL when out of memory. */
char *ph_lower_dup(const char *s);

#endif
