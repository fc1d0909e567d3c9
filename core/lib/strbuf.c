/*
 * The growing string of parity/strbuf.h: the allocation starts at 64 bytes and doubles,
 * so n appends cost O(n) copies; a failed allocation sets oom and leaves the text as it
 * was.
 */
#include "parity/strbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ph_strbuf_reserve(struct ph_strbuf *s, size_t more)
{
	size_t cap;
	char *p;

	if (s->oom)
		return -1;
	if (s->len + more + 1 <= s->cap)
		return 0;
	for (cap = s->cap ? s->cap : 64; cap < s->len + more + 1; cap *= 2)
		;
	if (!(p = realloc(s->p, cap))) {
		s->oom = 1;
		return -1;
	}
	s->p = p;
	s->cap = cap;
	return 0;
}

void ph_strbuf_addn(struct ph_strbuf *s, const char *str, size_t len)
{
	if (ph_strbuf_reserve(s, len))
		return;
	memcpy(s->p + s->len, str, len);
	s->len += len;
	s->p[s->len] = '\0';
}

void ph_strbuf_addc(struct ph_strbuf *s, char c)
{
	if (ph_strbuf_reserve(s, 1))
		return;
	s->p[s->len++] = c;
	s->p[s->len] = '\0';
}

void ph_strbuf_add(struct ph_strbuf *s, const char *str)
{
	ph_strbuf_addn(s, str, strlen(str));
}

static void add_va(struct ph_strbuf *s, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, again);
	va_end(again);
	if (n < 0 || ph_strbuf_reserve(s, (size_t)n))
		return;
	vsnprintf(s->p + s->len, (size_t)n + 1, fmt, ap);
	s->len += (size_t)n;
}

void ph_strbuf_addf(struct ph_strbuf *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	add_va(s, fmt, ap);
	va_end(ap);
}

void ph_strbuf_truncate(struct ph_strbuf *s, size_t len)
{
	if (len >= s->len)
		return;
	s->len = len;
	s->p[len] = '\0';
}

char *ph_strbuf_take(struct ph_strbuf *s)
{
	char *p = s->oom ? NULL : s->p ? s->p : strdup("");

	if (s->oom)
		free(s->p);
	memset(s, 0, sizeof(*s));
	return p;
}

void ph_strbuf_release(struct ph_strbuf *s)
{
	free(s->p);
	memset(s, 0, sizeof(*s));
}

char *ph_strdup_printf(const char *fmt, ...)
{
	struct ph_strbuf s = {0};
	va_list ap;

	va_start(ap, fmt);
	add_va(&s, fmt, ap);
	va_end(ap);
	return ph_strbuf_take(&s);
}
