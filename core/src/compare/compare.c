/*
 * The comparison engine (DESIGN.md "Comparison"): walks two JSON documents side by side
 * under one resolved rule and lists where they differ, each difference classed
 * structural (shape), semantic (values) or timing (latency). The walk keeps the current
 * dot path in one reusable buffer and, per node, only the patterns whose leading
 * segments still match, so a pattern is never re-matched from the root; unordered arrays
 * are paired by sorting keys (ids or canonical forms), never by scanning n x n.
 * Nesting is bounded by PH_COMPARE_MAX_DEPTH, so a hostile document cannot exhaust the
 * stack. Pattern hit counts are kept in the rules for ph_rules_unmatched.
 */
#include "compare/compare.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small growable buffer ---- */

struct sbuf {
	char *p;
	size_t len, cap;
	int oom;
};

static int sb_reserve(struct sbuf *s, size_t more)
{
	if (s->oom)
		return -1;
	if (s->len + more + 1 > s->cap) {
		size_t ncap = s->cap ? s->cap * 2 : 256;
		char *np;

		while (ncap < s->len + more + 1)
			ncap *= 2;
		np = realloc(s->p, ncap);
		if (!np) {
			s->oom = 1;
			return -1;
		}
		s->p = np;
		s->cap = ncap;
	}
	return 0;
}

static void sb_put(struct sbuf *s, const char *d, size_t n)
{
	if (sb_reserve(s, n))
		return;
	memcpy(s->p + s->len, d, n);
	s->len += n;
	s->p[s->len] = '\0';
}

static void sb_putc(struct sbuf *s, char ch)
{
	if (sb_reserve(s, 1))
		return;
	s->p[s->len++] = ch;
	s->p[s->len] = '\0';
}

/* Unsigned decimal into buf (at least 21 bytes); returns the length. */
static size_t utoa(size_t v, char *buf)
{
	char tmp[24];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return n;
}

/* ---- timestamps ---- */

static int num(const char *s, size_t n, int *out)
{
	int v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

int ph_timestamp_parse(const char *s, size_t len, long long *ms)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
	size_t p;

	if (len < 10 || s[4] != '-' || s[7] != '-' || num(s, 4, &y) || num(s + 5, 2, &mo) ||
	    num(s + 8, 2, &d))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -1;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -1;
	p = 10;
	if (len > 10) {
		if (len < 19 || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
		    s[16] != ':' || num(s + 11, 2, &h) || num(s + 14, 2, &mi) ||
		    num(s + 17, 2, &sec))
			return -1;
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		p = 19;
		if (p < len && (s[p] == '.' || s[p] == ',')) {
			size_t start = ++p;
			int scale = 100;

			while (p < len && s[p] >= '0' && s[p] <= '9') {
				if (scale) {
					frac += (s[p] - '0') * scale;
					scale /= 10;
				}
				p++;
			}
			if (p == start || p - start > 9)
				return -1;
		}
		if (p < len && (s[p] == 'Z' || s[p] == 'z')) {
			p++;
		} else if (p < len && (s[p] == '+' || s[p] == '-')) {
			int oh, om = 0, sign = s[p] == '-' ? -1 : 1;

			if (len - p == 6 && s[p + 3] == ':') {
				if (num(s + p + 1, 2, &oh) || num(s + p + 4, 2, &om))
					return -1;
			} else if (len - p == 5) {
				if (num(s + p + 1, 2, &oh) || num(s + p + 3, 2, &om))
					return -1;
			} else if (len - p == 3) {
				if (num(s + p + 1, 2, &oh))
					return -1;
			} else {
				return -1;
			}
			if (oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 60 + om);
			p = len;
		}
	}
	if (p != len)
		return -1;
	*ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL + h * 3600LL + mi * 60LL +
		sec - off * 60LL) *
	       1000LL) +
	      frac;
	return 0;
}

