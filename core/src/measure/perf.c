/*
 * Performance measurement (perf.h): latency distributions, targets over
 * candidate/reference ratios and the ratios themselves. Nothing here starts or asks a
 * runtime: the pass that does (run/perf_pass.c) hands its samples to these functions.
 */
#include "measure/perf.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/jsonio.h"

/* ---- distributions --------------------------------------------------------------- */

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

double ph_perf_quantile(const double *sorted, size_t n, double q)
{
	size_t rank;

	if (q <= 0)
		return sorted[0];
	if (q >= 1)
		return sorted[n - 1];
	rank = (size_t)ceil(q * (double)n); /* nearest rank, 1-based */
	return sorted[rank ? rank - 1 : 0];
}

int ph_perf_dist_compute(const double *ms, size_t n, struct ph_perf_dist *d, struct ph_err *err)
{
	double *v, sum = 0;
	size_t i;

	memset(d, 0, sizeof(*d));
	if (!n)
		return ph_error(err, PH_E_INVALID, "no latency samples");
	for (i = 0; i < n; i++)
		if (!(ms[i] >= 0) || isinf(ms[i]))
			return ph_error(err, PH_E_INVALID, "latency sample %zu is not a duration", i);
	if (!(v = malloc(n * sizeof(*v))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	memcpy(v, ms, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_double);
	for (i = 0; i < n; i++)
		sum += v[i];
	d->n = n;
	d->min = v[0];
	d->max = v[n - 1];
	d->mean = sum / (double)n;
	d->p50 = ph_perf_quantile(v, n, 0.50);
	d->p95 = ph_perf_quantile(v, n, 0.95);
	d->p99 = ph_perf_quantile(v, n, 0.99);
	for (i = 0; i < PH_PERF_CDF_POINTS; i++)
		d->cdf[i] = ph_perf_quantile(v, n, (double)i / (PH_PERF_CDF_POINTS - 1));
	free(v);
	return 0;
}

json_t *ph_perf_ms_json(double ms)
{
	return json_real(round(ms * 1000.0) / 1000.0);
}

json_t *ph_perf_dist_json(const struct ph_perf_dist *d)
{
	json_t *cdf = json_array();
	size_t i;

	for (i = 0; i < PH_PERF_CDF_POINTS; i++)
		json_array_append_new(cdf, ph_perf_ms_json(d->cdf[i]));
	return json_pack("{s:I, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "n", (json_int_t)d->n,
			 "min_ms", ph_perf_ms_json(d->min), "p50_ms", ph_perf_ms_json(d->p50), "p95_ms",
			 ph_perf_ms_json(d->p95), "p99_ms", ph_perf_ms_json(d->p99), "max_ms", ph_perf_ms_json(d->max),
			 "mean_ms", ph_perf_ms_json(d->mean), "cdf_ms", cdf);
}

/* ---- options and targets ---------------------------------------------------------- */

void ph_perf_opts_init(struct ph_perf_opts *o)
{
	o->requests = PH_PERF_REQUESTS_DEFAULT;
	o->warmup = PH_PERF_WARMUP_DEFAULT;
	o->idle_ms = PH_PERF_IDLE_MS_DEFAULT;
	o->targets = NULL;
}

void ph_perf_opts_release(struct ph_perf_opts *o)
{
	json_decref(o->targets);
	o->targets = NULL;
}

int ph_perf_target_parse(const char *expr, const char *what, struct ph_perf_target *t,
			 struct ph_err *err)
{
	static const char *const ops[] = { "<=", ">=", "==", "<", ">" };
	const char *p = expr;
	char *end;
	size_t i;

	memset(t, 0, sizeof(*t));
	while (*p == ' ')
		p++;
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(p, ops[i], strlen(ops[i])))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		goto bad;
	strcpy(t->op, ops[i]);
	p += strlen(ops[i]);
	while (*p == ' ')
		p++;
	errno = 0;
	t->value = strtod(p, &end);
	if (end == p || errno || !isfinite(t->value))
		goto bad;
	while (*end == ' ')
		end++;
	if (*end)
		goto bad;
	return 0;
bad:
	return ph_error(err, PH_E_INVALID,
			"%s: expected \"<op> <number>\" with op one of <= < >= > ==, got '%s'", what,
			expr);
}

int ph_perf_target_met(const struct ph_perf_target *t, double v)
{
	if (!strcmp(t->op, "<="))
		return v <= t->value;
	if (!strcmp(t->op, "<"))
		return v < t->value;
	if (!strcmp(t->op, ">="))
		return v >= t->value;
	if (!strcmp(t->op, ">"))
		return v > t->value;
	return fabs(v - t->value) <= 1e-9 * (fabs(t->value) > 1 ? fabs(t->value) : 1);
}

static int check_targets_object(const json_t *targets, const char *source, struct ph_err *err)
{
	const char *k;
	json_t *v;

	if (!json_is_object(targets))
		return ph_error(err, PH_E_INVALID,
				"%s: expected an object {\"idle_rss_ratio\": \"<= 0.1\", ...}", source);
	json_object_foreach((json_t *)targets, k, v)
	{
		struct ph_perf_target t;
		char what[512];

		snprintf(what, sizeof(what), "%s.%s", source, k);
		if (!json_is_string(v))
			return ph_error(err, PH_E_INVALID, "%s: expected a string \"<op> <number>\"",
					what);
		if (ph_perf_target_parse(json_string_value(v), what, &t, err))
			return PH_E_INVALID;
	}
	return 0;
}

int ph_perf_opts_parse(struct ph_perf_opts *o, const json_t *perf, const char *source,
		       struct ph_err *err)
{
	static const char *const keys[] = { "requests", "warmup", "idle_ms" };
	static const long lo[] = { 1, 0, 0 }, hi[] = { 1000000, 100000, 3600000 };
	long vals[3] = { o->requests, o->warmup, o->idle_ms };
	json_t *t;
	size_t i;
	int rc;

	if (!perf)
		return 0;
	if (!json_is_object(perf))
		return ph_error(err, PH_E_INVALID, "%s: perf: expected an object", source);
	for (i = 0; i < 3; i++) {
		json_t *v = json_object_get(perf, keys[i]);

		if (!v)
			continue;
		if (!json_is_integer(v) || json_integer_value(v) < lo[i] ||
		    json_integer_value(v) > hi[i])
			return ph_error(err, PH_E_INVALID, "%s: perf.%s: expected an integer from %ld "
					"to %ld", source, keys[i], lo[i], hi[i]);
		vals[i] = (long)json_integer_value(v);
	}
	t = json_object_get(perf, "targets");
	if (t) {
		char where[512];

		snprintf(where, sizeof(where), "%s: perf.targets", source);
		if ((rc = check_targets_object(t, where, err)))
			return rc;
		json_decref(o->targets);
		o->targets = json_deep_copy(t);
		if (!o->targets)
			return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	o->requests = (int)vals[0];
	o->warmup = (int)vals[1];
	o->idle_ms = vals[2];
	return 0;
}

int ph_perf_targets_parse_arg(const char *arg, json_t **targets, struct ph_err *err)
{
	char *copy = strdup(arg), *save = NULL, *item;
	int rc = 0;

	*targets = json_object();
	if (!copy || !*targets) {
		free(copy);
		json_decref(*targets);
		*targets = NULL;
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	for (item = strtok_r(copy, ",", &save); item && !rc; item = strtok_r(NULL, ",", &save)) {
		struct ph_perf_target t;
		char *op = strpbrk(item, "<>="), *name = item, *e;
		char what[300];

		while (*name == ' ')
			name++;
		if (!op || op == name) {
			rc = ph_error(err, PH_E_INVALID,
				      "--targets: '%s': expected NAME<=NUMBER (also < >= > ==)", item);
			break;
		}
		for (e = op; e > name && e[-1] == ' '; e--)
			;
		snprintf(what, sizeof(what), "--targets: %.*s", (int)(e - name), name);
		if ((rc = ph_perf_target_parse(op, what, &t, err)))
			break;
		{
			char key[256], expr[64];

			snprintf(key, sizeof(key), "%.*s", (int)(e - name), name);
			snprintf(expr, sizeof(expr), "%s %g", t.op, t.value);
			json_object_set_new(*targets, key, json_string(expr));
		}
	}
	if (!rc && !json_object_size(*targets))
		rc = ph_error(err, PH_E_INVALID, "--targets: expected NAME<=NUMBER[,...]");
	free(copy);
	if (rc) {
		json_decref(*targets);
		*targets = NULL;
	}
	return rc;
}

int ph_perf_targets_from_config(const char *path, json_t **targets, struct ph_err *err)
{
	json_t *doc = NULL, *t;
	char where[1100];
	int rc;

	*targets = NULL;
	if ((rc = ph_json_load_file(path, &doc, err)))
		return rc;
	t = json_object_get(json_object_get(doc, "perf"), "targets");
	snprintf(where, sizeof(where), "%s: perf.targets", path);
	if (t && !(rc = check_targets_object(t, where, err)))
		*targets = json_incref(t);
	json_decref(doc);
	return rc;
}

int ph_perf_targets_check(const json_t *targets, const json_t *ratios, json_t **results,
			  struct ph_err *err)
{
	const char *k;
	json_t *v;
	int rc;

	*results = json_array();
	if (!*results)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if ((rc = check_targets_object(targets, "targets", err))) {
		json_decref(*results);
		*results = NULL;
		return rc;
	}
	json_object_foreach((json_t *)targets, k, v)
	{
		struct ph_perf_target t;
		json_t *r = json_object_get(ratios, k), *met;

		ph_perf_target_parse(json_string_value(v), k, &t, NULL);
		if (json_is_number(r))
			met = json_boolean(ph_perf_target_met(&t, json_number_value(r)));
		else
			met = json_null();
		json_array_append_new(*results,
				      json_pack("{s:s, s:s, s:O, s:o}", "target", k, "expr",
						json_string_value(v), "value",
						json_is_number(r) ? r : json_null(), "met", met));
	}
	return 0;
}

/* ---- ratios ------------------------------------------------------------------------ */

static json_t *ratio(const json_t *ref, const json_t *cand)
{
	double a, b;

	if (!json_is_number(ref) || !json_is_number(cand))
		return json_null();
	a = json_number_value(ref);
	b = json_number_value(cand);
	if (!(a > 0))
		return json_null();
	return json_real(round(b / a * 10000.0) / 10000.0);
}

json_t *ph_perf_ratios(const json_t *reference, const json_t *candidate)
{
	static const char *const top[][2] = { { "startup_ratio", "startup_ms" },
					      { "idle_rss_ratio", "idle_rss_kb" },
					      { "peak_rss_ratio", "peak_rss_kb" },
					      { "cpu_ratio", "cpu_ms" } };
	static const char *const lat[][2] = { { "p50_ratio", "p50_ms" },
					      { "p95_ratio", "p95_ms" },
					      { "p99_ratio", "p99_ms" },
					      { "max_ratio", "max_ms" } };
	json_t *out = json_object(), *eps = json_object(), *re = json_object_get(reference,
										 "endpoints");
	const char *ep;
	json_t *rd;
	size_t i;

	if (!out || !eps) {
		json_decref(out);
		json_decref(eps);
		return NULL;
	}
	for (i = 0; i < 4; i++)
		json_object_set_new(out, top[i][0],
				    ratio(json_object_get(reference, top[i][1]),
					  json_object_get(candidate, top[i][1])));
	for (i = 0; i < 4; i++)
		json_object_set_new(out, lat[i][0], json_null());
	json_object_foreach(re, ep, rd)
	{
		json_t *cd = json_object_get(json_object_get(candidate, "endpoints"), ep);
		json_t *one;

		if (!cd)
			continue;
		one = json_object();
		for (i = 0; i < 4; i++) {
			json_t *r = ratio(json_object_get(rd, lat[i][1]),
					  json_object_get(cd, lat[i][1]));
			json_t *worst = json_object_get(out, lat[i][0]);

			if (json_is_number(r) &&
			    (!json_is_number(worst) || json_number_value(r) > json_number_value(worst)))
				json_object_set(out, lat[i][0], r);
			json_object_set_new(one, lat[i][0], r);
		}
		json_object_set_new(eps, ep, one);
	}
	json_object_set_new(out, "endpoints", eps);
	return out;
}

