/*
 * Shadow-divergence log analysis: the aggregate of logs written by the TS daemon's
 * in-process shadow ({ts, path, method, primaryStatus, shadowStatus}), by the Rust
 * signet-shadow proxy ({timestamp, endpoint, ..., divergences[]}) and by `parity shadow`
 * ({"format": "parity-shadow/1", ...}, entries and events), in any mix, per domain
 * and per fingerprint. The upstream analyzer silently skips every line it cannot parse as
 * the Rust struct; here every line is either classified or counted as malformed with its
 * number and a message. This file accounts one line at a time and merges aggregates; the
 * formats, fingerprints, reading and reports are in the files shadow_int.h lists.
 */
#include "shadow/shadow_int.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "domain/list.h"
#include "parity/jsonio.h"

size_t ph_shadow_slot(const char *domain)
{
	size_t i;

	for (i = 0; i < ph_domains()->n && i < PH_SHADOW_SLOTS - 1; i++)
		if (!strcmp(domain, ph_domains()->names[i]))
			return i;
	return PH_SHADOW_SLOTS - 1;
}

const char *ph_shadow_slot_name(size_t slot)
{
	return slot < ph_domains()->n && slot < PH_SHADOW_SLOTS - 1 ? ph_domains()->names[slot]
								      : PH_DOMAIN_UNMAPPED;
}

void ph_shadow_init(struct ph_shadow *s, const struct ph_domain_map *map,
		    const struct ph_timing *timing)
{
	memset(s, 0, sizeof(*s));
	s->map = map;
	s->timing = timing ? *timing : PH_TIMING_DEFAULT;
	s->first_ms = INT64_MAX;
	s->last_ms = INT64_MIN;
}

void ph_shadow_release(struct ph_shadow *s)
{
	size_t i;

	for (i = 0; i < s->n_messages; i++)
		free(s->messages[i].text);
	shadow_fp_free(s);
	shadow_endpoints_free(s);
	memset(s, 0, sizeof(*s));
}

/* ---- time ---------------------------------------------------------------------- */

int ph_shadow_parse_time(const char *t, long long *ms)
{
	return t ? ph_timestamp_parse_log(t, strlen(t), ms) : -1;
}

char *ph_shadow_format_ms(long long ms, char *buf, size_t size)
{
	time_t secs = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int milli = (int)(ms - (long long)secs * 1000);
	struct tm tm;

	if (!gmtime_r(&secs, &tm)) {
		snprintf(buf, size, "invalid");
		return buf;
	}
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, milli);
	return buf;
}

double ph_shadow_span_days(const struct ph_shadow *s)
{
	if (s->first_ms > s->last_ms)
		return 0.0;
	return (double)(s->last_ms - s->first_ms) / 86400000.0;
}

/* ---- one line ------------------------------------------------------------------ */

static void count_class(struct ph_shadow_counts *c, enum ph_class cls)
{
	unsigned long *n = cls == PH_STRUCTURAL ? &c->structural :
			   cls == PH_SEMANTIC	? &c->semantic :
			   cls == PH_TIMING	? &c->timing :
			   cls == PH_ERROR	? &c->error :
						  NULL; /* parity is not counted */

	if (n)
		(*n)++;
}

/* Lines of one aggregate arrive in order, so the first ones kept are the earliest. */
int ph_shadow_add_malformed(struct ph_shadow *s, const char *source, struct ph_shadow_pos at,
			    const char *what)
{
	s->malformed++;
	if (s->n_malformed_at < PH_SHADOW_MALFORMED_KEEP)
		s->malformed_at[s->n_malformed_at++] = at;
	if (s->n_messages < PH_SHADOW_MESSAGES_KEEP) {
		size_t n = strlen(source) + strlen(what) + 32;
		char *m = malloc(n);

		if (!m)
			return PH_E_NOMEM;
		snprintf(m, n, "%s:%lu: %s", source, at.line, what);
		s->messages[s->n_messages].at = at;
		s->messages[s->n_messages++].text = m;
	}
	return 0;
}

static int get_status(const json_t *o, const char *key, long *out)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v)) {
		*out = (long)json_integer_value(v);
		return 0;
	}
	if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v))) {
		*out = (long)json_real_value(v);
		return 0;
	}
	return -1;
}

/* Where the divergences of one line go: its domain's counts and the fingerprints. */
struct line_ctx {
	struct ph_shadow *s;
	struct ph_shadow_counts *c;
	const char *domain, *tmpl, *source;
	struct ph_shadow_pos at;
	long long ms;
};

