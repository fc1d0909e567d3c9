/*
 * What the pipeline domain compares, made comparable: the canned-LLM request log turned
 * into the list of distinct requests a runtime sent (egress), memory ids the runtimes
 * generate replaced by stable labels, JSON text columns parsed, history rows picked by
 * event. Pure functions over jansson values, so they are unit tested without runtimes
 * (tests/pipeline).
 */
#ifndef PH_PIPELINE_NORMALIZE_H
#define PH_PIPELINE_NORMALIZE_H

#include <stddef.h>
#include <jansson.h>

/*
 * The egress of a canned-LLM log (JSON lines {method, endpoint, request, ...}; len bytes
 * of text): a new array with one object {"<METHOD> <endpoint>": request} per distinct
 * request, in the order first sent. GET requests (model lists, health probes) are left
 * out; a request sent again (a retry) is listed once, since attempts are compared with
 * the jobs. Keying by the endpoint makes another endpoint a missing and an extra key,
 * and another request shape (messages instead of prompt) a key difference: both
 * structural; another prompt is a value difference: semantic. *malformed counts lines
 * that are not such objects (skipped). Returns NULL only when out of memory.
 */
json_t *ph_pipeline_egress_parse(const char *text, size_t len, size_t *malformed);

/*
 * Stable labels for the memories a runtime created: of rows (an array of {seq, id,
 * content, ...} memory rows), those with seq > base_seq whose id does not appear quoted
 * ('id') in seed_sql, sorted by content then seq, map to "new-1", "new-2", ... A new
 * object id -> label.
 */
json_t *ph_pipeline_idmap_build(const json_t *rows, json_int_t base_seq, const char *seed_sql);

/*
 * Replace, in place, every occurrence of a key of map inside every string beneath *doc
 * (object values, array elements, or *doc itself) by its label. Object keys are left.
 */
void ph_pipeline_remap(json_t **doc, const json_t *map);

/*
 * In each object of rows, replace the string value of every field named in fields
 * (NULL-terminated) by the JSON it holds, when it parses; other values stay.
 */
void ph_pipeline_parse_fields(json_t *rows, const char *const *fields);

/* A new array of the objects of rows whose "event" equals event, without key drop. */
json_t *ph_pipeline_select_event(const json_t *rows, const char *event, const char *drop);

/* The history event a decision kind writes: add created, update updated, ...; NULL if none. */
const char *ph_pipeline_event_of(const char *kind);

#endif
