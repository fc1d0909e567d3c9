/*
 * Unit tests of the performance measurements (perf.h): latency quantiles, /proc sampling
 * of a process tree (RSS and CPU time of a forked child count), targets and their
 * parsing, the config's "perf" and "timing"."samples" keys, candidate/reference ratios,
 * the gate enforcing targets only when set, and the performance section of every report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "run/config.h"
#include "gate/gate.h"
#include "matrix/matrix.h"
#include "parity/jsonio.h"
#include "measure/perf.h"
#include "run/perf_pass.h"
#include "report/report.h"
#include "run/workspace.h"

#include "support.h"

static void quantiles_nearest_rank(void **state)
{
	double ms[100], copy[100];
	struct ph_perf_dist d;
	struct ph_err err;
	size_t i;

	(void)state;
	/* 1..100 in a shuffled order: the input must not need sorting nor be modified */
	for (i = 0; i < 100; i++)
		ms[i] = (double)((i * 37) % 100 + 1);
	memcpy(copy, ms, sizeof(ms));
	assert_int_equal(ph_perf_dist_compute(ms, 100, &d, &err), 0);
	assert_memory_equal(ms, copy, sizeof(ms));
	assert_int_equal(d.n, 100);
	assert_true(d.p50 == 50 && d.p95 == 95 && d.p99 == 99 && d.max == 100 && d.min == 1);
	assert_true(fabs(d.mean - 50.5) < 1e-9);
	assert_true(d.cdf[0] == 1 && d.cdf[10] == 50 && d.cdf[PH_PERF_CDF_POINTS - 1] == 100);
	for (i = 1; i < PH_PERF_CDF_POINTS; i++)
		assert_true(d.cdf[i] >= d.cdf[i - 1]);

	/* one slow outlier in 10 moves max and p99 but not p50 */
	{
		double v[10] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 250 };

		assert_int_equal(ph_perf_dist_compute(v, 10, &d, &err), 0);
		assert_true(d.p50 == 1 && d.p95 == 250 && d.p99 == 250 && d.max == 250);
	}
	{
		double one = 3.5;

		assert_int_equal(ph_perf_dist_compute(&one, 1, &d, &err), 0);
		assert_true(d.p50 == 3.5 && d.p99 == 3.5 && d.min == 3.5);
	}
}

static void quantiles_bad_input(void **state)
{
	double bad[3] = { 1, -2, 3 }, nan_[2] = { 1, NAN };
	struct ph_perf_dist d;
	struct ph_err err;

	(void)state;
	assert_int_equal(ph_perf_dist_compute(bad, 0, &d, &err), PH_E_INVALID);
	assert_int_equal(ph_perf_dist_compute(bad, 3, &d, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "sample 1"));
	assert_int_equal(ph_perf_dist_compute(nan_, 2, &d, &err), PH_E_INVALID);
}

static void dist_json_keys(void **state)
{
	double v[4] = { 1, 2, 3, 4 };
	struct ph_perf_dist d;
	struct ph_err err;
	json_t *j;

	(void)state;
	assert_int_equal(ph_perf_dist_compute(v, 4, &d, &err), 0);
	j = ph_perf_dist_json(&d);
	assert_non_null(j);
	assert_int_equal(json_integer_value(json_object_get(j, "n")), 4);
	assert_true(json_number_value(json_object_get(j, "p50_ms")) == 2);
	assert_true(json_number_value(json_object_get(j, "max_ms")) == 4);
	assert_int_equal(json_array_size(json_object_get(j, "cdf_ms")), PH_PERF_CDF_POINTS);
	json_decref(j);
}