/* Count one divergence of class cls at field path; div (borrowed) is the example. */
static int count(const struct line_ctx *x, enum ph_class cls, const char *path, const json_t *div)
{
	count_class(x->c, cls);
	return shadow_fp_add(x->s, x->domain, x->tmpl, cls, path, x->ms, x->source, x->at, div);
}

/* The same for a divergence made here, not read from the line: div_new is taken. */
static int count_take(const struct line_ctx *x, enum ph_class cls, const char *path,
		      json_t *div_new)
{
	int rc;

	if (!div_new)
		return PH_E_NOMEM;
	rc = count(x, cls, path, div_new);
	json_decref(div_new);
	return rc;
}

static int entry(struct ph_shadow *s, const json_t *o, const char *source, struct ph_shadow_pos at)
{
	struct line_ctx x = {s, NULL, NULL, NULL, source, at, 0};
	struct shadow_line l;
	const char *why;
	size_t i;
	long pst, sst;
	int rc, has_status = 0;

	if (json_is_string(json_object_get(o, "endpoint")))
		why = shadow_rust_line(o, &l);
	else
		why = shadow_ts_line(o, &l);
	if (why)
		return ph_shadow_add_malformed(s, source, at, why);
	if (ph_shadow_parse_time(l.ts, &x.ms))
		return ph_shadow_add_malformed(s, source, at, "timestamp is not ISO-8601");
	if (get_status(o, "primaryStatus", &pst) || get_status(o, "shadowStatus", &sst))
		return ph_shadow_add_malformed(
		    s, source, at, "'primaryStatus' or 'shadowStatus' is not an integer");
	rc = shadow_endpoint(s, l.method, l.mlen, l.path, &x.domain, &x.tmpl);
	if (rc)
		return rc;

	s->entries++;
	if (l.rust)
		s->rust_entries++;
	else
		s->ts_entries++;
	if (x.ms < s->first_ms)
		s->first_ms = x.ms;
	if (x.ms > s->last_ms)
		s->last_ms = x.ms;
	x.c = &s->domains[ph_shadow_slot(x.domain)];
	x.c->entries++;

	if (sst == 0) {
		/* The shadow did not answer: nothing else on this line is evidence. */
		const json_t *d = NULL;

		for (i = 0; l.divs && i < json_array_size(l.divs); i++)
			if (shadow_rust_classify(json_array_get(l.divs, i)) == PH_ERROR)
				d = json_array_get(l.divs, i); /* "shadow request failed..." */
		return count(&x, PH_ERROR, "connection", d ? d : o);
	}
	for (i = 0; l.divs && i < json_array_size(l.divs); i++) {
		const json_t *d = json_array_get(l.divs, i);
		const char *field;
		enum ph_class cls;

		if (!json_is_object(d)) {
			char what[64];

			snprintf(what, sizeof(what), "divergences[%zu] is not an object", i);
			rc = ph_shadow_add_malformed(s, source, at, what);
			if (rc)
				return rc;
			continue;
		}
		field = json_string_value(json_object_get(d, "field"));
		cls = shadow_rust_classify(d);
		if (cls == PH_STRUCTURAL && field && !strcmp(field, "statusCode"))
			has_status = 1;
		rc = count(&x, cls, field ? field : "", d);
		if (rc)
			return rc;
	}
	if (pst != sst && !has_status &&
	    (rc = count_take(&x, PH_STRUCTURAL, "statusCode", shadow_rust_status_div(pst, sst))))
		return rc;
	if (l.has_latency && ph_timing_diverges(&s->timing, l.la, l.lb) &&
	    (rc = count_take(&x, PH_TIMING, "latencyMs",
			     json_pack("{s:f, s:f}", "primaryLatencyMs", l.la, "shadowLatencyMs",
				       l.lb))))
		return rc;
	return 0;
}

/* ---- parity-shadow/1 lines (log_parity.c) ------------------------------------- */

static void seen_at(struct ph_shadow *s, long long ms)
{
	if (ms < s->first_ms)
		s->first_ms = ms;
	if (ms > s->last_ms)
		s->last_ms = ms;
}

/*
 * The domain a line names, as the pointer the rest of the aggregate uses: a domain of the
 * list, or "unmapped"; a name this repo does not know gives way to the map's domain.
 */
static const char *line_domain(const char *name, const char *mapped)
{
	const struct ph_domain_list *l = ph_domains();
	size_t k = ph_domain_list_index(l, name);

	if (k < l->n)
		return l->names[k];
	if (!strcmp(name, PH_DOMAIN_UNMAPPED))
		return ph_shadow_slot_name(PH_SHADOW_SLOTS - 1);
	return mapped;
}

/*
 * Count a divergence of the line: d (borrowed) is the example when it holds class, kind
 * and path only, as the format says; otherwise an example of those three is made, so that
 * no value a writer added by mistake reaches a report.
 */
