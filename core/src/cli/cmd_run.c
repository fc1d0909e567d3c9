/*
 * `parity run`: the whole job. Load the config and rules, then for each selected domain
 * start both runtimes on fresh workspaces, let the domain's plugin run its suite through
 * the host, and stop them; finally write the matrix and its reports and exit 0 (parity),
 * 1 (divergence) or 3 (could not evaluate).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run/calibrate.h"
#include "cli/cli.h"
#include "run/host.h"
#include "runtime/interrupt.h"
#include "plugin/loader.h"
#include "matrix/matrix.h"
#include "measure/perf.h"
#include "report/report.h"
#include "run/seed.h"
#include "run/session.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: parity run [--config F] [--domain D]... [--out DIR] [--keep-workspaces]\n"
		"                  [--plugin-dir DIR] [--secrets-file F --machine-id ID]\n\n"
		"Start the reference and candidate runtimes on fresh copies of the fixture\n"
		"workspace, run each domain's suite against both, and write matrix.json,\n"
		"matrix.md, junit.xml and report.html.\n\n"
		"  --config F         config file (default: parity.json at the repo root)\n"
		"  --domain D         run only domain D (repeatable; default: the config's list)\n"
		"  --out DIR          report folder (default: <out>/<timestamp>, and <out>/latest)\n"
		"  --keep-workspaces  keep the temporary workspaces and print where they are\n"
		"  --plugin-dir DIR   look for domain plugins in DIR first\n"
		"  --secrets-file F   secrets domain: run the roundtrip on a copy of this\n"
		"                     secrets.enc (never modified)\n"
		"  --machine-id ID    the machine id F was written under (default: this machine's)\n"
		"  --calibrate        run the reference runtime as both sides, compare without\n"
		"                     ignoreFields and write <out>/proposed-rules.json: the paths\n"
		"                     that differ between two instances (noise); nothing applied\n"
		"  --perf-requests N  after the domains, the performance phase with N requests per\n"
		"                     endpoint and runtime (also when the config has \"perf\")\n"
		"  --idle-ms N        idle period of the performance phase before the idle RSS\n"
		"  --both ROLE        run the config's reference (or candidate) runtime as both\n"
		"                     sides: two instances of one build must show no divergence\n\n"
		"exit: 0 parity, 1 divergence, 2 bad usage or input, 3 could not evaluate\n");
}

/* The "version" of a runtime: from its config entry, else from its health answer. */
static char *runtime_version(struct ph_session *s, int side)
{
	const struct ph_runtime_spec *spec = &s->cfg.runtimes[side];
	struct ph_request req = { .method = "GET", .path = spec->health };
	struct ph_response resp;
	struct ph_err err;
	char *v = NULL;

	if (spec->version)
		return strdup(spec->version);
	if (!s->side[side].http || ph_http_send(s->side[side].http, &req, &resp, &err) == 0) {
		json_t *doc = s->side[side].http ?
				      json_loadb(resp.body ? resp.body : "", resp.body_len, 0, NULL) :
				      NULL;
		const char *ver = json_string_value(json_object_get(doc, "version"));

		if (ver)
			v = strdup(ver);
		json_decref(doc);
	}
	if (s->side[side].http)
		ph_response_release(&resp);
	return v ? v : strdup("unknown");
}

