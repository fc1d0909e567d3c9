/*
 * Endpoints of shadow log lines: the domain and the grouping template of "METHOD path"
 * (domain/endpoint_map.h), remembered in a bounded direct-mapped cache, since a log repeats a
 * few hundred endpoints millions of times and matching routes is the costly part.
 */
#include "shadow/shadow_int.h"

#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 4096
#define ENDPOINT_MAX 1024

/* One remembered endpoint: the raw "METHOD path" and what the map made of it. */
struct cache_entry {
	char *key;
	const char *domain;
	char *tmpl;
};

struct ph_endpoint_cache {
	struct cache_entry slots[CACHE_SLOTS];
};

int shadow_endpoint(struct ph_shadow *s, const char *method, size_t mlen, const char *path,
		    const char **domain, const char **tmpl)
{
	char key[ENDPOINT_MAX], m[32], tbuf[ENDPOINT_MAX];
	size_t plen = strcspn(path, "?"), klen;
	unsigned long h;
	struct cache_entry *e;

	if (!s->cache) {
		s->cache = calloc(1, sizeof(*s->cache));
		if (!s->cache)
			return PH_E_NOMEM;
	}
	if (mlen >= sizeof(m))
		mlen = sizeof(m) - 1;
	memcpy(m, method, mlen);
	m[mlen] = '\0';
	if (mlen + 1 + plen >= sizeof(key))
		plen = sizeof(key) - mlen - 2;
	memcpy(key, m, mlen);
	key[mlen] = ' ';
	memcpy(key + mlen + 1, path, plen);
	klen = mlen + 1 + plen;
	key[klen] = '\0';
	h = shadow_hash_str(SHADOW_HASH_SEED, key);
	e = &s->cache->slots[h & (CACHE_SLOTS - 1)];
	if (!e->key || strcmp(e->key, key)) {
		char *k = strdup(key), *t;

		key[klen] = '\0';
		ph_domain_map_template(s->map, m, key + mlen + 1, tbuf, sizeof(tbuf));
		t = strdup(tbuf);
		if (!k || !t) {
			free(k);
			free(t);
			return PH_E_NOMEM;
		}
		free(e->key);
		free(e->tmpl);
		e->key = k;
		e->tmpl = t;
		e->domain = ph_domain_map_domain(s->map, m, key + mlen + 1);
	}
	*domain = e->domain;
	*tmpl = e->tmpl;
	return 0;
}

void shadow_endpoints_free(struct ph_shadow *s)
{
	size_t i;

	if (!s->cache)
		return;
	for (i = 0; i < CACHE_SLOTS; i++) {
		free(s->cache->slots[i].key);
		free(s->cache->slots[i].tmpl);
	}
	free(s->cache);
	s->cache = NULL;
}
