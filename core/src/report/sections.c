/*
 * The sections Markdown and HTML share (sections.h): written here once, as headings,
 * paragraphs, tables whose columns align left (text) or right (numbers), and lists, in
 * the markup of the renderer's format. Everything from the matrix goes through its text
 * escaping.
 */
#define _POSIX_C_SOURCE 200809L
#include "report/sections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "matrix/metrics_table.h"
#include "report/report.h"

/* The alignment of column i: align has one letter a column, 'l' text or 'r' numbers, the
 * last one standing for the columns after it. */
static char align_of(const char *align, size_t i)
{
	size_t n = strlen(align);

	return align[i < n ? i : n - 1];
}

/* Open a table with the headings first and then heads[0..n). */
static void table_head(const struct report_format *f, FILE *out, const char *first,
		       const char *const *heads, size_t n, const char *align)
{
	size_t i;

	fputs(f->table, out);
	fputs(f->head_row, out);
	for (i = 0; i <= n; i++) {
		fputs(f->head_cell, out);
		f->text(out, i ? heads[i - 1] : first);
		fputs(f->head_cell_end, out);
	}
	fputs(f->head_row_end, out);
	if (!f->rule_row)
		return;
	fputs(f->rule_row, out);
	for (i = 0; i <= n; i++)
		fputs(align_of(align, i) == 'r' ? f->rule_right : f->rule_left, out);
	fputs(f->rule_row_end, out);
}

/* Open the cell of column i (0 opens the row too); close it with cell_end. */
static void cell(const struct report_format *f, FILE *out, size_t i, char align)
{
	if (!i)
		fputs(f->row, out);
	fputs(align == 'r' ? f->cell_right : f->cell, out);
}

static void text_cell(const struct report_format *f, FILE *out, size_t i, char align,
		      const char *s)
{
	cell(f, out, i, align);
	f->text(out, s);
	fputs(f->cell_end, out);
}

static void para(const struct report_format *f, FILE *out, const char *lead, const char *s)
{
	fputs(f->para, out);
	fputs(lead, out);
	f->text(out, s);
	fputs(f->para_end, out);
}

static void summary(const struct report_format *f, FILE *out, const json_t *domains)
{
	static const char *const heads[] = {"status", "parity", "structural", "semantic",
					    "timing", "error"};
	const json_t *d;
	size_t i, k;

	f->heading(out, "Summary", NULL);
	if (!json_array_size(domains)) {
		para(f, out, "No domains were run.", "");
		return;
	}
	table_head(f, out, "domain", heads, 6, "llr");
	json_array_foreach(domains, i, d)
	{
		cell(f, out, 0, 'l');
		if (f->link)
			fprintf(out, f->link, i);
		f->text(out, ph_report_str(d, "domain", "?"));
		if (f->link)
			fputs(f->link_end, out);
		fputs(f->cell_end, out);
		cell(f, out, 1, 'l');
		f->badge(out, ph_report_str(d, "status", "?"), NULL, 0);
		fputs(f->cell_end, out);
		for (k = 1; k < 6; k++) {
			cell(f, out, k + 1, 'r');
			fprintf(out, "%lld", ph_report_count(d, heads[k]));
			fputs(f->cell_end, out);
		}
		fputs(f->row_end, out);
	}
	fputs(f->table_end, out);
}

