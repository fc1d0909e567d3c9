/*
 * Unit tests of the renderers on a matrix holding every class: the Markdown tables and
 * their escaping, JUnit that is well-formed and valid against tests/junit/junit.xsd (via
 * xmllint, skipped when it is absent) with the right count attributes and timing as a
 * property, HTML that escapes a <script> value and needs nothing external, and output
 * that is byte-identical from one render to the next.
 */
#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "matrix/matrix.h"
#include "report/report.h"
#include "parity/jsonio.h"

#include "support.h"

/*
 * read: one row of each class; watcher skipped; gitsync failed to start. Values carry
 * characters every format must escape.
 */
static json_t *all_classes(void)
{
	char p1[] = "memories.0.tags", p2[] = "items.1", p3[] = "", p4[] = "note";
	char m1[] = "key missing", m2[] = "value differs", m3[] = "candidate is slow", m4[] = "x";
	struct ph_divergence d_struct = {PH_STRUCTURAL, "missing", p1, NULL, NULL, m1};
	struct ph_divergence d_sem = {PH_SEMANTIC, "value", p2, NULL, NULL, m2};
	struct ph_divergence d_time = {PH_TIMING, "latency", p3, NULL, NULL, m3};
	struct ph_divergence d_err = {PH_STRUCTURAL, "type", p4, NULL, NULL, m4};
	struct ph_result r_struct = {NULL, PH_STRUCTURAL, 1, &d_struct};
	struct ph_result r_sem = {NULL, PH_SEMANTIC, 1, &d_sem};
	struct ph_result r_time = {NULL, PH_TIMING, 1, &d_time};
	struct ph_result r_err = {NULL, PH_STRUCTURAL, 1, &d_err};
	struct ph_row rows[] = {
	    {"GET /api/memories", "list", "200, 10 memories", PH_PARITY, NULL, 3.0, 2.0, NULL},
	    {"GET /api/memory/:id", "by-id", "200", PH_PARITY, &r_struct, 4.0, 5.0, NULL},
	    {"POST /api/recall", "pipe|line", "200,\nranked", PH_PARITY, &r_sem, 6.0, 7.0, NULL},
	    {"GET /slow", "slow-case", "200", PH_PARITY, &r_time, 3.0, 250.0, NULL},
	    {"GET /broken", "broken", "", PH_PARITY, &r_err, -1, -1,
	     "candidate said <&>\"'\x01 and hung up"},
	};
	json_t *m;
	size_t i;

	d_struct.a = json_string("<script>alert(1)</script>");
	d_sem.a = json_pack("[i,i]", 1, 2);
	d_sem.b = json_pack("[i,i]", 1, 3);
	d_time.a = json_real(3.0);
	d_time.b = json_real(250.0);
	d_err.a = json_string("a|b\nc");
	m = ph_matrix_new("js", "1.0.0", "rust", "0.9.0");
	assert_non_null(m);
	json_object_set_new(m, "generated_at", json_string("2026-11-23T12:00:00Z"));
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(ph_matrix_add_row(m, "read", &rows[i], NULL), 0);
	ph_matrix_domain_status(m, "watcher", "skipped", "no plugin found");
	ph_matrix_domain_status(m, "gitsync", "error", "runtime did not start");
	json_object_set_new(json_object_get(m, "metrics"), "reference",
			    json_pack("{s:i, s:i}", "rss_kb", 1000, "pid", 42));
	json_object_set_new(json_object_get(m, "metrics"), "candidate",
			    json_pack("{s:i, s:s}", "rss_kb", 800, "startup_ms", "12"));
	ph_matrix_finish(m);
	json_decref(d_struct.a);
	json_decref(d_sem.a);
	json_decref(d_sem.b);
	json_decref(d_time.a);
	json_decref(d_time.b);
	json_decref(d_err.a);
	return m;
}

static char *render(int (*fn)(const json_t *, const char *, struct ph_err *), const json_t *m,
		    const char *name)
{
	const char *path = t_path(t_dir, name);
	struct ph_err err;

	if (fn(m, path, &err) != 0)
		fail_msg("render %s: %s", name, err.msg);
	return t_slurp(path, NULL);
}

