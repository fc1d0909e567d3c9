/*
 * The canonicaliser (canon.h): a short table of run-specific values per side, longest
 * first, and the two rewrites the host applies before it compares anything: raw text,
 * and JSON documents (strings, keys and port- or pid-like integers).
 */
#include "compare/canon.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Deeper than this a subtree is shared, not rewritten (jansson parses at most 2048). */
#define CANON_MAX_DEPTH 4096

struct canon_entry {
	char *value;
	size_t len;
	char *name;
	size_t name_len;
	enum ph_canon_match how;
	long long number;            /* PH_CANON_NUMBER: the value as an integer */
};

struct ph_canon {
	struct canon_entry *items;   /* sorted by len, longest first */
	size_t n, cap;
	unsigned char first[256];    /* first[b]: some value starts with byte b */
};

struct ph_canon *ph_canon_new(void)
{
	return calloc(1, sizeof(struct ph_canon));
}

void ph_canon_free(struct ph_canon *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->items[i].value);
		free(c->items[i].name);
	}
	free(c->items);
	free(c);
}

size_t ph_canon_count(const struct ph_canon *c)
{
	return c ? c->n : 0;
}

static void index_first(struct ph_canon *c)
{
	memset(c->first, 0, sizeof(c->first));
	for (size_t i = 0; i < c->n; i++)
		c->first[(unsigned char)c->items[i].value[0]] = 1;
}

int ph_canon_add(struct ph_canon *c, const char *value, const char *name,
		 enum ph_canon_match how, struct ph_err *err)
{
	struct canon_entry e;
	size_t len = value ? strlen(value) : 0, at;

	if (len < 3)
		return ph_error(err, PH_E_INVALID,
				"canonical value for '%s' is too short to replace safely",
				name ? name : "?");
	if (how == PH_CANON_NUMBER && strspn(value, "0123456789") != len)
		return ph_error(err, PH_E_INVALID, "canonical number for '%s' is not digits: '%s'",
				name, value);
	for (size_t i = 0; i < c->n; i++)
		if (c->items[i].len == len && !memcmp(c->items[i].value, value, len))
			return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct canon_entry *items = realloc(c->items, cap * sizeof(*items));

		if (!items)
			return ph_error(err, PH_E_NOMEM, "out of memory");
		c->items = items;
		c->cap = cap;
	}
	e.value = strdup(value);
	e.name = strdup(name);
	if (!e.value || !e.name) {
		free(e.value);
		free(e.name);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	e.len = len;
	e.name_len = strlen(name);
	e.how = how;
	e.number = how == PH_CANON_NUMBER ? strtoll(value, NULL, 10) : 0;
	/* keep longest first; among equals, the older first */
	for (at = 0; at < c->n && c->items[at].len >= len; at++)
		;
	memmove(c->items + at + 1, c->items + at, (c->n - at) * sizeof(*c->items));
	c->items[at] = e;
	c->n++;
	index_first(c);
	return 0;
}

void ph_canon_filter(struct ph_canon *c, int (*keep)(const char *name, void *arg), void *arg)
{
	size_t j = 0;

	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		if (keep(c->items[i].name, arg)) {
			c->items[j++] = c->items[i];
		} else {
			free(c->items[i].value);
			free(c->items[i].name);
		}
	}
	c->n = j;
	index_first(c);
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* Does entry e match s at i (s of length len)? */
static int matches_at(const struct canon_entry *e, const char *s, size_t len, size_t i)
{
	if (len - i < e->len || memcmp(s + i, e->value, e->len))
		return 0;
	if (e->how == PH_CANON_SUBSTRING)
		return 1;
	if (i + e->len < len && is_digit(s[i + e->len]))
		return 0;
	if (i == 0)
		return e->len == len;
	return s[i - 1] == ':' || s[i - 1] == '/';
}

/* Append n bytes to the growing buffer *buf (capacity *cap, length *used). */
static int append(char **buf, size_t *used, size_t *cap, const char *p, size_t n)
{
	if (*used + n + 1 > *cap) {
		size_t want = *cap ? *cap : 64;
		char *nb;

		while (want < *used + n + 1)
			want *= 2;
		if (!(nb = realloc(*buf, want)))
			return -1;
		*buf = nb;
		*cap = want;
	}
	memcpy(*buf + *used, p, n);
	*used += n;
	(*buf)[*used] = '\0';
	return 0;
}

char *ph_canon_text(const struct ph_canon *c, const char *s, size_t len, size_t *out_len)
{
	char *buf = NULL;
	size_t used = 0, cap = 0, i = 0, plain = 0;

	if (append(&buf, &used, &cap, "", 0))
		return NULL;
	while (c && i < len) {
		const struct canon_entry *hit = NULL;

		if (c->first[(unsigned char)s[i]])
			for (size_t k = 0; k < c->n && !hit; k++)
				if (matches_at(&c->items[k], s, len, i))
					hit = &c->items[k];
		if (!hit) {
			i++;
			continue;
		}
		if (append(&buf, &used, &cap, s + plain, i - plain) ||
		    append(&buf, &used, &cap, hit->name, hit->name_len)) {
			free(buf);
			return NULL;
		}
		i += hit->len;
		plain = i;
	}
	if (append(&buf, &used, &cap, s + plain, len - plain)) {
		free(buf);
		return NULL;
	}
	if (out_len)
		*out_len = used;
	return buf;
}

static json_t *canon_string(const struct ph_canon *c, const char *s, size_t len)
{
	size_t n;
	char *t = ph_canon_text(c, s, len, &n);
	json_t *v;

	if (!t)
		return NULL;
	v = json_stringn(t, n);
	free(t);
	return v;
}

static json_t *canon_value(const struct ph_canon *c, json_t *v, int depth)
{
	json_t *out, *item;
	const char *key;
	size_t i;

	if (depth > CANON_MAX_DEPTH)
		return json_incref(v);
	switch (json_typeof(v)) {
	case JSON_STRING:
		return canon_string(c, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		for (i = 0; i < c->n; i++)
			if (c->items[i].how == PH_CANON_NUMBER &&
			    c->items[i].number == (long long)json_integer_value(v))
				return json_string(c->items[i].name);
		return json_incref(v);
	case JSON_ARRAY:
		if (!(out = json_array()))
			return NULL;
		json_array_foreach(v, i, item)
		{
			if (json_array_append_new(out, canon_value(c, item, depth + 1))) {
				json_decref(out);
				return NULL;
			}
		}
		return out;
	case JSON_OBJECT: {
		void *tmp;

		if (!(out = json_object()))
			return NULL;
		json_object_foreach_safe(v, tmp, key, item)
		{
			size_t klen = strlen(key), n;
			char *k = ph_canon_text(c, key, klen, &n);
			json_t *cv = k ? canon_value(c, item, depth + 1) : NULL;

			if (!k || !cv) {
				free(k);
				json_decref(cv);
				json_decref(out);
				return NULL;
			}
			if (json_object_get(out, k))
				json_decref(cv); /* two keys became one: the first stands */
			else
				json_object_set_new(out, k, cv);
			free(k);
		}
		return out;
	}
	default:
		return json_incref(v);
	}
}

json_t *ph_canon_json(const struct ph_canon *c, json_t *v)
{
	if (!v)
		return NULL;
	if (!c || !c->n)
		return json_incref(v);
	return canon_value(c, v, 0);
}
