/*
 * metrics.perf for people (metrics_table.h): the rows every renderer shows and the lines
 * `parity run` prints. Both read the matrix's perf object only, so a matrix loaded from
 * disk renders like the one just measured.
 */
#include "matrix/metrics_table.h"

#include <stdio.h>

static const char *const roles[] = { "reference", "candidate" };

/* ---- terminal summary -------------------------------------------------------------- */

static double num(const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_number(v) ? json_number_value(v) : -1;
}

void ph_perf_print(const json_t *perf, FILE *f)
{
	const json_t *ratios = json_object_get(perf, "ratios"), *eps, *t;
	const char *ep;
	json_t *v;
	size_t i;
	int k;

	if (json_is_string(json_object_get(perf, "error"))) {
		fprintf(f, "perf: error: %s\n", json_string_value(json_object_get(perf, "error")));
		return;
	}
	fprintf(f, "\nperf (%lld requests per endpoint and runtime, after %lld ms idle):\n",
		(long long)json_integer_value(json_object_get(perf, "requests")),
		(long long)json_integer_value(json_object_get(perf, "idle_ms")));
	fprintf(f, "  %-10s %12s %12s %10s %11s\n", "runtime", "idle RSS kB", "peak RSS kB",
		"CPU ms", "startup ms");
	for (k = 0; k < 2; k++) {
		const json_t *r = json_object_get(perf, roles[k]);

		fprintf(f, "  %-10s %12.0f %12.0f %10.1f %11.1f\n", roles[k], num(r, "idle_rss_kb"),
			num(r, "peak_rss_kb"), num(r, "cpu_ms"), num(r, "startup_ms"));
	}
	eps = json_object_get(json_object_get(perf, "reference"), "endpoints");
	json_object_foreach((json_t *)eps, ep, v)
	{
		const json_t *c = json_object_get(
			json_object_get(json_object_get(perf, "candidate"), "endpoints"), ep);

		fprintf(f, "  %-26s p50 %.3f / %.3f ms   p99 %.3f / %.3f ms (reference / candidate)\n",
			ep, num(v, "p50_ms"), num(c, "p50_ms"), num(v, "p99_ms"), num(c, "p99_ms"));
	}
	fprintf(f, "  candidate/reference: idle RSS %.3f, peak RSS %.3f, CPU %.3f, p50 %.3f, "
		   "p99 %.3f\n",
		num(ratios, "idle_rss_ratio"), num(ratios, "peak_rss_ratio"), num(ratios, "cpu_ratio"),
		num(ratios, "p50_ratio"), num(ratios, "p99_ratio"));
	json_array_foreach(json_object_get(perf, "targets"), i, t)
	{
		const json_t *met = json_object_get(t, "met");

		fprintf(f, "  target %s %s: %s\n", json_string_value(json_object_get(t, "target")),
			json_string_value(json_object_get(t, "expr")),
			json_is_true(met) ? "met" : json_is_false(met) ? "MISSED" : "not measured");
	}
}

/* ---- the table the renderers show ---------------------------------------------------- */

static json_t *cell(const json_t *v, const char *fmt)
{
	char buf[64];

	if (!json_is_number(v))
		return json_string("n/a");
	snprintf(buf, sizeof(buf), fmt, json_number_value(v));
	return json_string(buf);
}

static void table_row(json_t *rows, const char *label, const json_t *ref, const json_t *cand,
		      const json_t *ratios, const char *key, const char *ratio_key,
		      const char *fmt)
{
	json_array_append_new(rows, json_pack("[s, o, o, o]", label,
					      cell(json_object_get(ref, key), fmt),
					      cell(json_object_get(cand, key), fmt),
					      cell(json_object_get(ratios, ratio_key), "%.3f")));
}

json_t *ph_perf_table(const json_t *perf)
{
	static const char *const top[][4] = {
		{ "startup ms", "startup_ms", "startup_ratio", "%.1f" },
		{ "idle RSS kB", "idle_rss_kb", "idle_rss_ratio", "%.0f" },
		{ "peak RSS kB", "peak_rss_kb", "peak_rss_ratio", "%.0f" },
		{ "CPU ms (measured requests)", "cpu_ms", "cpu_ratio", "%.1f" },
	};
	static const char *const lat[][2] = {
		{ "p50", "p50" }, { "p95", "p95" }, { "p99", "p99" }, { "max", "max" } };
	const json_t *ref = json_object_get(perf, "reference"), *cand = json_object_get(perf,
										       "candidate");
	const json_t *ratios = json_object_get(perf, "ratios");
	json_t *rows, *v;
	const char *ep;
	size_t i;

	if (!json_is_object(ref) || !json_is_object(cand))
		return NULL;
	if (!(rows = json_array()))
		return NULL;
	for (i = 0; i < 4; i++)
		table_row(rows, top[i][0], ref, cand, ratios, top[i][1], top[i][2], top[i][3]);
	json_object_foreach((json_t *)json_object_get(ref, "endpoints"), ep, v)
	{
		const json_t *c = json_object_get(json_object_get(cand, "endpoints"), ep);
		const json_t *r = json_object_get(json_object_get(ratios, "endpoints"), ep);

		for (i = 0; i < 4; i++) {
			char label[300], key[16], rkey[16];

			snprintf(label, sizeof(label), "%s %s ms", ep, lat[i][0]);
			snprintf(key, sizeof(key), "%s_ms", lat[i][1]);
			snprintf(rkey, sizeof(rkey), "%s_ratio", lat[i][1]);
			table_row(rows, label, v, c, r, key, rkey, "%.3f");
		}
	}
	return rows;
}
