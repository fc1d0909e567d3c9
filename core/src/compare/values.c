/*
 * Scalars in the comparison engine (walk.h): JSON types as a client sees them, numbers
 * compared numerically (1 equals 1.0, 64-bit integers exactly, within a tolerance when
 * the rule sets one), strings that are timestamps compared as instants at the rule's
 * precision, and the short renderings messages quote.
 */
#include "compare/walk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/timestamp.h"

const char *walk_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "object";
	case JSON_ARRAY:
		return "array";
	case JSON_STRING:
		return "string";
	case JSON_INTEGER:
	case JSON_REAL:
		return "number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "boolean";
	case JSON_NULL:
		break;
	}
	return "null";
}

int walk_type_class(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
	case JSON_REAL:
		return JSON_REAL;
	case JSON_TRUE:
	case JSON_FALSE:
		return JSON_TRUE;
	default:
		return (int)json_typeof(v);
	}
}

void walk_brief(const json_t *v, char *buf, size_t size)
{
	char *s;

	if (!v) {
		snprintf(buf, size, "(absent)");
		return;
	}
	if (json_is_object(v)) {
		snprintf(buf, size, "object (%zu keys)", json_object_size(v));
		return;
	}
	if (json_is_array(v)) {
		snprintf(buf, size, "array (%zu items)", json_array_size(v));
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!s) {
		snprintf(buf, size, "?");
		return;
	}
	if (strlen(s) > 60)
		snprintf(buf, size, "%.57s...", s);
	else
		snprintf(buf, size, "%s", s);
	free(s);
}

/* 64-bit integers compare exactly, never through a double. */
int walk_num_equal(const json_t *a, const json_t *b, double tol)
{
	if (tol >= 0) {
		double d = fabs(json_number_value(a) - json_number_value(b));

		/* a relative slack absorbs binary rounding: 0.9 - 0.85 is 0.05000000000000004 */
		return d <= tol + 1e-9 * (tol > 1 ? tol : 1);
	}
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_real(a) && json_is_real(b))
		return json_real_value(a) == json_real_value(b);
	{
		const json_t *i = json_is_integer(a) ? a : b, *r = json_is_integer(a) ? b : a;
		double rv = json_real_value(r);

		if (rv != floor(rv) || rv < -9223372036854775808.0 || rv >= 9223372036854775808.0)
			return 0;
		return (json_int_t)rv == json_integer_value(i);
	}
}

int walk_str_equal(const struct walk *c, const json_t *a, const json_t *b)
{
	const char *sa = json_string_value(a), *sb = json_string_value(b);
	size_t la = json_string_length(a), lb = json_string_length(b);
	long long ta, tb;

	if (la == lb && !memcmp(sa, sb, la))
		return 1;
	if (!ph_timestamp_instant(sa, la, c->precision, &ta) &&
	    !ph_timestamp_instant(sb, lb, c->precision, &tb))
		return ta == tb;
	return 0;
}
