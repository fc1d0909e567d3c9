/*
 * report.html: the matrix as one self-contained page a reviewer opens from disk or a CI
 * artifact: inline CSS, no scripts, no external resources. A header with the runtimes and
 * the verdict, a summary table linking to each domain, per domain its features with their
 * status and latencies, and under every diverging feature a side-by-side table of its
 * divergences (path | reference value | candidate value | class/kind), collapsible with
 * <details>, which needs no JavaScript. Everything from the matrix is HTML-escaped. The
 * sections it shares with matrix.md are written by sections.c in this format.
 */
#define _POSIX_C_SOURCE 200809L
#include "report/report.h"
#include "report/sections.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest value shown in a divergence cell, in bytes. */
#define HTML_VALUE_MAX 4000

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em;"
    "color:#1b1f24;background:#fff}\n"
    "h1{margin-bottom:.2em}h2{margin-top:2em;border-bottom:1px solid #d0d7de}\n"
    "table{border-collapse:collapse;margin:.5em 0 1em}\n"
    "th,td{border:1px solid #d0d7de;padding:.3em .6em;text-align:left;vertical-align:top}\n"
    "th{background:#f6f8fa}td.n{text-align:right}td.t{white-space:pre-wrap}\n"
    "code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.9em}\n"
    "pre{margin:0;white-space:pre-wrap;word-break:break-all}\n"
    ".c{font-weight:600;padding:.1em .4em;border-radius:.3em}\n"
    ".parity,.pass{background:#dafbe1;color:#116329}\n"
    ".timing{background:#fff8c5;color:#7d4e00}\n"
    ".semantic,.diverge{background:#ffebe9;color:#a40e26}\n"
    ".structural{background:#ff8182;color:#fff}\n"
    ".error{background:#6e40c9;color:#fff}\n"
    ".expectation{background:#ddf4ff;color:#0a3069}\n"
    ".skipped{background:#eaeef2;color:#57606a}\n"
    ".depth-none{background:#eaeef2;color:#57606a}.depth-status{background:#fff8c5;"
    "color:#7d4e00}\n"
    ".depth-body{background:#ddf4ff;color:#0a3069}.depth-state{background:#dafbe1;"
    "color:#116329}\n"
    "details{margin:.2em 0}summary{cursor:pointer}\n"
    ".muted{color:#57606a}\n";

