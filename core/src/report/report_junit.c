/*
 * junit.xml: the matrix as JUnit XML, so a CI system shows parity like a test run. One
 * <testsuite> per domain, one <testcase classname="parity.<domain>" name="<feature>
 * [<case>]"> per feature. Structural and semantic rows are failures (the divergence list
 * is the failure text), and so are expectation rows (a suite's expectation that did not
 * hold: a finding a CI reader should see, though not a divergence), error rows are errors, timing rows pass and carry a "timing"
 * property (a slow candidate is a finding, not a broken client), a skipped domain is one
 * skipped testcase and a domain-level error one erroring testcase. The layout follows the
 * widely used Ant/Jenkins JUnit schema (tests/junit/junit.xsd, which adds properties inside
 * a testcase as most CI readers accept). A testcase's time is the candidate's latency.
 * Text is escaped for XML 1.0, whose forbidden characters become U+FFFD.
 */
#define _POSIX_C_SOURCE 200809L
#include "report/report.h"
#include "matrix/metrics_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest value shown in failure text, in bytes. */
#define JUNIT_VALUE_MAX 400

/* Length of the valid UTF-8 sequence at p (at most left bytes), 0 when invalid. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	size_t len, k;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		len = 2;
	else if (p[0] >= 0xE0 && p[0] <= 0xEF)
		len = 3;
	else if (p[0] >= 0xF0 && p[0] <= 0xF4)
		len = 4;
	else
		return 0;
	if (len > left)
		return 0;
	for (k = 1; k < len; k++)
		if ((p[k] & 0xC0) != 0x80)
			return 0;
	if (len == 3 && ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] >= 0xA0)))
		return 0;
	if (len == 4 && ((p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] >= 0x90)))
		return 0;
	return len;
}

/* Escaped XML text; attr also escapes quotes and keeps tabs and line breaks as references. */
static void xml_text(FILE *out, const char *s, int attr)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t left = strlen((const char *)p);

	while (left) {
		unsigned char c = *p;
		size_t n = utf8_len(p, left);

		if (!n) {
			fputs("\xEF\xBF\xBD", out); /* invalid UTF-8 byte */
			p++;
			left--;
			continue;
		}
		if (n == 3 && p[0] == 0xEF && p[1] == 0xBF && (p[2] == 0xBE || p[2] == 0xBF)) {
			fputs("\xEF\xBF\xBD", out); /* U+FFFE, U+FFFF: not XML characters */
		} else if (n > 1) {
			fwrite(p, 1, n, out);
		} else if (c == '&') {
			fputs("&amp;", out);
		} else if (c == '<') {
			fputs("&lt;", out);
		} else if (c == '>') {
			fputs("&gt;", out);
		} else if (c == '"' && attr) {
			fputs("&quot;", out);
		} else if (c == '\'' && attr) {
			fputs("&apos;", out);
		} else if (c == '\n') {
			fputs(attr ? "&#10;" : "\n", out);
		} else if (c == '\t') {
			fputs(attr ? "&#9;" : "\t", out);
		} else if (c == '\r') {
			fputs("&#13;", out);
		} else if (c < 0x20) {
			fputs("\xEF\xBF\xBD", out); /* C0 controls are not XML 1.0 characters */
		} else {
			fputc(c, out);
		}
		p += n;
		left -= n;
	}
}

static void attr(FILE *out, const char *name, const char *value)
{
	fprintf(out, " %s=\"", name);
	xml_text(out, value, 1);
	fputc('"', out);
}

/* Seconds from a latency in milliseconds; -1 when not measured. */
static double seconds(const json_t *f, const char *side)
{
	const json_t *v = json_object_get(json_object_get(f, "latency_ms"), side);

	return json_is_number(v) && json_number_value(v) >= 0 ? json_number_value(v) / 1000.0 : -1;
}

