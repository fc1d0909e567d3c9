/*
 * What coverage reads in a matrix, checked (coverage.h): a row's "route" and "depth", and
 * the matrix's "coverage" object, so that the gate, merge and the renderers can trust
 * what they read and a hand-edited matrix fails with the key that is wrong.
 */
#include "coverage/coverage.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/rules.h"

/* Does text read "METHOD /path"? */
static int route_text_ok(const char *text)
{
	char *method, **segs;
	size_t n;
	int rc;

	if (!text)
		return 0;
	rc = ph_route_text_split(text, 1, &method, &segs, &n);
	if (rc)
		return rc < 0; /* out of memory is no reason to refuse a matrix */
	free(method);
	ph_route_free(segs, n);
	return 1;
}

#define ROUTE_SHAPE "expected \"METHOD /path\" (an upper-case method, a path starting with '/')"

int ph_coverage_row_check(const json_t *row, char *key, size_t cap, const char **why)
{
	const json_t *route = json_object_get(row, "route"), *depth = json_object_get(row, "depth");
	const json_t *v;
	size_t i;

	if (json_is_array(route)) {
		json_array_foreach(route, i, v)
		{
			if (!route_text_ok(json_string_value(v))) {
				snprintf(key, cap, "route[%zu]", i);
				*why = ROUTE_SHAPE;
				return -1;
			}
		}
	} else if (route && !json_is_null(route) && !route_text_ok(json_string_value(route))) {
		snprintf(key, cap, "route");
		*why = ROUTE_SHAPE ", an array of such, or null";
		return -1;
	}
	if (depth && ph_depth_of(json_string_value(depth)) <= PH_DEPTH_NONE) {
		snprintf(key, cap, "depth");
		*why = "expected one of status|body|state";
		return -1;
	}
	return 0;
}

static int fail(struct ph_err *err, const char *source, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct ph_err *err, const char *source, const char *fmt, ...)
{
	char what[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return ph_error(err, PH_E_INVALID, "%s: coverage%s", source, what);
}

static int count_ok(const json_t *v, json_int_t min)
{
	return json_is_integer(v) && json_integer_value(v) >= min;
}

/* One entry of routes_table (listed) or unlisted. */
static int check_entry(const json_t *e, const char *arr, size_t i, int listed, const char *source,
		       struct ph_err *err)
{
	const json_t *st = json_object_get(e, "listed_status");
	int d;

	if (!json_is_object(e))
		return fail(err, source, ".%s[%zu]: expected an object", arr, i);
	if (!route_text_ok(json_string_value(json_object_get(e, "route"))))
		return fail(err, source, ".%s[%zu].route: %s", arr, i, ROUTE_SHAPE);
	d = ph_depth_of(json_string_value(json_object_get(e, "depth")));
	if (d < (listed ? PH_DEPTH_NONE : PH_DEPTH_STATUS))
		return fail(err, source, ".%s[%zu].depth: expected one of %s", arr, i,
			    listed ? "none|status|body|state" : "status|body|state");
	if (!count_ok(json_object_get(e, "rows"), listed ? 0 : 1))
		return fail(err, source, ".%s[%zu].rows: expected an integer >= %d", arr, i,
			    listed ? 0 : 1);
	if (listed && (!st || (!json_is_string(st) && !json_is_null(st))))
		return fail(err, source, ".%s[%zu].listed_status: %sexpected a string or null",
			    arr, i, st ? "" : "missing, ");
	return 0;
}

int ph_coverage_validate(const json_t *cov, const char *source, struct ph_err *err)
{
	static const char *const arrays[] = {"routes_table", "unlisted"};
	const json_t *counts, *ratio, *v;
	size_t i, k;
	int rc;

	if (!cov || json_is_null(cov))
		return 0;
	if (!json_is_object(cov))
		return fail(err, source, ": expected an object or null");
	v = json_object_get(cov, "source");
	if (!json_is_string(v) || !json_string_length(v))
		return fail(err, source, ".source: expected a non-empty string");
	for (k = 0; k < 2; k++) {
		const json_t *a = json_object_get(cov, arrays[k]);

		if (!json_is_array(a))
			return fail(err, source, ".%s: %sexpected an array", arrays[k],
				    a ? "" : "missing, ");
		json_array_foreach(a, i, v)
		{
			if ((rc = check_entry(v, arrays[k], i, !k, source, err)))
				return rc;
		}
	}
	v = json_object_get(cov, "routes");
	if (!count_ok(v, 1) ||
	    (size_t)json_integer_value(v) != json_array_size(json_object_get(cov, "routes_table")))
		return fail(err, source, ".routes: expected the number of routes_table entries");
	counts = json_object_get(cov, "counts");
	ratio = json_object_get(cov, "ratio");
	if (!json_is_object(counts))
		return fail(err, source, ".counts: expected an object");
	if (!json_is_object(ratio))
		return fail(err, source, ".ratio: expected an object");
	for (k = 0; k < PH_DEPTH_COUNT; k++) {
		const char *name = ph_depth_name((enum ph_depth)k);

		if (!count_ok(json_object_get(counts, name), 0))
			return fail(err, source, ".counts.%s: expected a non-negative integer",
				    name);
		if (!k)
			continue;
		v = json_object_get(ratio, name);
		if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
			return fail(err, source, ".ratio.%s: expected a number from 0 to 1", name);
	}
	return 0;
}
