/*
 * Instance values said the primary's way (same.h): substrings of JSON strings, and whole
 * integers, of the shadow's answer.
 */
#include "proxy/same.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parity/strbuf.h"

int ph_same_add(struct ph_same *m, const char *primary, const char *shadow, int number)
{
	char **p, **s;
	int *k;

	if (!primary || !shadow || !*primary || !*shadow || !strcmp(primary, shadow))
		return 0;
	p = realloc(m->primary, (m->n + 1) * sizeof(char *));
	if (p)
		m->primary = p;
	s = realloc(m->shadow, (m->n + 1) * sizeof(char *));
	if (s)
		m->shadow = s;
	k = realloc(m->number, (m->n + 1) * sizeof(int));
	if (k)
		m->number = k;
	if (!p || !s || !k || !(m->primary[m->n] = strdup(primary)))
		return -1;
	if (!(m->shadow[m->n] = strdup(shadow))) {
		free(m->primary[m->n]);
		return -1;
	}
	m->number[m->n++] = number;
	return 0;
}

static int digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

int ph_same_add_spec(struct ph_same *m, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char *p;
	int rc;

	if (!eq || eq == spec || !eq[1])
		return -1;
	if (!(p = strndup(spec, (size_t)(eq - spec))))
		return -1;
	rc = ph_same_add(m, p, eq + 1, 0);
	if (!rc && digits(p) && digits(eq + 1))
		rc = ph_same_add(m, p, eq + 1, 1);
	free(p);
	return rc;
}

/* The port of "http://host:port/..." into buf; 0 when it names none. */
static int port_of(const char *url, char *buf, size_t cap)
{
	const char *h = strstr(url, "://"), *colon, *end;
	size_t n;

	if (!h)
		return 0;
	h += 3;
	end = h + strcspn(h, "/");
	colon = memchr(h, ']', (size_t)(end - h)); /* [v6]:port */
	colon = memchr(colon ? colon : h, ':', (size_t)(end - (colon ? colon : h)));
	if (!colon || (n = (size_t)(end - colon - 1)) == 0 || n >= cap ||
	    strspn(colon + 1, "0123456789") < n)
		return 0;
	memcpy(buf, colon + 1, n);
	buf[n] = '\0';
	return 1;
}

int ph_same_add_ports(struct ph_same *m, const char *primary_url, const char *shadow_url)
{
	char a[8], b[8], ca[9], cb[9];

	if (!port_of(primary_url, a, sizeof(a)) || !port_of(shadow_url, b, sizeof(b)))
		return 0;
	snprintf(ca, sizeof(ca), ":%s", a);
	snprintf(cb, sizeof(cb), ":%s", b);
	return ph_same_add(m, a, b, 1) || ph_same_add(m, ca, cb, 0) ? -1 : 0;
}

void ph_same_release(struct ph_same *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->primary[i]);
		free(m->shadow[i]);
	}
	free(m->primary);
	free(m->shadow);
	free(m->number);
	memset(m, 0, sizeof(*m));
}

/* s with every shadow value replaced by the primary's, when any is there (new). */
static char *swap_text(const struct ph_same *m, const char *s)
{
	struct ph_strbuf b = {0};
	int changed = 0;

	while (*s) {
		size_t i, best = m->n, len = 0;

		for (i = 0; i < m->n; i++) {
			size_t n = strlen(m->shadow[i]);

			if (!m->number[i] && n > len && !strncmp(s, m->shadow[i], n))
				best = i, len = n; /* the longest value that starts here */
		}
		if (best < m->n) {
			ph_strbuf_add(&b, m->primary[best]);
			s += len;
			changed = 1;
		} else {
			ph_strbuf_addc(&b, *s++);
		}
	}
	if (!changed) {
		ph_strbuf_release(&b);
		return NULL;
	}
	return ph_strbuf_take(&b);
}

static size_t swap_values(const struct ph_same *m, json_t *v)
{
	const char *k;
	json_t *x;
	size_t i, n = 0;
	char *t;

	if (json_is_string(v)) {
		if (!(t = swap_text(m, json_string_value(v))))
			return 0;
		json_string_set(v, t);
		free(t);
		return 1;
	}
	if (json_is_integer(v)) {
		char num[32];

		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		for (i = 0; i < m->n; i++)
			if (m->number[i] && !strcmp(num, m->shadow[i])) {
				json_integer_set(v, (json_int_t)strtoll(m->primary[i], NULL, 10));
				return 1;
			}
		return 0;
	}
	if (json_is_object(v))
		json_object_foreach(v, k, x) n += swap_values(m, x);
	else if (json_is_array(v))
		json_array_foreach(v, i, x) n += swap_values(m, x);
	return n;
}

int ph_same_body(const struct ph_same *m, const char *body, size_t len, char **out,
		 size_t *out_len)
{
	json_t *doc;

	*out = NULL;
	if (!m->n || !body || !len || !(doc = json_loadb(body, len, JSON_DECODE_ANY, NULL)))
		return 0;
	if (swap_values(m, doc))
		*out = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(doc);
	if (!*out)
		return 0;
	*out_len = strlen(*out);
	return 1;
}
