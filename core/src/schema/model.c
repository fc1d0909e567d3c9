/*
 * What extraction and comparison share about the schema model (model.h): the notes a
 * model carries to the report, the sorting both sides apply so that a model and a
 * differences array do not depend on the order SQLite or a hash table listed things in,
 * and the lower-case names and joined column lists its keys are made of.
 */
#include "schema/model.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

char *ph_schema_lower(const char *s)
{
	char *d = strdup(s ? s : "");
	char *q;

	if (d)
		for (q = d; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	return d;
}

void ph_schema_join(struct ph_strbuf *s, const json_t *arr)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		const char *v = json_string_value(json_array_get(arr, i));

		if (i)
			ph_strbuf_addc(s, ',');
		ph_strbuf_add(s, v ? v : "");
	}
}
