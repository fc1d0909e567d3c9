/*
 * Fingerprints of shadow divergences: one per (domain, endpoint template, class, field
 * path with indexes folded), counting its occurrences, first and last seen, and keeping
 * its earliest occurrence as the example. They live in an open-addressing hash table,
 * so memory grows with the distinct fingerprints, never with the size of the log, and
 * partial tables of the parsing threads merge into one.
 */
#include "shadow/shadow_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *ph_shadow_fold_path(const char *path, char *buf, size_t size)
{
	size_t n = 0;
	const char *p = path ? path : "";

	if (!size)
		return buf;
	while (*p && n + 1 < size) {
		if (*p == '[') {
			const char *q = p + 1;

			while (isdigit((unsigned char)*q))
				q++;
			if (q > p + 1 && *q == ']') {
				if (n + 2 >= size)
					break;
				buf[n++] = '[';
				buf[n++] = ']';
				p = q + 1;
				continue;
			}
		}
		/* a whole dot segment of digits: start of path or after '.' */
		if ((p == path || p[-1] == '.') && isdigit((unsigned char)*p)) {
			const char *q = p;

			while (isdigit((unsigned char)*q))
				q++;
			if (*q == '.' || *q == '\0' || *q == '[') {
				buf[n++] = '*';
				p = q;
				continue;
			}
		}
		buf[n++] = *p++;
	}
	buf[n] = '\0';
	return buf;
}

unsigned long shadow_hash_str(unsigned long h, const char *s)
{
	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211UL;
	return (h ^ 0xff) * 1099511628211UL;
}

static unsigned long fp_hash(const char *domain, const char *endpoint, enum ph_class cls,
			     const char *path)
{
	unsigned long h = SHADOW_HASH_SEED;

	h = shadow_hash_str(h, domain);
	h = shadow_hash_str(h, endpoint);
	h = (h ^ (unsigned long)cls) * 1099511628211UL;
	return shadow_hash_str(h, path);
}

static void fp_free(struct ph_shadow_fp *fp)
{
	free(fp->endpoint);
	free(fp->path);
	json_decref(fp->example);
	free(fp);
}

static int fp_grow(struct ph_shadow *s)
{
	size_t ncap = s->n_fp_slots ? s->n_fp_slots * 2 : 256, i;
	struct ph_shadow_fp **nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return PH_E_NOMEM;
	for (i = 0; i < s->n_fp_slots; i++) {
		struct ph_shadow_fp *fp = s->fps[i];
		size_t j;

		if (!fp)
			continue;
		j = fp->hash & (ncap - 1);
		while (nt[j])
			j = (j + 1) & (ncap - 1);
		nt[j] = fp;
	}
	free(s->fps);
	s->fps = nt;
	s->n_fp_slots = ncap;
	return 0;
}

/* Keep the table at most 70% full, so that probes stay short. 0 or PH_E_NOMEM. */
static int fp_room(struct ph_shadow *s)
{
	return (s->n_fps + 1) * 10 > s->n_fp_slots * 7 ? fp_grow(s) : 0;
}

/* The slot holding the fingerprint with these keys, or the empty slot where it goes. */
static size_t fp_find(const struct ph_shadow *s, unsigned long h, const char *domain,
		      const char *endpoint, enum ph_class cls, const char *path)
{
	size_t j = h & (s->n_fp_slots - 1);
	const struct ph_shadow_fp *fp;

	while ((fp = s->fps[j])) {
		if (fp->hash == h && fp->cls == cls && (fp->domain == domain || !strcmp(fp->domain, domain)) &&
		    !strcmp(fp->endpoint, endpoint) && !strcmp(fp->path, path))
			return j;
		j = (j + 1) & (s->n_fp_slots - 1);
	}
	return j;
}

int shadow_fp_add(struct ph_shadow *s, const char *domain, const char *endpoint,
		  enum ph_class cls, const char *raw_path, long long ms, const char *source,
		  struct ph_shadow_pos at, const json_t *div)
{
	char path[512];
	unsigned long h;
	size_t j;
	struct ph_shadow_fp *fp;

