/*
 * Unit tests of shadow-log analysis and the endpoint -> domain map: both log formats in
 * one file, every divergence class, malformed and overlong lines with their numbers,
 * empty and TS-only logs, gzip input and corrupt gzip, fingerprint folding, and that the
 * result does not depend on the number of parsing threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>

#include "shadow/shadow.h"
#include "run/workspace.h"


#include "support.h"
#include "support_shadow.h"

/* Write text to a file in t_dir; returns its path (a t_path buffer). */
static const char *write_file(const char *name, const char *text)
{
	return t_write_in(t_dir, name, text);
}

static const char *write_gz(const char *name, const char *text, size_t len)
{
	static char p[512];
	gzFile g;

	snprintf(p, sizeof(p), "%s", t_path(t_dir, name));
	g = gzopen(p, "wb");
	assert_non_null(g);
	assert_int_equal(gzwrite(g, text, (unsigned)len), (int)len);
	assert_int_equal(gzclose(g), Z_OK);
	return p;
}

/* Read path into a fresh aggregation; asserts success. */
static void read_log(struct ph_shadow *s, const char *path)
{
	struct ph_err err = {0, ""};

	ph_shadow_init(s, t_map, NULL);
	if (ph_shadow_read_file(s, path, &err))
		fail_msg("%s", err.msg);
}

static const struct ph_shadow_counts *dom(const struct ph_shadow *s, const char *name)
{
	return &s->domains[ph_shadow_slot(name)];
}

static const struct ph_shadow_fp *find_fp(const struct ph_shadow *s, const char *endpoint,
					  const char *path, enum ph_class cls)
{
	size_t i;

	for (i = 0; i < s->n_fp_slots; i++) {
		const struct ph_shadow_fp *fp = s->fps[i];

		if (fp && fp->cls == cls && !strcmp(fp->endpoint, endpoint) &&
		    !strcmp(fp->path, path))
			return fp;
	}
	return NULL;
}

/* What s read: entries, of them in the TS and the Rust format, and malformed lines. */
static void expect_entries(const struct ph_shadow *s, unsigned long entries, unsigned long ts,
			   unsigned long rust, unsigned long malformed)
{
	assert_int_equal(s->entries, entries);
	assert_int_equal(s->ts_entries, ts);
	assert_int_equal(s->rust_entries, rust);
	assert_int_equal(s->malformed, malformed);
}

/* The lines s counted as malformed, by number: the n first ones, in order. */
static void expect_malformed_at(const struct ph_shadow *s, const unsigned long *lines, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		assert_int_equal(s->malformed_at[i].line, lines[i]);
}

#define RS(ts, ep, a, b, la, lb, divs)                                                             \
	"{\"timestamp\":\"" ts "\",\"endpoint\":\"" ep "\",\"primaryStatus\":" #a                  \
	",\"shadowStatus\":" #b ",\"primaryLatencyMs\":" #la ",\"shadowLatencyMs\":" #lb           \
	",\"divergences\":[" divs "]}\n"
#define DIV(field, msg, pv, sv)                                                                    \
	"{\"severity\":\"critical\",\"field\":\"" field "\",\"message\":\"" msg                    \
	"\",\"primaryValue\":" pv ",\"shadowValue\":" sv "}"

static void test_fold_path(void **state)
{
	char b[64];

	(void)state;
	assert_string_equal(ph_shadow_fold_path("results[3].tags", b, sizeof(b)), "results[].tags");
	assert_string_equal(ph_shadow_fold_path("a.0.b", b, sizeof(b)), "a.*.b");
	assert_string_equal(ph_shadow_fold_path("a[12][0].x1.2", b, sizeof(b)), "a[][].x1.*");
	assert_string_equal(ph_shadow_fold_path("0.v2", b, sizeof(b)), "*.v2");
	assert_string_equal(ph_shadow_fold_path("v2.a[x]", b, sizeof(b)), "v2.a[x]");
	assert_string_equal(ph_shadow_fold_path("", b, sizeof(b)), "");
	/* a tiny buffer truncates, never overflows */
	assert_string_equal(ph_shadow_fold_path("results[3].tags", b, 4), "res");
}

