/*
 * The TS daemon's shadow log line (its in-process shadow, CONTRACT.md section 10):
 * {ts, method, path, primaryStatus, shadowStatus}. It carries no divergence list and no
 * latencies, so only a status difference or a shadow that did not answer is evidence.
 */
#include "shadow/shadow_int.h"

#include <string.h>

const char *shadow_ts_line(const json_t *o, struct shadow_line *l)
{
	memset(l, 0, sizeof(*l));
	l->method = json_string_value(json_object_get(o, "method"));
	l->path = json_string_value(json_object_get(o, "path"));
	if (!l->method || !l->path)
		return "not a shadow log entry: no 'endpoint' (Rust proxy) nor 'method' and "
		       "'path' (TS daemon)";
	if (!*l->method || l->path[0] != '/')
		return "'method' or 'path' is empty";
	l->mlen = strlen(l->method);
	l->ts = json_string_value(json_object_get(o, "ts"));
	if (!l->ts)
		return "'ts' missing or not a string";
	return NULL;
}
