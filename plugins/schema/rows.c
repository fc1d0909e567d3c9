/*
 * How the schema domain's checks build and record their matrix rows (checks.h): results
 * assembled here, one divergence at a time, and rows without latencies, since nothing
 * these checks observe is a timed request of the suite.
 */
#include <stdlib.h>
#include <string.h>

#include "checks.h"

const char *const schema_side_names[2] = {"reference", "candidate"};

int schema_res_add(struct ph_result *res, enum ph_class cls, const char *kind, const char *path,
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
	d->cls = cls;
	d->kind = kind;
	d->path = strdup(path);
	d->message = strdup(message);
	d->a = a;
	d->b = b;
	res->count++;
	if (cls > res->verdict)
		res->verdict = cls;
	return d->path && d->message ? 0 : PH_E_NOMEM;
}

int schema_record(const struct ph_host *host, struct ph_run *run, const char *feature,
		  const char *case_name, const char *reference, const struct ph_result *res,
		  const char *error)
{
	struct ph_row row;

	memset(&row, 0, sizeof(row));
	row.feature = feature;
	row.case_name = case_name;
	row.reference = reference;
	row.cls = error ? PH_ERROR : PH_PARITY;
	row.result = res;
	row.error = error;
	row.latency_reference_ms = -1;
	row.latency_candidate_ms = -1;
	return host->record(run, &row);
}