static void test_parse_time(void **state)
{
	long long a, b, c;

	(void)state;
	assert_int_equal(ph_shadow_parse_time("2026-05-01T12:00:00.412Z", &a), 0);
	assert_int_equal(ph_shadow_parse_time("2026-05-01T12:00:00.412+00:00", &b), 0);
	assert_true(a == b);
	assert_int_equal(ph_shadow_parse_time("2026-05-01T14:00:00.412+02:00", &c), 0);
	assert_true(a == c);
	assert_int_equal(ph_shadow_parse_time("2026-05-01T12:00:00Z", &c), 0);
	assert_true(a - c == 412);
	assert_int_equal(ph_shadow_parse_time("1970-01-01T00:00:00.000Z", &c), 0);
	assert_true(c == 0);
	assert_int_equal(ph_shadow_parse_time("2026-02-30T12:00:00Z", &c), -1);
	assert_int_equal(ph_shadow_parse_time("2026-05-01", &c), -1);
	assert_int_equal(ph_shadow_parse_time("2026-05-01T12:00:00.412Q", &c), -1);
	assert_int_equal(ph_shadow_parse_time("yesterday", &c), -1);
}

static void test_domain_map(void **state)
{
	static const char *const cases[][3] = {
	    {"GET", "/api/memories?limit=5", "read"},
	    {"GET", "/api/memory/mem-0001", "read"},
	    {"GET", "/api/memory/search", "read"},
	    {"POST", "/api/memory/recall", "read"},
	    {"POST", "/api/memory/remember", "write"},
	    {"DELETE", "/api/memory/abc", "write"},
	    {"PATCH", "/api/memory/abc", "write"},
	    {"POST", "/api/memory/forget", "write"},
	    {"POST", "/api/memory/abc/recover", "write"},
	    {"GET", "/api/pipeline/status", "pipeline"},
	    {"GET", "/api/memory/jobs/7", "pipeline"},
	    {"GET", "/api/auth/whoami", "auth"},
	    {"POST", "/api/auth/token", "auth"},
	    {"GET", "/api/harnesses", "watcher"},
	    {"GET", "/api/git/status", "gitsync"},
	    {"POST", "/mcp", "mcp"},
	    {"GET", "/api/secrets", "secrets"},
	    {"POST", "/api/secrets/exec", "secrets"},
	    {"DELETE", "/api/secrets/FOO", "secrets"},
	    {"POST", "/api/repair/requeue-dead", "schema"},
	    {"GET", "/health", "read"},
	    {"GET", "/api/status", "read"},
	    {"GET", "/api/config", "read"},
	    {"POST", "/api/config", "write"},
	    {"GET", "/nowhere/at/all", "unmapped"},
	    {"GET", "/", "unmapped"},
	};
	char b[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(ph_domain_map_domain(t_map, cases[i][0], cases[i][1]), cases[i][2]))
			fail_msg("%s %s: expected %s, got %s", cases[i][0], cases[i][1],
				 cases[i][2],
				 ph_domain_map_domain(t_map, cases[i][0], cases[i][1]));
	assert_string_equal(
	    ph_domain_map_template(t_map, "get", "/api/memory/mem-0001", b, sizeof(b)),
	    "GET /api/memory/:id");
	assert_string_equal(
	    ph_domain_map_template(t_map, "DELETE", "/api/secrets/FOO?x=1", b, sizeof(b)),
	    "DELETE /api/secrets/FOO");
	assert_string_equal(
	    ph_domain_map_template(t_map, "GET",
				   "/x/550e8400-e29b-41d4-a716-446655440000/42/mem-7/name", b,
				   sizeof(b)),
	    "GET /x/:id/:id/:id/name");
}