static void burn_cpu(double ms)
{
	struct timespec a, b;
	volatile double x = 0;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
	do {
		for (int i = 0; i < 100000; i++)
			x += i * 0.5;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
	} while ((double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6 < ms);
}

/* The tree of a process includes its children: their memory and their CPU time count. */
static void proc_sample_tree(void **state)
{
	struct ph_perf_proc alone, with_child, later;
	struct ph_err err;
	int pipefd[2], status;
	char c;
	pid_t child;

	(void)state;
	assert_int_equal(ph_perf_proc_sample((long)getpid(), &alone, &err), 0);
	assert_true(alone.rss_kb > 0);
	assert_true(alone.procs >= 1);
	assert_int_equal(pipe(pipefd), 0);
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		/* touch 32 MiB so the child's RSS is clearly visible, burn CPU, then wait */
		size_t n = 32u << 20, i;
		volatile char *p = malloc(n);

		close(pipefd[1]);
		for (i = 0; p && i < n; i += 1024)
			p[i] = 1; /* volatile: the compiler may not drop the touches */
		burn_cpu(300);
		if (read(pipefd[0], &c, 1) < 0)
			_exit(1);
		free((void *)p);
		_exit(0);
	}
	close(pipefd[0]);
	usleep(100 * 1000);
	assert_int_equal(ph_perf_proc_sample((long)getpid(), &with_child, &err), 0);
	assert_true(with_child.procs >= alone.procs + 1);
	/* the child alone has more than 30 MiB resident once it has touched its buffer */
	{
		int tries;
		struct ph_perf_proc ch;

		for (tries = 0; tries < 500; tries++) { /* up to 10 s on a loaded machine */
			assert_int_equal(ph_perf_proc_sample((long)child, &ch, &err), 0);
			if (ch.rss_kb > 30 * 1024)
				break;
			usleep(20 * 1000);
		}
		assert_true(ch.rss_kb > 30 * 1024);
		assert_int_equal(ph_perf_proc_sample((long)getpid(), &with_child, &err), 0);
		assert_true(with_child.rss_kb >= alone.rss_kb + 30 * 1024 - 4096);
		/* the child burns 300 ms of CPU: seen at clock-tick resolution, however long
		 * a loaded machine takes to give it that much */
		for (tries = 0; tries < 500; tries++) {
			assert_int_equal(ph_perf_proc_sample((long)child, &later, &err), 0);
			if (later.cpu_ms >= 250)
				break;
			usleep(20 * 1000);
		}
		assert_true(later.cpu_ms >= 250);
	}
	assert_int_equal(write(pipefd[1], "x", 1), 1);
	close(pipefd[1]);
	assert_int_equal(waitpid(child, &status, 0), child);
	assert_int_equal(ph_perf_proc_sample((long)child, &later, &err), PH_E_NOTFOUND);
	assert_int_equal(ph_perf_proc_sample(0, &later, &err), PH_E_NOTFOUND);
}

static void target_parsing(void **state)
{
	struct ph_perf_target t;
	struct ph_err err;

	(void)state;
	assert_int_equal(ph_perf_target_parse("<= 0.1", "x", &t, &err), 0);
	assert_string_equal(t.op, "<=");
	assert_true(t.value == 0.1);
	assert_int_equal(ph_perf_target_parse("<0.5", "x", &t, &err), 0);
	assert_string_equal(t.op, "<");
	assert_int_equal(ph_perf_target_parse(" >= 2 ", "x", &t, &err), 0);
	assert_string_equal(t.op, ">=");
	assert_true(t.value == 2);
	assert_int_equal(ph_perf_target_parse("0.1", "perf.targets.p99_ratio", &t, &err),
			 PH_E_INVALID);
	assert_non_null(strstr(err.msg, "perf.targets.p99_ratio"));
	assert_non_null(strstr(err.msg, "'0.1'"));
	assert_int_equal(ph_perf_target_parse("<= abc", "x", &t, &err), PH_E_INVALID);
	assert_int_equal(ph_perf_target_parse("<= 1 x", "x", &t, &err), PH_E_INVALID);
	assert_int_equal(ph_perf_target_parse("", "x", &t, &err), PH_E_INVALID);
	assert_int_equal(ph_perf_target_parse("<= inf", "x", &t, &err), PH_E_INVALID);

	ph_perf_target_parse("<= 0.5", "x", &t, &err);
	assert_true(ph_perf_target_met(&t, 0.5) && ph_perf_target_met(&t, 0.1));
	assert_false(ph_perf_target_met(&t, 0.51));
	ph_perf_target_parse("< 0.5", "x", &t, &err);
	assert_false(ph_perf_target_met(&t, 0.5));
	ph_perf_target_parse("> 2", "x", &t, &err);
	assert_true(ph_perf_target_met(&t, 2.1));
	assert_false(ph_perf_target_met(&t, 2));
	ph_perf_target_parse("== 1", "x", &t, &err);
	assert_true(ph_perf_target_met(&t, 1.0));
	assert_false(ph_perf_target_met(&t, 1.01));
}

