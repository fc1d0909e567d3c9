/*
 * The log line of `parity shadow`, our own live proxy: parity-shadow/1 (docs/shadow-log.md,
 * the contract between the proxy that writes it and this reader). One JSON object a line,
 * told apart from the TS and Rust formats by "format": "parity-shadow/1". An entry is one
 * divergent exchange, already classified by the proxy: {ts, method, path, endpoint, rule,
 * domain, class, paths, divergences: [{class, kind, path}], status, latency_ms, error};
 * an event line ({event: start|overflow|stop, ts, ...counters}) is not an entry. The
 * format carries no values, and the messages written here quote none either: a malformed
 * line may hold anything, secrets included.
 */
#include "shadow/shadow_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int shadow_parity_format(const json_t *o)
{
	const json_t *f = json_object_get(o, "format");

	if (!f)
		return 0;
	return json_is_string(f) && !strcmp(json_string_value(f), SHADOW_PARITY_FORMAT) ? 1 : -1;
}

int shadow_parity_class(const char *name)
{
	static const struct {
		const char *name;
		enum ph_class cls;
	} known[] = {{"structural", PH_STRUCTURAL},
		     {"semantic", PH_SEMANTIC},
		     {"timing", PH_TIMING},
		     {"error", PH_ERROR}};
	size_t i;

	for (i = 0; name && i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(name, known[i].name))
			return (int)known[i].cls;
	return -1;
}

/* A member that may be absent or null: NULL then. */
static const json_t *optional(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	return json_is_null(v) ? NULL : v;
}

/* A latency: absent or null (not measured, 1), a number >= 0 (0), anything else (-1). */
static int latency(const json_t *lat, const char *side, double *out)
{
	const json_t *v = optional(lat, side);

	if (!v)
		return 1;
	if (!json_is_number(v) || json_number_value(v) < 0 || isnan(json_number_value(v)))
		return -1;
	*out = json_number_value(v);
	return 0;
}

/* A status code: an integer from 0 (no answer) to 999. */
static int status_ok(const json_t *st, const char *side)
{
	const json_t *v = json_object_get(st, side);

	return json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 999;
}

/* Messages naming an array element: one buffer per parsing thread. */
static _Thread_local char why[128];

static const char *divergences(const json_t *divs)
{
	size_t i;

	if (!json_is_array(divs))
		return "'divergences' is not an array";
	for (i = 0; i < json_array_size(divs); i++) {
		const json_t *d = json_array_get(divs, i);
		const char *what = NULL;

		if (!json_is_object(d))
			what = "is not an object";
		else if (!json_is_string(json_object_get(d, "class")))
			what = ".class missing or not a string";
		else if (shadow_parity_class(json_string_value(json_object_get(d, "class"))) < 0)
			what = ".class is not structural, semantic, timing or error";
		else if (!json_is_string(json_object_get(d, "kind")))
			what = ".kind missing or not a string";
		else if (!json_is_string(json_object_get(d, "path")))
			what = ".path missing or not a string";
		if (what) {
			snprintf(why, sizeof(why), "divergences[%zu]%s%s", i,
				 *what == '.' ? "" : " ", what);
			return why;
		}
	}
	return NULL;
}

static const char *paths(const json_t *p)
{
	size_t i;

	if (!json_is_array(p))
		return "'paths' is not an array";
	for (i = 0; i < json_array_size(p); i++)
		if (!json_is_string(json_array_get(p, i))) {
			snprintf(why, sizeof(why), "paths[%zu] is not a string", i);
			return why;
		}
	return NULL;
}

/* method and path from "method" and "path", else from "endpoint" ("METHOD /path"). */
static const char *endpoint(const json_t *o, struct shadow_line *l)
{
	const char *m = json_string_value(json_object_get(o, "method"));
	const char *p = json_string_value(json_object_get(o, "path"));
	const char *e = json_string_value(json_object_get(o, "endpoint")), *sp;

	if (m && p) {
		if (!*m || p[0] != '/')
			return "'method' or 'path' is empty or not a path";
		l->method = m;
		l->mlen = strlen(m);
		l->path = p;
		return NULL;
	}
	if (!e)
		return "no 'endpoint' nor 'method' and 'path'";
	sp = strchr(e, ' ');
	if (!sp || sp == e || sp[1] != '/')
		return "'endpoint' is not \"METHOD /path\"";
	l->method = e;
	l->mlen = (size_t)(sp - e);
	l->path = sp + 1;
	return NULL;
}

