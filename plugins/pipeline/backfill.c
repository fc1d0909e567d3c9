/*
 * The jobs one runtime's remembers queued and the other's did not (backfill.h): a
 * multiset difference keyed by memory label and job type, and the reverse lookup of a
 * label to the id a runtime gave it.
 */
#include <stdio.h>
#include <string.h>

#include "backfill.h"

/* "<memory_id>\x1f<job_type>": the key two queued jobs are matched by. */
static void job_key(const json_t *job, char *out, size_t n)
{
	const char *m = json_string_value(json_object_get(job, "memory_id"));
	const char *t = json_string_value(json_object_get(job, "job_type"));

	snprintf(out, n, "%s\x1f%s", m ? m : "", t ? t : "");
}

json_t *ph_pipeline_jobs_missing(const json_t *have, const json_t *lack)
{
	json_t *count = json_object(), *out = json_array(), *job;
	size_t i;

	if (!count || !out) {
		json_decref(count);
		json_decref(out);
		return NULL;
	}
	json_array_foreach(lack, i, job)
	{
		char key[512];

		job_key(job, key, sizeof(key));
		json_object_set_new(count, key,
				    json_integer(json_integer_value(json_object_get(count, key)) + 1));
	}
	json_array_foreach(have, i, job)
	{
		char key[512];
		json_int_t left;

		job_key(job, key, sizeof(key));
		left = json_integer_value(json_object_get(count, key));
		if (left > 0)
			json_object_set_new(count, key, json_integer(left - 1));
		else
			json_array_append_new(out, json_integer((json_int_t)i));
	}
	json_decref(count);
	return out;
}

const char *ph_pipeline_label_id(const json_t *labels, const char *label)
{
	const char *id;
	json_t *v;

	if (!label)
		return NULL;
	json_object_foreach((json_t *)labels, id, v)
	{
		if (json_is_string(v) && !strcmp(json_string_value(v), label))
			return id;
	}
	return NULL;
}
