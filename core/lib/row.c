/*
 * Error rows, timing notes and route coverage notes (parity/row.h).
 */
#include "parity/row.h"

#include <stdio.h>

int ph_row_error(const struct ph_host *host, struct ph_run *run, const char *feature,
		 const char *case_name, const char *reference, const char *why)
{
	struct ph_row row = {0};

	row.feature = feature;
	row.case_name = case_name;
	row.reference = reference;
	row.cls = PH_ERROR;
	row.error = why;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	return host->record(run, &row);
}

void ph_row_annotate_timing(const struct ph_host *host, struct ph_run *run, const json_t *info)
{
	json_t *v;

	if (!info)
		return;
	if ((v = json_object_get(info, "samples_ms")))
		host->annotate(run, "samples_ms", v);
	if ((v = json_object_get(info, "flaky")))
		host->annotate(run, "flaky", v);
}

void ph_row_annotate_route(const struct ph_host *host, struct ph_run *run, const char *route,
			   const char *depth)
{
	const char *const key[2] = {"route", "depth"}, *const text[2] = {route, depth};
	json_t *v;

	for (int i = 0; i < 2; i++) {
		if (!text[i] || !PH_HOST_HAS(host, annotate))
			continue;
		/* a path that is not UTF-8 names no route coverage can count */
		if ((v = json_string(text[i])))
			host->annotate(run, key[i], v);
		json_decref(v);
	}
}

void ph_row_no_answer(const struct ph_response resp[2], char *buf, size_t cap)
{
	const char *a = resp[PH_REFERENCE].error, *b = resp[PH_CANDIDATE].error;

	snprintf(buf, cap, "%s%s%s%s%s", a ? "reference: " : "", a ? a : "", a && b ? "; " : "",
		 b ? "candidate: " : "", b ? b : "");
}
