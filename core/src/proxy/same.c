/*
 * Instance values as canonical names (same.h): a pair is one name in both sides' tables.
 */
#include "proxy/same.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

int ph_same_init(struct ph_same *m)
{
	memset(m, 0, sizeof(*m));
	m->side[0] = ph_canon_new();
	m->side[1] = ph_canon_new();
	if (m->side[0] && m->side[1])
		return 0;
	ph_same_release(m);
	return -1;
}

void ph_same_release(struct ph_same *m)
{
	ph_canon_free(m->side[0]);
	ph_canon_free(m->side[1]);
	memset(m, 0, sizeof(*m));
}

static int digits(const char *s)
{
	return *s && strspn(s, "0123456789") == strlen(s);
}

/* Name the pair {same:N} (ports: {port}) on both sides. */
static int add_pair(struct ph_same *m, const char *primary, const char *shadow, const char *name)
{
	enum ph_canon_match how = digits(primary) && digits(shadow) ? PH_CANON_NUMBER
								    : PH_CANON_SUBSTRING;
	char own[32];
	struct ph_err err;

	if (!strcmp(primary, shadow))
		return 0;
	if (!name) {
		snprintf(own, sizeof(own), "{same:%zu}", m->n);
		name = own;
	}
	if (ph_canon_add(m->side[0], primary, name, how, &err) ||
	    ph_canon_add(m->side[1], shadow, name, how, &err))
		return -1;
	m->n++;
	return 0;
}

int ph_same_add_spec(struct ph_same *m, const char *spec)
{
	const char *eq = strchr(spec, '=');
	char *p;
	int rc;

	if (!eq || eq == spec || !eq[1] || !(p = strndup(spec, (size_t)(eq - spec))))
		return -1;
	rc = add_pair(m, p, eq + 1, NULL);
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
	char a[8], b[8];

	/* a port of fewer than 3 digits cannot be told from other numbers: left as it is */
	if (!port_of(primary_url, a, sizeof(a)) || !port_of(shadow_url, b, sizeof(b)) ||
	    strlen(a) < 3 || strlen(b) < 3)
		return 0;
	return add_pair(m, a, b, "{port}");
}

int ph_same_body(const struct ph_same *m, int side, const char *body, size_t len, char **out,
		 size_t *out_len)
{
	json_t *doc, *named;

	*out = NULL;
	if (!m->n || !body || !len || !(doc = json_loadb(body, len, JSON_DECODE_ANY, NULL)))
		return 0;
	named = ph_canon_json(m->side[side], doc);
	if (named && !json_equal(named, doc))
		*out = json_dumps(named, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(named);
	json_decref(doc);
	if (!*out)
		return 0;
	*out_len = strlen(*out);
	return 1;
}
