/*
 * The Rust signet-shadow proxy's log line (CONTRACT.md section 10): {timestamp,
 * endpoint: "METHOD /path", primaryStatus, shadowStatus, primaryLatencyMs,
 * shadowLatencyMs, divergences: [{severity, field, message, primaryValue,
 * shadowValue}]}, and the classes of its divergences. The proxy names a divergence by
 * its message and quotes both values as (possibly truncated) JSON text, so the class is
 * read from the message and, for a value mismatch, from the values' JSON types.
 */
#include "shadow/shadow_int.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* A latency that must be a non-negative number; -1 otherwise. */
static int get_latency(const json_t *o, const char *key, double *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_number(v))
		return -1;
	*out = json_number_value(v);
	return *out >= 0 ? 0 : -1;
}

const char *shadow_rust_line(const json_t *o, struct shadow_line *l)
{
	const char *e = json_string_value(json_object_get(o, "endpoint")), *sp = strchr(e, ' ');

	memset(l, 0, sizeof(*l));
	l->rust = 1;
	if (!sp || sp == e || sp[1] != '/')
		return "'endpoint' is not \"METHOD /path\"";
	l->method = e;
	l->mlen = (size_t)(sp - e);
	l->path = sp + 1;
	l->ts = json_string_value(json_object_get(o, "timestamp"));
	if (!l->ts)
		return "'timestamp' missing or not a string";
	l->divs = json_object_get(o, "divergences");
	if (l->divs && !json_is_array(l->divs) && !json_is_null(l->divs))
		return "'divergences' is not an array";
	l->has_latency = !get_latency(o, "primaryLatencyMs", &l->la) &&
			 !get_latency(o, "shadowLatencyMs", &l->lb);
	return NULL;
}

static int starts(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* JSON type letter of a value given as (possibly truncated) JSON text. */
static char text_type(const json_t *v)
{
	const char *p;

	if (!v || json_is_null(v))
		return 'a'; /* absent */
	if (!json_is_string(v)) {
		switch (json_typeof(v)) {
		case JSON_OBJECT:
			return 'o';
		case JSON_ARRAY:
			return 'A';
		case JSON_INTEGER:
		case JSON_REAL:
			return 'n';
		case JSON_TRUE:
		case JSON_FALSE:
			return 'b';
		default:
			return 'z';
		}
	}
	p = json_string_value(v);
	while (isspace((unsigned char)*p))
		p++;
	switch (*p) {
	case '{':
		return 'o';
	case '[':
		return 'A';
	case '"':
		return 's';
	case 't':
	case 'f':
		return 'b';
	case 'n':
		return 'z';
	default:
		return (*p == '-' || isdigit((unsigned char)*p)) ? 'n' : '?';
	}
}

enum ph_class shadow_rust_classify(const json_t *div)
{
	const char *msg = json_string_value(json_object_get(div, "message"));
	const char *field = json_string_value(json_object_get(div, "field"));

	if (starts(msg, "shadow request failed"))
		return PH_ERROR;
	if (starts(msg, "status code mismatch") || (field && !strcmp(field, "statusCode")))
		return PH_STRUCTURAL;
	if (starts(msg, "field missing") || starts(msg, "extra field"))
		return PH_STRUCTURAL;
	if (starts(msg, "value mismatch")) {
		char a = text_type(json_object_get(div, "primaryValue"));
		char b = text_type(json_object_get(div, "shadowValue"));

		return a != b ? PH_STRUCTURAL : PH_SEMANTIC;
	}
	/* "array length mismatch" and messages this version does not know */
	return PH_SEMANTIC;
}

/* The proxy's own wording, so that both formats fold into one fingerprint. */
json_t *shadow_rust_status_div(long a, long b)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "status code mismatch: primary=%ld, shadow=%ld", a, b);
	return json_pack("{s:s, s:s, s:s, s:I, s:I}", "severity", "critical", "field", "statusCode",
			 "message", msg, "primaryValue", (json_int_t)a, "shadowValue",
			 (json_int_t)b);
}