static void test_domain_map_errors(void **state)
{
	static const char *const bad[][2] = {
	    {"{\"routes\":[{\"route\":\"GET /a\",\"domain\":\"reed\"}]}", "routes[0].domain"},
	    {"{\"routes\":[{\"route\":\"GET /a\",\"domain\":\"read\"},"
	     "{\"route\":\"/b\",\"domain\":\"read\"}]}",
	     "routes[1].route"},
	    {"{\"routes\":[{\"route\":\"GET /a/*/b\",\"domain\":\"read\"}]}", "last segment"},
	    {"{\"routes\":{}}", "routes: expected an array"},
	    {"{\"schema\":\"other/1\",\"routes\":[]}", "schema"},
	    {"[]", "expected a JSON object"},
	};
	struct ph_domain_map *m = NULL;
	struct ph_err err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		json_t *doc = t_json(bad[i][0]);

		assert_int_equal(ph_domain_map_from_json(&m, doc, "d.json", &err), PH_E_INVALID);
		assert_null(m);
		if (!strstr(err.msg, bad[i][1]) || strncmp(err.msg, "d.json: ", 8))
			fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, bad[i][1]);
		json_decref(doc);
	}
	/* method "*" and a rest pattern that also matches the bare prefix */
	{
		json_t *doc = json_loads("{\"routes\":[{\"route\":\"* /api/x/*\",\"domain\":"
					 "\"auth\"}]}",
					 0, NULL);

		assert_int_equal(ph_domain_map_from_json(&m, doc, "d.json", &err), 0);
		assert_string_equal(ph_domain_map_domain(m, "PUT", "/api/x"), "auth");
		assert_string_equal(ph_domain_map_domain(m, "GET", "/api/x/y/z"), "auth");
		assert_string_equal(ph_domain_map_domain(m, "GET", "/api/xy"), "unmapped");
		ph_domain_map_free(m);
		json_decref(doc);
	}
}

/* clang-format off */
static const char mixed[] =
	T_TS_LINE("2026-05-01T12:00:00.000Z", "POST", "/api/memory/forget", 200, 404)
	T_TS_LINE("2026-05-01T12:00:01.000Z", "GET", "/api/memories", 200, 200)
	"\n"
	RS("2026-05-01T12:00:02.000+00:00", "POST /api/memory/recall", 200, 200, 38, 7,
	   DIV("meta", "field missing in shadow response", "\"{\\\"a\\\":1}\"", "null") ","
	   DIV("results[0].tags", "value mismatch", "\"\\\"a,b\\\"\"", "\"\\\"c\\\"\"") ","
	   DIV("results[1].tags", "value mismatch", "\"\\\"a\\\"\"", "\"[\\\"a\\\"]\""))
	"not json at all\n"
	"[1,2,3]\n"
	"{\"hello\":\"world\"}\n"
	RS("2026-05-02T12:00:02.000+00:00", "POST /api/memory/recall", 200, 200, 10, 12,
	   DIV("results[7].tags", "value mismatch", "\"\\\"x\\\"\"", "\"\\\"y\\\"\"") ","
	   DIV("results.length", "array length mismatch: primary=3, shadow=2", "null", "null") ","
	   DIV("status", "extra field in shadow response", "null", "\"\\\"ok\\\"\""))
	RS("2026-05-03T12:00:00.000+00:00", "GET /api/memory/mem-0001", 200, 0, 5, 0,
	   DIV("connection", "shadow request failed: connection refused", "null", "null"))
	RS("2026-05-04T00:00:00.000Z", "GET /api/memory/mem-0002", 200, 404, 3, 4, "")
	RS("2026-05-04T00:00:01.000Z", "GET /api/nothing/here", 200, 200, 3, 4,
	   DIV("a.0.b", "value mismatch", "\"1\"", "\"2\""))
	"{\"timestamp\":\"not a time\",\"endpoint\":\"GET /x\",\"primaryStatus\":200,"
	"\"shadowStatus\":200}\n"
	T_TS_LINE("2026-05-05T00:00:00.000Z", "GET", "/api/memories", 200, 0);
