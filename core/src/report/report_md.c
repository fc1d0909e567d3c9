/*
 * matrix.md: the parity matrix as GitHub-flavoured Markdown for a pull request or a CI
 * summary. A header with the runtimes and the verdict, a summary table of the domains,
 * then per domain a table | feature | case | reference | candidate |, a counts line and,
 * under the table, the divergences of every row that is not parity. Cell text is escaped
 * so a value can neither break a table (| and newlines) nor turn into markup or HTML
 * (Markdown punctuation is backslash-escaped, <, > and & become entities): what renders is
 * exactly the text in the matrix.
 */
#define _POSIX_C_SOURCE 200809L
#include "report/report.h"
#include "matrix/metrics_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest value shown in a divergence line, in bytes. */
#define MD_VALUE_MAX 160
/* Divergences listed per row before "... and N more". */
#define MD_DIVERGENCES_MAX 20

static void md_text(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;

		switch (c) {
		case '|':
		case '\\':
		case '*':
		case '_':
		case '`':
		case '[':
		case ']':
			fputc('\\', out);
			fputc(c, out);
			break;
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '\n':
			fputs("<br>", out);
			break;
		case '\r':
			break;
		default:
			if (c < 0x20 || c == 0x7f)
				fputs("\xEF\xBF\xBD", out); /* control characters: U+FFFD */
			else
				fputc(c, out);
		}
	}
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

