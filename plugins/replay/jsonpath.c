/*
 * JSONPath as the replay corpus writes it: "$" then ".name", "['name']", "[n]" or "[*]"
 * (every element of an array, every member of an object). Selection walks the document
 * one segment at a time over the set of values reached so far; removal selects the
 * parents and drops the last segment from each.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

enum seg_kind { SEG_KEY, SEG_INDEX, SEG_ALL };

struct seg {
	enum seg_kind kind;
	char key[256];
	size_t index;
};

/* Read the segment at *p; 1 read, 0 at the end, -1 not of the subset. */
static int next_seg(const char **p, struct seg *s)
{
	const char *q = *p;
	size_t n;

	if (!*q)
		return 0;
	if (*q == '.') {
		q++;
		n = strcspn(q, ".[");
		if (!n || n >= sizeof(s->key))
			return -1;
		s->kind = SEG_KEY;
		memcpy(s->key, q, n);
		s->key[n] = '\0';
		*p = q + n;
		return 1;
	}
	if (*q != '[')
		return -1;
	q++;
	if (*q == '*' && q[1] == ']') {
		s->kind = SEG_ALL;
		*p = q + 2;
		return 1;
	}
	if (*q == '\'' || *q == '"') {
		const char *end = strchr(q + 1, *q);

		if (!end || end[1] != ']' || (size_t)(end - q - 1) >= sizeof(s->key))
			return -1;
		s->kind = SEG_KEY;
		memcpy(s->key, q + 1, (size_t)(end - q - 1));
		s->key[end - q - 1] = '\0';
		*p = end + 2;
		return 1;
	}
	if (!isdigit((unsigned char)*q))
		return -1;
	s->kind = SEG_INDEX;
	s->index = (size_t)strtoul(q, (char **)&q, 10);
	if (*q != ']')
		return -1;
	*p = q + 1;
	return 1;
}

/* The values seg reaches from v, appended to out. */
static void step(const json_t *v, const struct seg *s, json_t *out)
{
	const char *k;
	json_t *x;
	size_t i;

	switch (s->kind) {
	case SEG_KEY:
		if ((x = json_object_get(v, s->key)))
			json_array_append(out, x);
		break;
	case SEG_INDEX:
		if ((x = json_array_get(v, s->index)))
			json_array_append(out, x);
		break;
	case SEG_ALL:
		if (json_is_array(v))
			json_array_foreach(v, i, x) json_array_append(out, x);
		else if (json_is_object(v))
			json_object_foreach((json_t *)v, k, x) json_array_append(out, x);
		break;
	}
}

#define MAX_SEGS 32

/* Parse path into segs; the count, or -1 when it is not of the subset. */
static int parse(const char *path, struct seg segs[MAX_SEGS], int *multi)
{
	int n = 0, rc;

	if (multi)
		*multi = 0;
	if (!path || path[0] != '$')
		return -1;
	path++;
	while (n < MAX_SEGS && (rc = next_seg(&path, &segs[n])) == 1) {
		if (segs[n].kind == SEG_ALL && multi)
			*multi = 1;
		n++;
	}
	return *path ? -1 : n;
}

/* The values the first n of segs reach from doc (new array), or NULL when out of memory. */
static json_t *walk(const json_t *doc, const struct seg *segs, int n)
{
	json_t *cur = json_array(), *next, *v;
	size_t i;

	if (!cur || json_array_append(cur, (json_t *)doc)) {
		json_decref(cur);
		return NULL;
	}
	for (int k = 0; k < n; k++) {
		if (!(next = json_array())) {
			json_decref(cur);
			return NULL;
		}
		json_array_foreach(cur, i, v) step(v, &segs[k], next);
		json_decref(cur);
		cur = next;
	}
	return cur;
}

json_t *rp_path_select(const json_t *doc, const char *path, int *multi)
{
	struct seg segs[MAX_SEGS];
	int n = parse(path, segs, multi);

	return n < 0 ? NULL : walk(doc, segs, n);
}

void rp_path_remove(json_t *doc, const char *path)
{
	struct seg segs[MAX_SEGS];
	int n = parse(path, segs, NULL);
	json_t *parents, *p;
	size_t i;

	if (n < 1 || !(parents = walk(doc, segs, n - 1)))
		return;
	json_array_foreach(parents, i, p)
	{
		const struct seg *last = &segs[n - 1];

		if (last->kind == SEG_KEY)
			json_object_del(p, last->key);
		else if (last->kind == SEG_INDEX)
			json_array_remove(p, last->index);
		else if (json_is_array(p))
			json_array_clear(p);
		else if (json_is_object(p))
			json_object_clear(p);
	}
	json_decref(parents);
}

void rp_path_dotted(const char *path, char *buf, size_t cap)
{
	const char *p = path && *path == '$' ? path + 1 : path ? path : "";
	struct seg s;
	size_t len = 0;
	int rc;

	if (!cap)
		return;
	buf[0] = '\0';
	while ((rc = next_seg(&p, &s)) == 1 && len < cap) {
		int n;

		if (s.kind == SEG_KEY)
			n = snprintf(buf + len, cap - len, "%s%s", len ? "." : "", s.key);
		else if (s.kind == SEG_INDEX)
			n = snprintf(buf + len, cap - len, "%s%zu", len ? "." : "", s.index);
		else
			n = snprintf(buf + len, cap - len, "%s*", len ? "." : "");
		if (n < 0)
			break;
		len += (size_t)n;
	}
	if (rc < 0) /* not of the subset: keep it as written */
		snprintf(buf, cap, "%s", path ? path : "");
}
