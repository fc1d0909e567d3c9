/*
 * Benchmark of the run path. Part 1 runs `parity run --domain read` a few times and prints
 * where its time went (runtime start, requests and comparison, stop) from the matrix's
 * metrics.phases. Part 2 starts two refd runtimes itself and sends the read suite's
 * requests to both, first with a plain libcurl loop (the baseline: no parsing, no
 * comparison), then through the harness path (ph_http_send, ph_compare_responses under
 * fixtures/rules.json, a matrix row per case), interleaved round by round, and prints the
 * harness's own cost per request. Target: under 1 ms per request. Exit 1 when missed.
 */
#include <curl/curl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "compare/compare.h"
#include "runtime/http.h"
#include "matrix/matrix.h"
#include "parity/jsonio.h"
#include "parity/suite.h"
#include "runtime/runtime.h"
#include "run/workspace.h"

#include "../bench_clock.h"

#define ROUNDS 20
#define RUNS 3

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return v[n / 2];
}

static void die(const char *what, const struct ph_err *err)
{
	fprintf(stderr, "bench_run: %s: %s\n", what, err ? err->msg : "failed");
	exit(2);
}

/* Part 1: the phases of whole runs. */
static void phases(const char *parity, const char *tmp)
{
	double start[RUNS], run[RUNS], stop[RUNS], total[RUNS];
	int i, cases = 0;

	for (i = 0; i < RUNS; i++) {
		char cmd[4096], path[4096];
		json_t *m;
		struct ph_err err;
		json_t *ph;
		double t0 = bench_now_ms();
		int rc;

		snprintf(cmd, sizeof(cmd), "%s run --domain read --out %s/run%d 2>/dev/null",
			 parity, tmp, i);
		rc = system(cmd);
		total[i] = bench_now_ms() - t0;
		if (rc == -1 || !WIFEXITED(rc) || WEXITSTATUS(rc) != 0) {
			fprintf(stderr, "bench_run: '%s' failed\n", cmd);
			exit(2);
		}
		snprintf(path, sizeof(path), "%s/run%d/matrix.json", tmp, i);
		if (ph_json_load_file(path, &m, &err))
			die("matrix", &err);
		ph = json_object_get(json_object_get(json_object_get(m, "metrics"), "phases"),
				     "read");
		start[i] = json_number_value(json_object_get(ph, "start_ms"));
		run[i] = json_number_value(json_object_get(ph, "run_ms"));
		stop[i] = json_number_value(json_object_get(ph, "stop_ms"));
		cases = (int)json_integer_value(json_object_get(ph, "cases"));
		json_decref(m);
	}
	printf("parity run --domain read (median of %d runs, %d cases):\n", RUNS, cases);
	printf("  whole command    %8.1f ms\n", median(total, RUNS));
	printf("  start runtimes   %8.1f ms\n", median(start, RUNS));
	printf("  cases            %8.1f ms  (%.3f ms per case, both runtimes)\n",
	       median(run, RUNS), median(run, RUNS) / (cases ? cases : 1));
	printf("  stop runtimes    %8.1f ms\n", median(stop, RUNS));
	printf("  the rest         %8.1f ms  (process start, plugin load, reports)\n",
	       median(total, RUNS) - median(start, RUNS) - median(run, RUNS) -
		       median(stop, RUNS));
}

static size_t sink(char *p, size_t size, size_t n, void *user)
{
	(void)p;
	*(size_t *)user += size * n;
	return size * n;
}

struct target {
	struct ph_runtime rt;
	struct ph_http *http;
	CURL *curl;
	char base[64];
};

