/*
 * Unit tests of route coverage (coverage/): route lists in both forms and their bad input,
 * which listed route a request drives, coverage computed over matrix rows (routes from
 * the "route" key or the feature, depths, rows that count and rows that do not, unlisted
 * routes), the checks of a matrix's coverage keys, merging the coverage of shards, and
 * upstream's route-parity.json when it is on this machine.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "coverage/coverage.h"
#include "coverage/routes.h"
#include "compare/rules.h"
#include "matrix/matrix.h"
#include "matrix/merge.h"
#include "parity/strbuf.h"

#include "support.h"

/* A list from JSON text, asserting it loads. */
static void list_of(struct ph_route_list *l, const char *text)
{
	json_t *doc = t_json(text);
	struct ph_err err;

	if (ph_route_list_from_json(l, doc, "r.json", &err))
		fail_msg("list did not load: %s", err.msg);
	json_decref(doc);
}

static void list_forms(void **state)
{
	struct ph_route_list l;

	(void)state;
	list_of(&l, "[\"GET /api/memory/:id\", {\"method\": \"POST\", \"path\": \"/mcp\"},"
		    " \"DELETE   /x\"]");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.routes[0].key, "GET /api/memory/:id");
	assert_int_equal(l.routes[0].n_segs, 3);
	assert_string_equal(l.routes[1].key, "POST /mcp");
	assert_string_equal(l.routes[2].method, "DELETE");
	assert_string_equal(l.routes[2].key, "DELETE /x");
	assert_null(l.routes[0].status);
	ph_route_list_release(&l);

	/* upstream's shape: an object with routes carrying their status */
	list_of(&l, "{\"generatedBy\": \"x\", \"summary\": {}, \"routes\": ["
		    "{\"method\": \"ALL\", \"path\": \"/mcp\", \"status\": \"mounted-shallow\","
		    " \"file\": \"a.ts\", \"line\": 3, \"rustMounted\": true},"
		    "{\"method\": \"GET\", \"path\": \"/\", \"status\": null}, \"GET /health\"]}");
	assert_int_equal(l.n, 3);
	assert_string_equal(l.routes[0].method, "ALL");
	assert_string_equal(l.routes[0].status, "mounted-shallow");
	assert_null(l.routes[1].status);
	assert_int_equal(l.routes[1].n_segs, 0);
	assert_string_equal(l.source, "r.json");
	ph_route_list_release(&l);
}

/* The list text fails to load with a message naming r.json and fragment. */
static void expect_bad_list(const char *text, const char *fragment)
{
	struct ph_route_list l;
	json_t *doc = t_json(text);
	struct ph_err err;

	ph_err_clear(&err);
	assert_int_equal(ph_route_list_from_json(&l, doc, "r.json", &err), PH_E_INVALID);
	ph_route_list_release(&l);
	json_decref(doc);
	if (!strstr(err.msg, "r.json: ") || !strstr(err.msg, fragment))
		fail_msg("message '%s' does not name r.json and '%s'", err.msg, fragment);
}

static void list_bad(void **state)
{
	struct ph_route_list l;
	struct ph_err err;

	(void)state;
	expect_bad_list("{\"paths\": []}", "expected an array of routes");
	expect_bad_list("\"GET /x\"", "expected an array of routes");
	expect_bad_list("[]", "expected at least one route");
	expect_bad_list("{\"routes\": []}", "routes: expected at least one route");
	expect_bad_list("[\"GET /x\", 3]", "[1]: expected {\"method\", \"path\"}");
	expect_bad_list("[\"GET /x\", \"get /y\"]", "[1]: \"get /y\"");
	expect_bad_list("[\"GET/x\"]", "[0]: \"GET/x\"");
	expect_bad_list("[\"GET x\"]", "[0]");
	expect_bad_list("{\"routes\": [{\"method\": \"GET\", \"path\": \"/a\"},"
			"{\"method\": \"get\", \"path\": \"/b\"}]}",
			"routes[1].method: expected an upper-case HTTP method");
	expect_bad_list("{\"routes\": [{\"method\": \"GET\"}]}", "routes[0].path");
	expect_bad_list("{\"routes\": [{\"method\": \"GET\", \"path\": \"/a?b=1\"}]}",
			"routes[0].path");
	expect_bad_list("{\"routes\": [{\"method\": \"GET\", \"path\": \"/a\", \"status\": 1}]}",
			"routes[0].status: expected a string");
	/* the same route under another parameter name is the same route */
	expect_bad_list("{\"routes\": [\"GET /a/:id\", \"POST /a/:id\", \"GET /a/:name/\"]}",
			"routes[2]: 'GET /a/:name/' is listed twice (also routes[0])");
	expect_bad_list("[\"GET /a\", \"GET /a\"]", "[1]: 'GET /a' is listed twice (also [0])");

	/* a file: missing, not JSON */
	ph_err_clear(&err);
	assert_int_equal(ph_route_list_load(&l, t_path(t_dir, "none.json"), &err), PH_E_IO);
	assert_non_null(strstr(err.msg, "none.json"));
	ph_route_list_release(&l);
	assert_int_equal(ph_route_list_load(&l, t_write_in(t_dir, "bad.json", "[\"GET /a\""),
					    &err),
			 PH_E_PARSE);
	assert_non_null(strstr(err.msg, "bad.json:1:"));
	ph_route_list_release(&l);
}