static void metrics_section(const struct report_format *f, FILE *out, const json_t *metrics)
{
	const char **cols, **rows, **scalars;
	size_t nc, nr, ns, i, j;

	if (!json_is_object(metrics) || !json_object_size(metrics))
		return;
	ph_report_metric_layout(metrics, &cols, &nc, &rows, &nr, &scalars, &ns);
	f->heading(out, "Metrics", NULL);
	if (nc && nr) {
		table_head(f, out, "metric", cols, nc, "lr");
		for (i = 0; i < nr; i++) {
			text_cell(f, out, 0, 'l', rows[i]);
			for (j = 0; j < nc; j++) {
				char *t = ph_report_metric_text(
				    json_object_get(json_object_get(metrics, cols[j]), rows[i]));

				text_cell(f, out, j + 1, 'r', t ? t : "?");
				free(t);
			}
			fputs(f->row_end, out);
		}
		fputs(f->table_end, out);
	}
	if (ns)
		fputs(f->list, out);
	for (i = 0; i < ns; i++) {
		char *t = ph_report_metric_text(json_object_get(metrics, scalars[i]));

		fputs(f->item, out);
		f->text(out, scalars[i]);
		fputs(": ", out);
		f->text(out, t ? t : "?");
		fputs(f->item_end, out);
		free(t);
	}
	if (ns)
		fputs(f->list_end, out);
	free(cols);
	free(rows);
	free(scalars);
}

static void perf_targets(const struct report_format *f, FILE *out, const json_t *targets)
{
	static const char *const heads[] = {"expected", "candidate/reference", "status"};
	const json_t *t;
	size_t i;

	table_head(f, out, "target", heads, 3, "llrl");
	json_array_foreach(targets, i, t)
	{
		const json_t *met = json_object_get(t, "met");
		char *v = ph_report_metric_text(json_object_get(t, "value"));

		text_cell(f, out, 0, 'l', ph_report_str(t, "target", "?"));
		text_cell(f, out, 1, 'l', ph_report_str(t, "expr", "?"));
		text_cell(f, out, 2, 'r', v ? v : "?");
		cell(f, out, 3, 'l');
		if (json_is_true(met))
			f->badge(out, "met", "pass", 0);
		else if (json_is_false(met))
			f->badge(out, "missed", "diverge", 1);
		else
			f->badge(out, "not measured", "skipped", 0);
		fputs(f->cell_end, out);
		fputs(f->row_end, out);
		free(v);
	}
	fputs(f->table_end, out);
}

/* metrics.perf: the performance table with ratios, then the targets when set. */
static void perf_section(const struct report_format *f, FILE *out, const json_t *perf)
{
	static const char *const heads[] = {"reference", "candidate", "candidate/reference"};
	json_t *rows = ph_perf_table(perf), *r;
	size_t i, k;

	if (!json_is_object(perf))
		return;
	f->heading(out, "Performance", "performance");
	if (!rows) {
		para(f, out, "Not measured: ", ph_report_str(perf, "error", "no measurement"));
		return;
	}
	fputs(f->para, out);
	fprintf(out, "%lld requests per endpoint and runtime, interleaved, after %lld warm-up "
		     "requests and %lld ms idle.",
		(long long)json_integer_value(json_object_get(perf, "requests")),
		(long long)json_integer_value(json_object_get(perf, "warmup")),
		(long long)json_integer_value(json_object_get(perf, "idle_ms")));
	fputs(f->para_end, out);
	table_head(f, out, "metric", heads, 3, "lr");
	json_array_foreach(rows, i, r)
	{
		for (k = 0; k < 4; k++)
			text_cell(f, out, k, k ? 'r' : 'l',
				  json_string_value(json_array_get(r, k)));
		fputs(f->row_end, out);
	}
	fputs(f->table_end, out);
	json_decref(rows);
	if (json_array_size(json_object_get(perf, "targets")))
		perf_targets(f, out, json_object_get(perf, "targets"));
	if (f->perf_extra)
		f->perf_extra(out, perf);
}

/* A depth as a label: its CSS class "depth-<depth>" (report.html colours them). */
static void depth_badge(const struct report_format *f, FILE *out, const char *depth)
{
	char css[32];

	snprintf(css, sizeof(css), "depth-%s", depth);
	f->badge(out, depth, css, 0);
}