static void targets_argument(void **state)
{
	struct ph_err err;
	json_t *t;

	(void)state;
	assert_int_equal(ph_perf_targets_parse_arg("idle_rss_ratio<=0.1, p99_ratio <= 0.5", &t,
						   &err),
			 0);
	assert_int_equal(json_object_size(t), 2);
	assert_string_equal(json_string_value(json_object_get(t, "idle_rss_ratio")), "<= 0.1");
	assert_string_equal(json_string_value(json_object_get(t, "p99_ratio")), "<= 0.5");
	json_decref(t);
	assert_int_equal(ph_perf_targets_parse_arg("p99_ratio", &t, &err), PH_E_INVALID);
	assert_null(t);
	assert_non_null(strstr(err.msg, "--targets"));
	assert_int_equal(ph_perf_targets_parse_arg("<=1", &t, &err), PH_E_INVALID);
	assert_int_equal(ph_perf_targets_parse_arg("a<=x", &t, &err), PH_E_INVALID);
	assert_int_equal(ph_perf_targets_parse_arg("", &t, &err), PH_E_INVALID);
}

static void targets_check(void **state)
{
	json_t *targets = json_pack("{s:s, s:s, s:s}", "idle_rss_ratio", "<= 0.1", "p99_ratio",
				    "<= 0.5", "cpu_ratio", "< 1");
	json_t *ratios = json_pack("{s:f, s:f, s:n}", "idle_rss_ratio", 0.05, "p99_ratio", 0.7,
				   "cpu_ratio");
	json_t *res, *r;
	struct ph_err err;
	size_t i;
	int met = 0, missed = 0, unmeasured = 0;

	(void)state;
	assert_int_equal(ph_perf_targets_check(targets, ratios, &res, &err), 0);
	assert_int_equal(json_array_size(res), 3);
	json_array_foreach(res, i, r)
	{
		const char *name = json_string_value(json_object_get(r, "target"));
		json_t *m = json_object_get(r, "met");

		if (!strcmp(name, "idle_rss_ratio")) {
			assert_true(json_is_true(m));
			met++;
		} else if (!strcmp(name, "p99_ratio")) {
			assert_true(json_is_false(m));
			assert_true(json_number_value(json_object_get(r, "value")) == 0.7);
			missed++;
		} else {
			assert_true(json_is_null(m));
			unmeasured++;
		}
	}
	assert_true(met == 1 && missed == 1 && unmeasured == 1);
	json_decref(res);
	json_object_set_new(targets, "bad", json_string("about 3"));
	assert_int_equal(ph_perf_targets_check(targets, ratios, &res, &err), PH_E_INVALID);
	assert_null(res);
	json_decref(targets);
	json_decref(ratios);
}

static char cfg_path[512]; /* a config file in t_dir */

static void write_file(const char *path, const char *text)
{
	t_write(path, text);
}

#define RUNTIMES                                                                           \
	"\"runtimes\": {\"reference\": {\"name\": \"a\", \"command\": [\"x\"]},"           \
	"\"candidate\": {\"name\": \"b\", \"command\": [\"y\"]}}"

