/*
 * The jobs one runtime's remembers queued and the other's did not, found so the harness
 * can seed them there (pipeline.c remember_scenario): the Rust daemon never queues
 * extraction from remember, so without them the extraction of remembered memories would
 * never be compared. Pure functions over jansson values, unit tested without runtimes
 * (plugins/pipeline/tests).
 */
#ifndef PH_PIPELINE_BACKFILL_H
#define PH_PIPELINE_BACKFILL_H

#include <jansson.h>

/*
 * Of have (an array of queued jobs {memory_id, job_type, ...}, memory ids as labels), the
 * jobs lack has no counterpart for: matched by memory_id and job_type, as multisets, the
 * earlier jobs of a pair being the matched ones. A new array of the indices into have, in
 * have's order; NULL only when out of memory.
 */
json_t *ph_pipeline_jobs_missing(const json_t *have, const json_t *lack);

/*
 * The id that labels (an object id -> label) maps to label, borrowed from labels; NULL
 * when none does.
 */
const char *ph_pipeline_label_id(const json_t *labels, const char *label);

#endif