static void plain_request(struct target *t, const json_t *c, struct curl_slist *hdrs)
{
	const char *method = json_string_value(json_object_get(c, "method"));
	const char *path = json_string_value(json_object_get(c, "path"));
	json_t *body = json_object_get(c, "body");
	char url[4096], *data = NULL;
	size_t got = 0;

	snprintf(url, sizeof(url), "%s%s", t->base, path);
	curl_easy_setopt(t->curl, CURLOPT_URL, url);
	curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(t->curl, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(t->curl, CURLOPT_WRITEDATA, &got);
	curl_easy_setopt(t->curl, CURLOPT_HTTPHEADER, hdrs);
	if (body) {
		data = json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY);
		curl_easy_setopt(t->curl, CURLOPT_POSTFIELDS, data);
		curl_easy_setopt(t->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(data));
	} else {
		curl_easy_setopt(t->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(t->curl, CURLOPT_CUSTOMREQUEST, method);
	}
	curl_easy_perform(t->curl);
	free(data);
}

static void harness_request(struct target *t, const json_t *c, struct ph_response *r)
{
	json_t *body = json_object_get(c, "body");
	struct ph_request req = { .method = json_string_value(json_object_get(c, "method")),
				  .path = json_string_value(json_object_get(c, "path")) };
	struct ph_err err;
	char *data = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	if (data) {
		req.body = data;
		req.body_len = strlen(data);
	}
	ph_http_send(t->http, &req, r, &err);
	free(data);
}

int main(int argc, char **argv)
{
	char tmp[] = "/tmp/parity-bench-run-XXXXXX";
	struct target t[2];
	struct ph_runtime_spec spec;
	struct ph_rules *rules;
	struct ph_err err;
	json_t *cases, *c, *matrix, *specdoc;
	struct curl_slist *hdrs;
	double base[ROUNDS], harness[ROUNDS], overhead;
	char dir[1024], ws[2048], home[2048], logp[2048], suite[4096], rules_path[4096];
	size_t i, n;
	int k, r;

	if (argc != 4) {
		fprintf(stderr, "usage: bench_run PARITY REFD REPO\n");
		return 2;
	}
	if (!mkdtemp(tmp))
		return 2;
	/* refd runs in its workspace: its path must not be relative */
	argv[2] = realpath(argv[2], NULL);
	if (!argv[2]) {
		fprintf(stderr, "bench_run: cannot resolve the refd path\n");
		return 2;
	}
	phases(argv[1], tmp);

	snprintf(suite, sizeof(suite), "%s/suites/read", argv[3]);
	snprintf(rules_path, sizeof(rules_path), "%s/fixtures/rules.json", argv[3]);
	if (ph_suite_load_dir(suite, &cases, &err))
		die("suite", &err);
	if (ph_rules_load(&rules, rules_path, &err))
		die("rules", &err);
	specdoc = json_pack("{s:s, s:[s], s:s, s:{s:s, s:s, s:s}}", "name", "refd", "command",
			    argv[2], "cwd", "{workspace}", "env", "SIGNET_PATH", "{workspace}",
			    "SIGNET_PORT", "{port}", "SIGNET_BIND", "127.0.0.1");
	if (ph_runtime_spec_parse(&spec, "reference", specdoc, "bench", &err))
		die("spec", &err);
	ph_http_global_init();
	for (k = 0; k < 2; k++) {
		struct ph_placeholders ph = { 0 };
		char fixture[4096];

		memset(&t[k], 0, sizeof(t[k]));
		snprintf(dir, sizeof(dir), "%s/rt%d", tmp, k);
		snprintf(ws, sizeof(ws), "%s/workspace", dir);
		snprintf(home, sizeof(home), "%s/home", dir);
		snprintf(logp, sizeof(logp), "%s/refd.log", dir);
		snprintf(fixture, sizeof(fixture), "%s/fixtures/workspaces/default", argv[3]);
		if (ph_mkdirs(home, &err))
			die("mkdir", &err);
		ph.workspace = ws;
		ph.home = home;
		ph.port = ph_free_port();
		ph.llm_url = "http://127.0.0.1:9";
		ph.repo = argv[3];
		ph.shared = argv[3];
		ph.build = argv[3];
		if (ph_workspace_copy(fixture, ws, &ph, &err))
			die("workspace", &err);
		if (ph_runtime_start(&t[k].rt, &spec, &ph, logp, &err))
			die("refd", &err);
		snprintf(t[k].base, sizeof(t[k].base), "http://127.0.0.1:%d", ph.port);
		t[k].http = ph_http_new(t[k].base, 10000);
		t[k].curl = curl_easy_init();
	}
	hdrs = curl_slist_append(NULL, "Content-Type: application/json");
	n = json_array_size(cases);

	/* warm-up, then rounds interleaved: baseline, harness, baseline, harness, ... */
	json_array_foreach(cases, i, c) plain_request(&t[0], c, hdrs);
	for (r = 0; r < ROUNDS; r++) {
		double t0 = bench_now_ms();

		json_array_foreach(cases, i, c)
		{
			plain_request(&t[0], c, hdrs);
			plain_request(&t[1], c, hdrs);
		}
		base[r] = bench_now_ms() - t0;
		matrix = ph_matrix_new("refd", "x", "refd", "x");
		t0 = bench_now_ms();
		json_array_foreach(cases, i, c)
		{
			struct ph_response a, b;
			struct ph_result res;
			struct ph_row row = { 0 };
			char endpoint[4096];

			harness_request(&t[0], c, &a);
			harness_request(&t[1], c, &b);
			snprintf(endpoint, sizeof(endpoint), "%s %s",
				 json_string_value(json_object_get(c, "method")),
				 json_string_value(json_object_get(c, "path")));
			ph_compare_responses(rules, endpoint, &a, &b, &(struct ph_timing)PH_TIMING_DEFAULT,
					     &res, &err);
			row.feature = res.rule;
			row.case_name = json_string_value(json_object_get(c, "name"));
			row.reference = "200";
			row.result = &res;
			row.latency_reference_ms = a.latency_ms;
			row.latency_candidate_ms = b.latency_ms;
			ph_matrix_add_row(matrix, "read", &row, &err);
			ph_result_release(&res);
			ph_response_release(&a);
			ph_response_release(&b);
		}
		ph_matrix_finish(matrix);
		harness[r] = bench_now_ms() - t0;
		json_decref(matrix);
	}
	overhead = (median(harness, ROUNDS) - median(base, ROUNDS)) / (double)(n * 2);
	printf("\nread suite, %zu cases x 2 runtimes, median of %d interleaved rounds:\n", n, ROUNDS);
	printf("  plain libcurl loop   %8.2f ms  (%.3f ms per request)\n", median(base, ROUNDS),
	       median(base, ROUNDS) / (double)(n * 2));
	printf("  harness path         %8.2f ms  (%.3f ms per request)\n", median(harness, ROUNDS),
	       median(harness, ROUNDS) / (double)(n * 2));
	printf("  harness overhead     %8.3f ms per request (target < 1 ms): %s\n", overhead,
	       overhead < 1.0 ? "met" : "MISSED");

	for (k = 0; k < 2; k++) {
		ph_runtime_stop(&t[k].rt, 0, &err);
		ph_runtime_release(&t[k].rt);
		ph_http_free(t[k].http);
		curl_easy_cleanup(t[k].curl);
	}
	curl_slist_free_all(hdrs);
	ph_runtime_spec_release(&spec);
	json_decref(specdoc);
	json_decref(cases);
	ph_rules_free(rules);
	ph_http_global_cleanup();
	ph_tree_remove(tmp, &err);
	return overhead < 1.0 ? 0 : 1;
}