/* The index of the listed route text drives, after ph_route_text_split (strict). */
static long match(const struct ph_route_list *l, const char *text)
{
	char *method, **segs;
	size_t n;
	long i;

	assert_int_equal(ph_route_text_split(text, 1, &method, &segs, &n), 0);
	i = ph_route_list_match(l, method, segs, n);
	free(method);
	ph_route_free(segs, n);
	return i;
}

static void matching(void **state)
{
	struct ph_route_list l;
	char *method, **segs;
	size_t n;

	(void)state;
	list_of(&l, "[\"GET /api/memory/:id\", \"GET /api/memory/search\", \"ALL /mcp\","
		    " \"POST /mcp\", \"GET /\", \"GET /api/memory/:id/history\"]");
	/* a literal segment beats a parameter, whatever the order; the query is stripped */
	assert_int_equal(match(&l, "GET /api/memory/search?q=coffee&limit=3"), 1);
	assert_int_equal(match(&l, "GET /api/memory/mem-0001"), 0);
	assert_int_equal(match(&l, "GET /api/memory/:id"), 0);
	assert_int_equal(match(&l, "GET /api/memory/x/history/"), 5);
	/* a named method beats ALL, ALL takes the others */
	assert_int_equal(match(&l, "POST /mcp"), 3);
	assert_int_equal(match(&l, "DELETE /mcp"), 2);
	assert_int_equal(match(&l, "GET /"), 4);
	assert_int_equal(match(&l, "GET /?x=1"), 4);
	assert_int_equal(match(&l, "GET /api/memory"), -1);
	assert_int_equal(match(&l, "PUT /api/memory/x"), -1);
	ph_route_list_release(&l);

	/* what reads as a route, strict (a "route" key) or not (a feature) */
	assert_int_equal(ph_route_text_split("GET /api/status [local]", 0, &method, &segs, &n), 0);
	assert_string_equal(method, "GET");
	assert_int_equal(n, 2);
	assert_string_equal(segs[1], "status");
	free(method);
	ph_route_free(segs, n);
	assert_int_equal(ph_route_text_split("GET /a b", 1, &method, &segs, &n), 0);
	assert_string_equal(segs[0], "a b");
	free(method);
	ph_route_free(segs, n);
	assert_int_equal(ph_route_text_split("get /a", 1, &method, &segs, &n), 1);
	assert_int_equal(ph_route_text_split("GET a", 1, &method, &segs, &n), 1);
	assert_int_equal(ph_route_text_split("GET", 0, &method, &segs, &n), 1);
	assert_int_equal(ph_route_text_split("db: memories", 0, &method, &segs, &n), 1);
	assert_null(method);
}