/* clang-format on */

static void test_mixed_formats(void **state)
{
	struct ph_shadow s;
	const struct ph_shadow_fp *fp;
	json_t *j;

	(void)state;
	read_log(&s, write_file("mixed.jsonl", mixed));
	assert_int_equal(s.lines, 13);
	expect_entries(&s, 8, 3, 5, 4);
	assert_int_equal(s.n_malformed_at, 4);
	expect_malformed_at(&s, (const unsigned long[]){5, 6, 7, 12}, 4);
	assert_true(strstr(s.messages[0].text, "mixed.jsonl:5: not JSON") != NULL);
	assert_true(strstr(s.messages[1].text, "mixed.jsonl:6: not a JSON object") != NULL);
	assert_true(strstr(s.messages[2].text, ":7: not a shadow log entry") != NULL);
	assert_true(strstr(s.messages[3].text, ":12: timestamp is not ISO-8601") != NULL);

	/* write: TS status mismatch */
	assert_int_equal(dom(&s, "write")->entries, 1);
	assert_int_equal(dom(&s, "write")->structural, 1);
	/* read: recall x2, memories x2, mem-0001, mem-0002 */
	assert_int_equal(dom(&s, "read")->entries, 6);
	/* meta missing, results[1] string vs array, extra status, mem-0002 404 */
	assert_int_equal(dom(&s, "read")->structural, 4);
	/* results[0] and results[7] same-type drift, array length */
	assert_int_equal(dom(&s, "read")->semantic, 3);
	/* 38 vs 7 ms; 10 vs 12 is within the thresholds */
	assert_int_equal(dom(&s, "read")->timing, 1);
	/* shadow status 0 on a Rust line and on a TS line */
	assert_int_equal(dom(&s, "read")->error, 2);
	assert_int_equal(dom(&s, "unmapped")->entries, 1);
	assert_int_equal(dom(&s, "unmapped")->semantic, 1);

	fp = find_fp(&s, "POST /api/memory/recall", "results[].tags", PH_SEMANTIC);
	assert_non_null(fp);
	assert_int_equal(fp->count, 2);
	assert_int_equal(json_integer_value(json_object_get(fp->example, "line")), 4);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(fp->example, "divergence"), "field")),
	    "results[0].tags");
	fp = find_fp(&s, "POST /api/memory/recall", "results[].tags", PH_STRUCTURAL);
	assert_non_null(fp);
	assert_int_equal(fp->count, 1);
	fp = find_fp(&s, "GET /api/memory/:id", "statusCode", PH_STRUCTURAL);
	assert_non_null(fp);
	fp = find_fp(&s, "GET /api/memory/:id", "connection", PH_ERROR);
	assert_non_null(fp);
	fp = find_fp(&s, "GET /api/nothing/here", "a.*.b", PH_SEMANTIC);
	assert_non_null(fp);
	assert_string_equal(fp->domain, "unmapped");
	assert_non_null(find_fp(&s, "POST /api/memory/forget", "statusCode", PH_STRUCTURAL));
	assert_non_null(find_fp(&s, "POST /api/memory/recall", "latencyMs", PH_TIMING));

	/* span: 2026-05-01T12:00:00Z .. 2026-05-05T00:00:00Z */
	assert_true(ph_shadow_span_days(&s) > 3.49 && ph_shadow_span_days(&s) < 3.51);

	j = ph_shadow_to_json(&s);
	assert_int_equal(json_integer_value(json_object_get(j, "lines")), 13);
	assert_int_equal(json_integer_value(json_object_get(j, "entries")), 8);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "malformed"), "count")), 4);
	assert_int_equal(json_array_size(json_object_get(json_object_get(j, "malformed"), "lines")),
			 4);
	assert_string_equal(json_string_value(json_object_get(j, "first_seen")),
			    "2026-05-01T12:00:00.000Z");
	assert_string_equal(json_string_value(json_object_get(j, "last_seen")),
			    "2026-05-05T00:00:00.000Z");
	assert_int_equal(
	    json_integer_value(json_object_get(
		json_object_get(json_object_get(j, "domains"), "unmapped"), "entries")),
	    1);
	/* worst class first */
	assert_string_equal(json_string_value(json_object_get(
				json_array_get(json_object_get(j, "fingerprints"), 0), "class")),
			    "structural");
	json_decref(j);
	ph_shadow_release(&s);
}

