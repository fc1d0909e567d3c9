/*
 * The paired ids of the two sides (ids.h): two jansson objects as hash maps, one per
 * direction, and a ring of the primary ids in the order they came, to forget the oldest.
 */
#include "proxy/ids.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "parity/strbuf.h"

struct ph_id_map {
	pthread_mutex_t lock;
	json_t *to_shadow;            /* primary id -> shadow id */
	json_t *to_primary;           /* shadow id -> primary id */
	char **ring;                  /* primary ids, oldest at head */
	size_t cap, head, n;
};

struct ph_id_map *ph_id_map_new(size_t cap)
{
	struct ph_id_map *m = calloc(1, sizeof(*m));

	if (!m || !cap)
		goto fail;
	m->cap = cap;
	m->ring = calloc(cap, sizeof(char *));
	m->to_shadow = json_object();
	m->to_primary = json_object();
	if (!m->ring || !m->to_shadow || !m->to_primary)
		goto fail;
	pthread_mutex_init(&m->lock, NULL);
	return m;
fail:
	if (m) {
		free(m->ring);
		json_decref(m->to_shadow);
		json_decref(m->to_primary);
		free(m);
	}
	return NULL;
}

void ph_id_map_free(struct ph_id_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->ring[(m->head + i) % m->cap]);
	free(m->ring);
	json_decref(m->to_shadow);
	json_decref(m->to_primary);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void ph_id_map_add(struct ph_id_map *m, const char *primary, const char *shadow)
{
	char *keep;

	if (!m || !primary || !shadow || !*primary || !*shadow || !strcmp(primary, shadow))
		return;
	pthread_mutex_lock(&m->lock);
	if (json_object_get(m->to_shadow, primary) || !(keep = strdup(primary))) {
		pthread_mutex_unlock(&m->lock);
		return;
	}
	if (m->n == m->cap) { /* forget the oldest pair */
		char *old = m->ring[m->head];
		const char *s = json_string_value(json_object_get(m->to_shadow, old));

		if (s)
			json_object_del(m->to_primary, s);
		json_object_del(m->to_shadow, old);
		free(old);
		m->head = (m->head + 1) % m->cap;
		m->n--;
	}
	m->ring[(m->head + m->n++) % m->cap] = keep;
	json_object_set_new(m->to_shadow, primary, json_string(shadow));
	json_object_set_new(m->to_primary, shadow, json_string(primary));
	pthread_mutex_unlock(&m->lock);
}

size_t ph_id_map_size(struct ph_id_map *m)
{
	size_t n;

	pthread_mutex_lock(&m->lock);
	n = m->n;
	pthread_mutex_unlock(&m->lock);
	return n;
}

char *ph_id_map_uri_to_shadow(struct ph_id_map *m, const char *uri)
{
	struct ph_strbuf b = {0};
	size_t plen = strcspn(uri, "?");
	const char *p = uri;
	int changed = 0;

	pthread_mutex_lock(&m->lock);
	while (p < uri + plen) {
		size_t n = strcspn(p, "/?");
		char seg[512];
		const char *to = NULL;

		if (n > (size_t)(uri + plen - p))
			n = (size_t)(uri + plen - p);
		if (n && n < sizeof(seg)) {
			memcpy(seg, p, n);
			seg[n] = '\0';
			to = json_string_value(json_object_get(m->to_shadow, seg));
		}
		if (to) {
			ph_strbuf_add(&b, to);
			changed = 1;
		} else {
			ph_strbuf_addn(&b, p, n);
		}
		p += n;
		if (p < uri + plen) /* the '/' */
			ph_strbuf_addc(&b, *p++);
	}
	pthread_mutex_unlock(&m->lock);
	ph_strbuf_add(&b, uri + plen);
	if (!changed) {
		ph_strbuf_release(&b);
		return NULL;
	}
	return ph_strbuf_take(&b);
}

/* Replace the paired strings in v, in place; how many were replaced. */
static size_t swap_values(json_t *v, const json_t *pairs)
{
	const char *k;
	json_t *x, *to;
	size_t i, n = 0;

	if (json_is_string(v)) {
		to = json_object_get(pairs, json_string_value(v));
		if (to) {
			json_string_set(v, json_string_value(to));
			return 1;
		}
		return 0;
	}
	if (json_is_object(v))
		json_object_foreach(v, k, x) n += swap_values(x, pairs);
	else if (json_is_array(v))
		json_array_foreach(v, i, x) n += swap_values(x, pairs);
	return n;
}

int ph_id_map_body(struct ph_id_map *m, int to_shadow, const char *body, size_t len, char **out,
		   size_t *out_len)
{
	json_t *doc;
	size_t n;

	*out = NULL;
	if (!body || !len || !(doc = json_loadb(body, len, JSON_DECODE_ANY, NULL)))
		return 0;
	pthread_mutex_lock(&m->lock);
	n = json_object_size(m->to_shadow) ? swap_values(doc, to_shadow ? m->to_shadow
									   : m->to_primary)
					   : 0;
	pthread_mutex_unlock(&m->lock);
	if (n)
		*out = json_dumps(doc, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!*out)
		return 0;
	*out_len = strlen(*out);
	return 1;
}