/* A matrix of one domain whose features are the JSON array rows (text). */
static json_t *matrix_of(const char *rows)
{
	char *text = ph_strdup_printf(
	    "{\"schema\": \"parity-matrix/1\", \"generated_at\": \"2026-06-01T00:00:00Z\","
	    " \"runtimes\": {\"reference\": {\"name\": \"a\", \"version\": \"1\"},"
	    " \"candidate\": {\"name\": \"b\", \"version\": \"1\"}}, \"domains\": [{\"domain\":"
	    " \"read\", \"status\": \"pass\", \"counts\": {\"parity\": 0, \"structural\": 0,"
	    " \"semantic\": 0, \"timing\": 0, \"error\": 0}, \"features\": %s}],"
	    " \"metrics\": {}, \"verdict\": \"parity\"}",
	    rows);
	json_t *m = t_json(text);

	free(text);
	return m;
}

/* A row: feature, candidate class and extra keys (JSON members, may be ""). */
#define ROW(feature, cls, extra)                                                           \
	"{\"feature\": \"" feature "\", \"case\": \"c\", \"reference\": \"200\", "         \
	"\"candidate\": \"" cls "\", \"divergences\": [], \"latency_ms\": {\"reference\": "   \
	"null, \"candidate\": null}" extra "}"

static const char list_text[] =
    "{\"routes\": [{\"method\": \"GET\", \"path\": \"/api/memory/:id\", \"status\": \"a\"},"
    " \"GET /api/memory/search\", \"POST /api/memory/remember\", \"ALL /mcp\","
    " \"DELETE /api/memory/:id\", \"GET /health\", \"GET /api/status\"]}";

static const char rows_text[] =
    "[" ROW("GET /api/memory/:id [local]", "parity", "") ","
    ROW("search", "semantic", ", \"route\": \"GET /api/memory/search?q=a b\","
        " \"depth\": \"status\"") ","
    ROW("db: memories", "structural", ", \"route\": [\"POST /api/memory/remember\","
        " \"DELETE /api/memory/m1?reason=x\", \"DELETE /api/memory/m2\"], \"depth\":"
        " \"state\"") ","
    ROW("db: memory_history", "parity", ", \"route\": [\"DELETE /api/memory/m1\"],"
        " \"depth\": \"state\"") ","
    ROW("MCP /tools/list", "parity", "") ","
    ROW("MCP /tools/call/x", "timing", ", \"route\": \"POST /mcp\"") ","
    ROW("GET /health", "error", ", \"error\": \"no answer\"") ","
    ROW("GET /api/status", "expectation", "") ","
    ROW("POST /api/memory/remember", "timing", ", \"route\": null") ","
    ROW("unknown route", "parity", ", \"route\": \"GET /api/nope?x=1\"") ","
    ROW("GET /api/nope/", "parity", "") ","
    ROW("PATCH /api/zz", "parity", ", \"depth\": \"state\"") "]";

/* The routes_table entry i: route, depth, rows, listed_status (NULL: null). */
static void expect_entry(const json_t *arr, size_t i, const char *route, const char *depth,
			 long long rows, const char *status)
{
	const json_t *e = json_array_get(arr, i), *st = json_object_get(e, "listed_status");

	assert_string_equal(t_str(e, "route"), route);
	assert_string_equal(t_str(e, "depth"), depth);
	assert_int_equal(json_integer_value(json_object_get(e, "rows")), rows);
	if (status)
		assert_string_equal(json_string_value(st), status);
	else
		assert_true(!st || json_is_null(st));
}

