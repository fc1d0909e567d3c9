/*
 * Building the lines of a `parity-shadow/1` log (entry.h). The one place that decides
 * what of an exchange reaches the log, so that no value, message or query string does.
 */
#include "proxy/entry.h"

#include <string.h>
#include <time.h>

char *ph_shadow_ts(char *buf, size_t size)
{
	struct timespec now;
	struct tm tm;
	char base[24];

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, size, "%s.%03ldZ", base, now.tv_nsec / 1000000L);
	return buf;
}

char *ph_shadow_strip_query(const char *path, char *buf, size_t size)
{
	size_t n = strcspn(path ? path : "", "?#");

	if (!size)
		return buf;
	if (n >= size)
		n = size - 1;
	memcpy(buf, path ? path : "", n);
	buf[n] = '\0';
	return buf;
}

json_t *ph_shadow_event_new(const char *name)
{
	char ts[32];

	return json_pack("{s:s, s:s, s:s}", "format", PH_SHADOW_FORMAT, "event", name, "ts",
			 ph_shadow_ts(ts, sizeof(ts)));
}

static int class_rank(enum ph_class c)
{
	return c == PH_EXPECTATION ? 0 : (int)c; /* parity < timing < semantic < structural < error */
}

/* Append the divergences of res to divs and their distinct paths to paths. */
static enum ph_class add_divergences(json_t *divs, json_t *paths, const struct ph_result *res,
				     enum ph_class worst, int state)
{
	size_t i, j;

	for (i = 0; res && i < res->count; i++) {
		const struct ph_divergence *d = &res->items[i];
		const char *path = d->path ? d->path : "";
		int seen = 0;

		if (d->cls == PH_PARITY || d->cls == PH_EXPECTATION)
			continue;
		json_array_append_new(divs, json_pack("{s:s, s:s, s:s}", "class",
						      ph_class_name(d->cls), "kind",
						      state ? "state" : d->kind ? d->kind : "",
						      "path", path));
		for (j = 0; j < json_array_size(paths); j++)
			if (!strcmp(json_string_value(json_array_get(paths, j)), path))
				seen = 1;
		if (!seen)
			json_array_append_new(paths, json_string(path));
		if (class_rank(d->cls) > class_rank(worst))
			worst = d->cls;
	}
	return worst;
}

json_t *ph_shadow_entry_new(const struct ph_shadow_exchange *x, const struct ph_result *res,
			    const struct ph_result *state)
{
	json_t *divs = json_array(), *paths = json_array(), *e = NULL;
	enum ph_class worst = PH_PARITY;
	char path[2048], endpoint[2100];

	if (!divs || !paths)
		goto fail;
	if (x->error) {
		worst = PH_ERROR;
		json_array_append_new(divs, json_pack("{s:s, s:s, s:s}", "class", "error", "kind",
						      "shadow-failed", "path", ""));
		json_array_append_new(paths, json_string(""));
	} else {
		worst = add_divergences(divs, paths, res, worst, 0);
	}
	worst = add_divergences(divs, paths, state, worst, 1);
	if (worst == PH_PARITY)
		goto fail;
	ph_shadow_strip_query(x->path, path, sizeof(path));
	snprintf(endpoint, sizeof(endpoint), "%s %s", x->method, path);
	e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:{s:I, s:I}, "
		      "s:{s:f, s:o}}",
		      "format", PH_SHADOW_FORMAT, "ts", x->ts, "request_id", x->request_id,
		      "method", x->method, "path", path, "endpoint", endpoint, "rule",
		      x->rule ? x->rule : "default", "domain", x->domain ? x->domain : "unmapped",
		      "class", ph_class_name(worst), "paths", paths, "divergences", divs,
		      "status", "primary", (json_int_t)x->status_primary, "shadow",
		      (json_int_t)x->status_shadow, "latency_ms", "primary", x->latency_primary,
		      "shadow", x->latency_shadow >= 0 ? json_real(x->latency_shadow) : json_null());
	if (e && x->error)
		json_object_set_new(e, "error", json_string(x->error));
	return e; /* json_pack stole paths and divs, also on failure */
fail:
	json_decref(divs);
	json_decref(paths);
	return NULL;
}