static int count_parity(const struct line_ctx *x, enum ph_class cls, const char *kind,
			const char *path, const json_t *d)
{
	if (d && json_object_size(d) == 3)
		return count(x, cls, path, d);
	return count_take(x, cls, path,
			  json_pack("{s:s, s:s, s:s}", "class", ph_class_name(cls), "kind", kind,
				    "path", path));
}

static int parity_entry(struct ph_shadow *s, const json_t *o, const char *source,
			struct ph_shadow_pos at)
{
	struct line_ctx x = {s, NULL, NULL, NULL, source, at, 0};
	struct shadow_line l;
	const char *why = shadow_parity_line(o, &l), *mapped;
	size_t i, n;
	int rc, seen = 0;

	if (why)
		return ph_shadow_add_malformed(s, source, at, why);
	if (ph_shadow_parse_time(l.ts, &x.ms))
		return ph_shadow_add_malformed(s, source, at, "timestamp is not ISO-8601");
	rc = shadow_endpoint(s, l.method, l.mlen, l.path, &mapped, &x.tmpl);
	if (rc)
		return rc;
	/* the line's domain, checked against the map; the map's when the line has none */
	x.domain = mapped;
	if (l.domain && strcmp(l.domain, mapped)) {
		s->domain_mismatches++;
		x.domain = line_domain(l.domain, mapped);
	}
	s->entries++;
	s->parity_entries++;
	seen_at(s, x.ms);
	x.c = &s->domains[ph_shadow_slot(x.domain)];
	x.c->entries++;

	if (l.cls == PH_ERROR)
		/* no comparable answer: nothing else is evidence (as for the other formats) */
		return count_take(&x, PH_ERROR, "connection",
				  json_pack("{s:s, s:s, s:s, s:s?}", "class", "error", "kind",
					    "shadow-failed", "path", "", "error", l.error));
	n = json_array_size(l.divs);
	for (i = 0; i < n; i++) {
		const json_t *d = json_array_get(l.divs, i);
		enum ph_class cls =
		    (enum ph_class)shadow_parity_class(json_string_value(json_object_get(d, "class")));

		seen |= cls == l.cls;
		rc = count_parity(&x, cls, json_string_value(json_object_get(d, "kind")),
				  json_string_value(json_object_get(d, "path")), d);
		if (rc)
			return rc;
	}
	if (seen)
		return 0;
	/* the entry's class counts even when its divergences do not show it */
	for (i = 0; !n && i < json_array_size(l.paths); i++)
		if ((rc = count_parity(&x, l.cls, "entry",
				       json_string_value(json_array_get(l.paths, i)), NULL)))
			return rc;
	if (!n && json_array_size(l.paths))
		return 0;
	return count_parity(&x, l.cls, "entry", "", NULL);
}

static int parity_line(struct ph_shadow *s, const json_t *o, const char *source,
		       struct ph_shadow_pos at)
{
	const char *why;
	long long ms;

	if (!json_object_get(o, "event"))
		return parity_entry(s, o, source, at);
	why = shadow_parity_event(o, &s->events, &ms);
	if (why)
		return ph_shadow_add_malformed(s, source, at, why);
	/* the proxy writes divergent exchanges only: its events show how long it ran */
	seen_at(s, ms);
	return 0;
}

int ph_shadow_add_line(struct ph_shadow *s, const char *source, struct ph_shadow_pos at,
		       const char *line, size_t len)
{
	json_error_t jerr;
	json_t *o;
	size_t i;
	int rc;

	s->lines++;
	for (i = 0; i < len; i++)
		if (!isspace((unsigned char)line[i]))
			break;
	if (i == len)
		return 0;
	if (memchr(line, '\0', len))
		return ph_shadow_add_malformed(s, source, at, "contains a NUL byte");
	o = json_loadb(line, len, 0, &jerr);
	if (!o) {
		char what[256];
		char *near = strstr(jerr.text, " near '");

		/* jansson quotes the text where it stopped: a log line may hold secrets */
		if (near)
			*near = '\0';
		snprintf(what, sizeof(what), "not JSON: %s (column %d)", jerr.text, jerr.column);
		return ph_shadow_add_malformed(s, source, at, what);
	}
	if (!json_is_object(o)) {
		json_decref(o);
		return ph_shadow_add_malformed(s, source, at, "not a JSON object");
	}
	switch (shadow_parity_format(o)) {
	case 1:
		rc = parity_line(s, o, source, at);
		break;
	case -1:
		rc = ph_shadow_add_malformed(s, source, at,
					     "unknown log format: 'format' is not \"" SHADOW_PARITY_FORMAT
					     "\"");
		break;
	default:
		rc = entry(s, o, source, at);
	}
	json_decref(o);
	return rc;
}

