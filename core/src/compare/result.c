/*
 * Results of the comparison engine: divergences recorded as the walk finds them
 * (walk.h), the verdict (the worst class present), the fixed JSON of `parity compare
 * --format json` ({endpoint, rule, verdict, divergences}), and releasing results and
 * responses.
 */
#include "compare/walk.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- recording divergences ---- */

void walk_add(struct walk *c, enum ph_class cls, const char *kind, const json_t *a,
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

void walk_add_value(struct walk *c, const json_t *a, const json_t *b)
{
	char ba[96], bb[96];

	walk_brief(a, ba, sizeof(ba));
	walk_brief(b, bb, sizeof(bb));
	walk_add(c, PH_SEMANTIC, "value", a, b, "value %s -> %s", ba, bb);
}

static void divergence_clear(struct ph_divergence *d)
{
	free(d->path);
	free(d->message);
	json_decref(d->a);
	json_decref(d->b);
}

void walk_truncate(struct walk *c, size_t count)
{
	while (c->res->count > count)
		divergence_clear(&c->res->items[--c->res->count]);
}

void walk_verdict(struct ph_result *r)
{
	size_t i;

	r->verdict = PH_PARITY;
	for (i = 0; i < r->count; i++)
		if (r->items[i].cls > r->verdict && r->items[i].cls != PH_EXPECTATION)
			r->verdict = r->items[i].cls;
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
	static const enum ph_class all[] = {PH_PARITY,	   PH_TIMING, PH_SEMANTIC,
					    PH_STRUCTURAL, PH_ERROR,  PH_EXPECTATION};
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strcmp(name, ph_class_name(all[i])))
			return (int)all[i];
	return -1;
}