const char *shadow_parity_line(const json_t *o, struct shadow_line *l)
{
	const json_t *v, *st, *lat;
	const char *w;
	int cls;

	memset(l, 0, sizeof(*l));
	l->parity = 1;
	if ((w = endpoint(o, l)))
		return w;
	l->ts = json_string_value(json_object_get(o, "ts"));
	if (!l->ts)
		return "'ts' missing or not a string";
	v = optional(o, "domain");
	if (v && !json_is_string(v))
		return "'domain' is not a string";
	l->domain = json_string_value(v);
	v = json_object_get(o, "class");
	if (!json_is_string(v))
		return "'class' missing or not a string";
	if ((cls = shadow_parity_class(json_string_value(v))) < 0)
		return "'class' is not structural, semantic, timing or error";
	l->cls = (enum ph_class)cls;
	if ((l->divs = optional(o, "divergences")) && (w = divergences(l->divs)))
		return w;
	if ((l->paths = optional(o, "paths")) && (w = paths(l->paths)))
		return w;
	v = optional(o, "error");
	if (v && !json_is_string(v))
		return "'error' is not a string";
	l->error = json_string_value(v);
	if ((st = optional(o, "status")) &&
	    (!json_is_object(st) || !status_ok(st, "primary") || !status_ok(st, "shadow")))
		return "'status' is not {\"primary\": code, \"shadow\": code}";
	if ((lat = optional(o, "latency_ms"))) {
		int a, b;

		if (!json_is_object(lat))
			return "'latency_ms' is not an object";
		a = latency(lat, "primary", &l->la);
		b = latency(lat, "shadow", &l->lb);
		if (a < 0 || b < 0)
			return "'latency_ms' holds a latency that is not a number >= 0 or null";
		l->has_latency = !a && !b;
	}
	return NULL;
}

/* A counter of an event line: absent (0, nothing added), a non-negative integer, or -1. */
static int counter(const json_t *o, const char *key, unsigned long *sum)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return -1;
	*sum += (unsigned long)json_integer_value(v);
	return 0;
}

const char *shadow_parity_event(const json_t *o, struct ph_shadow_events *ev, long long *ms)
{
	const char *name = json_string_value(json_object_get(o, "event"));
	const char *ts = json_string_value(json_object_get(o, "ts"));
	struct ph_shadow_events e = *ev;

	if (!name)
		return "'event' is not a string";
	if (!ts)
		return "'ts' missing or not a string";
	if (ph_shadow_parse_time(ts, ms))
		return "timestamp is not ISO-8601";
	if (!strcmp(name, "start")) {
		e.start++;
	} else if (!strcmp(name, "overflow")) {
		e.overflow++;
		if (counter(o, "dropped", &e.overflow_dropped))
			return "overflow event: 'dropped' is not an integer >= 0";
	} else if (!strcmp(name, "stop")) {
		const json_t *d = json_object_get(o, "drained");

		e.stop++;
		if (counter(o, "forwarded", &e.forwarded) || counter(o, "replayed", &e.replayed) ||
		    counter(o, "compared", &e.compared) || counter(o, "divergent", &e.divergent) ||
		    counter(o, "dropped", &e.dropped) ||
		    counter(o, "skipped_writes", &e.skipped_writes) ||
		    counter(o, "shadow_errors", &e.shadow_errors))
			return "stop event: a counter is not an integer >= 0";
		if (d && !json_is_boolean(d))
			return "stop event: 'drained' is not true or false";
		if (json_is_false(d))
			e.undrained++;
	} else {
		e.other++; /* a later writer's event: counted, not an error */
	}
	*ev = e;
	return NULL;
}
