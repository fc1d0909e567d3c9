/*
 * Arrays in the comparison engine (walk.h). Unordered arrays are multisets: members are
 * paired by sorting keys, "#<id>" for objects with an id and "=<canonical form>" for the
 * rest, never by scanning n x n. Ordered arrays are compared position by position, and
 * when the differing positions hold the same members on both sides the array is
 * reported as reordered. Both need a member's canonical form: its text with keys sorted,
 * ignored sub-paths left out and values normalised as the walk would compare them.
 */
#include "compare/walk.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/timestamp.h"

/* ---- canonical forms ---- */

/*
 * Canonical text of v at frame f: keys sorted, ignored sub-paths left out, numbers
 * normalised (1 and 1.0 alike), timestamps as instants at the rule's precision, and
 * scalars where values are not compared reduced to their type. Two values with the same
 * canonical text compare equal (tolerance aside).
 */
static void canon(struct walk *c, const struct walk_frame *f, const json_t *v,
		  struct ph_strbuf *out);

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void canon_child(struct walk *c, const struct walk_frame *f, const char *seg, size_t len,
			const json_t *v, struct ph_strbuf *out, int *ignored)
{
	struct walk_frame cf;

	*ignored = walk_enter(c, f, seg, len, &cf, 0);
	if (!*ignored)
		canon(c, &cf, v, out);
	walk_leave(c, &cf);
}

static void canon_string(const char *s, size_t n, struct ph_strbuf *out)
{
	size_t i;

	ph_strbuf_addc(out, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			ph_strbuf_addc(out, '\\');
		ph_strbuf_addc(out, s[i] ? s[i] : '\x01');
	}
	ph_strbuf_addc(out, '"');
}

static void canon(struct walk *c, const struct walk_frame *f, const json_t *v,
		  struct ph_strbuf *out)
{
	int values = !c->has_det || f->det;
	char buf[64];

	if (f->depth > PH_COMPARE_MAX_DEPTH) {
		ph_strbuf_addc(out, '!');
		return;
	}
	if (f->gen) {
		ph_strbuf_addn(out, walk_type_name(v), strlen(walk_type_name(v)));
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *stack_keys[32], **keys = stack_keys, *k;
		size_t n = json_object_size(v), i = 0;
		json_t *x;
		int ign;

		if (n > 32 && !(keys = malloc(n * sizeof(*keys)))) {
			c->oom = 1;
			return;
		}
		json_object_foreach((json_t *)v, k, x) keys[i++] = k;
		qsort(keys, n, sizeof(*keys), cmp_str);
		ph_strbuf_addc(out, '{');
		for (i = 0; i < n; i++) {
			size_t mark = out->len, kl = strlen(keys[i]);

			canon_string(keys[i], kl, out);
			ph_strbuf_addc(out, ':');
			canon_child(c, f, keys[i], kl, json_object_get(v, keys[i]), out, &ign);
			if (ign)
				out->len = mark;
			else
				ph_strbuf_addc(out, ',');
		}
		ph_strbuf_addc(out, '}');
		if (keys != stack_keys)
			free(keys);
		break;
	}
	case JSON_ARRAY: {
		size_t i, n = json_array_size(v);
		int ign;

		ph_strbuf_addc(out, '[');
		for (i = 0; i < n; i++) {
			size_t l = walk_utoa(i, buf);

			canon_child(c, f, buf, l, json_array_get(v, i), out, &ign);
			ph_strbuf_addc(out, ',');
		}
		ph_strbuf_addc(out, ']');
		break;
	}
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t l = json_string_length(v);
		long long ms;

		if (!values) {
			ph_strbuf_addc(out, 's');
		} else if (!ph_timestamp_instant(s, l, c->precision, &ms)) {
			snprintf(buf, sizeof(buf), "@%lld", ms);
			ph_strbuf_addn(out, buf, strlen(buf));
		} else {
			canon_string(s, l, out);
		}
		break;
	}
	case JSON_INTEGER:
	case JSON_REAL:
		if (!values) {
			ph_strbuf_addc(out, 'n');
			break;
		}
		if (json_is_integer(v)) {
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		} else {
			double d = json_real_value(v);

			if (d == floor(d) && d >= -9223372036854775808.0 &&
			    d < 9223372036854775808.0)
				snprintf(buf, sizeof(buf), "%lld", (long long)d);
			else
				snprintf(buf, sizeof(buf), "%.17g", d);
		}
		ph_strbuf_addn(out, buf, strlen(buf));
		break;
	case JSON_TRUE:
		ph_strbuf_addc(out, values ? 't' : 'b');
		break;
	case JSON_FALSE:
		ph_strbuf_addc(out, values ? 'f' : 'b');
		break;
	case JSON_NULL:
		ph_strbuf_addc(out, 'z');
		break;
	}
	if (out->oom)
		c->oom = 1;
}

/* ---- pairing members ---- */

/* A key for sorting: offset into a shared buffer, and the element's index. */
struct key {
	size_t off, len;
	size_t idx;
	const char *s;
};

