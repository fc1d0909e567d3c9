/*
 * Divergences a plugin adds itself (parity/result.h). The items array grows by one per
 * call: a row has a handful of divergences, never enough to make doubling worth it.
 */
#include "parity/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ph_result_add(struct ph_result *res, enum ph_class cls, const char *kind, const char *path,
		  json_t *a, json_t *b, const char *message)
{
	struct ph_divergence *items = realloc(res->items, (res->count + 1) * sizeof(*items));
	struct ph_divergence *d;

	if (!items) {
		json_decref(a);
		json_decref(b);
		return PH_E_NOMEM;
	}
	res->items = items;
	d = &items[res->count];
	d->path = strdup(path ? path : "");
	d->message = strdup(message ? message : "");
	if (!d->path || !d->message) { /* no half-built divergence is counted */
		free(d->path);
		free(d->message);
		json_decref(a);
		json_decref(b);
		return PH_E_NOMEM;
	}
	d->cls = cls;
	d->kind = kind;
	d->a = a;
	d->b = b;
	res->count++;
	if (cls > res->verdict && cls != PH_EXPECTATION)
		res->verdict = cls;
	return 0;
}

int ph_result_addf(struct ph_result *res, enum ph_class cls, const char *kind, const char *path,
		   json_t *a, json_t *b, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return ph_result_add(res, cls, kind, path, a, b, msg);
}

void ph_result_drop(struct ph_result *res, int (*drop)(void *ctx, const struct ph_divergence *d),
		    void *ctx)
{
	size_t i, j = 0;

	res->verdict = PH_PARITY;
	for (i = 0; i < res->count; i++) {
		struct ph_divergence *d = &res->items[i];

		if (drop(ctx, d)) {
			free(d->path);
			free(d->message);
			json_decref(d->a);
			json_decref(d->b);
			continue;
		}
		if (d->cls > res->verdict && d->cls != PH_EXPECTATION)
			res->verdict = d->cls;
		res->items[j++] = *d;
	}
	res->count = j;
}

void ph_result_clear(struct ph_result *res)
{
	for (size_t i = 0; i < res->count; i++) {
		free(res->items[i].path);
		free(res->items[i].message);
		json_decref(res->items[i].a);
		json_decref(res->items[i].b);
	}
	free(res->items);
	res->items = NULL;
	res->count = 0;
	res->verdict = PH_PARITY;
}