static void compute(void **state)
{
	struct ph_route_list l;
	json_t *m = matrix_of(rows_text), *cov = NULL, *t, *u;
	const char *name = "m.json";
	struct ph_err err;

	(void)state;
	list_of(&l, list_text);
	if (ph_coverage_compute(&cov, &l, "lists/r.json", &m, &name, 1, &err))
		fail_msg("coverage: %s", err.msg);
	assert_string_equal(t_str(cov, "source"), "lists/r.json");
	assert_int_equal(json_integer_value(json_object_get(cov, "routes")), 7);
	t = json_object_get(cov, "routes_table");
	expect_entry(t, 0, "GET /api/memory/:id", "body", 1, "a");
	expect_entry(t, 1, "GET /api/memory/search", "status", 1, NULL);
	expect_entry(t, 2, "POST /api/memory/remember", "state", 1, NULL);
	expect_entry(t, 3, "ALL /mcp", "body", 1, NULL);
	/* two routes of one row that are one listed route count once; rows of two count */
	expect_entry(t, 4, "DELETE /api/memory/:id", "state", 2, NULL);
	/* an error row and a row of another class prove nothing */
	expect_entry(t, 5, "GET /health", "none", 0, NULL);
	expect_entry(t, 6, "GET /api/status", "none", 0, NULL);
	/* unlisted by route, query and trailing '/' gone; "MCP /..." features are no route */
	u = json_object_get(cov, "unlisted");
	assert_int_equal(json_array_size(u), 2);
	expect_entry(u, 0, "GET /api/nope", "body", 2, NULL);
	expect_entry(u, 1, "PATCH /api/zz", "state", 1, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(cov, "counts"),
							   "none")),
			 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(cov, "counts"),
							   "state")),
			 2);
	/* at least that deep, over 7 routes, 4 decimals */
	assert_true(json_real_value(json_object_get(json_object_get(cov, "ratio"), "status")) ==
		    0.7143);
	assert_true(json_real_value(json_object_get(json_object_get(cov, "ratio"), "body")) ==
		    0.5714);
	assert_true(json_real_value(json_object_get(json_object_get(cov, "ratio"), "state")) ==
		    0.2857);
	assert_int_equal(ph_coverage_validate(cov, "m.json", &err), 0);
	json_decref(m);
	/* a matrix that carries it is still a valid matrix ("expectation" rows are not yet) */
	m = matrix_of("[" ROW("GET /health", "parity", ", \"route\": \"GET /health\"") "]");
	json_object_set_new(m, "coverage", cov);
	if (ph_matrix_validate(m, "m.json", &err))
		fail_msg("%s", err.msg);
	json_decref(m);

	/* a malformed route fails, naming the matrix and the row */
	m = matrix_of("[" ROW("a", "parity", "") "," ROW("b", "parity", ", \"route\": \"x\"") "]");
	assert_int_equal(ph_coverage_compute(&cov, &l, "r", &m, &name, 1, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "m.json: domains[0].features[1].route: expected"));
	assert_null(cov);
	json_decref(m);
	ph_route_list_release(&l);
}

/* ph_matrix_validate of m fails naming fragment. */
static void expect_invalid(json_t *m, const char *fragment)
{
	struct ph_err err;

	ph_err_clear(&err);
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), PH_E_INVALID);
	if (!strstr(err.msg, fragment))
		fail_msg("message '%s' does not name '%s'", err.msg, fragment);
	json_decref(m);
}

/* A matrix with the given coverage value (JSON text). */
static json_t *with_coverage(const char *cov)
{
	json_t *m = matrix_of("[]");

	json_object_set_new(m, "coverage", t_json(cov));
	return m;
}

#define COV(table, ratio)                                                                  \
	"{\"source\": \"r.json\", \"routes\": 1, \"counts\": {\"none\": 0, \"status\": 0,"  \
	" \"body\": 1, \"state\": 0}, \"ratio\": " ratio ", \"routes_table\": " table ","   \
	" \"unlisted\": []}"
#define RATIO "{\"status\": 1, \"body\": 1, \"state\": 0}"
#define TABLE "[{\"route\": \"GET /a\", \"depth\": \"body\", \"rows\": 2, \"listed_status\": null}]"

static void validation(void **state)
{
	json_t *m;
	struct ph_err err;

	(void)state;
	expect_invalid(matrix_of("[" ROW("a", "parity", ", \"depth\": \"deep\"") "]"),
		       "m.json: domains[0].features[0].depth: expected one of status|body|state");
	expect_invalid(matrix_of("[" ROW("a", "parity", ", \"route\": [\"GET /a\", 1]") "]"),
		       "domains[0].features[0].route[1]: expected \"METHOD /path\"");
	expect_invalid(matrix_of("[" ROW("a", "parity", ", \"route\": {}") "]"),
		       "domains[0].features[0].route: expected");
	m = matrix_of("[" ROW("a", "parity", ", \"route\": null, \"depth\": \"state\"") "]");
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
	json_decref(m);
	m = with_coverage("null");
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
	json_decref(m);
	m = with_coverage(COV(TABLE, RATIO));
	assert_int_equal(ph_matrix_validate(m, "m.json", &err), 0);
	json_decref(m);
	expect_invalid(with_coverage("[]"), "m.json: coverage: expected an object or null");
	expect_invalid(with_coverage(COV(TABLE, "{\"status\": 1.5, \"body\": 1, \"state\": 0}")),
		       "coverage.ratio.status: expected a number from 0 to 1");
	expect_invalid(with_coverage(COV("[]", RATIO)),
		       "coverage.routes: expected the number of routes_table entries");
	expect_invalid(with_coverage(COV("[{\"route\": \"GET /a\", \"depth\": \"deep\", "
					 "\"rows\": 1, \"listed_status\": null}]",
					 RATIO)),
		       "coverage.routes_table[0].depth: expected one of none|status|body|state");
	expect_invalid(with_coverage(COV("[{\"route\": \"GET /a\", \"depth\": \"body\", "
					 "\"rows\": 1}]",
					 RATIO)),
		       "coverage.routes_table[0].listed_status: missing");
	expect_invalid(with_coverage("{\"source\": \"\"}"), "coverage.source");
}