static void test_only_ts_and_empty(void **state)
{
	static const char ts_only[] =
	    T_TS_LINE("2026-05-01T00:00:00.000Z", "GET", "/api/memories", 200, 200)
		T_TS_LINE("2026-05-01T00:00:01.000Z", "GET", "/api/git/status", 200, 404)
		    T_TS_LINE("2026-05-15T00:00:00.000Z", "GET", "/mcp", 200, 200);
	struct ph_shadow s;
	json_t *j;

	(void)state;
	read_log(&s, write_file("ts.jsonl", ts_only));
	expect_entries(&s, 3, 3, 0, 0);
	assert_int_equal(dom(&s, "gitsync")->structural, 1);
	assert_int_equal(dom(&s, "mcp")->entries, 1);
	assert_true(ph_shadow_span_days(&s) == 14.0);
	ph_shadow_release(&s);

	read_log(&s, write_file("empty.jsonl", ""));
	assert_int_equal(s.lines, 0);
	assert_int_equal(s.entries, 0);
	assert_true(ph_shadow_span_days(&s) == 0.0);
	j = ph_shadow_to_json(&s);
	assert_true(json_is_null(json_object_get(j, "first_seen")));
	assert_int_equal(json_array_size(json_object_get(j, "fingerprints")), 0);
	json_decref(j);
	ph_shadow_release(&s);

	/* blank lines only: counted, nothing else */
	read_log(&s, write_file("blank.jsonl", "\n  \n\r\n"));
	assert_int_equal(s.lines, 3);
	assert_int_equal(s.entries, 0);
	assert_int_equal(s.malformed, 0);
	ph_shadow_release(&s);

	/* CRLF line ends and no newline at the end */
	read_log(&s, write_file("crlf.jsonl",
				"{\"ts\":\"2026-05-01T00:00:00Z\",\"path\":\"/health\",\"method\":"
				"\"GET\",\"primaryStatus\":200,\"shadowStatus\":200}\r\n"
				"{\"ts\":\"2026-05-01T00:00:00Z\",\"path\":\"/health\",\"method\":"
				"\"GET\",\"primaryStatus\":200,\"shadowStatus\":500}"));
	assert_int_equal(s.lines, 2);
	assert_int_equal(s.entries, 2);
	assert_int_equal(dom(&s, "read")->structural, 1);
	ph_shadow_release(&s);
}

