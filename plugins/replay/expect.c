/*
 * A case's expectedResponse checked on one side's answer: status, headers (contains or
 * equals), the whole body (json, with ignoreJsonPaths left out), a part of it
 * (jsonContains), the type of what a path holds (jsonMatchers: string, number, boolean,
 * array, object, null, absent, timestamp, redacted-secret) and assertions on what a path
 * selects (jsonPathAssertions: contains, excludes, equals, count). Each broken
 * expectation is one divergence of class expectation whose message names the side; a
 * value at a redacted-secret path is never put in it.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/result.h"
#include "replay.h"

int rp_json_equal(const json_t *a, const json_t *b, double tol)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_number(a) && json_is_number(b))
		return fabs(json_number_value(a) - json_number_value(b)) <= tol;
	if (json_typeof(a) != json_typeof(b))
		return 0;
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return 0;
		json_object_foreach((json_t *)a, k, v) if (!rp_json_equal(v, json_object_get(b, k),
									   tol)) return 0;
		return 1;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return 0;
		json_array_foreach(a, i, v) if (!rp_json_equal(v, json_array_get(b, i), tol)) return 0;
		return 1;
	}
	return json_equal(a, b);
}

int rp_json_contains(const json_t *actual, const json_t *want, double tol)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(want)) {
		if (!json_is_object(actual))
			return 0;
		json_object_foreach((json_t *)want, k, v)
		{
			const json_t *x = json_object_get(actual, k);

			if (!x || !rp_json_contains(x, v, tol))
				return 0;
		}
		return 1;
	}
	if (json_is_array(want)) {
		if (!json_is_array(actual) || json_array_size(actual) < json_array_size(want))
			return 0;
		json_array_foreach(want, i, v) if (!rp_json_contains(json_array_get(actual, i), v,
								      tol)) return 0;
		return 1;
	}
	return actual && rp_json_equal(actual, want, tol);
}

/* One broken expectation of side: the actual value goes on side's half of the divergence. */
static int broke(struct ph_result *res, enum ph_side side, const char *path, json_t *actual,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int broke(struct ph_result *res, enum ph_side side, const char *path, json_t *actual,
		 const char *fmt, ...)
{
	char msg[900], dotted[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rp_path_dotted(path, dotted, sizeof(dotted));
	return ph_result_addf(res, PH_EXPECTATION, "expectation", dotted,
			      side == PH_REFERENCE ? actual : NULL,
			      side == PH_CANDIDATE ? actual : NULL, "%s: %s", rp_sides[side], msg);
}

/* The body with the expectation's ignoreJsonPaths left out (new), NULL when none. */
static json_t *without_ignored(const json_t *body, const json_t *want)
{
	json_t *copy = body ? json_deep_copy(body) : NULL, *p;
	size_t i;

	json_array_foreach(json_object_get(want, "ignoreJsonPaths"), i, p)
		if (copy && json_is_string(p))
			rp_path_remove(copy, json_string_value(p));
	return copy;
}

static int is_timestamp(const char *s)
{
	int y, mo, d, h, mi, sec;

	return s && sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) == 6;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER:
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

/* Does v match the matcher type? */
static int matches(const json_t *v, const char *type)
{
	if (!strcmp(type, "timestamp"))
		return json_is_string(v) && is_timestamp(json_string_value(v));
	if (!strcmp(type, "redacted-secret"))
		return json_is_string(v) && json_string_length(v) > 0;
	return !strcmp(type, type_name(v));
}

static int check_matchers(const json_t *matchers, enum ph_side side, const json_t *body,
			  struct ph_result *res)
{
	const char *path;
	json_t *type;
	int rc = 0;

	json_object_foreach((json_t *)matchers, path, type)
	{
		const char *t = json_string_value(type);
		json_t *sel = rp_path_select(body, path, NULL), *v;
		size_t i;

		if (!t || !sel) {
			rc = broke(res, side, path, NULL, "matcher at %s cannot be evaluated", path);
		} else if (!strcmp(t, "absent")) {
			if (json_array_size(sel))
				rc = broke(res, side, path, json_incref(json_array_get(sel, 0)),
					   "expected %s absent", path);
		} else if (!json_array_size(sel)) {
			rc = broke(res, side, path, NULL, "expected a %s at %s, found nothing", t,
				   path);
		} else {
			json_array_foreach(sel, i, v)
			{
				int secret = !strcmp(t, "redacted-secret");

				if (matches(v, t))
					continue;
				/* a secret's value is never shown, only its type */
				rc = broke(res, side, path,
					   secret ? json_string(type_name(v)) : json_incref(v),
					   "expected a %s at %s, got a %s", t, path, type_name(v));
				break;
			}
		}
		json_decref(sel);
		if (rc)
			return rc;
	}
	return 0;
}

static int member_of(const json_t *v, const json_t *list, double tol)
{
	json_t *x;
	size_t i;

	json_array_foreach(list, i, x) if (rp_json_equal(v, x, tol)) return 1;
	return 0;
}

static int check_assertion(const json_t *a, enum ph_side side, const json_t *body, double tol,
			   struct ph_result *res)
{
	const char *path = json_string_value(json_object_get(a, "path"));
	int multi = 0, rc = 0;
	json_t *sel = rp_path_select(body, path, &multi), *v, *w;
	size_t i;

	if (!sel)
		return broke(res, side, path ? path : "", NULL,
			     "assertion on %s cannot be evaluated", path ? path : "(no path)");
	json_array_foreach(json_object_get(a, "contains"), i, w) if (!rc && !member_of(w, sel, tol))
	    rc = broke(res, side, path, json_deep_copy(sel), "expected %s to include %s", path,
		       json_is_string(w) ? json_string_value(w) : "a listed value");
	json_array_foreach(json_object_get(a, "excludes"), i, w) if (!rc && member_of(w, sel, tol))
	    rc = broke(res, side, path, json_deep_copy(sel), "expected %s not to include %s",
		       path, json_is_string(w) ? json_string_value(w) : "a listed value");
	if (!rc && (w = json_object_get(a, "equals"))) {
		/* a path that selects nothing holds null */
		v = json_array_size(sel) ? json_array_get(sel, 0) : json_null();
		if (json_array_size(sel) > 1 || !rp_json_equal(v, w, tol))
			rc = broke(res, side, path, json_incref(v), "expected %s to equal %s", path,
				   json_is_null(w) ? "null" : "the listed value");
	}
	if (!rc && (w = json_object_get(a, "count"))) {
		json_int_t n = multi || json_array_size(sel) != 1 ||
					!json_is_array(json_array_get(sel, 0))
				   ? (json_int_t)json_array_size(sel)
				   : (json_int_t)json_array_size(json_array_get(sel, 0));

		if (n != json_integer_value(w))
			rc = broke(res, side, path, json_integer(n),
				   "expected %" JSON_INTEGER_FORMAT " at %s, found %" JSON_INTEGER_FORMAT,
				   json_integer_value(w), path, n);
	}
	json_decref(sel);
	return rc;
}

static int check_headers(const json_t *headers, enum ph_side side, const struct ph_response *r,
			 struct ph_result *res)
{
	const char *name;
	json_t *w;
	int rc = 0;

	json_object_foreach((json_t *)headers, name, w)
	{
		char lower[128], path[160];
		const char *got, *c = json_string_value(json_object_get(w, "contains"));
		const char *e = json_string_value(json_object_get(w, "equals"));
		size_t i;

		for (i = 0; name[i] && i + 1 < sizeof(lower); i++)
			lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
		lower[i] = '\0';
		got = json_string_value(json_object_get(r->headers, lower));
		if (!got && !strcmp(lower, "content-type"))
			got = r->content_type;
		snprintf(path, sizeof(path), "$['header:%s']", lower);
		if (c && (!got || !strstr(got, c)))
			rc = broke(res, side, path, got ? json_string(got) : NULL,
				   "expected header %s to contain '%s'", lower, c);
		else if (e && (!got || strcmp(got, e)))
			rc = broke(res, side, path, got ? json_string(got) : NULL,
				   "expected header %s to be '%s'", lower, e);
		if (rc)
			return rc;
	}
	return 0;
}

int rp_expect_response(const json_t *want, enum ph_side side, const struct ph_response *r,
		       const json_t *body, double tol, struct ph_result *res)
{
	const json_t *status = json_object_get(want, "status"), *x;
	json_t *trimmed;
	size_t i;
	int rc = 0;

	if (json_is_integer(status) && json_integer_value(status) != r->status &&
	    (rc = broke(res, side, "$", json_integer(r->status),
			"expected status %" JSON_INTEGER_FORMAT ", got %ld",
			json_integer_value(status), r->status)))
		return rc;
	if ((rc = check_headers(json_object_get(want, "headers"), side, r, res)))
		return rc;
	if ((json_object_get(want, "json") || json_object_get(want, "jsonContains")) && !body)
		return broke(res, side, "$", NULL, "expected a JSON body");
	trimmed = without_ignored(body, want);
	if ((x = json_object_get(want, "json")) && !rp_json_equal(trimmed, x, tol))
		rc = broke(res, side, "$", json_incref(trimmed), "the body is not the expected one");
	if (!rc && (x = json_object_get(want, "jsonContains")) &&
	    !rp_json_contains(trimmed, x, tol))
		rc = broke(res, side, "$", json_incref(trimmed),
			   "the body does not contain the expected part (jsonContains)");
	json_decref(trimmed);
	if (rc || (rc = check_matchers(json_object_get(want, "jsonMatchers"), side, body, res)))
		return rc;
	json_array_foreach(json_object_get(want, "jsonPathAssertions"), i, x)
		if ((rc = check_assertion(x, side, body, tol, res)))
			return rc;
	return 0;
}
