/*
 * Benchmark of the comparison engine: generates two ~10 MB response bodies
 * ({"memories": [30000 objects]}, a handful of values changed near the end, timestamps
 * written "Z" on one side and "+00:00" on the other) and times, best of several runs,
 * (a) jansson parsing both and json_equal, the baseline, and (b) ph_compare_responses on
 * the same bodies, from parse to result, under rules shaped like the upstream
 * "GET /api/memories" rule. Prints both times and the ratio; exits 1 when the ordered
 * comparison takes more than twice the baseline (the project's target).
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compare/compare.h"
#include "compare/rules.h"

#include "../bench_clock.h"

#define N_MEMORIES 30000
#define RUNS 5
#define TARGET 2.0

/* One body; candidate != 0 writes the candidate's variant. Caller frees. */
static char *make_body(int candidate, size_t *len)
{
	size_t cap = 64u << 20, n = 0, i;
	char *buf = malloc(cap);

	if (!buf)
		return NULL;
	n += (size_t)snprintf(buf + n, cap - n, "{\"total\":%d,\"memories\":[", N_MEMORIES);
	for (i = 0; i < N_MEMORIES; i++) {
		int changed = candidate && i >= N_MEMORIES - 20 && i % 7 == 0;

		n += (size_t)snprintf(
		    buf + n, cap - n,
		    "%s{\"id\":\"mem-%06zu\",\"content\":\"the user prefers %s tea in the "
		    "morning and coffee after lunch; memory number %zu of the benchmark\","
		    "\"type\":\"preference\",\"importance\":%.2f,\"tags\":[\"drink\",\"habit\","
		    "\"t%zu\"],\"who\":\"agent\",\"pinned\":%s,\"createdAt\":\"2026-01-%02zuT%02zu:"
		    "%02zu:%02zu%s\",\"updatedAt\":null,\"meta\":{\"source\":\"bench\","
		    "\"score\":%.3f,\"version\":%zu}}",
		    i ? "," : "", i, changed ? "black" : "green", i, (double)(i % 100) / 100.0,
		    i % 13, i % 2 ? "true" : "false", i % 28 + 1, i % 24, i % 60, i % 60,
		    candidate ? "+00:00" : "Z", (double)(i % 1000) / 1000.0, i % 5);
	}
	n += (size_t)snprintf(buf + n, cap - n, "]}");
	*len = n;
	return buf;
}

static double time_baseline(const char *a, size_t la, const char *b, size_t lb, int *equal)
{
	double t0 = bench_now_s(), t;
	json_t *ja = json_loadb(a, la, 0, NULL), *jb = json_loadb(b, lb, 0, NULL);

	*equal = json_equal(ja, jb);
	json_decref(ja);
	json_decref(jb);
	t = bench_now_s() - t0;
	if (!ja || !jb) {
		fprintf(stderr, "bench: generated body is not JSON\n");
		exit(2);
	}
	return t;
}

static double time_compare(struct ph_rules *rules, const char *endpoint, char *a, size_t la,
			   char *b, size_t lb, size_t *count)
{
	struct ph_response ra = {200, a, la, NULL, NULL, -1, NULL};
	struct ph_response rb = {200, b, lb, NULL, NULL, -1, NULL};
	struct ph_result res;
	struct ph_err err;
	double t0 = bench_now_s(), t;

	if (ph_compare_responses(rules, endpoint, &ra, &rb, NULL, &res, &err)) {
		fprintf(stderr, "bench: %s\n", err.msg);
		exit(2);
	}
	*count = res.count;
	ph_result_release(&res);
	t = bench_now_s() - t0;
	return t;
}

int main(void)
{
	static const char rules_text[] =
	    "{\"rules\":{\"default\":{\"ignoreFields\":[\"updatedAt\",\"createdAt\"]},"
	    "\"endpoints\":{"
	    "\"GET /api/memories\":{\"deterministic\":[\"memories.*.id\",\"memories.*.content\","
	    "\"memories.*.type\",\"memories.*.importance\",\"memories.*.tags\"],"
	    "\"ignoreFields\":[\"memories.*.updatedAt\"],\"arrayOrdering\":\"ordered\"},"
	    "\"GET /api/memories/all\":{\"arrayOrdering\":\"ordered\"},"
	    "\"GET /api/memories/any\":{\"arrayOrdering\":\"unordered\","
	    "\"tolerance\":{\"score\":0.01}}}}}";
	static const char *const endpoints[] = {"GET /api/memories", "GET /api/memories/all",
						"GET /api/memories/any"};
	size_t la, lb, count = 0, e;
	char *a = make_body(0, &la), *b = make_body(1, &lb);
	double base = 1e9, best[3] = {1e9, 1e9, 1e9};
	struct ph_rules *rules = NULL;
	struct ph_err err;
	json_t *doc = json_loads(rules_text, 0, NULL);
	int equal = 0, r, rc = 0;

	if (!a || !b || !doc || ph_rules_from_json(&rules, doc, "bench-rules", &err)) {
		fprintf(stderr, "bench: setup failed\n");
		return 2;
	}
	json_decref(doc);
	printf("bodies: %.1f MB and %.1f MB, %d memories each\n", la / 1e6, lb / 1e6, N_MEMORIES);
	for (r = 0; r < RUNS; r++) {
		double t = time_baseline(a, la, b, lb, &equal);

		base = t < base ? t : base;
		for (e = 0; e < 3; e++) {
			t = time_compare(rules, endpoints[e], a, la, b, lb, &count);
			best[e] = t < best[e] ? t : best[e];
		}
	}
	printf("baseline  json_loadb x2 + json_equal         %8.1f ms (equal: %s)\n", base * 1e3,
	       equal ? "yes" : "no");
	for (e = 0; e < 3; e++) {
		time_compare(rules, endpoints[e], a, la, b, lb, &count);
		printf("compare   %-32s %8.1f ms  ratio %.2f  (%zu divergences)%s\n", endpoints[e],
		       best[e] * 1e3, best[e] / base, count,
		       e == 0 ? (best[e] / base <= TARGET ? "  target <= 2x: ok"
							  : "  target <= 2x: MISSED")
			      : "");
	}
	if (best[0] / base > TARGET)
		rc = 1;
	ph_rules_free(rules);
	free(a);
	free(b);
	return rc;
}