/* ---- merging partial aggregates ----------------------------------------------- */

static void add_counts(struct ph_shadow_counts *to, const struct ph_shadow_counts *from)
{
	to->entries += from->entries;
	to->structural += from->structural;
	to->semantic += from->semantic;
	to->timing += from->timing;
	to->error += from->error;
}

static void add_events(struct ph_shadow_events *to, const struct ph_shadow_events *from)
{
	to->start += from->start;
	to->overflow += from->overflow;
	to->stop += from->stop;
	to->other += from->other;
	to->overflow_dropped += from->overflow_dropped;
	to->forwarded += from->forwarded;
	to->replayed += from->replayed;
	to->compared += from->compared;
	to->divergent += from->divergent;
	to->dropped += from->dropped;
	to->skipped_writes += from->skipped_writes;
	to->shadow_errors += from->shadow_errors;
	to->undrained += from->undrained;
}

static int msg_cmp(const void *pa, const void *pb)
{
	return shadow_pos_cmp(&((const struct ph_shadow_message *)pa)->at,
			      &((const struct ph_shadow_message *)pb)->at);
}

/*
 * The first keep of two sorted lists of size-byte elements, mine (n_mine, room for keep)
 * and theirs, back in mine; all of them sorted in tmp (room for both). Returns how many
 * there were: those from keep on in tmp are the ones dropped.
 */
static size_t keep_first(void *mine, size_t n_mine, const void *theirs, size_t n_theirs,
			 size_t size, size_t keep, int (*cmp)(const void *, const void *),
			 void *tmp)
{
	size_t n = n_mine + n_theirs;

	memcpy(tmp, mine, n_mine * size);
	memcpy((char *)tmp + n_mine * size, theirs, n_theirs * size);
	qsort(tmp, n, size, cmp);
	memcpy(mine, tmp, (n < keep ? n : keep) * size);
	return n;
}

int ph_shadow_merge(struct ph_shadow *s, struct ph_shadow *from)
{
	struct ph_shadow_pos pos[2 * PH_SHADOW_MALFORMED_KEEP];
	struct ph_shadow_message msgs[2 * PH_SHADOW_MESSAGES_KEEP];
	size_t i, n;

	s->lines += from->lines;
	s->entries += from->entries;
	s->ts_entries += from->ts_entries;
	s->rust_entries += from->rust_entries;
	s->parity_entries += from->parity_entries;
	s->domain_mismatches += from->domain_mismatches;
	add_events(&s->events, &from->events);
	s->malformed += from->malformed;
	if (from->first_ms < s->first_ms)
		s->first_ms = from->first_ms;
	if (from->last_ms > s->last_ms)
		s->last_ms = from->last_ms;
	for (i = 0; i < PH_SHADOW_SLOTS; i++)
		add_counts(&s->domains[i], &from->domains[i]);
	/* the first malformed lines overall are among the first ones of each part */
	n = keep_first(s->malformed_at, s->n_malformed_at, from->malformed_at,
		       from->n_malformed_at, sizeof(pos[0]), PH_SHADOW_MALFORMED_KEEP,
		       shadow_pos_cmp, pos);
	s->n_malformed_at = n < PH_SHADOW_MALFORMED_KEEP ? n : PH_SHADOW_MALFORMED_KEEP;
	from->n_malformed_at = 0;
	n = keep_first(s->messages, s->n_messages, from->messages, from->n_messages,
		       sizeof(msgs[0]), PH_SHADOW_MESSAGES_KEEP, msg_cmp, msgs);
	s->n_messages = n < PH_SHADOW_MESSAGES_KEEP ? n : PH_SHADOW_MESSAGES_KEEP;
	for (i = s->n_messages; i < n; i++)
		free(msgs[i].text);
	from->n_messages = 0;
	return shadow_fp_merge(s, from);
}

/* ---- totals and configuration ------------------------------------------------- */

struct ph_shadow_counts ph_shadow_totals(const struct ph_shadow *s)
{
	struct ph_shadow_counts t = {0, 0, 0, 0, 0};
	size_t i;

	for (i = 0; i < PH_SHADOW_SLOTS; i++)
		add_counts(&t, &s->domains[i]);
	return t;
}

int ph_shadow_timing_from_config(const char *path, struct ph_timing *t, struct ph_err *err)
{
	json_t *doc;
	int rc;

	rc = ph_json_load_file(path, &doc, err);
	if (rc)
		return rc;
	/* one latency per side in a log: nothing to re-measure, "samples" is not ours */
	rc = ph_timing_parse(doc, path, t, NULL, err);
	json_decref(doc);
	return rc;
}