/* Coverage of list_text over rows (JSON array text), with source src. */
static json_t *cov_of(const char *rows, const char *src)
{
	struct ph_route_list l;
	json_t *m = matrix_of(rows), *cov = NULL;
	struct ph_err err;

	list_of(&l, list_text);
	if (ph_coverage_compute(&cov, &l, src, &m, NULL, 1, &err))
		fail_msg("coverage: %s", err.msg);
	ph_route_list_release(&l);
	json_decref(m);
	return cov;
}

/* Merging covs fails naming each string of want. */
static void expect_unmergeable(json_t **covs, size_t n, const char *const *want)
{
	const char *names[] = {"a.json", "b.json", "c.json"};
	json_t *out = NULL;
	struct ph_err err;

	assert_int_equal(ph_coverage_merge(&out, covs, names, n, &err), PH_E_INVALID);
	assert_null(out);
	for (; *want; want++)
		if (!strstr(err.msg, *want))
			fail_msg("message '%s' does not name '%s'", err.msg, *want);
}

static void merge(void **state)
{
	const char *names[] = {"a.json", "b.json"};
	json_t *covs[3], *out = NULL, *t;
	struct ph_err err;

	(void)state;
	covs[0] = cov_of("[" ROW("GET /api/memory/:id", "parity", "") ","
			 ROW("x", "parity", ", \"route\": \"GET /zz\", \"depth\": \"status\"") "]",
			 "r.json");
	covs[1] = cov_of("[" ROW("GET /api/memory/:id", "parity", ", \"depth\": \"status\"") ","
			 ROW("GET /health", "parity", ", \"depth\": \"state\"") ","
			 ROW("GET /zz", "parity", "") "," ROW("GET /aa", "parity", "") "]",
			 "r.json");
	assert_int_equal(ph_coverage_merge(&out, covs, names, 2, &err), 0);
	t = json_object_get(out, "routes_table");
	expect_entry(t, 0, "GET /api/memory/:id", "body", 2, "a");
	expect_entry(t, 5, "GET /health", "state", 1, NULL);
	expect_entry(t, 6, "GET /api/status", "none", 0, NULL);
	t = json_object_get(out, "unlisted");
	assert_int_equal(json_array_size(t), 2);
	expect_entry(t, 0, "GET /aa", "body", 1, NULL);
	expect_entry(t, 1, "GET /zz", "body", 2, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(out, "counts"),
							   "none")),
			 5);
	assert_true(json_real_value(json_object_get(json_object_get(out, "ratio"), "body")) ==
		    0.2857);
	assert_int_equal(ph_coverage_validate(out, "merged", &err), 0);
	json_decref(out);

	/* none has coverage: null */
	covs[2] = json_null();
	assert_int_equal(ph_coverage_merge(&out, &covs[2], names, 1, &err), 0);
	assert_true(json_is_null(out));
	json_decref(out);
	/* some have none, other sources, other lists */
	expect_unmergeable(covs, 3, T_LIST("a.json", "c.json", "has none"));
	json_decref(covs[1]);
	covs[1] = cov_of("[]", "other.json");
	expect_unmergeable(covs, 2, T_LIST("a.json", "r.json", "b.json", "other.json"));
	json_decref(covs[1]);
	covs[1] = json_deep_copy(covs[0]);
	json_object_set_new(json_array_get(json_object_get(covs[1], "routes_table"), 3),
			    "listed_status", json_string("missing"));
	expect_unmergeable(covs, 2, T_LIST("a.json", "b.json", "routes_table[3]"));
	json_array_remove(json_object_get(covs[1], "routes_table"), 6);
	expect_unmergeable(covs, 2, T_LIST("different lists"));
	json_decref(covs[0]);
	json_decref(covs[1]);
}

