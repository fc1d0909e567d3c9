/*
 * Write timing, judged per feature: one write is one sample (it may not be sent again to
 * confirm a slow answer), so each step's latencies are noted under its feature and, once
 * the cases ran, each feature with enough steps gets one row comparing their medians.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "parts.h"

#define TIMING_MIN_SAMPLES 5

void ph_write_latency_add(struct ph_write_state *ws, const char *feature, const char *endpoint,
			  double a, double b)
{
	json_t *f = json_object_get(ws->latency, feature);

	if (a < 0 || b < 0)
		return;
	if (!f) {
		f = json_pack("{s:s, s:[], s:[]}", "endpoint", endpoint, "a", "b");
		if (!f)
			return;
		json_object_set_new(ws->latency, feature, f);
	}
	json_array_append_new(json_object_get(f, "a"), json_real(a));
	json_array_append_new(json_object_get(f, "b"), json_real(b));
}

double ph_write_spread(const json_t *samples, double *iqr)
{
	size_t n = json_array_size(samples), i, j;
	double *v, m;

	if (iqr)
		*iqr = 0;
	if (!n || !(v = malloc(n * sizeof(*v))))
		return -1;
	for (i = 0; i < n; i++) {
		double x = json_number_value(json_array_get(samples, i));

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	if (iqr)
		*iqr = v[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1] - v[n / 4];
	free(v);
	return m;
}

int ph_write_timing_rows(const struct ph_host *host, struct ph_run *run,
			 struct ph_write_state *ws, struct ph_err *err)
{
	const char *feature;
	json_t *f;
	int rc = 0;

	json_object_foreach(ws->latency, feature, f)
	{
		struct ph_response a = {0}, b = {0};
		struct ph_result res = {0};
		struct ph_row row = {0};
		size_t n = json_array_size(json_object_get(f, "a"));
		char name[64], summary[64];
		double ia, ib;

		if (n < TIMING_MIN_SAMPLES)
			continue; /* too few writes to tell a slow runtime from a busy machine */
		a.status = b.status = 200;
		a.body = b.body = (char *)"{}";
		a.body_len = b.body_len = 2;
		a.latency_ms = ph_write_spread(json_object_get(f, "a"), &ia);
		b.latency_ms = ph_write_spread(json_object_get(f, "b"), &ib);
		snprintf(name, sizeof(name), "latency: median of %zu steps", n);
		snprintf(summary, sizeof(summary), "median %.1f ms", a.latency_ms);
		row.feature = feature;
		row.case_name = name;
		row.reference = summary;
		row.latency_reference_ms = a.latency_ms;
		row.latency_candidate_ms = b.latency_ms;
		/*
		 * As the core does for repeated cases: medians that differ by no more than
		 * the spread within a runtime are a busy machine, not a slow runtime.
		 */
		if (fabs(a.latency_ms - b.latency_ms) <= (ia > ib ? ia : ib))
			a.latency_ms = b.latency_ms = -1;
		if ((rc = host->compare(run, json_string_value(json_object_get(f, "endpoint")), &a,
					&b, &res, err)))
			return rc;
		row.result = &res;
		rc = host->record(run, &row);
		host->result_release(&res);
		if (rc)
			return rc;
		/* medians of rows already counted, not a request: it drives no route itself */
		host->annotate(run, "route", json_null());
	}
	return 0;
}
