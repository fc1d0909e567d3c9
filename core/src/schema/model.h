/*
 * The schema model, the JSON document extraction builds (extract.c, load.c) and the diff
 * reads (diff.c), and how its keys are spelled. Internal to core/src/schema; schema.h says
 * what it models.
 *
 *   {source, tables: {<lower-case name>: table}, migrations: [version...] | null,
 *    notes: [{table?, message}]}
 *
 * A table is {type: "table", name, columns: {<name>: {name, type, notnull, default, pk,
 * hidden}}, order: [column...], pk: [column...], options?, indexes: {<name or
 * "unique(cols)">: {name, unique, columns, partial}}, foreign_keys: {"(from)->t(to)":
 * {on_update, on_delete}}, triggers: {<name>: normalised SQL}}; a view {type: "view",
 * name, sql, triggers}; a virtual table {type: "virtual", name, module, definition,
 * module_loaded, shadow: [table...], triggers}.
 */
#ifndef PARITY_SCHEMA_MODEL_H
#define PARITY_SCHEMA_MODEL_H

#include <jansson.h>

#include "parity/strbuf.h"

/* Append a note (how something was compared) to the model's "notes"; table may be NULL. */
void ph_schema_add_note(json_t *model, const char *table, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A JSON array sorted with cmp (new reference; elements shared), NULL when out of memory. */
json_t *ph_schema_sorted_array(const json_t *arr, int (*cmp)(const void *, const void *));

/* A lower-case copy of s (NULL reads as ""), as every name key is; NULL when out of memory. */
char *ph_schema_lower(const char *s);

/* Append the strings of JSON array arr (borrowed) separated by ",", a non-string as "". */
void ph_schema_join(struct ph_strbuf *s, const json_t *arr);

#endif
