/*
 * The skeleton of the human-readable shadow reports (text and Markdown): a summary of
 * lines, entries and span, the malformed lines kept, a table of counts per domain with
 * totals, the top fingerprints of each domain, and the verdict. The two renderers only
 * differ in style (struct shadow_style), so they cannot drift apart.
 */
#include "shadow/shadow_int.h"

#include <stdlib.h>
#include <string.h>

#include "domain/list.h"

/* A slot is reported when it is a domain of the list, or "unmapped" with entries. */
int shadow_slot_listed(const struct ph_shadow *s, size_t i)
{
	if (i == PH_SHADOW_SLOTS - 1)
		return s->domains[i].entries != 0;
	return i < ph_domains()->n;
}

const char *shadow_fp_path(const struct ph_shadow_fp *fp)
{
	return *fp->path ? fp->path : "(body)";
}

/* The parity-shadow/1 event lines and what the proxy counted when it stopped. */
static void events(const struct ph_shadow *s, FILE *f, const struct shadow_style *st)
{
	const struct ph_shadow_events *e = &s->events;

	fprintf(f, "%sevents: %lu start, %lu overflow (%lu dropped), %lu stop", st->bullet,
		e->start, e->overflow, e->overflow_dropped, e->stop);
	if (e->other)
		fprintf(f, ", %lu other", e->other);
	fputc('\n', f);
	if (e->stop)
		fprintf(f,
			"%sat stop: %lu forwarded, %lu replayed, %lu compared, %lu divergent, "
			"%lu dropped, %lu writes skipped, %lu shadow errors; %lu stop%s without "
			"draining the queue\n",
			st->bullet, e->forwarded, e->replayed, e->compared, e->divergent,
			e->dropped, e->skipped_writes, e->shadow_errors, e->undrained,
			e->undrained == 1 ? "" : "s");
	if (s->domain_mismatches)
		fprintf(f, "%s%lu entr%s name a domain the endpoint map does not give\n",
			st->bullet, s->domain_mismatches, s->domain_mismatches == 1 ? "y" : "ies");
}

static void summary(const struct ph_shadow *s, FILE *f, const struct shadow_style *st)
{
	char a[48], b[48];
	size_t i;

	const struct ph_shadow_events *e = &s->events;
	int ours = s->parity_entries || e->start || e->overflow || e->stop || e->other;

	fprintf(f, "%s%lu lines in %u file%s: %lu entries (%lu TS, %lu Rust", st->bullet, s->lines,
		s->files, s->files == 1 ? "" : "s", s->entries, s->ts_entries, s->rust_entries);
	if (ours)
		fprintf(f, ", %lu parity-shadow/1", s->parity_entries);
	fprintf(f, "), %lu malformed\n", s->malformed);
	if (ours)
		events(s, f, st);
	if (s->first_ms <= s->last_ms)
		fprintf(f, "%sspan: %s to %s (%.2f days)\n", st->bullet,
			ph_shadow_format_ms(s->first_ms, a, sizeof(a)),
			ph_shadow_format_ms(s->last_ms, b, sizeof(b)), ph_shadow_span_days(s));
	else
		fprintf(f, "%sspan: no entries\n", st->bullet);
	if (s->malformed) {
		fprintf(f, "%smalformed lines (first %zu):\n", st->bullet, s->n_messages);
		for (i = 0; i < s->n_messages; i++)
			st->malformed(f, s->messages[i].text);
	}
}

static void table(const struct ph_shadow *s, FILE *f, const struct shadow_style *st)
{
	struct ph_shadow_counts t = ph_shadow_totals(s);
	size_t i;

	fprintf(f, st->table_head, "domain", "entries", "structural", "semantic", "timing",
		"error");
	for (i = 0; i < PH_SHADOW_SLOTS; i++) {
		const struct ph_shadow_counts *c = &s->domains[i];

		if (shadow_slot_listed(s, i))
			fprintf(f, st->table_row, ph_shadow_slot_name(i), c->entries,
				c->structural, c->semantic, c->timing, c->error);
	}
	fprintf(f, st->table_row, st->total_name, t.entries, t.structural, t.semantic, t.timing,
		t.error);
}

/* The first top fingerprints of each domain, worst class first (ph_shadow_sorted). */
static void fingerprints(const struct ph_shadow *s, FILE *f, size_t top,
			 const struct shadow_style *st)
{
	const struct ph_shadow_fp **v;
	size_t i, n, d;

	v = ph_shadow_sorted(s, &n);
	for (d = 0; v && d < PH_SHADOW_SLOTS; d++) {
		size_t shown = 0;

		if (!shadow_slot_listed(s, d))
			continue;
		for (i = 0; i < n && shown < top; i++) {
			char a[48], b[48];

			if (strcmp(v[i]->domain, ph_shadow_slot_name(d)))
				continue;
			if (!shown++)
				fprintf(f, st->fps_head, ph_shadow_slot_name(d));
			st->fp_row(f, v[i], ph_shadow_format_ms(v[i]->first_ms, a, sizeof(a)),
				   ph_shadow_format_ms(v[i]->last_ms, b, sizeof(b)));
		}
	}
	free(v);
}

void shadow_render(const struct ph_shadow *s, FILE *f, size_t top, const struct shadow_style *st)
{
	fputs(st->title, f);
	summary(s, f, st);
	table(s, f, st);
	fingerprints(s, f, top ? top : 5, st);
	fprintf(f, st->result,
		ph_shadow_totals(s).structural ? "structural divergences present"
					       : "no structural divergence");
}