	ph_shadow_fold_path(raw_path, path, sizeof(path));
	h = fp_hash(domain, endpoint, cls, path);
	if (fp_room(s))
		return PH_E_NOMEM;
	j = fp_find(s, h, domain, endpoint, cls, path);
	if ((fp = s->fps[j])) {
		fp->count++;
		if (ms < fp->first_ms)
			fp->first_ms = ms;
		if (ms > fp->last_ms)
			fp->last_ms = ms;
		return 0;
	}
	fp = calloc(1, sizeof(*fp));
	if (!fp)
		return PH_E_NOMEM;
	fp->domain = domain;
	fp->endpoint = strdup(endpoint);
	fp->path = strdup(path);
	fp->cls = cls;
	fp->count = 1;
	fp->first_ms = fp->last_ms = ms;
	fp->hash = h;
	fp->example_at = at;
	fp->example = json_pack("{s:s, s:I, s:O?}", "source", source, "line", (json_int_t)at.line,
				"divergence", div);
	if (!fp->endpoint || !fp->path || !fp->example) {
		fp_free(fp);
		return PH_E_NOMEM;
	}
	s->fps[j] = fp;
	s->n_fps++;
	return 0;
}

int shadow_pos_cmp(const void *pa, const void *pb)
{
	const struct ph_shadow_pos *a = pa, *b = pb;

	if (a->file != b->file)
		return a->file < b->file ? -1 : 1;
	return a->line < b->line ? -1 : a->line > b->line;
}

int shadow_fp_merge(struct ph_shadow *s, struct ph_shadow *from)
{
	size_t i;

	for (i = 0; i < from->n_fp_slots; i++) {
		struct ph_shadow_fp *fp = from->fps[i], *have;
		size_t j;

		if (!fp)
			continue;
		from->fps[i] = NULL;
		if (fp_room(s)) {
			fp_free(fp);
			return PH_E_NOMEM;
		}
		j = fp_find(s, fp->hash, fp->domain, fp->endpoint, fp->cls, fp->path);
		have = s->fps[j];
		if (!have) {
			s->fps[j] = fp;
			s->n_fps++;
			continue;
		}
		have->count += fp->count;
		if (fp->first_ms < have->first_ms)
			have->first_ms = fp->first_ms;
		if (fp->last_ms > have->last_ms)
			have->last_ms = fp->last_ms;
		/* the example is the earliest occurrence, whichever part saw it */
		if (shadow_pos_cmp(&fp->example_at, &have->example_at) < 0) {
			json_t *t = have->example;

			have->example = fp->example;
			have->example_at = fp->example_at;
			fp->example = t;
		}
		fp_free(fp);
	}
	from->n_fps = 0;
	return 0;
}

void shadow_fp_free(struct ph_shadow *s)
{
	size_t i;

	for (i = 0; i < s->n_fp_slots; i++)
		if (s->fps[i])
			fp_free(s->fps[i]);
	free(s->fps);
	s->fps = NULL;
	s->n_fps = s->n_fp_slots = 0;
}

static int fp_cmp(const void *pa, const void *pb)
{
	const struct ph_shadow_fp *a = *(const struct ph_shadow_fp *const *)pa;
	const struct ph_shadow_fp *b = *(const struct ph_shadow_fp *const *)pb;
	int c;

	if (a->cls != b->cls)
		return a->cls == PH_ERROR ? 1 : b->cls == PH_ERROR ? -1 : (int)b->cls - (int)a->cls;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	if ((c = strcmp(a->domain, b->domain)))
		return c;
	if ((c = strcmp(a->endpoint, b->endpoint)))
		return c;
	return strcmp(a->path, b->path);
}

const struct ph_shadow_fp **ph_shadow_sorted(const struct ph_shadow *s, size_t *n)
{
	const struct ph_shadow_fp **v = malloc((s->n_fps + 1) * sizeof(*v));
	size_t i, k = 0;

	*n = 0;
	if (!v)
		return NULL;
	for (i = 0; i < s->n_fp_slots; i++)
		if (s->fps[i])
			v[k++] = s->fps[i];
	qsort(v, k, sizeof(*v), fp_cmp);
	*n = k;
	return v;
}