/* The text from the first occurrence of start up to the next end (new string). */
static char *between(const char *s, const char *start, const char *end)
{
	const char *a = strstr(s, start), *b;

	if (!a)
		fail_msg("'%s' not found", start);
	b = strstr(a, end);
	assert_non_null(b);
	return strndup(a, (size_t)(b - a) + strlen(end));
}

/* Unescaped | in a line: the column separators of a Markdown table row. */
static int pipes(const char *line, size_t len)
{
	size_t i;
	int n = 0;

	for (i = 0; i < len; i++) {
		if (line[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		n += line[i] == '|';
	}
	return n;
}

static void markdown(void **state)
{
	json_t *m = all_classes();
	char *md = render(ph_report_md, m, "matrix.md");
	const char *line;
	int table_rows = 0, header_pipes = 0;

	(void)state;
	t_contains("md", md,
		   T_LIST("# Parity matrix\n",
			  "reference **js** 1.0.0, candidate **rust** 0.9.0",
			  "Verdict: **error**",
			  /* summary table: canonical order read, watcher, gitsync */
			  "| domain | status | parity | structural | semantic | timing "
			  "| error |\n",
			  "| read | error | 1 | 1 | 1 | 1 | 1 |\n",
			  "| watcher | skipped | 0 | 0 | 0 | 0 | 0 |\n",
			  "| gitsync | error | 0 | 0 | 0 | 0 | 0 |\n"),
		   NULL);
	assert_true(strstr(md, "| read |") < strstr(md, "| watcher |"));
	assert_true(strstr(md, "| watcher |") < strstr(md, "| gitsync |"));
	/* per-domain table and counts line */
	t_contains("md", md,
		   T_LIST("## read\n",
			  "5 features: 1 parity, 1 structural, 1 semantic, 1 timing, "
			  "1 error\n",
			  "| feature | case | reference | candidate |\n",
			  "| GET /api/memories | list | 200, 10 memories | parity |\n",
			  "| GET /api/memory/:id | by-id | 200 | **structural** |\n",
			  /* | and newlines in cells are escaped */
			  "| POST /api/recall | pipe\\|line | 200,<br>ranked | "
			  "**semantic** |\n",
			  "Status: skipped (no plugin found)",
			  "Status: error (runtime did not start)"),
		   NULL);
	/* every row of a table has as many column separators as its header */
	for (line = md; *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);

		if (len && line[0] == '|') {
			if (!header_pipes)
				header_pipes = pipes(line, len);
			else if (pipes(line, len) != header_pipes)
				fail_msg("table row has %d column separators, its header %d: %.*s",
					 pipes(line, len), header_pipes, (int)len, line);
			table_rows++;
		} else {
			header_pipes = 0;
		}
		line += len + (nl ? 1 : 0);
	}
	assert_int_equal(table_rows, 5 + 7 + 5); /* summary, read, metrics */
	/* divergences listed under the table, HTML escaped, values as JSON */
	t_contains("md", md,
		   T_LIST("- **GET /api/memory/:id** [by-id]: structural\n",
			  "  - structural missing at memories.0.tags: reference "
			  "\"&lt;script&gt;alert(1)&lt;/script&gt;\", candidate null "
			  "(key missing)\n",
			  "  - semantic value at items.1: reference \\[1,2\\], candidate "
			  "\\[1,3\\] (value differs)\n",
			  "timing latency at (whole body)",
			  "- **GET /broken** [broken]: error: candidate said "
			  "&lt;&amp;&gt;\"'\xEF\xBF\xBD and hung up\n",
			  /* metrics: a row per key, a column per runtime, reference first */
			  "## Metrics\n",
			  "| metric | reference | candidate |\n",
			  "| pid | 42 |  |\n",
			  "| rss\\_kb | 1000 | 800 |\n",
			  "| startup\\_ms |  | 12 |\n"),
		   T_LIST("<script",
			  "\x01",
			  "- **GET /api/memories**")); /* parity rows are not listed */
	free(md);
	json_decref(m);
}

static int have_xmllint(void)
{
	return system("command -v xmllint >/dev/null 2>&1") == 0;
}

static int xmllint(const char *args, const char *file)
{
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "xmllint --noout %s '%s' 2>/dev/null", args, file);
	return system(cmd);
}