static void config_perf_and_samples(void **state)
{
	struct ph_config cfg;
	struct ph_err err;
	json_t *t;

	(void)state;
	write_file(cfg_path, "{" RUNTIMES "}");
	assert_int_equal(ph_config_load(&cfg, cfg_path, &err), 0);
	assert_int_equal(cfg.timing_samples, 5);
	assert_false(cfg.has_perf);
	assert_int_equal(cfg.perf.requests, PH_PERF_REQUESTS_DEFAULT);
	assert_null(cfg.perf.targets);
	ph_config_release(&cfg);

	write_file(cfg_path, "{" RUNTIMES ", \"timing\": {\"samples\": 9}, \"perf\": {\"requests\": "
			     "50, \"idle_ms\": 10, \"targets\": {\"p99_ratio\": \"<= 0.5\"}}}");
	assert_int_equal(ph_config_load(&cfg, cfg_path, &err), 0);
	assert_int_equal(cfg.timing_samples, 9);
	assert_true(cfg.has_perf);
	assert_int_equal(cfg.perf.requests, 50);
	assert_int_equal(cfg.perf.warmup, PH_PERF_WARMUP_DEFAULT);
	assert_int_equal(cfg.perf.idle_ms, 10);
	assert_string_equal(json_string_value(json_object_get(cfg.perf.targets, "p99_ratio")),
			    "<= 0.5");
	ph_config_release(&cfg);

	/* the same targets for the gate, from the config file */
	assert_int_equal(ph_perf_targets_from_config(cfg_path, &t, &err), 0);
	assert_int_equal(json_object_size(t), 1);
	json_decref(t);

	write_file(cfg_path, "{" RUNTIMES ", \"timing\": {\"samples\": -1}}");
	assert_int_equal(ph_config_load(&cfg, cfg_path, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "timing.samples"));
	ph_config_release(&cfg);
	write_file(cfg_path, "{" RUNTIMES ", \"perf\": {\"requests\": 0}}");
	assert_int_equal(ph_config_load(&cfg, cfg_path, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "perf.requests"));
	assert_non_null(strstr(err.msg, cfg_path));
	ph_config_release(&cfg);
	write_file(cfg_path, "{" RUNTIMES ", \"perf\": {\"targets\": {\"p99_ratio\": 0.5}}}");
	assert_int_equal(ph_config_load(&cfg, cfg_path, &err), PH_E_INVALID);
	assert_non_null(strstr(err.msg, "perf.targets.p99_ratio"));
	ph_config_release(&cfg);
	assert_int_equal(ph_perf_targets_from_config(cfg_path, &t, &err), PH_E_INVALID);
	write_file(cfg_path, "{" RUNTIMES ", \"perf\": []}");
	assert_int_equal(ph_config_load(&cfg, cfg_path, &err), PH_E_INVALID);
	ph_config_release(&cfg);
}

static json_t *side(double startup, long idle, long peak, double cpu, double p50, double p99)
{
	return json_pack("{s:f, s:I, s:I, s:f, s:{s:{s:f, s:f, s:f, s:f}, s:{s:f, s:f, s:f, s:f}}}",
			 "startup_ms", startup, "idle_rss_kb", (json_int_t)idle, "peak_rss_kb",
			 (json_int_t)peak, "cpu_ms", cpu, "endpoints", "POST /api/memory/recall",
			 "p50_ms", p50, "p95_ms", p99, "p99_ms", p99, "max_ms", p99,
			 "GET /api/memory/search", "p50_ms", p50 * 2, "p95_ms", p99,
			 "p99_ms", p99 * 2, "max_ms", p99 * 2);
}

static void ratios(void **state)
{
	json_t *ref = side(100, 200000, 250000, 40, 2, 10);
	json_t *cand = side(20, 10000, 20000, 0, 1, 4);
	json_t *r;

	(void)state;
	/* the candidate's search is slower than its recall: the worst endpoint counts */
	json_object_set_new(json_object_get(json_object_get(cand, "endpoints"),
					    "GET /api/memory/search"),
			    "p99_ms", json_real(30));
	r = ph_perf_ratios(ref, cand);
	assert_non_null(r);
	assert_true(fabs(json_number_value(json_object_get(r, "idle_rss_ratio")) - 0.05) < 1e-9);
	assert_true(fabs(json_number_value(json_object_get(r, "startup_ratio")) - 0.2) < 1e-9);
	assert_true(fabs(json_number_value(json_object_get(r, "peak_rss_ratio")) - 0.08) < 1e-9);
	assert_true(json_number_value(json_object_get(r, "cpu_ratio")) == 0);
	assert_true(fabs(json_number_value(json_object_get(r, "p50_ratio")) - 0.5) < 1e-9);
	assert_true(fabs(json_number_value(json_object_get(r, "p99_ratio")) - 1.5) < 1e-9);
	assert_true(fabs(json_number_value(json_object_get(
				 json_object_get(json_object_get(r, "endpoints"),
						 "POST /api/memory/recall"),
				 "p99_ratio")) -
			 0.4) < 1e-9);
	json_decref(r);
	/* a reference value of 0 gives no ratio, never a division by zero */
	json_object_set_new(ref, "cpu_ms", json_real(0));
	json_object_del(cand, "idle_rss_kb");
	r = ph_perf_ratios(ref, cand);
	assert_true(json_is_null(json_object_get(r, "cpu_ratio")));
	assert_true(json_is_null(json_object_get(r, "idle_rss_ratio")));
	json_decref(r);
	json_decref(ref);
	json_decref(cand);
}

