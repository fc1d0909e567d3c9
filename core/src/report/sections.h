/*
 * The parts of a report that Markdown and HTML share, written once (sections.c) through a
 * renderer's format: the order of a report's sections, the domain summary, the route
 * coverage, the metrics, the performance tables and the rule patterns that matched
 * nothing. A renderer keeps
 * what only it has: its header, its domain sections, HTML's latency plots. Internal to
 * core/src/report.
 */
#ifndef PARITY_REPORT_SECTIONS_H
#define PARITY_REPORT_SECTIONS_H

#include <stdio.h>
#include <jansson.h>

/* How one renderer writes text, headings, paragraphs, tables and lists. */
struct report_format {
	/* text from the matrix, escaped for the format */
	void (*text)(FILE *out, const char *s);
	/* a section heading; id (an anchor) may be NULL */
	void (*heading)(FILE *out, const char *title, const char *id);
	/* a status or class label, with its CSS class (NULL: one of the label's own) and
	   whether Markdown makes it strong */
	void (*badge)(FILE *out, const char *label, const char *css, int strong);
	/* the section of the i-th domain */
	void (*domain)(FILE *out, const json_t *domain, size_t i);
	/* what follows the performance tables of a measured run; may be NULL */
	void (*perf_extra)(FILE *out, const json_t *perf);
	const char *para, *para_end;
	const char *table, *table_end;
	const char *head_row, *head_cell, *head_cell_end, *head_row_end;
	/* the row under the headings that aligns the columns (NULL: none) */
	const char *rule_row, *rule_left, *rule_right, *rule_row_end;
	const char *row, *cell, *cell_right, *cell_end, *row_end;
	/* around a domain's name in the summary: a link to its section (%zu: its index),
	   NULL for none */
	const char *link, *link_end;
	const char *list, *item, *item_end, *list_end;
};

/*
 * The body of a report of matrix: the summary, every domain's section, the route coverage
 * (when the matrix has one), the metrics but metrics.perf, the performance section and
 * the unmatched rule patterns.
 */
void report_sections(const struct report_format *f, FILE *out, const json_t *matrix);

/*
 * The route coverage section of a matrix's "coverage" object (nothing for anything else):
 * a line with the ratios and counts, the listed routes in the list's order (route, depth,
 * rows, the list's own status), then the routes driven that the list does not have.
 */
void report_coverage(const struct report_format *f, FILE *out, const json_t *coverage);

#endif
