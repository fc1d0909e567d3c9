/*
 * report.html: the matrix as one self-contained page a reviewer opens from disk or a CI
 * artifact: inline CSS, no scripts, no external resources. A header with the runtimes and
 * the verdict, a summary table linking to each domain, per domain its features with their
 * status and latencies, and under every diverging feature a side-by-side table of its
 * divergences (path | reference value | candidate value | class/kind), collapsible with
 * <details>, which needs no JavaScript. Everything from the matrix is HTML-escaped.
 */
#define _POSIX_C_SOURCE 200809L
#include "report.h"

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
    ".skipped{background:#eaeef2;color:#57606a}\n"
    "details{margin:.2em 0}summary{cursor:pointer}\n"
    ".muted{color:#57606a}\n";

/* HTML-escaped text; C0 controls other than tab and newline become U+FFFD. */
static void html(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '&':
			fputs("&amp;", out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		case '\'':
			fputs("&#39;", out);
			break;
		case '\t':
		case '\n':
			fputc(c, out);
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fputs("\xEF\xBF\xBD", out);
			else
				fputc(c, out);
		}
	}
}

/* A class or status as a coloured label; the CSS class is one of a fixed set. */
static void badge(FILE *out, const char *name)
{
	static const char *const known[] = {"parity", "timing", "semantic", "structural",
					    "error",  "pass",	"diverge",  "skipped"};
	const char *css_class = "error";
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(name, known[i]) == 0)
			css_class = known[i];
	fprintf(out, "<span class=\"c %s\">", css_class);
	html(out, name);
	fputs("</span>", out);
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

static void summary(FILE *out, const json_t *domains)
{
	static const char *const cls[] = {"parity", "structural", "semantic", "timing", "error"};
	const json_t *d;
	size_t i, k;

	fputs("<h2>Summary</h2>\n", out);
	if (!json_array_size(domains)) {
		fputs("<p>No domains were run.</p>\n", out);
		return;
	}
	fputs("<table>\n<tr><th>domain</th><th>status</th><th>parity</th><th>structural</th>"
	      "<th>semantic</th><th>timing</th><th>error</th></tr>\n",
	      out);
	json_array_foreach(domains, i, d)
	{
		fprintf(out, "<tr><td><a href=\"#d%zu\">", i);
		html(out, ph_report_str(d, "domain", "?"));
		fputs("</a></td><td>", out);
		badge(out, ph_report_str(d, "status", "?"));
		fputs("</td>", out);
		for (k = 0; k < 5; k++)
			fprintf(out, "<td class=\"n\">%lld</td>", ph_report_count(d, cls[k]));
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
}

static void metrics_section(FILE *out, const json_t *metrics)
{
	const char **cols, **rows, **scalars;
	size_t nc, nr, ns, i, j;

	if (!json_is_object(metrics) || !json_object_size(metrics))
		return;
	ph_report_metric_layout(metrics, &cols, &nc, &rows, &nr, &scalars, &ns);
	fputs("<h2>Metrics</h2>\n", out);
	if (nc && nr) {
		fputs("<table>\n<tr><th>metric</th>", out);
		for (j = 0; j < nc; j++) {
			fputs("<th>", out);
			html(out, cols[j]);
			fputs("</th>", out);
		}
		fputs("</tr>\n", out);
		for (i = 0; i < nr; i++) {
			fputs("<tr><td>", out);
			html(out, rows[i]);
			fputs("</td>", out);
			for (j = 0; j < nc; j++) {
				char *t = ph_report_metric_text(
				    json_object_get(json_object_get(metrics, cols[j]), rows[i]));

				fputs("<td class=\"n\">", out);
				html(out, t ? t : "?");
				fputs("</td>", out);
				free(t);
			}
			fputs("</tr>\n", out);
		}
		fputs("</table>\n", out);
	}
	if (ns) {
		fputs("<ul>\n", out);
		for (i = 0; i < ns; i++) {
			char *t = ph_report_metric_text(json_object_get(metrics, scalars[i]));

			fputs("<li>", out);
			html(out, scalars[i]);
			fputs(": ", out);
			html(out, t ? t : "?");
			fputs("</li>\n", out);
			free(t);
		}
		fputs("</ul>\n", out);
	}
	free(cols);
	free(rows);
	free(scalars);
}

int ph_report_html(const json_t *matrix, const char *path, struct ph_err *err)
{
	const json_t *domains = json_object_get(matrix, "domains"), *d;
	const json_t *rts = json_object_get(matrix, "runtimes");
	const json_t *ref = json_object_get(rts, "reference");
	const json_t *cand = json_object_get(rts, "candidate");
	char *buf;
	size_t len, i;
	FILE *out;

	if (!json_is_object(matrix))
		return ph_error(err, PH_E_INVALID, "no matrix to write to '%s'", path);
	out = ph_report_open(&buf, &len, path, err);
	if (!out)
		return err ? err->code : PH_E_NOMEM;
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
	summary(out, domains);
	json_array_foreach(domains, i, d) domain_section(out, d, i);
	metrics_section(out, json_object_get(matrix, "metrics"));
	fputs("</body>\n</html>\n", out);
	return ph_report_commit(out, &buf, &len, path, err);
}