/* The rows of a coverage table: route, depth, rows and, for listed routes, their status. */
static void coverage_rows(const struct report_format *f, FILE *out, const json_t *entries,
			  int listed)
{
	const json_t *e;
	size_t i;

	json_array_foreach(entries, i, e)
	{
		const json_t *st = json_object_get(e, "listed_status");

		text_cell(f, out, 0, 'l', ph_report_str(e, "route", "?"));
		cell(f, out, 1, 'l');
		depth_badge(f, out, ph_report_str(e, "depth", "none"));
		fputs(f->cell_end, out);
		cell(f, out, 2, 'r');
		fprintf(out, "%lld", (long long)json_integer_value(json_object_get(e, "rows")));
		fputs(f->cell_end, out);
		if (listed)
			text_cell(f, out, 3, 'l', json_is_string(st) ? json_string_value(st) : "-");
		fputs(f->row_end, out);
	}
}

void report_coverage(const struct report_format *f, FILE *out, const json_t *cov)
{
	static const char *const heads[] = {"depth", "rows", "listed status"};
	char *line;
	const json_t *unlisted = json_object_get(cov, "unlisted");

	if (!json_is_object(cov))
		return;
	f->heading(out, "Route coverage", "coverage");
	fputs(f->para, out);
	fprintf(out, "%lld routes of ",
		(long long)json_integer_value(json_object_get(cov, "routes")));
	f->text(out, ph_report_str(cov, "source", "?"));
	line = ph_report_coverage_line(cov);
	fputs(": ", out);
	f->text(out, line ? line : "?");
	fputs(" (driven: the share of routes whose deepest row compared at least that).", out);
	free(line);
	fputs(f->para_end, out);
	table_head(f, out, "route", heads, 3, "llrl");
	coverage_rows(f, out, json_object_get(cov, "routes_table"), 1);
	fputs(f->table_end, out);
	if (!json_array_size(unlisted))
		return;
	fputs(f->para, out);
	fprintf(out, "%zu route%s driven that the list does not have:", json_array_size(unlisted),
		json_array_size(unlisted) == 1 ? "" : "s");
	fputs(f->para_end, out);
	table_head(f, out, "route", heads, 2, "llr");
	coverage_rows(f, out, unlisted, 0);
	fputs(f->table_end, out);
}

/* Rule patterns that matched nothing in the run: a rule that silently stopped applying. */
static void unmatched_section(const struct report_format *f, FILE *out, const json_t *unmatched)
{
	static const char *const keys[] = {"rule", "kind", "pattern"};
	const json_t *p;
	size_t i, k;

	if (!json_is_array(unmatched) || !json_array_size(unmatched))
		return;
	f->heading(out, "Rule patterns that matched nothing", NULL);
	fputs(f->para, out);
	fprintf(out, "%zu patterns matched no path in this run: check that each still applies.",
		json_array_size(unmatched));
	fputs(f->para_end, out);
	table_head(f, out, "rule", keys + 1, 2, "l");
	json_array_foreach(unmatched, i, p)
	{
		for (k = 0; k < 3; k++)
			text_cell(f, out, k, 'l', ph_report_str(p, keys[k], "?"));
		fputs(f->row_end, out);
	}
	fputs(f->table_end, out);
}

void report_sections(const struct report_format *f, FILE *out, const json_t *matrix)
{
	const json_t *domains = json_object_get(matrix, "domains"), *d;
	json_t *metrics;
	size_t i;

	summary(f, out, domains);
	json_array_foreach(domains, i, d) f->domain(out, d, i);
	report_coverage(f, out, json_object_get(matrix, "coverage"));
	/* the performance section has its own table; the generic one shows the rest */
	metrics = json_copy(json_object_get(matrix, "metrics"));
	json_object_del(metrics, "perf");
	metrics_section(f, out, metrics);
	json_decref(metrics);
	perf_section(f, out, json_object_get(json_object_get(matrix, "metrics"), "perf"));
	unmatched_section(f, out, json_object_get(matrix, "unmatched_patterns"));
}