static void test_value_types(void **state)
{
	struct ph_shadow s;

	(void)state;
	/* clang-format off */
	read_log(&s, write_file("types.jsonl",
		RS("2026-05-01T00:00:00Z", "GET /api/memories", 200, 200, 1, 1,
		   DIV("a", "value mismatch", "\"1\"", "\"\\\"1\\\"\"") ","
		   DIV("b", "value mismatch", "\"null\"", "\"1\"") ","
		   DIV("c", "value mismatch", "\"true\"", "\"1\"") ","
		   DIV("d", "value mismatch", "\"{\\\"x\\\":1, ...\"", "\"{}\"") ","
		   DIV("e", "value mismatch", "\"1.5\"", "\"-2\"") ","
		   DIV("f", "value mismatch", "\"true\"", "\"false\"") ","
		   DIV("g", "something new", "null", "null"))));
	/* clang-format on */
	assert_int_equal(dom(&s, "read")->structural, 3);
	assert_int_equal(dom(&s, "read")->semantic, 4);
	assert_non_null(find_fp(&s, "GET /api/memories", "a", PH_STRUCTURAL));
	assert_non_null(find_fp(&s, "GET /api/memories", "d", PH_SEMANTIC));
	assert_non_null(find_fp(&s, "GET /api/memories", "f", PH_SEMANTIC));
	ph_shadow_release(&s);

	/* a status divergence listed by the proxy is not counted twice */
	read_log(&s, write_file("status.jsonl",
				RS("2026-05-01T00:00:00Z", "GET /api/memories", 200, 500, 1, 1,
				   DIV("statusCode",
				       "status code mismatch: primary=200, "
				       "shadow=500",
				       "\"200\"", "\"500\""))));
	assert_int_equal(dom(&s, "read")->structural, 1);
	ph_shadow_release(&s);
}

static void test_timing_thresholds(void **state)
{
	struct ph_timing t = {3.0, 1000.0, 5.0};
	struct ph_err err;
	struct ph_shadow s;
	/* clang-format off */
	const char *p = write_file("lat.jsonl",
		RS("2026-05-01T00:00:00Z", "GET /health", 200, 200, 38, 7, "")
		RS("2026-05-01T00:00:00Z", "GET /health", 200, 200, 3, 7, "")
		RS("2026-05-01T00:00:00Z", "GET /health", 200, 200, 10, 200, "")
		RS("2026-05-01T00:00:00Z", "GET /health", 200, 200, 0, 6, ""));
	/* clang-format on */

	(void)state;
	read_log(&s, p);
	/* 38/7 ratio; 3 vs 7 under the floor; 10 vs 200; 0 vs 6 */
	assert_int_equal(dom(&s, "read")->timing, 3);
	ph_shadow_release(&s);
	ph_shadow_init(&s, t_map, &t);
	assert_int_equal(ph_shadow_read_file(&s, p, &err), 0);
	/* ratio 3: 38/7 = 5.4 still; 10 vs 200 ratio 20; 0 vs 6 */
	assert_int_equal(dom(&s, "read")->timing, 3);
	ph_shadow_release(&s);
	t.ratio = 10.0;
	ph_shadow_init(&s, t_map, &t);
	assert_int_equal(ph_shadow_read_file(&s, p, &err), 0);
	assert_int_equal(dom(&s, "read")->timing, 2);
	ph_shadow_release(&s);

	/* timing from a config file */
	t = PH_TIMING_DEFAULT;
	assert_int_equal(ph_shadow_timing_from_config(
			     write_file("cfg.json", "{\"timing\":{\"ratio\":4.5}}"), &t, &err),
			 0);
	assert_true(t.ratio == 4.5 && t.delta_ms == 100.0 && t.floor_ms == 5.0);
	assert_int_equal(ph_shadow_timing_from_config(
			     write_file("cfg2.json", "{\"timing\":{\"ratio\":\"x\"}}"), &t, &err),
			 PH_E_INVALID);
	assert_true(strstr(err.msg, "timing.ratio") != NULL);
}