/* "<class> <kind> at <path>: reference <a>, candidate <b> (<message>)" for each divergence. */
static void divergence_text(FILE *out, const json_t *divs)
{
	const json_t *dv;
	size_t i;

	json_array_foreach(divs, i, dv)
	{
		const char *path = ph_report_str(dv, "path", "");
		const char *msg = ph_report_str(dv, "message", "");
		char *a = ph_report_value_text(json_object_get(dv, "a"), JUNIT_VALUE_MAX);
		char *b = ph_report_value_text(json_object_get(dv, "b"), JUNIT_VALUE_MAX);

		xml_text(out, ph_report_str(dv, "class", "?"), 0);
		fputc(' ', out);
		xml_text(out, ph_report_str(dv, "kind", "?"), 0);
		fputs(" at ", out);
		xml_text(out, *path ? path : "(whole body)", 0);
		fputs(": reference ", out);
		xml_text(out, a ? a : "?", 0);
		fputs(", candidate ", out);
		xml_text(out, b ? b : "?", 0);
		if (*msg) {
			fputs(" (", out);
			xml_text(out, msg, 0);
			fputc(')', out);
		}
		fputc('\n', out);
		free(a);
		free(b);
	}
}

/* The message attribute of a failure: the first divergence's message, or a count. */
static void failure_message(FILE *out, const json_t *divs, const char *cls)
{
	const char *msg = ph_report_str(json_array_get(divs, 0), "message", "");
	size_t n = json_array_size(divs);

	if (*msg && n == 1) {
		attr(out, "message", msg);
		return;
	}
	fprintf(out, " message=\"%zu %s divergence%s", n, cls, n == 1 ? "" : "s");
	if (*msg) {
		fputs(", first: ", out);
		xml_text(out, msg, 1);
	}
	fputc('"', out);
}

static void timing_property(FILE *out, const json_t *f)
{
	const json_t *divs = json_object_get(f, "divergences"), *dv;
	double ra = seconds(f, "reference"), ca = seconds(f, "candidate");
	size_t i;

	fputs("      <properties>\n        <property name=\"timing\" value=\"", out);
	if (ra >= 0)
		fprintf(out, "reference %.3f ms", ra * 1000.0);
	else
		fputs("reference not measured", out);
	if (ca >= 0)
		fprintf(out, ", candidate %.3f ms", ca * 1000.0);
	else
		fputs(", candidate not measured", out);
	json_array_foreach(divs, i, dv)
	{
		const char *msg = ph_report_str(dv, "message", "");

		if (strcmp(ph_report_str(dv, "class", ""), "timing") == 0 && *msg) {
			fputs("; ", out);
			xml_text(out, msg, 1);
		}
	}
	fputs("\"/>\n      </properties>\n", out);
}

static void testcase(FILE *out, const char *domain, const json_t *f)
{
	const char *cls = ph_report_str(f, "candidate", "error");
	const char *feature = ph_report_str(f, "feature", "?");
	const char *cas = ph_report_str(f, "case", "");
	const char *ref = ph_report_str(f, "reference", "");
	const json_t *divs = json_object_get(f, "divergences");
	double t = seconds(f, "candidate");
	size_t n = strlen(feature) + strlen(cas) + 4;
	char *name = malloc(n), *classname = malloc(strlen(domain) + 8);

	if (name)
		snprintf(name, n, "%s [%s]", feature, cas);
	if (classname)
		snprintf(classname, strlen(domain) + 8, "parity.%s", domain);
	fputs("    <testcase", out);
	attr(out, "classname", classname ? classname : domain);
	attr(out, "name", name ? name : feature);
	fprintf(out, " time=\"%.6f\">\n", t >= 0 ? t : 0.0);
	free(name);
	free(classname);
	if (strcmp(cls, "timing") == 0)
		timing_property(out, f);
	if (strcmp(cls, "structural") == 0 || strcmp(cls, "semantic") == 0 ||
	    strcmp(cls, "expectation") == 0) {
		fputs("      <failure", out);
		attr(out, "type", cls);
		failure_message(out, divs, cls);
		fputc('>', out);
		divergence_text(out, divs);
		fputs("</failure>\n", out);
	} else if (strcmp(cls, "parity") != 0 && strcmp(cls, "timing") != 0) {
		const char *msg = ph_report_str(f, "error", "the harness could not evaluate");

		fputs("      <error type=\"error\"", out);
		attr(out, "message", msg);
		fputc('>', out);
		xml_text(out, msg, 0);
		fputc('\n', out);
		divergence_text(out, divs);
		fputs("</error>\n", out);
	}
	if (*ref) {
		fputs("      <system-out>reference: ", out);
		xml_text(out, ref, 0);
		fputs("</system-out>\n", out);
	}
	fputs("    </testcase>\n", out);
}