static void summary(FILE *out, const json_t *domains)
{
	static const char *const cls[] = {"parity", "structural", "semantic", "timing", "error"};
	const json_t *d;
	size_t i, k;

	fputs("## Summary\n\n", out);
	if (!json_array_size(domains)) {
		fputs("No domains were run.\n\n", out);
		return;
	}
	fputs("| domain | status | parity | structural | semantic | timing | error |\n", out);
	fputs("| --- | --- | ---: | ---: | ---: | ---: | ---: |\n", out);
	json_array_foreach(domains, i, d)
	{
		fputs("| ", out);
		md_text(out, ph_report_str(d, "domain", "?"));
		fputs(" | ", out);
		md_text(out, ph_report_str(d, "status", "?"));
		for (k = 0; k < 5; k++)
			fprintf(out, " | %lld", ph_report_count(d, cls[k]));
		fputs(" |\n", out);
	}
	fputc('\n', out);
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

static void domain_section(FILE *out, const json_t *d)
{
	const json_t *features = json_object_get(d, "features"), *f;
	char *line;
	size_t i;

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

static void metrics_section(FILE *out, const json_t *metrics)
{
	const char **cols, **rows, **scalars;
	size_t nc, nr, ns, i, j;

	if (!json_is_object(metrics) || !json_object_size(metrics))
		return;
	ph_report_metric_layout(metrics, &cols, &nc, &rows, &nr, &scalars, &ns);
	fputs("## Metrics\n\n", out);
	if (nc && nr) {
		fputs("| metric |", out);
		for (j = 0; j < nc; j++) {
			fputc(' ', out);
			md_text(out, cols[j]);
			fputs(" |", out);
		}
		fputs("\n| --- |", out);
		for (j = 0; j < nc; j++)
			fputs(" ---: |", out);
		fputc('\n', out);
		for (i = 0; i < nr; i++) {
			fputs("| ", out);
			md_text(out, rows[i]);
			fputs(" |", out);
			for (j = 0; j < nc; j++) {
				char *t = ph_report_metric_text(
				    json_object_get(json_object_get(metrics, cols[j]), rows[i]));

				fputc(' ', out);
				md_text(out, t ? t : "?");
				fputs(" |", out);
				free(t);
			}
			fputc('\n', out);
		}
		fputc('\n', out);
	}
	for (i = 0; i < ns; i++) {
		char *t = ph_report_metric_text(json_object_get(metrics, scalars[i]));

		fputs("- ", out);
		md_text(out, scalars[i]);
		fputs(": ", out);
		md_text(out, t ? t : "?");
		fputc('\n', out);
		free(t);
	}
	if (ns)
		fputc('\n', out);
	free(cols);
	free(rows);
	free(scalars);
}

/* metrics.perf: the performance table with ratios, then the targets when set. */
static void perf_section(FILE *out, const json_t *perf)
{
	json_t *rows = ph_perf_table(perf), *r, *t;
	size_t i;

	if (!json_is_object(perf))
		return;
	fputs("## Performance\n\n", out);
	if (!rows) {
		fputs("Not measured: ", out);
		md_text(out, ph_report_str(perf, "error", "no measurement"));
		fputs("\n\n", out);
		return;
	}
	fprintf(out, "%lld requests per endpoint and runtime, interleaved, after %lld warm-up "
		     "requests and %lld ms idle.\n\n",
		(long long)json_integer_value(json_object_get(perf, "requests")),
		(long long)json_integer_value(json_object_get(perf, "warmup")),
		(long long)json_integer_value(json_object_get(perf, "idle_ms")));
	fputs("| metric | reference | candidate | candidate/reference |\n"
	      "| --- | ---: | ---: | ---: |\n",
	      out);
	json_array_foreach(rows, i, r)
	{
		size_t k;

		for (k = 0; k < 4; k++) {
			fputs(k ? " | " : "| ", out);
			md_text(out, json_string_value(json_array_get(r, k)));
		}
		fputs(" |\n", out);
	}
	fputc('\n', out);
	json_decref(rows);
	if (json_array_size(json_object_get(perf, "targets"))) {
		fputs("| target | expected | candidate/reference | status |\n"
		      "| --- | --- | ---: | --- |\n",
		      out);
		json_array_foreach(json_object_get(perf, "targets"), i, t)
		{
			const json_t *met = json_object_get(t, "met");
			char *v = ph_report_metric_text(json_object_get(t, "value"));

			fputs("| ", out);
			md_text(out, ph_report_str(t, "target", "?"));
			fputs(" | ", out);
			md_text(out, ph_report_str(t, "expr", "?"));
			fputs(" | ", out);
			md_text(out, v ? v : "?");
			fputs(json_is_true(met) ? " | met |\n" :
			      json_is_false(met) ? " | **missed** |\n" : " | not measured |\n",
			      out);
			free(v);
		}
		fputc('\n', out);
	}
}

/* Rule patterns that matched nothing in the run: a rule that silently stopped applying. */
static void unmatched_section(FILE *out, const json_t *unmatched)
{
	const json_t *p;
	size_t i;

	if (!json_is_array(unmatched) || !json_array_size(unmatched))
		return;
	fprintf(out, "## Rule patterns that matched nothing\n\n%zu patterns matched no path in "
		     "this run: check that each still applies.\n\n| rule | kind | pattern |\n"
		     "| --- | --- | --- |\n",
		json_array_size(unmatched));
	json_array_foreach(unmatched, i, p)
	{
		fputs("| ", out);
		md_text(out, ph_report_str(p, "rule", "?"));
		fputs(" | ", out);
		md_text(out, ph_report_str(p, "kind", "?"));
		fputs(" | ", out);
		md_text(out, ph_report_str(p, "pattern", "?"));
		fputs(" |\n", out);
	}
	fputc('\n', out);
}

int ph_report_md(const json_t *matrix, const char *path, struct ph_err *err)
{
	json_t *metrics;
	const json_t *domains = json_object_get(matrix, "domains"), *d;
	char *buf;
	size_t len, i;
	FILE *out;

	if (!json_is_object(matrix))
		return ph_error(err, PH_E_INVALID, "no matrix to write to '%s'", path);
	out = ph_report_open(&buf, &len, path, err);
	if (!out)
		return err ? err->code : PH_E_NOMEM;
	header(out, matrix);
	summary(out, domains);
	json_array_foreach(domains, i, d) domain_section(out, d);
	/* the performance section has its own table; the generic one shows the rest */
	metrics = json_copy(json_object_get(matrix, "metrics"));
	json_object_del(metrics, "perf");
	metrics_section(out, metrics);
	json_decref(metrics);
	perf_section(out, json_object_get(json_object_get(matrix, "metrics"), "perf"));
	unmatched_section(out, json_object_get(matrix, "unmatched_patterns"));
	return ph_report_commit(out, &buf, &len, path, err);
}