static void test_gzip_and_errors(void **state)
{
	struct ph_shadow a, b;
	struct ph_err err;
	json_t *ja, *jb;
	const char *gz;
	char trunc[512];
	FILE *f, *g;
	char buf[4096];
	size_t n;

	(void)state;
	read_log(&a, write_file("plain.jsonl", mixed));
	gz = write_gz("mixed.jsonl.gz", mixed, strlen(mixed));
	read_log(&b, gz);
	ja = ph_shadow_to_json(&a);
	jb = ph_shadow_to_json(&b);
	assert_true(json_equal(json_object_get(ja, "domains"), json_object_get(jb, "domains")));
	assert_true(json_equal(json_object_get(json_object_get(ja, "malformed"), "lines"),
			       json_object_get(json_object_get(jb, "malformed"), "lines")));
	assert_true(json_equal(json_object_get(ja, "fingerprints"),
			       json_object_get(jb, "fingerprints")) == 0); /* sources differ */
	assert_int_equal(a.lines, b.lines);
	json_decref(ja);
	json_decref(jb);
	ph_shadow_release(&a);
	ph_shadow_release(&b);

	/* a truncated gzip stream is an error, not a short log */
	snprintf(trunc, sizeof(trunc), "%s", t_path(t_dir, "trunc.jsonl.gz"));
	f = fopen(gz, "rb");
	g = fopen(trunc, "wb");
	n = fread(buf, 1, sizeof(buf), f);
	assert_true(n > 40);
	fwrite(buf, 1, n - 20, g);
	fclose(f);
	fclose(g);
	ph_shadow_init(&a, t_map, NULL);
	assert_int_equal(ph_shadow_read_file(&a, trunc, &err), PH_E_PARSE);
	assert_true(strstr(err.msg, "trunc.jsonl.gz") != NULL);
	assert_int_equal(a.files, 0);
	assert_int_equal(a.entries, 0);
	ph_shadow_release(&a);

	/* .gz that is not gzip data */
	ph_shadow_init(&a, t_map, NULL);
	assert_int_equal(ph_shadow_read_file(&a, write_file("fake.gz", "hello\n"), &err),
			 PH_E_PARSE);
	assert_true(strstr(err.msg, "not gzip data") != NULL);
	ph_shadow_release(&a);

	/* missing file */
	ph_shadow_init(&a, t_map, NULL);
	assert_int_equal(ph_shadow_read_file(&a, "/nonexistent/shadow.jsonl", &err), PH_E_IO);
	assert_true(strstr(err.msg, "cannot open '/nonexistent/shadow.jsonl'") != NULL);
	ph_shadow_release(&a);
}

static void test_long_lines(void **state)
{
	size_t big = 3u << 20, i;
	char *text = malloc(2 * big + 4096), *p;
	struct ph_shadow s;
	struct ph_err err;
	const char *path;

	(void)state;
	assert_non_null(text);
	p = text;
	p += sprintf(p, T_TS_LINE("2026-05-01T00:00:00Z", "GET", "/health", 200, 200));
	*p++ = '{';
	for (i = 0; i < 200; i++)
		*p++ = ' ';
	*p++ = '}';
	*p++ = '\n';
	p += sprintf(p, T_TS_LINE("2026-05-01T00:00:00Z", "GET", "/health", 200, 200));
	for (i = 0; i < big; i++) /* longer than a read block: dropped by the reader */
		*p++ = 'x';
	*p++ = '\n';
	p += sprintf(p, T_TS_LINE("2026-05-01T00:00:00Z", "GET", "/health", 200, 500));
	for (i = 0; i < big; i++) /* and once more without a final newline */
		*p++ = 'y';
	*p = '\0';
	path = write_file("long.jsonl", text);
	free(text);

	ph_shadow_init(&s, t_map, NULL);
	s.max_line = 150;
	assert_int_equal(ph_shadow_read_file(&s, path, &err), 0);
	assert_int_equal(s.lines, 6);
	assert_int_equal(s.entries, 3);
	assert_int_equal(s.malformed, 3);
	expect_malformed_at(&s, (const unsigned long[]){2, 4, 6}, 3);
	assert_true(strstr(s.messages[0].text, "long.jsonl:2: line too long") != NULL);
	assert_true(strstr(s.messages[1].text, "long.jsonl:4: line too long") != NULL);
	assert_int_equal(dom(&s, "read")->structural, 1);
	ph_shadow_release(&s);

	/* with the default limit the same lines are read whole (and are not JSON) */
	read_log(&s, path);
	assert_int_equal(s.lines, 6);
	assert_int_equal(s.malformed, 3);
	assert_true(strstr(s.messages[1].text, ":4: not JSON") != NULL);
	ph_shadow_release(&s);
}