/* HTML-escaped text; C0 controls other than tab and newline become U+FFFD. */
static const char *const html_subst[128] = {
    ['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['"'] = "&quot;", ['\''] = "&#39;",
    ['\t'] = "\t", ['\n'] = "\n",
};

static void html(FILE *out, const char *s)
{
	ph_report_escape(out, s, html_subst);
}

/*
 * A class or status as a coloured label: the CSS class is css, or without one the label's
 * own when it is one of a fixed set ("error" otherwise).
 */
static void html_badge(FILE *out, const char *label, const char *css, int strong)
{
	static const char *const known[] = {"parity", "timing",	 "semantic", "structural",
					    "error",  "expectation", "pass",	   "diverge",
					    "skipped"};
	size_t i;

	(void)strong;
	for (i = 0; !css && i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(label, known[i]) == 0)
			css = known[i];
	fprintf(out, "<span class=\"c %s\">", css ? css : "error");
	html(out, label);
	fputs("</span>", out);
}

static void badge(FILE *out, const char *name)
{
	html_badge(out, name, NULL, 0);
}

static void latency_cell(FILE *out, const json_t *f, const char *side)
{
	const json_t *v = json_object_get(json_object_get(f, "latency_ms"), side);

	if (json_is_number(v))
		fprintf(out, "<td class=\"n\">%.1f</td>", json_number_value(v));
	else
		fputs("<td class=\"n muted\">-</td>", out);
}

static void value_cell(FILE *out, const json_t *dv, const char *key)
{
	const json_t *v = json_object_get(dv, key);
	char *s;

	if (!v) {
		fputs("<td class=\"muted\">(absent)</td>", out);
		return;
	}
	s = ph_report_value_text(v, HTML_VALUE_MAX);
	fputs("<td><pre>", out);
	html(out, s ? s : "?");
	fputs("</pre></td>", out);
	free(s);
}

static void divergence_table(FILE *out, const json_t *divs)
{
	const json_t *dv;
	size_t i;

	fputs("<table class=\"div\">\n<tr><th>path</th><th>reference value</th>"
	      "<th>candidate value</th><th>class/kind</th><th>message</th></tr>\n",
	      out);
	json_array_foreach(divs, i, dv)
	{
		const char *path = ph_report_str(dv, "path", "");

		fputs("<tr><td><code>", out);
		html(out, *path ? path : "(whole body)");
		fputs("</code></td>", out);
		value_cell(out, dv, "a");
		value_cell(out, dv, "b");
		fputs("<td>", out);
		badge(out, ph_report_str(dv, "class", "?"));
		fputs(" ", out);
		html(out, ph_report_str(dv, "kind", "?"));
		fputs("</td><td>", out);
		html(out, ph_report_str(dv, "message", ""));
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void domain_section(FILE *out, const json_t *d, size_t index)
{
	const json_t *features = json_object_get(d, "features"), *f;
	char *line = ph_report_counts_line(d);
	size_t i;

	fprintf(out, "<section id=\"d%zu\">\n<h2>", index);
	html(out, ph_report_str(d, "domain", "?"));
	fputs(" ", out);
	badge(out, ph_report_str(d, "status", "?"));
	fputs("</h2>\n", out);
	if (json_is_string(json_object_get(d, "reason"))) {
		fputs("<p>Reason: ", out);
		html(out, ph_report_str(d, "reason", ""));
		fputs("</p>\n", out);
	}
	fputs("<p>", out);
	html(out, line ? line : "?");
	fputs("</p>\n", out);
	free(line);
	if (!json_array_size(features)) {
		fputs("</section>\n", out);
		return;
	}
	fputs("<table>\n<tr><th>feature</th><th>case</th><th>reference</th><th>candidate</th>"
	      "<th>reference ms</th><th>candidate ms</th></tr>\n",
	      out);
	json_array_foreach(features, i, f)
	{
		const char *cls = ph_report_str(f, "candidate", "error");
		const json_t *divs = json_object_get(f, "divergences");

		fputs("<tr><td><code>", out);
		html(out, ph_report_str(f, "feature", "?"));
		fputs("</code></td><td>", out);
		html(out, ph_report_str(f, "case", ""));
		fputs("</td><td class=\"t\">", out);
		html(out, ph_report_str(f, "reference", ""));
		fputs("</td><td>", out);
		badge(out, cls);
		fputs("</td>", out);
		latency_cell(out, f, "reference");
		latency_cell(out, f, "candidate");
		fputs("</tr>\n", out);
		if (strcmp(cls, "parity") == 0)
			continue;
		fputs("<tr><td colspan=\"6\">", out);
		if (json_is_string(json_object_get(f, "error"))) {
			fputs("<p>Error: ", out);
			html(out, ph_report_str(f, "error", ""));
			fputs("</p>", out);
		}
		if (json_array_size(divs)) {
			fprintf(out, "<details open><summary>%zu divergence%s</summary>\n",
				json_array_size(divs), json_array_size(divs) == 1 ? "" : "s");
			divergence_table(out, divs);
			fputs("</details>", out);
		}
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n</section>\n", out);
}

/*
 * The latency plot of one endpoint as inline SVG: the cumulative distribution of both
 * runtimes (percentile across, milliseconds up, linear from 0 to the larger maximum).
 */
static void latency_svg(FILE *out, const char *endpoint, const json_t *ref, const json_t *cand)
{
	static const char *const colour[] = { "#0969da", "#bc4c00" };
	const json_t *cdf[2] = { json_object_get(ref, "cdf_ms"), json_object_get(cand, "cdf_ms") };
	const double w = 480, h = 220, l = 56, r = 12, t = 12, b = 34;
	double ymax = 0;
	size_t i, k, n;

	for (k = 0; k < 2; k++)
		for (i = 0; i < json_array_size(cdf[k]); i++)
			if (json_number_value(json_array_get(cdf[k], i)) > ymax)
				ymax = json_number_value(json_array_get(cdf[k], i));
	if (!(ymax > 0))
		return;
	fprintf(out, "<figure><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		     "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" font-size=\"11\">\n",
		w, h, w, h);
	fputs("<title>latency distribution of ", out);
	html(out, endpoint);
	fputs("</title>\n", out);
	fprintf(out, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
		     "stroke=\"#d0d7de\"/>\n",
		l, t, w - l - r, h - t - b);
	for (i = 0; i <= 4; i++) {
		double y = t + (h - t - b) * (1 - (double)i / 4);
		double x = l + (w - l - r) * (double)i / 4;

		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.3g</text>\n",
			l - 4, y + 4, ymax * (double)i / 4);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%zu%%</text>\n", x,
			h - b + 14, i * 25);
	}
	fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">percentile (ms up)"
		     "</text>\n",
		l + (w - l - r) / 2, h - 4);
	for (k = 0; k < 2; k++) {
		n = json_array_size(cdf[k]);
		if (n < 2)
			continue;
		fprintf(out, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
			colour[k]);
		for (i = 0; i < n; i++)
			fprintf(out, "%s%.1f,%.1f", i ? " " : "",
				l + (w - l - r) * (double)i / (double)(n - 1),
				t + (h - t - b) *
					    (1 - json_number_value(json_array_get(cdf[k], i)) / ymax));
		fputs("\"/>\n", out);
		fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" fill=\"%s\">%s</text>\n", l + 8,
			t + 14 + 14 * (double)k, colour[k], k ? "candidate" : "reference");
	}
	fputs("</svg><figcaption>", out);
	html(out, endpoint);
	fputs("</figcaption></figure>\n", out);
}

