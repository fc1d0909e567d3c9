/*
 * Normalisation of what the pipeline domain compares (normalize.h): the canned-LLM log as
 * distinct requests keyed by endpoint, generated memory ids as stable labels, JSON text
 * columns parsed, history rows by event.
 */
#include "normalize.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

json_t *ph_pipeline_egress_parse(const char *text, size_t len, size_t *malformed)
{
	json_t *out = json_array(), *seen = json_object();
	size_t pos = 0;

	*malformed = 0;
	if (!out || !seen) {
		json_decref(out);
		json_decref(seen);
		return NULL;
	}
	while (pos < len) {
		const char *line = text + pos, *nl = memchr(line, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - line) : len - pos;
		json_t *doc, *method, *endpoint, *request, *entry;
		char key[512], *canon;

		pos += n + (nl ? 1 : 0);
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' '))
			n--;
		if (!n)
			continue;
		doc = json_loadb(line, n, 0, NULL);
		method = json_object_get(doc, "method");
		endpoint = json_object_get(doc, "endpoint");
		if (!json_is_object(doc) || !json_is_string(method) || !json_is_string(endpoint)) {
			(*malformed)++;
			json_decref(doc);
			continue;
		}
		if (!strcmp(json_string_value(method), "GET")) {
			json_decref(doc);
			continue;
		}
		snprintf(key, sizeof(key), "%s %s", json_string_value(method),
			 json_string_value(endpoint));
		request = json_object_get(doc, "request");
		entry = json_object();
		json_object_set(entry, key, request ? request : json_null());
		canon = json_dumps(entry, JSON_COMPACT | JSON_SORT_KEYS);
		if (canon && !json_object_get(seen, canon)) {
			json_object_set_new(seen, canon, json_true());
			json_array_append(out, entry);
		}
		free(canon);
		json_decref(entry);
		json_decref(doc);
	}
	json_decref(seen);
	return out;
}

struct created {
	const char *id;
	const char *content;
	json_int_t seq;
};

static int by_content(const void *x, const void *y)
{
	const struct created *a = x, *b = y;
	int c = strcmp(a->content, b->content);

	if (c)
		return c;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static int quoted_in(const char *sql, const char *id)
{
	size_t n = strlen(id);

	for (const char *p = sql ? strstr(sql, id) : NULL; p; p = strstr(p + 1, id))
		if (p > sql && p[-1] == '\'' && p[n] == '\'')
			return 1;
	return 0;
}

json_t *ph_pipeline_idmap_build(const json_t *rows, json_int_t base_seq, const char *seed_sql)
{
	json_t *map = json_object();
	struct created *v = calloc(json_array_size(rows) + 1, sizeof(*v));
	const json_t *r;
	size_t i, n = 0;

	if (!map || !v) {
		free(v);
		return map;
	}
	json_array_foreach(rows, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *content = json_string_value(json_object_get(r, "content"));
		json_int_t seq = json_integer_value(json_object_get(r, "seq"));

		if (!id || seq <= base_seq || quoted_in(seed_sql, id))
			continue;
		v[n].id = id;
		v[n].content = content ? content : "";
		v[n].seq = seq;
		n++;
	}
	qsort(v, n, sizeof(*v), by_content);
	for (i = 0; i < n; i++) {
		char label[32];

		snprintf(label, sizeof(label), "new-%zu", i + 1);
		json_object_set_new(map, v[i].id, json_string(label));
	}
	free(v);
	return map;
}

/* s with every key of map replaced by its label; a new string, or NULL when unchanged. */
static char *replace_all(const char *s, const json_t *map)
{
	char *cur = NULL;
	const char *key;
	json_t *label;

	json_object_foreach((json_t *)map, key, label)
	{
		const char *src = cur ? cur : s, *p, *to = json_string_value(label);
		size_t kl = strlen(key), tl = strlen(to), hits = 0, len;
		char *out, *o;

		if (!kl)
			continue;
		for (p = strstr(src, key); p; p = strstr(p + kl, key))
			hits++;
		if (!hits)
			continue;
		len = strlen(src) + hits * tl - hits * kl;
		out = malloc(len + 1);
		if (!out)
			break;
		o = out;
		for (p = src;;) {
			const char *hit = strstr(p, key);

			if (!hit) {
				strcpy(o, p);
				break;
			}
			memcpy(o, p, (size_t)(hit - p));
			o += hit - p;
			memcpy(o, to, tl);
			o += tl;
			p = hit + kl;
		}
		free(cur);
		cur = out;
	}
	return cur;
}

void ph_pipeline_remap(json_t **doc, const json_t *map)
{
	const char *key;
	json_t *child;
	size_t i;

	if (!*doc || !json_object_size(map))
		return;
	if (json_is_string(*doc)) {
		char *s = replace_all(json_string_value(*doc), map);

		if (s) {
			json_t *n = json_string(s);

			if (n) {
				json_decref(*doc);
				*doc = n;
			}
			free(s);
		}
	} else if (json_is_object(*doc)) {
		json_object_foreach(*doc, key, child)
		{
			json_t *c = json_incref(child);

			ph_pipeline_remap(&c, map);
			json_object_set_new(*doc, key, c);
		}
	} else if (json_is_array(*doc)) {
		json_array_foreach(*doc, i, child)
		{
			json_t *c = json_incref(child);

			ph_pipeline_remap(&c, map);
			json_array_set_new(*doc, i, c);
		}
	}
}

void ph_pipeline_parse_fields(json_t *rows, const char *const *fields)
{
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r)
	{
		for (const char *const *f = fields; *f; f++) {
			json_t *v = json_object_get(r, *f), *parsed;

			if (!json_is_string(v))
				continue;
			parsed = json_loads(json_string_value(v), JSON_DECODE_ANY, NULL);
			if (parsed)
				json_object_set_new(r, *f, parsed);
		}
	}
}

json_t *ph_pipeline_select_event(const json_t *rows, const char *event, const char *drop)
{
	json_t *out = json_array();
	const json_t *r;
	size_t i;

	json_array_foreach(rows, i, r)
	{
		const char *e = json_string_value(json_object_get(r, "event"));
		json_t *copy;

		if (!e || strcmp(e, event))
			continue;
		copy = json_deep_copy(r);
		if (drop)
			json_object_del(copy, drop);
		json_array_append_new(out, copy);
	}
	return out;
}

const char *ph_pipeline_event_of(const char *kind)
{
	static const char *const map[][2] = {
		{"add", "created"}, {"update", "updated"}, {"delete", "deleted"}, {"none", "none"}};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(kind, map[i][0]))
			return map[i][1];
	return NULL;
}
