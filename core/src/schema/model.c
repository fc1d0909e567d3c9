/*
 * What extraction and comparison share about the schema model (model.h): the notes a
 * model carries to the report, and the sorting both sides apply so that a model and a
 * differences array do not depend on the order SQLite or a hash table listed things in.
 */
#include "schema/model.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void ph_schema_add_note(json_t *model, const char *table, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(json_object_get(model, "notes"),
			      json_pack("{s:s?,s:s}", "table", table, "message", msg));
}

json_t *ph_schema_sorted_array(const json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr), i;
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *out;

	if (!v)
		return NULL;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), cmp);
	out = json_array();
	for (i = 0; out && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}