static int cmp_key(const void *x, const void *y)
{
	const struct key *p = x, *q = y;
	size_t n = p->len < q->len ? p->len : q->len;
	int r = memcmp(p->s, q->s, n);

	if (r)
		return r;
	if (p->len != q->len)
		return p->len < q->len ? -1 : 1;
	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

/*
 * Key of element i of arr (under frame f): with by_id, "#<canonical id>" when it is an
 * object with an "id" whose path is not ignored; else "=<canonical form>".
 */
static void member_key(struct walk *c, const struct walk_frame *f, const json_t *arr, size_t i,
		       int by_id, struct ph_strbuf *buf, struct key *k)
{
	const json_t *v = json_array_get(arr, i), *id;
	struct walk_frame ef, idf;
	char ib[24];
	size_t l;

	k->off = buf->len;
	k->idx = i;
	l = walk_utoa(i, ib);
	if (!walk_enter(c, f, ib, l, &ef, 0)) {
		id = by_id && json_is_object(v) ? json_object_get(v, "id") : NULL;
		if (id) {
			int ign = walk_enter(c, &ef, "id", 2, &idf, 0);

			if (!ign) {
				/* pairing by id compares the ids as values wherever they sit */
				idf.det = 1;
				ph_strbuf_addc(buf, '#');
				canon(c, &idf, id, buf);
			}
			walk_leave(c, &idf);
			if (ign)
				id = NULL;
		}
		if (!id) {
			ph_strbuf_addc(buf, '=');
			canon(c, &ef, v, buf);
		}
	}
	walk_leave(c, &ef);
	k->len = buf->len - k->off;
}

static struct key *member_keys(struct walk *c, const struct walk_frame *f, const json_t *arr,
			       const size_t *which, size_t n, int by_id, struct ph_strbuf *buf)
{
	struct key *k = calloc(n ? n : 1, sizeof(*k));
	size_t i;

	if (!k) {
		c->oom = 1;
		return NULL;
	}
	for (i = 0; i < n; i++)
		member_key(c, f, arr, which ? which[i] : i, by_id, buf, &k[i]);
	if (buf->oom) {
		c->oom = 1;
		free(k);
		return NULL;
	}
	for (i = 0; i < n; i++)
		k[i].s = buf->p ? buf->p + k[i].off : "";
	qsort(k, n, sizeof(*k), cmp_key);
	return k;
}

static int key_eq(const struct key *p, const struct key *q)
{
	return p->len == q->len && !memcmp(p->s, q->s, p->len);
}

/* ---- arrays ---- */

static void add_length(struct walk *c, size_t na, size_t nb)
{
	json_t *ja = json_integer((json_int_t)na), *jb = json_integer((json_int_t)nb);

	walk_add(c, PH_SEMANTIC, "length", ja, jb, "length %zu -> %zu", na, nb);
	json_decref(ja);
	json_decref(jb);
}

void walk_array_unordered(struct walk *c, const struct walk_frame *f, const json_t *a,
			  const json_t *b)
{
	size_t na = json_array_size(a), nb = json_array_size(b), i = 0, j = 0;
	struct ph_strbuf ba = {0}, bb = {0};
	struct key *ka = member_keys(c, f, a, NULL, na, 1, &ba);
	struct key *kb = member_keys(c, f, b, NULL, nb, 1, &bb);
	size_t *pair = malloc((na ? na : 1) * sizeof(*pair));
	unsigned char *used = calloc(nb ? nb : 1, 1);

	if (!ka || !kb || !pair || !used) {
		c->oom = 1;
		goto out;
	}
	for (i = 0; i < na; i++)
		pair[i] = SIZE_MAX;
	i = 0;
	while (i < na && j < nb) {
		int r = cmp_key(&ka[i], &kb[j]);

		if (key_eq(&ka[i], &kb[j])) {
			pair[ka[i].idx] = kb[j].idx;
			used[kb[j].idx] = 1;
			i++;
			j++;
		} else if (r < 0) {
			i++;
		} else {
			j++;
		}
	}
	if (na != nb)
		add_length(c, na, nb);
	for (i = 0; i < na; i++)
		walk_child_index(c, f, i, json_array_get(a, i),
				 pair[i] == SIZE_MAX ? NULL : json_array_get(b, pair[i]), 1);
	for (j = 0; j < nb; j++)
		if (!used[j])
			walk_child_index(c, f, j, NULL, json_array_get(b, j), 1);
out:
	free(ka);
	free(kb);
	free(ba.p);
	free(bb.p);
	free(pair);
	free(used);
}

/*
 * Ordered arrays: elementwise over the common prefix. When elements differ but the
 * differing positions hold the same members on both sides, the array is reordered:
 * one "order" divergence replaces the per-element ones.
 */
void walk_array_ordered(struct walk *c, const struct walk_frame *f, const json_t *a,
			const json_t *b)
{
	size_t na = json_array_size(a), nb = json_array_size(b), n = na < nb ? na : nb, i;
	size_t mark = c->res->count, *diff = NULL, nd = 0, capd = 0;

	if (na != nb)
		add_length(c, na, nb);
	for (i = 0; i < n && !c->oom; i++) {
		size_t before = c->res->count;

		walk_child_index(c, f, i, json_array_get(a, i), json_array_get(b, i), 0);
		if (c->res->count != before && na == nb) {
			if (nd == capd) {
				size_t *nw;

				capd = capd ? capd * 2 : 16;
				nw = realloc(diff, capd * sizeof(*nw));
				if (!nw) {
					c->oom = 1;
					break;
				}
				diff = nw;
			}
			diff[nd++] = i;
		}
	}
	if (nd >= 2 && !c->oom) {
		struct ph_strbuf ba = {0}, bb = {0};
		struct key *ka = member_keys(c, f, a, diff, nd, 0, &ba);
		struct key *kb = member_keys(c, f, b, diff, nd, 0, &bb);
		int same = ka && kb;

		for (i = 0; same && i < nd; i++)
			same = key_eq(&ka[i], &kb[i]);
		if (same) {
			walk_truncate(c, mark);
			walk_add(c, PH_SEMANTIC, "order", a, b,
				 "same members in another order (%zu positions differ)", nd);
		}
		free(ka);
		free(kb);
		free(ba.p);
		free(bb.p);
	}
	free(diff);
}