static void record_metrics(struct ph_session *s)
{
	static const char *const roles[] = { "reference", "candidate" };
	json_t *m = json_object_get(s->matrix, "metrics");
	int i;

	for (i = 0; i < 2; i++) {
		const struct ph_side_state *st = &s->side[i];

		json_object_set_new(
			m, roles[i],
			json_pack("{s:s, s:I, s:i, s:f, s:I}", "name", s->cfg.runtimes[i].name,
				  "pid", (json_int_t)st->pid, "starts", st->starts,
				  "startup_ms", st->startup_ms_max, "rss_kb",
				  (json_int_t)st->rss_kb_max));
	}
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Where a domain's time went: metrics.phases.<domain> = {start_ms, run_ms, stop_ms, cases}. */
static void record_phases(struct ph_session *s, const char *domain, double start, double run,
			  double stop, int cases)
{
	json_t *m = json_object_get(s->matrix, "metrics"), *ph = json_object_get(m, "phases");

	if (!ph) {
		ph = json_object();
		json_object_set_new(m, "phases", ph);
	}
	json_object_set_new(ph, domain,
			    json_pack("{s:f, s:f, s:f, s:i}", "start_ms", start, "run_ms", run,
				      "stop_ms", stop, "cases", cases));
}

static void domain_error(struct ph_session *s, const char *domain, const char *why)
{
	ph_matrix_domain_status(s->matrix, domain, "error", why);
	ph_session_log(s, "%s: error: %s", domain, why);
}

/* Run one domain: start runtimes, run the plugin, stop. */
static void run_domain(struct ph_session *s, struct ph_loader *ld, const char *domain,
		       int *versions_done)
{
	const struct ph_loaded *pl = ph_loader_find(ld, domain);
	struct ph_run run;
	struct ph_err err;
	size_t n;
	int rc;
	double t0 = now_ms(), t1, t2;

	memset(&run, 0, sizeof(run));
	run.s = s;
	run.domain = domain;
	n = strlen(s->cfg.repo) + strlen(domain) + sizeof("/suites/");
	run.suite_dir = malloc(n);
	if (!run.suite_dir)
		return domain_error(s, domain, "out of memory");
	snprintf(run.suite_dir, n, "%s/suites/%s", s->cfg.repo, domain);
	ph_matrix_domain(s->matrix, domain);
	ph_err_clear(&err);
	rc = ph_session_start(s, domain, &err);
	if (rc) {
		domain_error(s, domain, err.msg);
		fprintf(stderr, "%sparity: %s: %s\n", s->tty ? "\r\033[K" : "", domain, err.msg);
		free(run.suite_dir);
		return;
	}
	if (!*versions_done) {
		json_t *rts = json_object_get(s->matrix, "runtimes");
		char *v;

		v = runtime_version(s, 0);
		json_object_set_new(json_object_get(rts, "reference"), "version",
				    json_string(v ? v : "unknown"));
		free(v);
		v = runtime_version(s, 1);
		json_object_set_new(json_object_get(rts, "candidate"), "version",
				    json_string(v ? v : "unknown"));
		free(v);
		*versions_done = 1;
	}
	ph_err_clear(&err);
	t1 = now_ms();
	rc = pl->plugin->run(pl->state, ph_host_table(), &run, &err);
	ph_host_run_finish(&run);
	if (rc && !ph_interrupted()) {
		char why[1200];

		snprintf(why, sizeof(why), "plugin '%s' failed: %s", domain,
			 err.msg[0] ? err.msg : ph_strerror(rc));
		domain_error(s, domain, why);
		fprintf(stderr, "%sparity: %s\n", s->tty ? "\r\033[K" : "", why);
	}
	t2 = now_ms();
	ph_session_stop(s);
	record_phases(s, domain, t1 - t0, t2 - t1, now_ms() - t2, run.rows);
	if (!s->tty)
		fprintf(stderr, "parity: %s: %d cases in %.0f ms\n", domain, run.rows, t2 - t1);
	free(run.suite_dir);
}

static void print_summary(struct ph_session *s)
{
	json_t *domains = json_object_get(s->matrix, "domains"), *d;
	size_t i;

	fprintf(stderr, "%s\n%-10s %-8s %7s %10s %8s %6s %5s\n", s->tty ? "\r\033[K" : "",
		"domain", "status", "parity", "structural", "semantic", "timing", "error");
	json_array_foreach(domains, i, d)
	{
		json_t *c = json_object_get(d, "counts");

		fprintf(stderr, "%-10s %-8s %7lld %10lld %8lld %6lld %5lld\n",
			json_string_value(json_object_get(d, "domain")),
			json_string_value(json_object_get(d, "status")),
			(long long)json_integer_value(json_object_get(c, "parity")),
			(long long)json_integer_value(json_object_get(c, "structural")),
			(long long)json_integer_value(json_object_get(c, "semantic")),
			(long long)json_integer_value(json_object_get(c, "timing")),
			(long long)json_integer_value(json_object_get(c, "error")));
		if (json_is_string(json_object_get(d, "reason")))
			fprintf(stderr, "  %s\n", json_string_value(json_object_get(d, "reason")));
	}
}

static void report_unmatched(struct ph_session *s)
{
	json_t *un = ph_rules_unmatched(s->rules), *p;
	size_t i;

	if (!un)
		return;
	if (json_array_size(un)) {
		fprintf(stderr, "rule patterns that matched nothing in this run (%zu):\n",
			json_array_size(un));
		json_array_foreach(un, i, p)
		{
			if (i == 10) {
				fprintf(stderr, "  ... and %zu more (see matrix.json)\n",
					json_array_size(un) - 10);
				break;
			}
			fprintf(stderr, "  %s: %s %s\n",
				json_string_value(json_object_get(p, "rule")),
				json_string_value(json_object_get(p, "kind")),
				json_string_value(json_object_get(p, "pattern")));
		}
	}
	json_object_set_new(s->matrix, "unmatched_patterns", un);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "keep-workspaces", no_argument, NULL, 'k' },
		{ "plugin-dir", required_argument, NULL, 'p' },
		{ "secrets-file", required_argument, NULL, 'S' },
		{ "machine-id", required_argument, NULL, 'M' },
		{ "calibrate", no_argument, NULL, 300 },
		{ "perf-requests", required_argument, NULL, 301 },
		{ "idle-ms", required_argument, NULL, 302 },
		{ "both", required_argument, NULL, 303 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *out = NULL, *plugin_dir = NULL;
	const char *secrets_file = NULL, *machine_id = NULL, *both = NULL;
	/* the domains to run: from --domain, else the config's (at most nine) */
	const char **only = calloc((size_t)argc + 16, sizeof(char *));
	size_t n_only = 0, i;
	struct ph_config cfg;
	struct ph_session s;
	struct ph_loader ld;
	struct ph_err err;
	char *default_config = NULL;
	int c, keep = 0, rc, exit_code, versions_done = 0;
	int calibrate = 0, perf_rc = 0, calib_rc = 0, seed_rc = 0;
	long perf_requests = 0, idle_ms = -1;
	struct ph_rules *saved_rules = NULL;
	enum ph_class verdict;
	double t_reports;
	char seed_why[sizeof(err.msg)];

	if (!only)
		return PH_EXIT_NOEVAL;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:d:o:kp:S:M:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': only[n_only++] = optarg; break;
		case 'o': out = optarg; break;
		case 'k': keep = 1; break;
		case 'p': plugin_dir = optarg; break;
		case 'S': secrets_file = optarg; break;
		case 'M': machine_id = optarg; break;
		case 300: calibrate = 1; break;
		case 303:
			if (strcmp(optarg, "reference") && strcmp(optarg, "candidate")) {
				free(only);
				return ph_cli_usage("run", "--both: expected reference or candidate, "
							   "got '%s'",
						    optarg);
			}
			both = optarg;
			break;
		case 301:
		case 302: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < (c == 301 ? 1 : 0) || v > 3600000) {
				free(only);
				return ph_cli_usage("run", "%s: expected a whole number %s, got '%s'",
						    c == 301 ? "--perf-requests" : "--idle-ms",
						    c == 301 ? ">= 1" : ">= 0", optarg);
			}
			*(c == 301 ? &perf_requests : &idle_ms) = v;
			break;
		}
		case 'h': usage(stdout); free(only); return PH_EXIT_OK;
		default: free(only); return ph_cli_usage("run", "unknown option");
		}
	}
	if (optind < argc) {
		free(only);
		return ph_cli_usage("run", "unexpected argument '%s'", argv[optind]);
	}
	for (i = 0; i < n_only; i++) {
		if (!ph_domain_known(only[i])) {
			rc = ph_cli_usage("run", "unknown domain '%s' (known: schema read write "
						 "pipeline auth watcher gitsync mcp secrets)",
					  only[i]);
			free(only);
			return rc;
		}
	}
	if (machine_id && !secrets_file) {
		free(only);
		return ph_cli_usage("run", "--machine-id goes with --secrets-file");
	}
	if (secrets_file && access(secrets_file, R_OK)) {
		free(only);
		return ph_cli_usage("run", "--secrets-file '%s': %s", secrets_file, strerror(errno));
	}
	if (!config)
		config = default_config = ph_config_default_path();
	rc = ph_config_load(&cfg, config, &err);
	free(default_config);
	if (!rc && calibrate)
		rc = ph_calibrate_config(&cfg, &err);
	if (!rc && both)
		rc = ph_config_same_runtime(&cfg, both, &err);
	if (rc) {
		ph_config_release(&cfg);
		free(only);
		return ph_cli_fail(&err);
	}
	ph_interrupt_install();
	ph_http_global_init();
	rc = ph_session_init(&s, &cfg, out, &err);
	if (rc) {
		ph_session_release(&s);
		free(only);
		ph_http_global_cleanup();
		return ph_cli_fail(&err);
	}
	s.keep = keep;
	if (calibrate && (rc = ph_calibrate_begin(&s, &saved_rules, &err))) {
		ph_session_release(&s);
		free(only);
		ph_http_global_cleanup();
		return ph_cli_fail(&err);
	}
	/* for the secrets domain: a real secrets.enc, only ever read (a copy is used) */
	if (secrets_file)
		json_object_set_new(s.params, "secrets-file", json_string(secrets_file));
	if (machine_id)
		json_object_set_new(s.params, "machine-id", json_string(machine_id));
	s.matrix = ph_matrix_new(s.cfg.runtimes[0].name, "unknown", s.cfg.runtimes[1].name,
				 "unknown");
	rc = ph_loader_init(&ld, plugin_dir, ph_argv0, ph_host_table(), &err);
	if (rc) {
		ph_session_release(&s);
		free(only);
		ph_http_global_cleanup();
		return ph_cli_fail(&err);
	}
	if (!n_only)
		for (; n_only < s.cfg.n_domains; n_only++)
			only[n_only] = s.cfg.domains[n_only];
	ph_err_clear(&err);
	{
		double t_seed = now_ms();

		seed_rc = ph_seed_run(&s, &err);
		if (s.cfg.seed.sql)
			json_object_set_new(json_object_get(s.matrix, "metrics"), "seed",
					    json_pack("{s:s, s:f, s:b}", "sql", s.cfg.seed.sql,
						      "ms", now_ms() - t_seed, "ok", !seed_rc));
	}
	if (seed_rc) {
		snprintf(seed_why, sizeof(seed_why), "%s", err.msg);
		fprintf(stderr, "%sparity: %s\n", s.tty ? "\r\033[K" : "", seed_why);
	}
	for (i = 0; i < n_only; i++) {
		const char *domain = only[i];

		if (ph_interrupted())
			break;
		if (seed_rc) { /* every domain depends on the seeded state: none can be evaluated */
			ph_matrix_domain(s.matrix, domain);
			domain_error(&s, domain, seed_why);
			continue;
		}
		ph_err_clear(&err);
		rc = ph_loader_load_domain(&ld, domain, &err);
		if (rc == PH_E_NOTFOUND) {
			fprintf(stderr, "parity: %s: skipped: no plugin '%s.so' found\n", domain,
				domain);
			ph_matrix_domain_status(s.matrix, domain, "skipped", "no plugin found");
			continue;
		} else if (rc) {
			fprintf(stderr, "parity: %s: %s\n", domain, err.msg);
			ph_matrix_domain(s.matrix, domain);
			ph_matrix_domain_status(s.matrix, domain, "error", err.msg);
			continue;
		}
		if (!s.tty)
			fprintf(stderr, "parity: %s: running\n", domain);
		run_domain(&s, &ld, domain, &versions_done);
	}
	if (calibrate) {
		ph_err_clear(&err);
		if ((calib_rc = ph_calibrate_finish(&s, saved_rules, stderr, &err)))
			fprintf(stderr, "parity: calibrate: %s\n", err.msg);
	} else if ((s.cfg.has_perf || perf_requests) && !ph_interrupted()) {
		if (perf_requests)
			s.cfg.perf.requests = (int)perf_requests;
		if (idle_ms >= 0)
			s.cfg.perf.idle_ms = idle_ms;
		if (!s.tty)
			fprintf(stderr, "parity: perf: %d requests per endpoint and runtime\n",
				s.cfg.perf.requests);
		ph_err_clear(&err);
		if ((perf_rc = ph_perf_run(&s, &s.cfg.perf, &err)))
			fprintf(stderr, "%sparity: perf: %s\n", s.tty ? "\r\033[K" : "", err.msg);
		else
			ph_perf_print(json_object_get(json_object_get(s.matrix, "metrics"), "perf"),
				      stderr);
	}
	record_metrics(&s);
	if (!calibrate) /* calibration compared under other rules: their hits say nothing */
		report_unmatched(&s);
	ph_matrix_finish(s.matrix);
	verdict = ph_matrix_verdict(s.matrix);
	if (ph_interrupted()) {
		fprintf(stderr, "%sparity: interrupted by signal %d\n", s.tty ? "\r\033[K" : "",
			ph_interrupted());
		verdict = PH_ERROR;
	}
	print_summary(&s);
	t_reports = now_ms();
	rc = ph_report_all(s.matrix, s.out, &err);
	ph_session_log(&s, "reports: written in %.1f ms", now_ms() - t_reports);
	if (rc)
		fprintf(stderr, "parity: cannot write reports: %s\n", err.msg);
	else
		fprintf(stderr, "verdict: %s\nreports: %s/matrix.md\n", ph_class_name(verdict),
			s.out);
	exit_code = verdict == PH_PARITY ? PH_EXIT_OK :
		    verdict == PH_ERROR  ? PH_EXIT_NOEVAL :
					   PH_EXIT_DIVERGE;
	if (rc)
		exit_code = PH_EXIT_NOEVAL;
	/* calibration expects differences: it succeeds when it could learn and write them */
	if (calibrate && exit_code == PH_EXIT_DIVERGE)
		exit_code = PH_EXIT_OK;
	if (perf_rc || calib_rc)
		exit_code = PH_EXIT_NOEVAL;
	ph_loader_release(&ld);
	ph_session_release(&s);
	ph_http_global_cleanup();
	free(only);
	return exit_code;
}