/* A finished matrix with a read domain at parity and, when with_perf, a perf section. */
static json_t *matrix_with_perf(int with_perf)
{
	json_t *m = ph_matrix_new("ts", "1", "rust", "2");
	json_t *ref = side(100, 200000, 250000, 40, 2, 10), *cand = side(20, 10000, 20000, 20, 1,
									 4);

	ph_matrix_domain(m, "read");
	if (with_perf) {
		json_t *perf = json_pack("{s:i, s:i, s:i, s:o, s:o}", "requests", 100, "warmup", 10,
					 "idle_ms", 1000, "reference", ref, "candidate", cand);
		double cdf[PH_PERF_CDF_POINTS];
		json_t *eps[2] = { json_object_get(ref, "endpoints"),
				   json_object_get(cand, "endpoints") };
		int k, i;

		for (k = 0; k < 2; k++) {
			const char *ep;
			json_t *v;

			json_object_foreach(eps[k], ep, v)
			{
				json_t *a = json_array();

				for (i = 0; i < PH_PERF_CDF_POINTS; i++) {
					cdf[i] = (k + 1) * 0.1 * (i + 1);
					json_array_append_new(a, json_real(cdf[i]));
				}
				json_object_set_new(v, "cdf_ms", a);
			}
		}
		json_object_set_new(perf, "ratios", ph_perf_ratios(ref, cand));
		json_object_set_new(json_object_get(m, "metrics"), "perf", perf);
	} else {
		json_decref(ref);
		json_decref(cand);
	}
	ph_matrix_finish(m);
	return m;
}

static int has_reason(const json_t *list, const char *kind, const char *effect,
		      const char *fragment)
{
	const json_t *r;
	size_t i;

	json_array_foreach(list, i, r)
	{
		const char *e = json_string_value(json_object_get(r, "effect"));

		if (!strcmp(json_string_value(json_object_get(r, "kind")), kind) &&
		    (!effect || (e && !strcmp(e, effect))) &&
		    strstr(json_string_value(json_object_get(r, "detail")), fragment))
			return 1;
	}
	return 0;
}

/* The gate on in with these performance targets leaves its verdict as it was. */
static void expect_verdict_kept(const struct ph_gate_input *in, const json_t *targets)
{
	struct ph_gate g;
	struct ph_err err;
	enum ph_gate_verdict before;

	assert_int_equal(ph_gate_evaluate(&g, in, &err), 0);
	before = g.verdict;
	assert_int_equal(ph_gate_perf(&g, in, targets, &err), 0);
	assert_int_equal(g.verdict, before);
	assert_false(has_reason(g.reasons, "perf-target", NULL, ""));
	ph_gate_release(&g);
}

static void gate_targets(void **state)
{
	json_t *m = matrix_with_perf(1), *bare = matrix_with_perf(0), *targets;
	const char *names[] = { "m.json" };
	struct ph_gate_input in;
	struct ph_gate g;
	struct ph_err err;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.matrices = &m;
	in.matrix_names = names;
	in.n_matrices = 1;
	in.today = "2026-06-01";

	/* no targets: the gate's verdict is what it was */
	expect_verdict_kept(&in, NULL);

	/* idle RSS 0.05 meets <= 0.1 (a note); p99 0.4 misses <= 0.3 (blocked) */
	targets = json_pack("{s:s, s:s}", "idle_rss_ratio", "<= 0.1", "p99_ratio", "<= 0.3");
	assert_int_equal(ph_gate_evaluate(&g, &in, &err), 0);
	assert_int_equal(ph_gate_perf(&g, &in, targets, &err), 0);
	assert_int_equal(g.verdict, PH_GATE_BLOCKED);
	assert_true(has_reason(g.reasons, "perf-target", "blocked", "p99_ratio <= 0.3 missed"));
	assert_true(has_reason(g.notes, "perf-target", NULL, "idle_rss_ratio <= 0.1 met"));
	ph_gate_release(&g);

	/* only the met target: no reason from performance */
	json_object_del(targets, "p99_ratio");
	expect_verdict_kept(&in, targets);

	/* a matrix without a performance section is insufficient evidence, not a pass */
	in.matrices = &bare;
	assert_int_equal(ph_gate_evaluate(&g, &in, &err), 0);
	assert_int_equal(ph_gate_perf(&g, &in, targets, &err), 0);
	assert_true(has_reason(g.reasons, "perf-missing", "insufficient", "m.json"));
	assert_int_not_equal(g.verdict, PH_GATE_PASS);
	ph_gate_release(&g);

	/* an unknown ratio name is not measured: insufficient */
	in.matrices = &m;
	json_object_set_new(targets, "warp_ratio", json_string("< 1"));
	assert_int_equal(ph_gate_evaluate(&g, &in, &err), 0);
	assert_int_equal(ph_gate_perf(&g, &in, targets, &err), 0);
	assert_true(has_reason(g.reasons, "perf-missing", "insufficient", "warp_ratio"));
	ph_gate_release(&g);

	json_decref(targets);
	json_decref(m);
	json_decref(bare);
}

