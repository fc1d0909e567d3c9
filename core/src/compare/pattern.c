/*
 * The segments rules match on (rules.h): dot-path patterns ("memories.*.id") of
 * ignoreFields, deterministic and generated, split once so the walk compares segments and
 * never re-parses, with their hit counts; and route paths ("/api/memory/:id") of endpoint
 * keys and requests, split and matched the one way rule lookup and route coverage
 * (coverage/routes.h) both use.
 */
#include "compare/rules.h"

#include <stdlib.h>
#include <string.h>

void ph_pattern_clear(struct ph_pattern *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n_segs; i++)
		free(p->segs[i]);
	free(p->segs);
	free(p->seg_len);
	free(p->text);
	memset(p, 0, sizeof(*p));
}

int ph_pattern_init(struct ph_pattern *p, const char *text)
{
	const char *s = text, *dot;
	size_t n = 1, i = 0;

	memset(p, 0, sizeof(*p));
	if (!*text)
		return 1;
	for (s = text; *s; s++)
		n += *s == '.';
	p->text = strdup(text);
	p->segs = calloc(n, sizeof(*p->segs));
	p->seg_len = calloc(n, sizeof(*p->seg_len));
	if (!p->text || !p->segs || !p->seg_len) {
		ph_pattern_clear(p);
		return PH_E_NOMEM;
	}
	s = text;
	for (;;) {
		size_t len;

		dot = strchr(s, '.');
		len = dot ? (size_t)(dot - s) : strlen(s);
		if (len == 0) {
			p->n_segs = i;
			ph_pattern_clear(p);
			return 1;
		}
		p->segs[i] = strndup(s, len);
		if (!p->segs[i]) {
			p->n_segs = i;
			ph_pattern_clear(p);
			return PH_E_NOMEM;
		}
		p->seg_len[i++] = len;
		if (!dot)
			break;
		s = dot + 1;
	}
	p->n_segs = i;
	return 0;
}

int ph_pattern_copy(struct ph_pattern *dst, struct ph_pattern *src)
{
	int rc = ph_pattern_init(dst, src->text);

	if (rc)
		return PH_E_NOMEM; /* src was valid, so only memory can fail */
	dst->origin = src->origin ? src->origin : src;
	return 0;
}

int ph_pattern_match(const struct ph_pattern *p, char *const *segs, size_t n)
{
	size_t i;

	if (!p || n != p->n_segs)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(p->segs[i], "*") && strcmp(p->segs[i], segs[i]))
			return 0;
	return 1;
}

void ph_pattern_hit(struct ph_pattern *p)
{
	p->hits++;
	if (p->origin)
		p->origin->hits++;
}

void ph_patterns_free(struct ph_pattern *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		ph_pattern_clear(&v[i]);
	free(v);
}

int ph_route_split(const char *path, char ***segs, size_t *n)
{
	const char *s = path;
	size_t cap = 0, cnt = 0;
	char **v = NULL;

	*segs = NULL;
	*n = 0;
	while (*s && *s != '?' && *s != '#') {
		const char *e = s;

		while (*e && *e != '/' && *e != '?' && *e != '#')
			e++;
		if (e > s) {
			if (cnt == cap) {
				char **nv;

				cap = cap ? cap * 2 : 8;
				nv = realloc(v, cap * sizeof(*v));
				if (!nv)
					goto nomem;
				v = nv;
			}
			v[cnt] = strndup(s, (size_t)(e - s));
			if (!v[cnt])
				goto nomem;
			cnt++;
		}
		s = *e == '/' ? e + 1 : e;
	}
	*segs = v;
	*n = cnt;
	return 0;
nomem:
	while (cnt)
		free(v[--cnt]);
	free(v);
	return PH_E_NOMEM;
}

void ph_route_free(char **segs, size_t n)
{
	while (n)
		free(segs[--n]);
	free(segs);
}

int ph_route_match(char *const *pat, size_t n_pat, char *const *segs, size_t n)
{
	size_t i;

	if (n_pat != n)
		return 0;
	for (i = 0; i < n; i++)
		if (pat[i][0] != ':' && strcmp(pat[i], segs[i]))
			return 0;
	return 1;
}

int ph_route_more_specific(char *const *a, char *const *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int pa = a[i][0] == ':', pb = b[i][0] == ':';

		if (pa != pb)
			return pb;
	}
	return 0;
}
