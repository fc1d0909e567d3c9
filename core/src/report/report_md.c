/*
 * matrix.md: the parity matrix as GitHub-flavoured Markdown for a pull request or a CI
 * summary. A header with the runtimes and the verdict, a summary table of the domains,
 * then per domain a table | feature | case | reference | candidate |, a counts line and,
 * under the table, the divergences of every row that is not parity. Cell text is escaped
 * so a value can neither break a table (| and newlines) nor turn into markup or HTML
 * (Markdown punctuation is backslash-escaped, <, > and & become entities): what renders is
 * exactly the text in the matrix. The sections it shares with report.html (summary, route
 * coverage, metrics, performance, unmatched patterns) are written by sections.c in this
 * format, which `parity coverage --format md` uses too.
 */
#define _POSIX_C_SOURCE 200809L
#include "report/report.h"
#include "report/sections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest value shown in a divergence line, in bytes. */
#define MD_VALUE_MAX 160
/* Divergences listed per row before "... and N more". */
#define MD_DIVERGENCES_MAX 20

/* Markdown punctuation backslash-escaped, HTML's specials as entities, lines as <br>. */
static const char *const md_subst[128] = {
    ['|'] = "\\|", ['\\'] = "\\\\", ['*'] = "\\*", ['_'] = "\\_", ['`'] = "\\`", ['['] = "\\[",
    [']'] = "\\]", ['<'] = "&lt;", ['>'] = "&gt;", ['&'] = "&amp;", ['\n'] = "<br>", ['\r'] = "",
};

static void md_text(FILE *out, const char *s)
{
	ph_report_escape(out, s, md_subst);
}

static void md_value(FILE *out, const json_t *v)
{
	char *s = ph_report_value_text(v, MD_VALUE_MAX);

	md_text(out, s ? s : "?");
	free(s);
}

static void header(FILE *out, const json_t *m)
{
	const json_t *rts = json_object_get(m, "runtimes");
	const json_t *ref = json_object_get(rts, "reference");
	const json_t *cand = json_object_get(rts, "candidate");

	fputs("# Parity matrix\n\n", out);
	fputs("Runtimes: reference **", out);
	md_text(out, ph_report_str(ref, "name", "?"));
	fputs("** ", out);
	md_text(out, ph_report_str(ref, "version", "unknown"));
	fputs(", candidate **", out);
	md_text(out, ph_report_str(cand, "name", "?"));
	fputs("** ", out);
	md_text(out, ph_report_str(cand, "version", "unknown"));
	fputs("\n\nGenerated: ", out);
	md_text(out, ph_report_str(m, "generated_at", "?"));
	fputs("\n\nVerdict: **", out);
	md_text(out, ph_report_str(m, "verdict", "?"));
	fputs("**\n\n", out);
}

static void divergence_list(FILE *out, const json_t *features)
{
	const json_t *f, *dv;
	size_t i, k;
	int any = 0;

	json_array_foreach(features, i, f)
	{
		const char *c = ph_report_str(f, "candidate", "error");
		const json_t *divs = json_object_get(f, "divergences");
		size_t n = json_array_size(divs);

		if (strcmp(c, "parity") == 0)
			continue;
		if (!any)
			fputs("Divergences:\n\n", out);
		any = 1;
		fputs("- **", out);
		md_text(out, ph_report_str(f, "feature", "?"));
		fputs("** [", out);
		md_text(out, ph_report_str(f, "case", ""));
		fputs("]: ", out);
		md_text(out, c);
		if (json_is_string(json_object_get(f, "error"))) {
			fputs(": ", out);
			md_text(out, ph_report_str(f, "error", ""));
		}
		fputc('\n', out);
		json_array_foreach(divs, k, dv)
		{
			const char *path = ph_report_str(dv, "path", "");
			const char *msg = ph_report_str(dv, "message", "");

			if (k == MD_DIVERGENCES_MAX) {
				fprintf(out, "  - ... and %zu more\n", n - k);
				break;
			}
			fputs("  - ", out);
			md_text(out, ph_report_str(dv, "class", "?"));
			fputc(' ', out);
			md_text(out, ph_report_str(dv, "kind", "?"));
			fputs(" at ", out);
			md_text(out, *path ? path : "(whole body)");
			fputs(": reference ", out);
			md_value(out, json_object_get(dv, "a"));
			fputs(", candidate ", out);
			md_value(out, json_object_get(dv, "b"));
			if (*msg) {
				fputs(" (", out);
				md_text(out, msg);
				fputc(')', out);
			}
			fputc('\n', out);
		}
	}
	if (any)
		fputc('\n', out);
}

static void domain_section(FILE *out, const json_t *d, size_t index)
{
	const json_t *features = json_object_get(d, "features"), *f;
	char *line;
	size_t i;

	(void)index;
	fputs("## ", out);
	md_text(out, ph_report_str(d, "domain", "?"));
	fputs("\n\nStatus: ", out);
	md_text(out, ph_report_str(d, "status", "?"));
	if (json_is_string(json_object_get(d, "reason"))) {
		fputs(" (", out);
		md_text(out, ph_report_str(d, "reason", ""));
		fputc(')', out);
	}
	line = ph_report_counts_line(d);
	fputs("\n\n", out);
	md_text(out, line ? line : "?");
	free(line);
	fputs("\n\n", out);
	if (!json_array_size(features))
		return;
	fputs("| feature | case | reference | candidate |\n", out);
	fputs("| --- | --- | --- | --- |\n", out);
	json_array_foreach(features, i, f)
	{
		const char *c = ph_report_str(f, "candidate", "?");
		int bold = strcmp(c, "parity") != 0;

		fputs("| ", out);
		md_text(out, ph_report_str(f, "feature", "?"));
		fputs(" | ", out);
		md_text(out, ph_report_str(f, "case", ""));
		fputs(" | ", out);
		md_text(out, ph_report_str(f, "reference", ""));
		fputs(bold ? " | **" : " | ", out);
		md_text(out, c);
		fputs(bold ? "** |\n" : " |\n", out);
	}
	fputc('\n', out);
	divergence_list(out, features);
}

static void md_heading(FILE *out, const char *title, const char *id)
{
	(void)id;
	fputs("## ", out);
	md_text(out, title);
	fputs("\n\n", out);
}

static void md_badge(FILE *out, const char *label, const char *css, int strong)
{
	(void)css;
	fputs(strong ? "**" : "", out);
	md_text(out, label);
	fputs(strong ? "**" : "", out);
}

/* Paragraphs end in a blank line; tables are GitHub's, | cell | cell |, aligned below. */
static const struct report_format md = {
    .text = md_text, .heading = md_heading, .badge = md_badge, .domain = domain_section,
    .para = "", .para_end = "\n\n",
    .table = "", .table_end = "\n",
    .head_row = "|", .head_cell = " ", .head_cell_end = " |", .head_row_end = "\n",
    .rule_row = "|", .rule_left = " --- |", .rule_right = " ---: |", .rule_row_end = "\n",
    .row = "|", .cell = " ", .cell_right = " ", .cell_end = " |", .row_end = "\n",
    .list = "", .item = "- ", .item_end = "\n", .list_end = "\n",
};

static void write_md(FILE *out, const json_t *matrix)
{
	header(out, matrix);
	report_sections(&md, out, matrix);
}

int ph_report_md(const json_t *matrix, const char *path, struct ph_err *err)
{
	return ph_report_write(matrix, path, write_md, err);
}

void ph_report_coverage_md(FILE *out, const json_t *coverage)
{
	report_coverage(&md, out, coverage);
}