/* The report file name of dir holds every string of has and none of lacks. */
static void report_has(const char *dir, const char *name, const char *const *has,
		       const char *const *lacks)
{
	char *text = t_slurp(t_path(dir, name), NULL);

	t_contains(name, text, has, lacks);
	free(text);
}

static void reports_show_performance(void **state)
{
	json_t *m = matrix_with_perf(1), *perf, *res, *tg;
	struct ph_err err;
	char dir[300];

	(void)state;
	snprintf(dir, sizeof(dir), "%s", t_mkdir_in(t_dir, "report"));
	perf = json_object_get(json_object_get(m, "metrics"), "perf");
	tg = json_pack("{s:s}", "p99_ratio", "<= 0.3");
	assert_int_equal(ph_perf_targets_check(tg, json_object_get(perf, "ratios"), &res, &err), 0);
	json_decref(tg);
	json_object_set_new(perf, "targets", res);
	assert_int_equal(ph_report_all(m, dir, &err), 0);

	report_has(dir, "matrix.md",
		   T_LIST("## Performance", "| idle RSS kB | 200000 | 10000 | 0.050 |",
			  "| POST /api/memory/recall p99 ms | 10.000 | 4.000 | 0.400 |",
			  "**missed**"),
		   /* the performance numbers are not repeated as JSON in the generic metrics table */
		   T_LIST("\"idle_rss_kb\""));
	report_has(dir, "report.html",
		   T_LIST("<h2 id=\"performance\">Performance</h2>",
			  "<svg xmlns=\"http://www.w3.org/2000/svg\"", "<polyline",
			  "latency distribution of GET /api/memory/search", ">missed</span>"),
		   NULL);
	report_has(dir, "junit.xml",
		   T_LIST("<testsuite name=\"performance\" tests=\"1\" failures=\"1\"",
			  "name=\"idle RSS kB ratio\" value=\"0.050\"",
			  "<failure type=\"performance\"",
			  "<testsuites name=\"parity\" tests=\"1\" failures=\"1\""),
		   NULL);

	/* a failed phase shows why, and nothing else */
	json_object_set_new(json_object_get(m, "metrics"), "perf",
			    json_pack("{s:s}", "error", "reference runtime exited"));
	assert_int_equal(ph_report_all(m, dir, &err), 0);
	report_has(dir, "matrix.md", T_LIST("Not measured: reference runtime exited"), NULL);
	json_decref(m);
}

/* A fresh t_dir holding the config file the tests write. */
static int setup(void **state)
{
	if (t_dir_setup(state))
		return -1;
	snprintf(cfg_path, sizeof(cfg_path), "%s", t_path(t_dir, "parity.json"));
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quantiles_nearest_rank),
		cmocka_unit_test(quantiles_bad_input),
		cmocka_unit_test(dist_json_keys),
		cmocka_unit_test(proc_sample_tree),
		cmocka_unit_test(target_parsing),
		cmocka_unit_test(targets_argument),
		cmocka_unit_test(targets_check),
		cmocka_unit_test(config_perf_and_samples),
		cmocka_unit_test(ratios),
		cmocka_unit_test(gate_targets),
		cmocka_unit_test(reports_show_performance),
	};

	return cmocka_run_group_tests(tests, setup, t_dir_teardown);
}