static void test_threads_deterministic(void **state)
{
	size_t n = 40000, i;
	char *text = malloc(n * 300), *p = text;
	struct ph_shadow a, b;
	struct ph_err err;
	const char *path;
	json_t *ja, *jb;

	(void)state;
	assert_non_null(text);
	for (i = 0; i < n; i++) {
		if (i % 997 == 5)
			p += sprintf(p, "garbage %zu\n", i);
		else if (i % 2)
			p += sprintf(p,
				     "{\"ts\":\"2026-05-%02zuT00:00:00Z\",\"path\":\"/api/memory/"
				     "m-%zu\",\"method\":\"%s\",\"primaryStatus\":200,"
				     "\"shadowStatus\":%d}\n",
				     1 + i % 28, i % 50, i % 3 ? "GET" : "DELETE",
				     i % 5 ? 200 : 404);
		else
			p += sprintf(
			    p,
			    RS("2026-05-01T00:00:00Z", "POST /api/memory/recall", 200, 200, 10, 30,
			       DIV("results[%zu].x", "value mismatch", "\"%zu\"", "\"2\"")),
			    i % 7, i);
	}
	path = write_file("many.jsonl", text);
	free(text);
	ph_shadow_init(&a, t_map, NULL);
	a.threads = 1;
	assert_int_equal(ph_shadow_read_file(&a, path, &err), 0);
	ph_shadow_init(&b, t_map, NULL);
	b.threads = 5;
	assert_int_equal(ph_shadow_read_file(&b, path, &err), 0);
	assert_int_equal(a.lines, n);
	assert_int_equal(a.malformed, 41);
	ja = ph_shadow_to_json(&a);
	jb = ph_shadow_to_json(&b);
	assert_true(json_equal(ja, jb));
	json_decref(ja);
	json_decref(jb);
	/* reading a second file keeps counting and numbers malformed lines per file */
	assert_int_equal(ph_shadow_read_file(&a, write_file("two.jsonl", "oops\n"), &err), 0);
	assert_int_equal(a.files, 2);
	assert_int_equal(a.malformed, 42);
	ph_shadow_release(&a);
	ph_shadow_release(&b);
}

static void test_reports_render(void **state)
{
	struct ph_shadow s;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	(void)state;
	read_log(&s, write_file("render.jsonl", mixed));
	f = open_memstream(&buf, &len);
	ph_shadow_write_text(&s, f, 3);
	fclose(f);
	assert_true(strstr(buf, "render.jsonl:5: not JSON") != NULL);
	assert_true(strstr(buf, "POST /api/memory/recall") != NULL);
	assert_true(strstr(buf, "structural divergences present") != NULL);
	free(buf);
	f = open_memstream(&buf, &len);
	ph_shadow_write_md(&s, f, 3);
	fclose(f);
	assert_true(strstr(buf, "| read | 6 | 4 | 3 | 1 | 2 |") != NULL);
	assert_true(strstr(buf, "| unmapped | 1 |") != NULL);
	free(buf);
	ph_shadow_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fold_path),
	    cmocka_unit_test(test_parse_time),
	    cmocka_unit_test(test_domain_map),
	    cmocka_unit_test(test_domain_map_errors),
	    cmocka_unit_test(test_mixed_formats),
	    cmocka_unit_test(test_only_ts_and_empty),
	    cmocka_unit_test(test_value_types),
	    cmocka_unit_test(test_timing_thresholds),
	    cmocka_unit_test(test_gzip_and_errors),
	    cmocka_unit_test(test_long_lines),
	    cmocka_unit_test(test_threads_deterministic),
	    cmocka_unit_test(test_reports_render),
	};

	return cmocka_run_group_tests(tests, t_map_setup, t_map_teardown);
}