static long long floordiv(long long a, long long b)
{
	long long q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static long long ts_truncate(long long ms, enum ph_ts_precision p)
{
	switch (p) {
	case PH_TS_MILLISECOND:
		return ms;
	case PH_TS_MINUTE:
		return floordiv(ms, 60000);
	case PH_TS_SECOND:
		break;
	}
	return floordiv(ms, 1000);
}

/* Cheap test before the parser: "dddd-dd-dd..." */
static int looks_like_ts(const char *s, size_t len)
{
	return len >= 10 && s[4] == '-' && s[0] >= '0' && s[0] <= '9' && s[7] == '-';
}

/* ---- the walk ---- */

struct ctx {
	struct ph_pattern *ign;
	size_t n_ign;
	struct ph_pattern *det;
	size_t n_det;
	int has_det;
	struct ph_pattern *gen;
	size_t n_gen;
	const struct ph_tolerance *tol;
	size_t n_tol;
	enum ph_ordering ordering;
	enum ph_ts_precision precision;
	struct ph_result *res;
	size_t cap;
	struct sbuf path;
	unsigned *act; /* stack of active pattern indices: ignore, then det (+ n_ign), then
			* generated (+ n_ign + n_det) */
	size_t act_len, act_cap;
	int count_hits;
	int oom;
};

/* The patterns alive at a node: act[lo..hi) */
struct frame {
	size_t depth; /* segments in the path */
	size_t lo, hi;
	int det;    /* values are compared here */
	int gen;    /* a generated value: only its type is compared */
	double tol; /* tolerance bound, < 0 when none */
};

static struct ph_pattern *pat(struct ctx *c, unsigned idx)
{
	if (idx < c->n_ign)
		return &c->ign[idx];
	if (idx < c->n_ign + c->n_det)
		return &c->det[idx - c->n_ign];
	return &c->gen[idx - c->n_ign - c->n_det];
}

static int act_push(struct ctx *c, unsigned idx)
{
	if (c->act_len == c->act_cap) {
		size_t ncap = c->act_cap ? c->act_cap * 2 : 64;
		unsigned *n = realloc(c->act, ncap * sizeof(*n));

		if (!n) {
			c->oom = 1;
			return -1;
		}
		c->act = n;
		c->act_cap = ncap;
	}
	c->act[c->act_len++] = idx;
	return 0;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

/* JSON type with integer and real as one ("number") and true/false as one. */
static int type_class(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL:
		return JSON_REAL;
	case JSON_TRUE:
	case JSON_FALSE:
		return JSON_TRUE;
	default:
		return (int)json_typeof(v);
	}
}

/* A short rendering for messages (at most ~60 characters). */
static void brief(const json_t *v, char *buf, size_t size)
{
	char *s;

	if (!v) {
		snprintf(buf, size, "(absent)");
		return;
	}
	if (json_is_object(v)) {
		snprintf(buf, size, "object (%zu keys)", json_object_size(v));
		return;
	}
	if (json_is_array(v)) {
		snprintf(buf, size, "array (%zu items)", json_array_size(v));
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!s) {
		snprintf(buf, size, "?");
		return;
	}
	if (strlen(s) > 60)
		snprintf(buf, size, "%.57s...", s);
	else
		snprintf(buf, size, "%s", s);
	free(s);
}

/* Append a divergence at the current path; a and b are borrowed (a reference is taken). */
static void add(struct ctx *c, enum ph_class cls, const char *kind, const json_t *a,
		const json_t *b, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void add(struct ctx *c, enum ph_class cls, const char *kind, const json_t *a,
		const json_t *b, const char *fmt, ...)
{
	struct ph_result *r = c->res;
	struct ph_divergence *d;
	char msg[512];
	va_list ap;

	if (c->oom)
		return;
	if (r->count == c->cap) {
		size_t ncap = c->cap ? c->cap * 2 : 8;
		struct ph_divergence *n = realloc(r->items, ncap * sizeof(*n));

		if (!n) {
			c->oom = 1;
			return;
		}
		r->items = n;
		c->cap = ncap;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	d = &r->items[r->count];
	d->cls = cls;
	d->kind = kind;
	d->path = strndup(c->path.p ? c->path.p : "", c->path.len);
	d->message = strdup(msg);
	if (!d->path || !d->message) {
		free(d->path);
		free(d->message);
		c->oom = 1;
		return;
	}
	d->a = json_incref((json_t *)a);
	d->b = json_incref((json_t *)b);
	r->count++;
}

static void add_value(struct ctx *c, const json_t *a, const json_t *b)
{
	char ba[96], bb[96];

	brief(a, ba, sizeof(ba));
	brief(b, bb, sizeof(bb));
	add(c, PH_SEMANTIC, "value", a, b, "value %s -> %s", ba, bb);
}

static void divergence_clear(struct ph_divergence *d)
{
	free(d->path);
	free(d->message);
	json_decref(d->a);
	json_decref(d->b);
}

static void truncate_result(struct ctx *c, size_t count)
{
	while (c->res->count > count)
		divergence_clear(&c->res->items[--c->res->count]);
}

/* Numbers compare numerically; 64-bit integers exactly, never through a double. */
static int num_equal(const json_t *a, const json_t *b, double tol)
{
	if (tol >= 0) {
		double d = fabs(json_number_value(a) - json_number_value(b));

		/* a relative slack absorbs binary rounding: 0.9 - 0.85 is 0.05000000000000004 */
		return d <= tol + 1e-9 * (tol > 1 ? tol : 1);
	}
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_real(a) && json_is_real(b))
		return json_real_value(a) == json_real_value(b);
	{
		const json_t *i = json_is_integer(a) ? a : b, *r = json_is_integer(a) ? b : a;
		double rv = json_real_value(r);

		if (rv != floor(rv) || rv < -9223372036854775808.0 || rv >= 9223372036854775808.0)
			return 0;
		return (json_int_t)rv == json_integer_value(i);
	}
}

static int str_equal(struct ctx *c, const json_t *a, const json_t *b)
{
	const char *sa = json_string_value(a), *sb = json_string_value(b);
	size_t la = json_string_length(a), lb = json_string_length(b);
	long long ta, tb;

	if (la == lb && !memcmp(sa, sb, la))
		return 1;
	if (looks_like_ts(sa, la) && looks_like_ts(sb, lb) && !ph_timestamp_parse(sa, la, &ta) &&
	    !ph_timestamp_parse(sb, lb, &tb))
		return ts_truncate(ta, c->precision) == ts_truncate(tb, c->precision);
	return 0;
}

/*
 * Enter a child: append seg to the path and work out which patterns are still alive,
 * which matched here (ignored? deterministic?), and the tolerance bound beneath.
 * Returns 1 when the child is ignored. The caller restores path and act afterwards.
 */
static int enter(struct ctx *c, const struct frame *f, const char *seg, size_t len,
		 struct frame *cf, int count)
{
	size_t k, i;
	int ignored = 0;

	if (f->depth)
		sb_putc(&c->path, '.');
	sb_put(&c->path, seg, len);
	if (c->path.oom)
		c->oom = 1;
	cf->depth = f->depth + 1;
	cf->det = f->det;
	cf->gen = 0;
	cf->tol = f->tol;
	cf->lo = c->act_len;
	for (k = f->lo; k < f->hi; k++) {
		unsigned idx = c->act[k];
		struct ph_pattern *p = pat(c, idx);
		size_t d = f->depth;

		if (p->seg_len[d] == 1 && p->segs[d][0] == '*')
			; /* matches any one segment */
		else if (p->seg_len[d] != len || memcmp(p->segs[d], seg, len))
			continue;
		if (p->n_segs == d + 1) {
			if (count)
				ph_pattern_hit(p);
			if (idx < c->n_ign)
				ignored = 1;
			else if (idx < c->n_ign + c->n_det)
				cf->det = 1;
			else
				cf->gen = 1;
		} else {
			act_push(c, idx);
		}
	}
	cf->hi = c->act_len;
	for (i = 0; i < c->n_tol; i++)
		if (strlen(c->tol[i].key) == len && !memcmp(c->tol[i].key, seg, len))
			cf->tol = c->tol[i].bound;
	return ignored;
}

static void walk(struct ctx *c, const struct frame *f, const json_t *a, const json_t *b);

/* One child pair; a or b NULL when absent on that side. member: unordered-array member. */
static void child(struct ctx *c, const struct frame *f, const char *seg, size_t len,
		  const json_t *a, const json_t *b, int member)
{
	size_t plen = c->path.len, alen = c->act_len;
	struct frame cf;

	if (!enter(c, f, seg, len, &cf, c->count_hits)) {
		char bv[96];

		if (a && b) {
			walk(c, &cf, a, b);
		} else if (a) {
			brief(a, bv, sizeof(bv));
			if (member)
				add(c, PH_SEMANTIC, "member", a, NULL,
				    "member %s only on reference", bv);
			else
				add(c, PH_STRUCTURAL, "missing", a, NULL,
				    "missing on candidate (reference has %s)", bv);
		} else if (b) {
			brief(b, bv, sizeof(bv));
			if (member)
				add(c, PH_SEMANTIC, "member", NULL, b,
				    "member %s only on candidate", bv);
			else
				add(c, PH_STRUCTURAL, "extra", NULL, b,
				    "extra on candidate (candidate has %s)", bv);
		}
	}
	c->path.len = plen;
	if (c->path.p)
		c->path.p[plen] = '\0';
	c->act_len = alen;
}

static void child_index(struct ctx *c, const struct frame *f, size_t i, const json_t *a,
			const json_t *b, int member)
{
	char buf[24];
	size_t n = utoa(i, buf);

	child(c, f, buf, n, a, b, member);
}

/* ---- canonical forms (pairing unordered members, detecting reordering) ---- */

/*
 * Canonical text of v at frame f: keys sorted, ignored sub-paths left out, numbers
 * normalised (1 and 1.0 alike), timestamps as instants at the rule's precision, and
 * scalars where values are not compared reduced to their type. Two values with the same
 * canonical text compare equal (tolerance aside).
 */
static void canon(struct ctx *c, const struct frame *f, const json_t *v, struct sbuf *out);

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void canon_child(struct ctx *c, const struct frame *f, const char *seg, size_t len,
			const json_t *v, struct sbuf *out, int *ignored)
{
	size_t plen = c->path.len, alen = c->act_len;
	struct frame cf;

	*ignored = enter(c, f, seg, len, &cf, 0);
	if (!*ignored)
		canon(c, &cf, v, out);
	c->path.len = plen;
	if (c->path.p)
		c->path.p[plen] = '\0';
	c->act_len = alen;
}

static void canon_string(const char *s, size_t n, struct sbuf *out)
{
	size_t i;

	sb_putc(out, '"');
	for (i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			sb_putc(out, '\\');
		sb_putc(out, s[i] ? s[i] : '\x01');
	}
	sb_putc(out, '"');
}

static void canon(struct ctx *c, const struct frame *f, const json_t *v, struct sbuf *out)
{
	int values = !c->has_det || f->det;
	char buf[64];

	if (f->depth > PH_COMPARE_MAX_DEPTH) {
		sb_putc(out, '!');
		return;
	}
	if (f->gen) {
		sb_put(out, type_name(v), strlen(type_name(v)));
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
		sb_putc(out, '{');
		for (i = 0; i < n; i++) {
			size_t mark = out->len, kl = strlen(keys[i]);

			canon_string(keys[i], kl, out);
			sb_putc(out, ':');
			canon_child(c, f, keys[i], kl, json_object_get(v, keys[i]), out, &ign);
			if (ign)
				out->len = mark;
			else
				sb_putc(out, ',');
		}
		sb_putc(out, '}');
		if (keys != stack_keys)
			free(keys);
		break;
	}
	case JSON_ARRAY: {
		size_t i, n = json_array_size(v);
		int ign;

		sb_putc(out, '[');
		for (i = 0; i < n; i++) {
			size_t l = utoa(i, buf);

			canon_child(c, f, buf, l, json_array_get(v, i), out, &ign);
			sb_putc(out, ',');
		}
		sb_putc(out, ']');
		break;
	}
	case JSON_STRING: {
		const char *s = json_string_value(v);
		size_t l = json_string_length(v);
		long long ms;

		if (!values) {
			sb_putc(out, 's');
		} else if (looks_like_ts(s, l) && !ph_timestamp_parse(s, l, &ms)) {
			snprintf(buf, sizeof(buf), "@%lld", ts_truncate(ms, c->precision));
			sb_put(out, buf, strlen(buf));
		} else {
			canon_string(s, l, out);
		}
		break;
	}
	case JSON_INTEGER:
	case JSON_REAL:
		if (!values) {
			sb_putc(out, 'n');
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
		sb_put(out, buf, strlen(buf));
		break;
	case JSON_TRUE:
		sb_putc(out, values ? 't' : 'b');
		break;
	case JSON_FALSE:
		sb_putc(out, values ? 'f' : 'b');
		break;
	case JSON_NULL:
		sb_putc(out, 'z');
		break;
	}
	if (out->oom)
		c->oom = 1;
}

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
static void member_key(struct ctx *c, const struct frame *f, const json_t *arr, size_t i, int by_id,
		       struct sbuf *buf, struct key *k)
{
	const json_t *v = json_array_get(arr, i), *id;
	size_t plen = c->path.len, alen = c->act_len, l;
	char ib[24];
	struct frame ef, idf;

	k->off = buf->len;
	k->idx = i;
	l = utoa(i, ib);
	if (!enter(c, f, ib, l, &ef, 0)) {
		id = by_id && json_is_object(v) ? json_object_get(v, "id") : NULL;
		if (id) {
			size_t plen2 = c->path.len, alen2 = c->act_len;
			int ign = enter(c, &ef, "id", 2, &idf, 0);

			if (!ign) {
				/* pairing by id compares the ids as values wherever they sit */
				idf.det = 1;
				sb_putc(buf, '#');
				canon(c, &idf, id, buf);
			}
			c->path.len = plen2;
			c->path.p[plen2] = '\0';
			c->act_len = alen2;
			if (ign)
				id = NULL;
		}
		if (!id) {
			sb_putc(buf, '=');
			canon(c, &ef, v, buf);
		}
	}
	c->path.len = plen;
	if (c->path.p)
		c->path.p[plen] = '\0';
	c->act_len = alen;
	k->len = buf->len - k->off;
}

static struct key *member_keys(struct ctx *c, const struct frame *f, const json_t *arr,
			       const size_t *which, size_t n, int by_id, struct sbuf *buf)
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

static void add_length(struct ctx *c, size_t na, size_t nb)
{
	json_t *ja = json_integer((json_int_t)na), *jb = json_integer((json_int_t)nb);

	add(c, PH_SEMANTIC, "length", ja, jb, "length %zu -> %zu", na, nb);
	json_decref(ja);
	json_decref(jb);
}

static void array_unordered(struct ctx *c, const struct frame *f, const json_t *a, const json_t *b)
{
	size_t na = json_array_size(a), nb = json_array_size(b), i = 0, j = 0;
	struct sbuf ba = {0}, bb = {0};
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
		child_index(c, f, i, json_array_get(a, i),
			    pair[i] == SIZE_MAX ? NULL : json_array_get(b, pair[i]), 1);
	for (j = 0; j < nb; j++)
		if (!used[j])
			child_index(c, f, j, NULL, json_array_get(b, j), 1);
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
static void array_ordered(struct ctx *c, const struct frame *f, const json_t *a, const json_t *b)
{
	size_t na = json_array_size(a), nb = json_array_size(b), n = na < nb ? na : nb, i;
	size_t mark = c->res->count, *diff = NULL, nd = 0, capd = 0;

	if (na != nb)
		add_length(c, na, nb);
	for (i = 0; i < n && !c->oom; i++) {
		size_t before = c->res->count;

		child_index(c, f, i, json_array_get(a, i), json_array_get(b, i), 0);
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
		struct sbuf ba = {0}, bb = {0};
		struct key *ka = member_keys(c, f, a, diff, nd, 0, &ba);
		struct key *kb = member_keys(c, f, b, diff, nd, 0, &bb);
		int same = ka && kb;

		for (i = 0; same && i < nd; i++)
			same = key_eq(&ka[i], &kb[i]);
		if (same) {
			truncate_result(c, mark);
			add(c, PH_SEMANTIC, "order", a, b,
			    "same members in another order (%zu positions differ)", nd);
		}
		free(ka);
		free(kb);
		free(ba.p);
		free(bb.p);
	}
	free(diff);
}

static void walk(struct ctx *c, const struct frame *f, const json_t *a, const json_t *b)
{
	int values = !c->has_det || f->det;

	if (c->oom)
		return;
	if (f->depth > PH_COMPARE_MAX_DEPTH) {
		add(c, PH_ERROR, "depth", NULL, NULL, "nesting deeper than %d levels: not compared",
		    PH_COMPARE_MAX_DEPTH);
		return;
	}
	if (type_class(a) != type_class(b)) {
		add(c, PH_STRUCTURAL, "type", a, b, "type %s -> %s", type_name(a), type_name(b));
		return;
	}
	if (f->gen) /* generated by each runtime: the type is all there is to compare */
		return;
	switch (json_typeof(a)) {
	case JSON_OBJECT: {
		const char *k;
		json_t *v;

		json_object_foreach((json_t *)a, k, v)
		    child(c, f, k, strlen(k), v, json_object_get(b, k), 0);
		json_object_foreach((json_t *)b, k, v) if (!json_object_get(a, k))
		    child(c, f, k, strlen(k), NULL, v, 0);
		break;
	}
	case JSON_ARRAY:
		if (c->ordering == PH_UNORDERED)
			array_unordered(c, f, a, b);
		else
			array_ordered(c, f, a, b);
		break;
	case JSON_STRING:
		if (values && !str_equal(c, a, b))
			add_value(c, a, b);
		break;
	case JSON_INTEGER:
	case JSON_REAL:
		if (values && !num_equal(a, b, f->tol))
			add_value(c, a, b);
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		if (values && json_typeof(a) != json_typeof(b))
			add_value(c, a, b);
		break;
	case JSON_NULL:
		break;
	}
}

static void ctx_init(struct ctx *c, const struct ph_rule *rule, struct ph_result *out)
{
	memset(c, 0, sizeof(*c));
	/* hit counts live in the rules; the rule itself is otherwise only read */
	c->ign = rule->ignore;
	c->n_ign = rule->n_ignore;
	c->det = rule->deterministic;
	c->n_det = rule->n_deterministic;
	c->has_det = rule->has_deterministic;
	c->gen = rule->generated;
	c->n_gen = rule->n_generated;
	c->tol = rule->tolerance;
	c->n_tol = rule->n_tolerance;
	c->ordering = rule->ordering;
	c->precision = rule->precision;
	c->res = out;
	c->count_hits = 1;
}

static void ctx_release(struct ctx *c)
{
	free(c->path.p);
	free(c->act);
}

/* Compare two parsed documents from the root. */
static void walk_root(struct ctx *c, const json_t *a, const json_t *b)
{
	struct frame f = {0, 0, 0, 0, 0, -1.0};
	size_t i;

	sb_put(&c->path, "", 0);
	for (i = 0; i < c->n_ign + c->n_det + c->n_gen; i++) {
		struct ph_pattern *p = pat(c, (unsigned)i);

		if (p->n_segs)
			act_push(c, (unsigned)i);
	}
	f.hi = c->act_len;
	walk(c, &f, a, b);
}

static void set_verdict(struct ph_result *r)
{
	size_t i;

	r->verdict = PH_PARITY;
	for (i = 0; i < r->count; i++)
		if (r->items[i].cls > r->verdict)
			r->verdict = r->items[i].cls;
}

int ph_compare_json_rule(const struct ph_rule *rule, const json_t *a, const json_t *b,
			 struct ph_result *out, struct ph_err *err)
{
	struct ctx c;

	memset(out, 0, sizeof(*out));
	if (!rule || !a || !b)
		return ph_error(err, PH_E_INVALID, "compare: missing rule or document");
	out->rule = strdup(rule->key ? rule->key : "default");
	if (!out->rule)
		return ph_error(err, PH_E_NOMEM, "out of memory comparing documents");
	((struct ph_rule *)rule)->uses++; /* usage statistics live in the rules */
	ctx_init(&c, rule, out);
	walk_root(&c, a, b);
	ctx_release(&c);
	if (c.oom) {
		ph_result_release(out);
		return ph_error(err, PH_E_NOMEM, "out of memory comparing documents");
	}
	set_verdict(out);
	return 0;
}

/* A body as a JSON string; bytes that are not UTF-8 become '?'. New reference. */
/* Bodies quoted in a divergence are cut to this many bytes: a report is not a dump. */
#define BODY_EXCERPT 4096

/*
 * A body as a JSON string for a divergence: at most BODY_EXCERPT bytes (cut at a UTF-8
 * boundary, then "... (N bytes in all)"), bytes that are not UTF-8 shown as '?'.
 */
static json_t *body_string(const char *body, size_t len)
{
	static const char more[] = " ... (%zu bytes in all)";
	size_t n = len, i;
	json_t *s = NULL;
	char *copy;

	if (!body)
		return json_string("");
	if (n > BODY_EXCERPT) {
		n = BODY_EXCERPT;
		while (n > 0 && ((unsigned char)body[n] & 0xC0) == 0x80)
			n--;
	}
	copy = malloc(n + sizeof(more) + 24);
	if (!copy)
		return NULL;
	memcpy(copy, body, n);
	copy[n] = '\0';
	if (n < len)
		snprintf(copy + n, sizeof(more) + 24, more, len);
	s = json_stringn(copy, n + strlen(copy + n));
	if (!s) {
		for (i = 0; i < n; i++)
			if ((unsigned char)copy[i] >= 0x80 || !copy[i])
				copy[i] = '?';
		s = json_string(copy);
	}
	free(copy);
	return s;
}

static void compare_bytes(struct ctx *c, const struct ph_response *a, const struct ph_response *b)
{
	size_t la = a->body ? a->body_len : 0, lb = b->body ? b->body_len : 0;
	json_t *ja, *jb;

	if (la == lb && (!la || !memcmp(a->body, b->body, la)))
		return;
	ja = body_string(a->body, la);
	jb = body_string(b->body, lb);
	add(c, PH_SEMANTIC, "body", ja, jb, "bodies differ (%zu -> %zu bytes)", la, lb);
	json_decref(ja);
	json_decref(jb);
}

static json_t *parse_body(const struct ph_response *r, char *why, size_t size)
{
	json_error_t je;
	json_t *v;

	if (!r->body || !r->body_len) {
		snprintf(why, size, "empty body");
		return NULL;
	}
	v = json_loadb(r->body, r->body_len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
	if (!v)
		snprintf(why, size, "line %d, column %d: %s", je.line, je.column, je.text);
	return v;
}

static void compare_bodies(struct ctx *c, const struct ph_response *a, const struct ph_response *b)
{
	char wa[256] = "", wb[256] = "";
	json_t *ja, *jb, *sa, *sb;

	if ((!a->body || !a->body_len) && (!b->body || !b->body_len))
		return;
	ja = parse_body(a, wa, sizeof(wa));
	jb = parse_body(b, wb, sizeof(wb));
	if (ja && jb) {
		walk_root(c, ja, jb);
	} else if (ja || jb) {
		/* the JSON side is kept as a value unless it is too large to quote */
		sa = ja && a->body_len <= BODY_EXCERPT ? json_incref(ja) :
						    body_string(a->body, a->body ? a->body_len : 0);
		sb = jb && b->body_len <= BODY_EXCERPT ? json_incref(jb) :
						    body_string(b->body, b->body ? b->body_len : 0);
		if (ja)
			add(c, PH_STRUCTURAL, "not-json", sa, sb,
			    "reference body is JSON, candidate body is not (%s)", wb);
		else
			add(c, PH_STRUCTURAL, "not-json", sa, sb,
			    "candidate body is JSON, reference body is not (%s)", wa);
		json_decref(sa);
		json_decref(sb);
	} else {
		compare_bytes(c, a, b);
	}
	json_decref(ja);
	json_decref(jb);
}

int ph_compare_responses(struct ph_rules *rules, const char *endpoint, const struct ph_response *a,
			 const struct ph_response *b, const struct ph_timing *timing,
			 struct ph_result *out, struct ph_err *err)
{
	const struct ph_rule *rule;
	struct ctx c;
	int is_error;

	memset(out, 0, sizeof(*out));
	if (!rules || !a || !b)
		return ph_error(err, PH_E_INVALID, "compare: missing rules or response");
	rule = ph_rules_lookup_endpoint(rules, endpoint);
	out->rule = strdup(rule->key ? rule->key : "default");
	if (!out->rule)
		return ph_error(err, PH_E_NOMEM, "out of memory comparing responses");
	((struct ph_rule *)rule)->uses++; /* usage statistics live in the rules */
	ctx_init(&c, rule, out);
	if (a->error || b->error) {
		add(&c, PH_ERROR, "transport", NULL, NULL, "%s%s%s%s%s",
		    a->error ? "reference: " : "", a->error ? a->error : "",
		    a->error && b->error ? "; " : "", b->error ? "candidate: " : "",
		    b->error ? b->error : "");
		goto done;
	}
	if (rules->status_must_match && a->status != b->status) {
		json_t *sa = json_integer(a->status), *sb = json_integer(b->status);

		add(&c, PH_STRUCTURAL, "status", sa, sb, "status %ld -> %ld", a->status, b->status);
		json_decref(sa);
		json_decref(sb);
	}
	is_error = a->status >= 400 || b->status >= 400;
	if (is_error) {
		rules->error_uses++;
		/* error bodies: errorComparison's ignores, values compared everywhere else */
		c.ign = rules->error_ignore;
		c.n_ign = rules->n_error_ignore;
		c.det = NULL;
		c.n_det = 0;
		c.has_det = 0;
	}
	if (!is_error || rules->compare_error_body) {
		if (rule->mode == PH_MODE_BYTES)
			compare_bytes(&c, a, b);
		else
			compare_bodies(&c, a, b);
	}
	if (timing && a->latency_ms >= 0 && b->latency_ms >= 0) {
		if (ph_timing_diverges(timing, a->latency_ms, b->latency_ms)) {
			json_t *la = json_real(a->latency_ms), *lb = json_real(b->latency_ms);

			add(&c, PH_TIMING, "latency", la, lb, "latency %.1f ms -> %.1f ms",
			    a->latency_ms, b->latency_ms);
			json_decref(la);
			json_decref(lb);
		}
	}
done:
	ctx_release(&c);
	if (c.oom) {
		ph_result_release(out);
		return ph_error(err, PH_E_NOMEM, "out of memory comparing responses");
	}
	set_verdict(out);
	return 0;
}

/* ---- results ---- */

json_t *ph_result_divergences_json(const struct ph_result *res)
{
	json_t *arr = json_array();
	size_t i;

	if (!arr)
		return NULL;
	for (i = 0; res && i < res->count; i++) {
		const struct ph_divergence *d = &res->items[i];
		json_t *o =
		    json_pack("{s:s, s:s, s:s, s:O?, s:O?, s:s}", "class", ph_class_name(d->cls),
			      "kind", d->kind ? d->kind : "", "path", d->path ? d->path : "", "a",
			      d->a, "b", d->b, "message", d->message ? d->message : "");

		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

json_t *ph_result_to_json(const struct ph_result *res, const char *endpoint)
{
	json_t *div = ph_result_divergences_json(res);

	if (!div)
		return NULL;
	return json_pack("{s:s?, s:s, s:s, s:o}", "endpoint", endpoint, "rule",
			 res && res->rule ? res->rule : "default", "verdict",
			 ph_class_name(res ? res->verdict : PH_PARITY), "divergences", div);
}

void ph_result_release(struct ph_result *res)
{
	size_t i;

	if (!res)
		return;
	for (i = 0; i < res->count; i++)
		divergence_clear(&res->items[i]);
	free(res->items);
	free(res->rule);
	memset(res, 0, sizeof(*res));
}

void ph_response_release(struct ph_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	free(resp->content_type);
	json_decref(resp->headers);
	free(resp->error);
	memset(resp, 0, sizeof(*resp));
	resp->latency_ms = -1;
}

int ph_class_parse(const char *name)
{
	static const enum ph_class all[] = {PH_PARITY, PH_TIMING, PH_SEMANTIC, PH_STRUCTURAL,
					    PH_ERROR};
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(name, ph_class_name(all[i])))
			return (int)all[i];
	return -1;
}
