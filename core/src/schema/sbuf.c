/*
 * The schema files' string buffer (sbuf.h): appends that double the allocation, a
 * sticky out-of-memory flag, and the lower-case copies every name key is made of.
 */
#include "schema/sbuf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void ph_sb_addn(struct sbuf *s, const char *str, size_t len)
{
	if (s->oom)
		return;
	if (s->n + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 64;
		char *p;

		while (cap < s->n + len + 1)
			cap *= 2;
		p = realloc(s->p, cap);
		if (!p) {
			s->oom = 1;
			return;
		}
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->n, str, len);
	s->n += len;
	s->p[s->n] = '\0';
}

void ph_sb_add(struct sbuf *s, const char *str)
{
	ph_sb_addn(s, str, strlen(str));
}

char *ph_sb_take(struct sbuf *s)
{
	if (s->oom) {
		free(s->p);
		return NULL;
	}
	if (!s->p)
		return strdup("");
	return s->p;
}

char *ph_lower_dup(const char *s)
{
	char *d = strdup(s ? s : "");
	char *q;

	if (d)
		for (q = d; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	return d;
}

void ph_sb_join(struct sbuf *s, const json_t *arr)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		if (i)
			ph_sb_add(s, ",");
		ph_sb_add(s, json_string_value(json_array_get(arr, i))
			      ? json_string_value(json_array_get(arr, i))
			      : "");
	}
}