static void junit(void **state)
{
	json_t *m = all_classes();
	char *xml = render(ph_report_junit, m, "junit.xml"), *tc, path[512], xsd[1024];

	(void)state;
	assert_true(strncmp(xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
	t_contains("xml", xml,
		   T_LIST("<testsuites name=\"parity\" tests=\"7\" failures=\"2\" "
			  "errors=\"2\" skipped=\"1\"",
			  "<testsuite name=\"read\" tests=\"5\" failures=\"2\" "
			  "errors=\"1\" skipped=\"0\"",
			  "timestamp=\"2026-11-23T12:00:00\"",
			  "<testsuite name=\"watcher\" tests=\"1\" failures=\"0\" "
			  "errors=\"0\" skipped=\"1\"",
			  "<testsuite name=\"gitsync\" tests=\"1\" failures=\"0\" "
			  "errors=\"1\" skipped=\"0\""),
		   NULL);
	/* parity passes, with its time from the candidate's latency */
	tc = between(xml, "<testcase classname=\"parity.read\" name=\"GET /api/memories [list]\"",
		     "</testcase>");
	t_contains("tc", tc,
		   T_LIST("time=\"0.002000\"",
			  "<system-out>reference: 200, 10 memories</system-out>"),
		   T_LIST("<failure",
			  "<error"));
	free(tc);
	/* structural and semantic fail, with the divergence list as text */
	tc = between(xml, "name=\"GET /api/memory/:id [by-id]\"", "</testcase>");
	assert_non_null(strstr(tc, "<failure type=\"structural\" message=\"key missing\">"
				   "structural missing at memories.0.tags: reference "
				   "\"&lt;script&gt;alert(1)&lt;/script&gt;\", candidate null "
				   "(key missing)\n</failure>"));
	free(tc);
	tc = between(xml, "name=\"POST /api/recall [pipe|line]\"", "</testcase>");
	assert_non_null(strstr(tc, "<failure type=\"semantic\""));
	free(tc);
	/* timing passes and carries a property */
	tc = between(xml, "name=\"GET /slow [slow-case]\"", "</testcase>");
	t_contains("tc", tc,
		   T_LIST("<properties>\n        <property name=\"timing\" "
			  "value=\"reference 3.000 ms, candidate 250.000 ms; candidate is "
			  "slow\"/>"),
		   T_LIST("<failure",
			  "<error"));
	free(tc);
	/* error rows are errors; control characters XML forbids are replaced */
	tc = between(xml, "name=\"GET /broken [broken]\"", "</testcase>");
	assert_non_null(strstr(tc, "<error type=\"error\" message=\"candidate said "
				   "&lt;&amp;&gt;&quot;&apos;\xEF\xBF\xBD and hung up\">"));
	free(tc);
	assert_null(strchr(xml, '\x01'));
	/* domain-level outcomes */
	assert_non_null(strstr(xml, "<skipped message=\"no plugin found\"/>"));
	assert_non_null(strstr(xml, "<error type=\"error\" message=\"runtime did not start\">"));

	if (!have_xmllint()) {
		free(xml);
		json_decref(m);
		skip();
	}
	snprintf(path, sizeof(path), "%s/junit.xml", t_dir);
	snprintf(xsd, sizeof(xsd), "--schema '%s/../../tests/junit/junit.xsd'", PARITY_TEST_DIR);
	assert_int_equal(xmllint("", path), 0);
	assert_int_equal(xmllint(xsd, path), 0);
	/* the schema is a real check: a wrong count attribute is rejected */
	{
		char *bad = strdup(xml), *at = strstr(bad, "tests=\"5\"");
		struct ph_err err;

		assert_non_null(at);
		at[7] = 'x';
		snprintf(path, sizeof(path), "%s/bad-junit.xml", t_dir);
		assert_int_equal(ph_file_write_atomic(path, bad, strlen(bad), 0644, &err), 0);
		assert_int_equal(xmllint("", path), 0);
		assert_int_not_equal(xmllint(xsd, path), 0);
		unlink(path);
		free(bad);
	}
	free(xml);
	json_decref(m);
}

static void html(void **state)
{
	json_t *m = all_classes();
	char *page = render(ph_report_html, m, "report.html"), *row;

	(void)state;
	assert_true(strncmp(page, "<!DOCTYPE html>\n", 16) == 0);
	assert_non_null(strstr(page, "<style>"));
	assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;"));
	/* no script, nothing fetched from elsewhere */
	assert_null(strcasestr(page, "<script"));
	t_contains("page", page,
		   T_LIST(/* side-by-side table of a diverging feature */
			  "<th>path</th><th>reference value</th>"
			  "<th>candidate value</th><th>class/kind</th>"),
		   T_LIST("http://",
			  "https://",
			  "src=",
			  "<link"));
	row = between(page, "<tr><td><code>items.1</code></td>", "</tr>");
	t_contains("row", row,
		   T_LIST("<pre>[1,2]</pre>",
			  "<pre>[1,3]</pre>",
			  ">semantic</span> value"),
		   NULL);
	free(row);
	/* absent candidate value, error text escaped, control character replaced */
	t_contains("page", page,
		   T_LIST("Error: candidate said &lt;&amp;&gt;&quot;&#39;\xEF\xBF\xBD "
			  "and hung up",
			  "Reason: no plugin found",
			  "<th>metric</th><th>reference</th><th>candidate</th>"),
		   NULL);
	assert_null(strchr(page, '\x01'));
	free(page);
	json_decref(m);
}

static int same_file(const char *a, const char *b)
{
	char *x, *y;
	size_t nx, ny;
	int same;

	assert_int_equal(ph_file_read(a, 0, &x, &nx, NULL), 0);
	assert_int_equal(ph_file_read(b, 0, &y, &ny, NULL), 0);
	same = nx == ny && memcmp(x, y, nx) == 0;
	free(x);
	free(y);
	return same;
}

static void stable_output(void **state)
{
	static const char *const names[] = {"matrix.json", "matrix.md", "junit.xml", "report.html"};
	json_t *m = all_classes(), *back;
	char d1[512], d2[512], a[600], b[600];
	struct ph_err err;
	size_t i;

	(void)state;
	snprintf(d1, sizeof(d1), "%s/one", t_dir);
	snprintf(d2, sizeof(d2), "%s/two", t_dir);
	assert_int_equal(mkdir(d1, 0755), 0);
	assert_int_equal(mkdir(d2, 0755), 0);
	assert_int_equal(ph_report_all(m, d1, &err), 0);
	/* the second render reads the matrix back from disk, as a later "report" run would */
	snprintf(a, sizeof(a), "%s/matrix.json", d1);
	assert_int_equal(ph_matrix_load(a, &back, &err), 0);
	sleep(1); /* a renderer that printed the clock would now differ */
	assert_int_equal(ph_report_all(back, d2, &err), 0);
	for (i = 0; i < 4; i++) {
		snprintf(a, sizeof(a), "%s/%s", d1, names[i]);
		snprintf(b, sizeof(b), "%s/%s", d2, names[i]);
		if (!same_file(a, b))
			fail_msg("%s differs between two renders", names[i]);
		unlink(a);
		unlink(b);
	}
	rmdir(d1);
	rmdir(d2);
	json_decref(back);
	json_decref(m);
}

static void bad_input(void **state)
{
	char path[512], dir[512];
	struct ph_err err;
	json_t *odd = json_pack("{s:i, s:[i, {s:[s, {s:i}]}], s:[]}", "runtimes", 3, "domains", 1,
				"features", "x", "candidate", 5, "metrics");

	(void)state;
	/* a matrix that misses keys or has wrong types still renders, without crashing */
	assert_int_equal(ph_report_all(odd, t_dir, &err), 0);
	json_decref(odd);
	snprintf(path, sizeof(path), "%s/matrix.md", t_dir);
	assert_int_equal(ph_report_md(NULL, path, &err), PH_E_INVALID);
	/* a folder that does not exist: the message names the file */
	snprintf(dir, sizeof(dir), "%s/absent", t_dir);
	odd = json_object();
	assert_int_equal(ph_report_all(odd, dir, &err), PH_E_IO);
	assert_non_null(strstr(err.msg, "absent/matrix.json"));
	json_decref(odd);
}

T_MAIN(t_dir_setup, t_dir_teardown, cmocka_unit_test(markdown), cmocka_unit_test(junit),
       cmocka_unit_test(html), cmocka_unit_test(stable_output), cmocka_unit_test(bad_input))
