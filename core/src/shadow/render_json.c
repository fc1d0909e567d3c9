/*
 * The shadow report as JSON (`parity shadow-report --format json`, and what `parity
 * gate` reads): the fixed keys of DESIGN.md, {lines, entries, malformed, span_days,
 * first_seen, last_seen, domains, fingerprints}, and a few more (files, per-format
 * entries, totals, messages, each fingerprint's first example, and the parity-shadow/1
 * event lines: events {start, overflow, stop, other, overflow_dropped, at_stop {the stop
 * lines' counters added up, undrained: stops with "drained": false}}).
 */
#include "shadow/shadow_int.h"

#include <stdlib.h>

static json_t *time_json(long long ms, int valid)
{
	char b[48];

	return valid ? json_string(ph_shadow_format_ms(ms, b, sizeof(b))) : json_null();
}

json_t *ph_shadow_to_json(const struct ph_shadow *s)
{
	json_t *doc, *lines, *msgs, *domains, *fps, *totals, *events;
	const struct ph_shadow_events *e = &s->events;
	const struct ph_shadow_fp **v;
	struct ph_shadow_counts t = ph_shadow_totals(s);
	int have = s->first_ms <= s->last_ms;
	size_t i, n;

	lines = json_array();
	msgs = json_array();
	domains = json_object();
	fps = json_array();
	for (i = 0; i < s->n_malformed_at; i++)
		json_array_append_new(lines, json_integer((json_int_t)s->malformed_at[i].line));
	for (i = 0; i < s->n_messages; i++)
		json_array_append_new(msgs, json_string(s->messages[i].text));
	for (i = 0; i < PH_SHADOW_SLOTS; i++) {
		const struct ph_shadow_counts *c = &s->domains[i];

		if (!shadow_slot_listed(s, i))
			continue;
		json_object_set_new(
		    domains, ph_shadow_slot_name(i),
		    json_pack("{s:I, s:I, s:I, s:I, s:I}", "entries", (json_int_t)c->entries,
			      "structural", (json_int_t)c->structural, "semantic",
			      (json_int_t)c->semantic, "timing", (json_int_t)c->timing, "error",
			      (json_int_t)c->error));
	}
	v = ph_shadow_sorted(s, &n);
	for (i = 0; v && i < n; i++)
		json_array_append_new(
		    fps,
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:o, s:o, s:O}", "domain", v[i]->domain,
			      "endpoint", v[i]->endpoint, "class", ph_class_name(v[i]->cls), "path",
			      v[i]->path, "count", (json_int_t)v[i]->count, "first_seen",
			      time_json(v[i]->first_ms, 1), "last_seen",
			      time_json(v[i]->last_ms, 1), "example", v[i]->example));
	free(v);
	events = json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}}", "start",
	    (json_int_t)e->start, "overflow", (json_int_t)e->overflow, "stop", (json_int_t)e->stop,
	    "other", (json_int_t)e->other, "overflow_dropped", (json_int_t)e->overflow_dropped,
	    "at_stop", "forwarded", (json_int_t)e->forwarded, "replayed", (json_int_t)e->replayed,
	    "compared", (json_int_t)e->compared, "divergent", (json_int_t)e->divergent, "dropped",
	    (json_int_t)e->dropped, "skipped_writes", (json_int_t)e->skipped_writes,
	    "shadow_errors", (json_int_t)e->shadow_errors, "undrained", (json_int_t)e->undrained);
	totals = json_pack("{s:I, s:I, s:I, s:I}", "structural", (json_int_t)t.structural,
			   "semantic", (json_int_t)t.semantic, "timing", (json_int_t)t.timing,
			   "error", (json_int_t)t.error);
	doc = json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:{s:I, s:o, s:b, s:o}, s:f, s:o, s:o, s:o, "
	    "s:o, s:o, s:I, s:I, s:o}",
	    "files", (json_int_t)s->files, "lines", (json_int_t)s->lines, "entries",
	    (json_int_t)s->entries, "ts_entries", (json_int_t)s->ts_entries, "rust_entries",
	    (json_int_t)s->rust_entries, "malformed", "count", (json_int_t)s->malformed, "lines",
	    lines, "truncated", s->malformed > s->n_malformed_at, "messages", msgs, "span_days",
	    ph_shadow_span_days(s), "first_seen", time_json(s->first_ms, have), "last_seen",
	    time_json(s->last_ms, have), "totals", totals, "domains", domains, "fingerprints", fps,
	    "parity_entries", (json_int_t)s->parity_entries, "domain_mismatches",
	    (json_int_t)s->domain_mismatches, "events", events);
	return doc;
}