struct totals {
	long long tests, failures, errors, skipped;
	double time;
};

/* Counts of one domain's suite: what is rendered, so the attributes always agree. */
static void domain_totals(const json_t *d, struct totals *t, int *extra)
{
	const json_t *f;
	const char *status = ph_report_str(d, "status", "");
	int has_reason = json_is_string(json_object_get(d, "reason"));
	size_t i;

	memset(t, 0, sizeof(*t));
	json_array_foreach(json_object_get(d, "features"), i, f)
	{
		const char *c = ph_report_str(f, "candidate", "error");
		double s = seconds(f, "candidate");

		t->tests++;
		if (s > 0)
			t->time += s;
		if (strcmp(c, "structural") == 0 || strcmp(c, "semantic") == 0 ||
		    strcmp(c, "expectation") == 0)
			t->failures++;
		else if (strcmp(c, "parity") != 0 && strcmp(c, "timing") != 0)
			t->errors++;
	}
	/* A domain-level outcome with no rows to carry it gets one testcase of its own. */
	*extra = 0;
	if (strcmp(status, "skipped") == 0 && !t->tests) {
		*extra = 1;
		t->tests++;
		t->skipped++;
	} else if (strcmp(status, "error") == 0 && (has_reason || !t->errors)) {
		*extra = 2;
		t->tests++;
		t->errors++;
	}
}

static void suite(FILE *out, const json_t *d, const char *timestamp)
{
	const char *domain = ph_report_str(d, "domain", "?");
	const json_t *f;
	struct totals t;
	size_t i;
	int extra;

	domain_totals(d, &t, &extra);
	fputs("  <testsuite", out);
	attr(out, "name", domain);
	fprintf(out, " tests=\"%lld\" failures=\"%lld\" errors=\"%lld\" skipped=\"%lld\"", t.tests,
		t.failures, t.errors, t.skipped);
	fprintf(out, " time=\"%.6f\"", t.time);
	if (timestamp)
		fprintf(out, " timestamp=\"%s\"", timestamp);
	fputs(">\n", out);
	fputs("    <properties>\n", out);
	fputs("      <property name=\"status\"", out);
	attr(out, "value", ph_report_str(d, "status", "?"));
	fputs("/>\n", out);
	if (json_is_string(json_object_get(d, "reason"))) {
		fputs("      <property name=\"reason\"", out);
		attr(out, "value", ph_report_str(d, "reason", ""));
		fputs("/>\n", out);
	}
	fputs("    </properties>\n", out);
	json_array_foreach(json_object_get(d, "features"), i, f) testcase(out, domain, f);
	if (extra) {
		const char *reason = ph_report_str(d, "reason", extra == 1 ? "skipped" : "error");
		char *classname = malloc(strlen(domain) + 8);

		if (classname)
			snprintf(classname, strlen(domain) + 8, "parity.%s", domain);
		fputs("    <testcase", out);
		attr(out, "classname", classname ? classname : domain);
		fputs(" name=\"(domain)\" time=\"0.000000\">\n", out);
		free(classname);
		if (extra == 1) {
			fputs("      <skipped", out);
			attr(out, "message", reason);
			fputs("/>\n", out);
		} else {
			fputs("      <error type=\"error\"", out);
			attr(out, "message", reason);
			fputc('>', out);
			xml_text(out, reason, 0);
			fputs("</error>\n", out);
		}
		fputs("    </testcase>\n", out);
	}
	fputs("  </testsuite>\n", out);
}

/* Counts of the performance suite: one testcase per target (missed fails, unmeasured skips). */
static void perf_totals(const json_t *perf, struct totals *t)
{
	const json_t *r;
	size_t i;

	memset(t, 0, sizeof(*t));
	json_array_foreach(json_object_get(perf, "targets"), i, r)
	{
		t->tests++;
		t->failures += json_is_false(json_object_get(r, "met"));
		t->skipped += json_is_null(json_object_get(r, "met"));
	}
}

/*
 * metrics.perf as a testsuite "performance": every table value and ratio as a property
 * ("<metric> reference|candidate|ratio"), and a testcase per target when targets are set.
 */