/* After the performance tables: a latency plot per endpoint. */
static void latency_plots(FILE *out, const json_t *perf)
{
	const json_t *v;
	const char *ep;

	json_object_foreach((json_t *)json_object_get(json_object_get(perf, "reference"),
						      "endpoints"),
			    ep, v)
		latency_svg(out, ep, v,
			    json_object_get(json_object_get(json_object_get(perf, "candidate"),
							    "endpoints"),
					    ep));
}

static void heading(FILE *out, const char *title, const char *id)
{
	if (id)
		fprintf(out, "<h2 id=\"%s\">", id);
	else
		fputs("<h2>", out);
	html(out, title);
	fputs("</h2>\n", out);
}

/* Numbers align right (class "n"); the summary links each domain to its section. */
static const struct report_format html_format = {
    .text = html, .heading = heading, .badge = html_badge, .domain = domain_section,
    .perf_extra = latency_plots,
    .para = "<p>", .para_end = "</p>\n",
    .table = "<table>\n", .table_end = "</table>\n",
    .head_row = "<tr>", .head_cell = "<th>", .head_cell_end = "</th>", .head_row_end = "</tr>\n",
    .row = "<tr>", .cell = "<td>", .cell_right = "<td class=\"n\">", .cell_end = "</td>",
    .row_end = "</tr>\n",
    .link = "<a href=\"#d%zu\">", .link_end = "</a>",
    .list = "<ul>\n", .item = "<li>", .item_end = "</li>\n", .list_end = "</ul>\n",
};

static void write_html(FILE *out, const json_t *matrix)
{
	const json_t *rts = json_object_get(matrix, "runtimes");
	const json_t *ref = json_object_get(rts, "reference");
	const json_t *cand = json_object_get(rts, "candidate");

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>Parity matrix: ",
	      out);
	html(out, ph_report_str(matrix, "verdict", "?"));
	fputs("</title>\n<style>\n", out);
	fputs(css, out);
	fputs("</style>\n</head>\n<body>\n<h1>Parity matrix</h1>\n<p>Reference <b>", out);
	html(out, ph_report_str(ref, "name", "?"));
	fputs("</b> ", out);
	html(out, ph_report_str(ref, "version", "unknown"));
	fputs(", candidate <b>", out);
	html(out, ph_report_str(cand, "name", "?"));
	fputs("</b> ", out);
	html(out, ph_report_str(cand, "version", "unknown"));
	fputs(". Generated ", out);
	html(out, ph_report_str(matrix, "generated_at", "?"));
	fputs(".</p>\n<p>Verdict: ", out);
	badge(out, ph_report_str(matrix, "verdict", "?"));
	fputs("</p>\n", out);
	report_sections(&html_format, out, matrix);
	fputs("</body>\n</html>\n", out);
}

int ph_report_html(const json_t *matrix, const char *path, struct ph_err *err)
{
	return ph_report_write(matrix, path, write_html, err);
}
