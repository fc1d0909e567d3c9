/*
 * report.html: the matrix as one self-contained page a reviewer opens from disk or a CI
 * artifact: inline CSS, no scripts, no external resources. A header with the runtimes and
 * the verdict, a summary table linking to each domain, per domain its features with their
 * status and latencies, and under every diverging feature a side-by-side table of its
 * divergences (path | reference value | candidate value | class/kind), collapsible with
 * <details>, which needs no JavaScript. Everything from the matrix is HTML-escaped.
 */
#define _POSIX_C_SOURCE 200809L
#include "report/report.h"
#include "matrix/metrics_table.h"

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

/* metrics.perf: the performance table with ratios, targets, and a latency plot per endpoint. */
static void perf_section(FILE *out, const json_t *perf)
{
	json_t *rows = ph_perf_table(perf), *row, *t, *v;
	const char *ep;
	size_t i, k;

	if (!json_is_object(perf))
		return;
	fputs("<h2 id=\"performance\">Performance</h2>\n", out);
	if (!rows) {
		fputs("<p>Not measured: ", out);
		html(out, ph_report_str(perf, "error", "no measurement"));
		fputs("</p>\n", out);
		return;
	}
	fprintf(out, "<p>%lld requests per endpoint and runtime, interleaved, after %lld warm-up "
		     "requests and %lld ms idle.</p>\n",
		(long long)json_integer_value(json_object_get(perf, "requests")),
		(long long)json_integer_value(json_object_get(perf, "warmup")),
		(long long)json_integer_value(json_object_get(perf, "idle_ms")));
	fputs("<table>\n<tr><th>metric</th><th>reference</th><th>candidate</th>"
	      "<th>candidate/reference</th></tr>\n",
	      out);
	json_array_foreach(rows, i, row)
	{
		for (k = 0; k < 4; k++) {
			fputs(k ? "<td class=\"n\">" : "<tr><td>", out);
			html(out, json_string_value(json_array_get(row, k)));
			fputs("</td>", out);
		}
		fputs("</tr>\n", out);
	}
	fputs("</table>\n", out);
	json_decref(rows);
	if (json_array_size(json_object_get(perf, "targets"))) {
		fputs("<table>\n<tr><th>target</th><th>expected</th><th>candidate/reference</th>"
		      "<th>status</th></tr>\n",
		      out);
		json_array_foreach(json_object_get(perf, "targets"), i, t)
		{
			const json_t *met = json_object_get(t, "met");
			char *val = ph_report_metric_text(json_object_get(t, "value"));

			fputs("<tr><td>", out);
			html(out, ph_report_str(t, "target", "?"));
			fputs("</td><td>", out);
			html(out, ph_report_str(t, "expr", "?"));
			fputs("</td><td class=\"n\">", out);
			html(out, val ? val : "?");
			fputs("</td><td>", out);
			fputs(json_is_true(met)	   ? "<span class=\"c pass\">met</span>" :
			      json_is_false(met) ? "<span class=\"c diverge\">missed</span>" :
						   "<span class=\"c skipped\">not measured</span>",
			      out);
			fputs("</td></tr>\n", out);
			free(val);
		}
		fputs("</table>\n", out);
	}
	json_object_foreach((json_t *)json_object_get(json_object_get(perf, "reference"),
						      "endpoints"),
			    ep, v)
		latency_svg(out, ep, v,
			    json_object_get(json_object_get(json_object_get(perf, "candidate"),
							    "endpoints"),
					    ep));
}

/* Rule patterns that matched nothing in the run: a rule that silently stopped applying. */
static void unmatched_section(FILE *out, const json_t *unmatched)
{
	const json_t *p;
	size_t i;

	if (!json_is_array(unmatched) || !json_array_size(unmatched))
		return;
	fprintf(out, "<h2>Rule patterns that matched nothing</h2>\n<p>%zu patterns matched no "
		     "path in this run: check that each still applies.</p>\n<table>\n"
		     "<tr><th>rule</th><th>kind</th><th>pattern</th></tr>\n",
		json_array_size(unmatched));
	json_array_foreach(unmatched, i, p)
	{
		fputs("<tr><td>", out);
		html(out, ph_report_str(p, "rule", "?"));
		fputs("</td><td>", out);
		html(out, ph_report_str(p, "kind", "?"));
		fputs("</td><td>", out);
		html(out, ph_report_str(p, "pattern", "?"));
		fputs("</td></tr>\n", out);
	}
	fputs("</table>\n", out);
}

int ph_report_html(const json_t *matrix, const char *path, struct ph_err *err)
{
	json_t *metrics;
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
	/* the performance section has its own table; the generic one shows the rest */
	metrics = json_copy(json_object_get(matrix, "metrics"));
	json_object_del(metrics, "perf");
	metrics_section(out, metrics);
	json_decref(metrics);
	perf_section(out, json_object_get(json_object_get(matrix, "metrics"), "perf"));
	unmatched_section(out, json_object_get(matrix, "unmatched_patterns"));
	fputs("</body>\n</html>\n", out);
	return ph_report_commit(out, &buf, &len, path, err);
}