static void perf_suite(FILE *out, const json_t *perf)
{
	static const char *const cols[] = { "reference", "candidate", "ratio" };
	json_t *rows = ph_perf_table(perf), *row, *t;
	struct totals tot;
	size_t i, k;

	perf_totals(perf, &tot);
	fputs("  <testsuite name=\"performance\"", out);
	fprintf(out, " tests=\"%lld\" failures=\"%lld\" errors=\"0\" skipped=\"%lld\" "
		     "time=\"0.000000\">\n    <properties>\n",
		tot.tests, tot.failures, tot.skipped);
	if (!rows) {
		fputs("      <property name=\"error\"", out);
		attr(out, "value", ph_report_str(perf, "error", "no measurement"));
		fputs("/>\n", out);
	}
	json_array_foreach(rows, i, row)
		for (k = 0; k < 3; k++) {
			char name[400];

			snprintf(name, sizeof(name), "%s %s",
				 json_string_value(json_array_get(row, 0)), cols[k]);
			fputs("      <property", out);
			attr(out, "name", name);
			attr(out, "value", json_string_value(json_array_get(row, k + 1)));
			fputs("/>\n", out);
		}
	json_decref(rows);
	fputs("    </properties>\n", out);
	json_array_foreach(json_object_get(perf, "targets"), i, t)
	{
		const json_t *met = json_object_get(t, "met");
		char name[300], *val = ph_report_metric_text(json_object_get(t, "value"));

		snprintf(name, sizeof(name), "%s %s", ph_report_str(t, "target", "?"),
			 ph_report_str(t, "expr", "?"));
		fputs("    <testcase classname=\"parity.performance\"", out);
		attr(out, "name", name);
		fputs(" time=\"0.000000\">\n", out);
		if (json_is_false(met)) {
			char msg[400];

			snprintf(msg, sizeof(msg), "candidate/reference is %s", val ? val : "?");
			fputs("      <failure type=\"performance\"", out);
			attr(out, "message", msg);
			fputs("/>\n", out);
		} else if (!json_is_true(met)) {
			fputs("      <skipped message=\"not measured\"/>\n", out);
		}
		fputs("    </testcase>\n", out);
		free(val);
	}
	fputs("  </testsuite>\n", out);
}

static void write_junit(FILE *out, const json_t *matrix)
{
	const json_t *perf = json_object_get(json_object_get(matrix, "metrics"), "perf");
	const json_t *domains = json_object_get(matrix, "domains"), *d;
	const char *gen = ph_report_str(matrix, "generated_at", "");
	char timestamp[20];
	struct totals all = {0, 0, 0, 0, 0.0};
	size_t i;

	/* JUnit timestamps carry no zone: generated_at is UTC, drop its "Z". */
	timestamp[0] = '\0';
	if (strlen(gen) == 20 && gen[19] == 'Z' && gen[10] == 'T' &&
	    strspn(gen, "0123456789-:T") == 19) {
		memcpy(timestamp, gen, 19);
		timestamp[19] = '\0';
	}
	json_array_foreach(domains, i, d)
	{
		struct totals t;
		int extra;

		domain_totals(d, &t, &extra);
		all.tests += t.tests;
		all.failures += t.failures;
		all.errors += t.errors;
		all.skipped += t.skipped;
		all.time += t.time;
	}
	if (json_is_object(perf)) {
		struct totals t;

		perf_totals(perf, &t);
		all.tests += t.tests;
		all.failures += t.failures;
		all.skipped += t.skipped;
	}
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"parity\"", out);
	fprintf(out, " tests=\"%lld\" failures=\"%lld\" errors=\"%lld\" skipped=\"%lld\"",
		all.tests, all.failures, all.errors, all.skipped);
	fprintf(out, " time=\"%.6f\">\n", all.time);
	json_array_foreach(domains, i, d) suite(out, d, timestamp[0] ? timestamp : NULL);
	if (json_is_object(perf))
		perf_suite(out, perf);
	fputs("</testsuites>\n", out);
}

int ph_report_junit(const json_t *matrix, const char *path, struct ph_err *err)
{
	return ph_report_write(matrix, path, write_junit, err);
}