/* parity merge keeps coverage: summed over shards, null without, refused when mixed. */
static void merge_matrices(void **state)
{
	const char *names[] = {"a/matrix.json", "b/matrix.json"};
	json_t *mats[2], *out = NULL, *cov;
	struct ph_err err;

	(void)state;
	mats[0] = matrix_of("[" ROW("GET /health", "parity", "") "]");
	mats[1] = matrix_of("[" ROW("GET /health", "parity", "") "]");
	json_object_set_new(json_array_get(json_object_get(mats[1], "domains"), 0), "domain",
			    json_string("write"));
	/* matrices from before coverage: no key either */
	assert_int_equal(ph_merge_matrices(&out, mats, names, 2, &err), 0);
	assert_null(json_object_get(out, "coverage"));
	json_decref(out);
	json_object_set_new(mats[0], "coverage", cov_of("[" ROW("GET /health", "parity", "") "]",
							  "r.json"));
	assert_int_equal(ph_merge_matrices(&out, mats, names, 2, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "b/matrix.json"));
	json_object_set(mats[1], "coverage", json_object_get(mats[0], "coverage"));
	assert_int_equal(ph_merge_matrices(&out, mats, names, 2, &err), 0);
	cov = json_object_get(out, "coverage");
	expect_entry(json_object_get(cov, "routes_table"), 5, "GET /health", "body", 2, NULL);
	assert_int_equal(ph_matrix_validate(out, "merged", &err), 0);
	json_decref(out);
	json_decref(mats[0]);
	json_decref(mats[1]);
}

/* Upstream's list: ../shared/signet first, then $SIGNET_CHECKOUT's; skipped without. */
static void upstream_list(void **state)
{
	const char *co = getenv("SIGNET_CHECKOUT");
	char path[4096];
	struct ph_route_list l;
	struct ph_err err;
	size_t i, proven = 0, shallow = 0;

	(void)state;
	snprintf(path, sizeof(path), "%s/signet/route-parity.json", PARITY_SHARED_DIR);
	if (access(path, R_OK) && co)
		snprintf(path, sizeof(path), "%s/%s", co,
			 "platform/daemon-rs/contracts/route-parity.json");
	if (access(path, R_OK))
		skip();
	if (ph_route_list_load(&l, path, &err))
		fail_msg("upstream list did not load: %s", err.msg);
	assert_true(l.n >= 300);
	for (i = 0; i < l.n; i++) {
		proven += l.routes[i].status && !strcmp(l.routes[i].status,
						       "native-rust-replay-proven");
		shallow += l.routes[i].status && !strcmp(l.routes[i].status, "mounted-shallow");
		/* every listed route is the one its own path drives: no two overlap */
		assert_int_equal(match(&l, l.routes[i].key), (long)i);
	}
	print_message("upstream list %s: %zu routes, %zu replay-proven, %zu mounted-shallow\n",
		      path, l.n, proven, shallow);
	assert_int_equal(proven + shallow, l.n);
	assert_int_equal(match(&l, "POST /mcp"), match(&l, "ALL /mcp"));
	assert_string_equal(l.routes[match(&l, "GET /api/memory/search?q=x")].key,
			    "GET /api/memory/search");
	assert_string_equal(l.routes[match(&l, "GET /api/memory/mem-0001")].key,
			    "GET /api/memory/:id");
	ph_route_list_release(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(list_forms),
		cmocka_unit_test(list_bad),
		cmocka_unit_test(matching),
		cmocka_unit_test(compute),
		cmocka_unit_test(validation),
		cmocka_unit_test(merge),
		cmocka_unit_test(merge_matrices),
		cmocka_unit_test(upstream_list),
	};

	return cmocka_run_group_tests(tests, t_dir_setup, t_dir_teardown);
}
