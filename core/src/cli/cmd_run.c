/*
 * `parity run`: the whole job. Load the config and rules, then for each selected domain
 * start both runtimes on fresh workspaces, let the domain's plugin run its suite through
 * the host, and stop them; finally write the matrix and its reports and exit 0 (parity),
 * 1 (divergence) or 3 (could not evaluate). The domains known are the domain list's and
 * those whose plugin is found along the search path; options for one domain's plugin are
 * parameters (--param D.KEY=VALUE), which only that plugin sees.
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
#include "coverage/coverage.h"
#include "run/host.h"
#include "runtime/interrupt.h"
#include "plugin/loader.h"
#include "matrix/matrix.h"
#include "matrix/metrics_table.h"
#include "report/report.h"
#include "run/perf_pass.h"
#include "run/seed.h"
#include "run/session.h"

static const char usage_text[] =
    "usage: parity run [--config F] [--domain D]... [--out DIR] [--keep-workspaces]\n"
    "                  [--plugin-dir DIR] [--param D.KEY=VALUE]...\n\n"
    "Start the reference and candidate runtimes on fresh copies of the fixture\n"
    "workspace, run each domain's suite against both, and write matrix.json,\n"
    "matrix.md, junit.xml and report.html. With \"route_list\" in the config, the\n"
    "matrix's \"coverage\" says which listed routes the suites drive and how deep.\n\n"
    "  --config F         config file (default: parity.json at the repo root)\n"
    "  --domain D         run only domain D (repeatable; default: the config's list)\n"
    "  --out DIR          report folder (default: <out>/<timestamp>, and <out>/latest)\n"
    "  --keep-workspaces  keep the temporary workspaces and print where they are\n"
    "  --plugin-dir DIR   look for domain plugins in DIR first\n"
    "  --param D.KEY=V    parameter KEY=V for the plugin of domain D, which reads it\n"
    "                     with host->param (repeatable)\n"
    "  --secrets-file F   alias of --param secrets.secrets-file=F: the secrets\n"
    "                     domain runs the roundtrip on a copy of this secrets.enc\n"
    "                     (never modified)\n"
    "  --machine-id ID    alias of --param secrets.machine-id=ID: the machine id F\n"
    "                     was written under (default: this machine's)\n"
    "  --calibrate        run the reference runtime as both sides, compare without\n"
    "                     ignoreFields and write <out>/proposed-rules.json: the paths\n"
    "                     that differ between two instances (noise); nothing applied\n"
    "  --perf-requests N  after the domains, the performance phase with N requests per\n"
    "                     endpoint and runtime (also when the config has \"perf\"): the\n"
    "                     suite cases marked \"perf\": true of the domains run\n"
    "  --idle-ms N        idle period of the performance phase before the idle RSS\n"
    "  --both ROLE        run the config's reference (or candidate) runtime as both\n"
    "                     sides: two instances of one build must show no divergence\n\n"
    "exit: 0 parity, 1 divergence, 2 bad usage or input, 3 could not evaluate\n";

/*
 * Options from before --param, kept as aliases so that every command written with them
 * still works: each sets one parameter of one domain's plugin.
 */
static const struct alias {
	int opt;
	const char *name, *domain, *key;
} aliases[] = {
	{ 'S', "--secrets-file", "secrets", "secrets-file" },
	{ 'M', "--machine-id", "secrets", "machine-id" },
};
#define N_ALIASES (sizeof(aliases) / sizeof(aliases[0]))

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
	int rc;
	double t0 = now_ms(), t1, t2;

	memset(&run, 0, sizeof(run));
	run.s = s;
	run.domain = domain;
	run.suite_dir = ph_config_suite_dir(&s->cfg, domain);
	if (!run.suite_dir)
		return domain_error(s, domain, "out of memory");
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
	ph_session_use_params(s, domain);
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

/*
 * The matrix's "coverage": the rows against the config's route list, or null without one.
 * A row a plugin annotated badly is the harness's failure: 0 or -1 with the message shown.
 */
static int record_coverage(struct ph_session *s, const struct ph_route_list *routes)
{
	const char *name = "matrix";
	json_t *cov = NULL;
	struct ph_err err;

	if (!s->cfg.route_list)
		return json_object_set_new(s->matrix, "coverage", json_null());
	if (ph_coverage_compute(&cov, routes, s->cfg.route_list_source, &s->matrix, &name, 1,
				&err)) {
		fprintf(stderr, "%sparity: coverage: %s\n", s->tty ? "\r\033[K" : "", err.msg);
		json_object_set_new(s->matrix, "coverage", json_null());
		return -1;
	}
	return json_object_set_new(s->matrix, "coverage", cov);
}

/* After the summary: the coverage line, when the run measured coverage. */
static void print_coverage(const struct ph_session *s)
{
	const json_t *cov = json_object_get(s->matrix, "coverage");
	const json_t *q = json_object_get(cov, "ratio");

	if (!json_is_object(cov))
		return;
	fprintf(stderr,
		"coverage of %s: %lld routes; driven to status %.4f, body %.4f, state %.4f\n",
		json_string_value(json_object_get(cov, "source")),
		(long long)json_integer_value(json_object_get(cov, "routes")),
		json_number_value(json_object_get(q, "status")),
		json_number_value(json_object_get(q, "body")),
		json_number_value(json_object_get(q, "state")));
}

/* "parity run: unknown domain 'x' (known: ...)", exit 2. */
static int unknown_domain(const struct ph_domain_list *known, const char *what, const char *name)
{
	char *names = ph_domain_list_text(known);
	int rc = ph_cli_usage("run", "%sunknown domain '%s' (known: %s)", what, name,
			      names ? names : "");

	free(names);
	return rc;
}

/* Set params[domain][key] = value; a key given twice is bad usage. */
static int set_param(json_t *params, const char *domain, const char *key, const char *value)
{
	json_t *d = json_object_get(params, domain);

	if (!d && (!(d = json_object()) || json_object_set_new(params, domain, d)))
		return ph_cli_usage("run", "out of memory");
	if (json_object_get(d, key))
		return ph_cli_usage("run", "--param: '%s.%s' is given twice", domain, key);
	/* a path need not be UTF-8: the plugin gets the bytes as given */
	if (json_object_set_new(d, key, json_string_nocheck(value)))
		return ph_cli_usage("run", "out of memory");
	return 0;
}

/* "--param D.KEY=VALUE" into params, D one of the domains known. */
static int parse_param(json_t *params, const struct ph_domain_list *known, const char *arg)
{
	const char *dot = strchr(arg, '.'), *eq = dot ? strchr(dot, '=') : NULL;
	char domain[256], key[256];

	if (!dot || !eq || dot == arg || eq == dot + 1 || (size_t)(dot - arg) >= sizeof(domain) ||
	    (size_t)(eq - dot - 1) >= sizeof(key))
		return ph_cli_usage("run", "--param: expected DOMAIN.KEY=VALUE, got '%s'", arg);
	snprintf(domain, sizeof(domain), "%.*s", (int)(dot - arg), arg);
	snprintf(key, sizeof(key), "%.*s", (int)(eq - dot - 1), dot + 1);
	if (!ph_domain_list_has(known, domain))
		return unknown_domain(known, "--param: ", domain);
	return set_param(params, domain, key, eq + 1);
}

/*
 * The domains this run knows: the domain list's, then those whose plugin is along the
 * loader's search path. known is released by the caller, also on failure.
 */
static int known_domains(struct ph_domain_list *known, const struct ph_loader *ld,
			 struct ph_err *err)
{
	const struct ph_domain_list *repo;
	int rc;

	memset(known, 0, sizeof(*known));
	if ((rc = ph_domains_repo(&repo, err)) || (rc = ph_domain_list_copy(known, repo, err)))
		return rc;
	return ph_domain_list_add_plugins(known, ld->dirs, ld->n_dirs, err);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "domain", required_argument, NULL, 'd' },
		{ "out", required_argument, NULL, 'o' },
		{ "keep-workspaces", no_argument, NULL, 'k' },
		{ "plugin-dir", required_argument, NULL, 'p' },
		{ "param", required_argument, NULL, 'P' },
		{ "secrets-file", required_argument, NULL, 'S' },
		{ "machine-id", required_argument, NULL, 'M' },
		{ "calibrate", no_argument, NULL, 300 },
		{ "perf-requests", required_argument, NULL, 301 },
		{ "idle-ms", required_argument, NULL, 302 },
		{ "both", required_argument, NULL, 303 },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct ph_cli_getopt g = { .cmd = "run", .argc = argc, .argv = argv,
				   .shortopts = "c:d:o:kp:P:S:M:h", .longopts = opts,
				   .usage = usage_text };
	const char *config = NULL, *out = NULL, *plugin_dir = NULL, *both = NULL;
	const char *alias_value[N_ALIASES] = { NULL };
	/* the domains to run: from --domain, else the config's; and the --param arguments */
	const char **only = calloc((size_t)argc + 16, sizeof(char *));
	const char **param_args = calloc((size_t)argc + 1, sizeof(char *));
	size_t n_only = 0, n_params = 0, i;
	struct ph_domain_list known;
	struct ph_config cfg;
	struct ph_session s;
	struct ph_loader ld;
	struct ph_err err;
	json_t *params = json_object();
	char *default_config = NULL;
	int c, keep = 0, rc, exit_code = PH_EXIT_USAGE, versions_done = 0;
	int calibrate = 0, perf_rc = 0, calib_rc = 0, seed_rc = 0, have_session = 0, cov_rc = 0;
	long perf_requests = 0, idle_ms = -1;
	struct ph_rules *saved_rules = NULL;
	struct ph_route_list routes = {0};
	enum ph_class verdict;
	double t_reports;
	char seed_why[sizeof(err.msg)];

	memset(&known, 0, sizeof(known));
	memset(&ld, 0, sizeof(ld));
	memset(&s, 0, sizeof(s));
	if (!only || !param_args || !params) {
		free(only);
		free(param_args);
		json_decref(params);
		return PH_EXIT_NOEVAL;
	}
	while ((c = ph_cli_getopt(&g)) > 0) {
		switch (c) {
		case 'c': config = optarg; break;
		case 'd': /* a domain named twice runs once */
			for (i = 0; i < n_only && strcmp(only[i], optarg); i++)
				;
			if (i == n_only)
				only[n_only++] = optarg;
			break;
		case 'o': out = optarg; break;
		case 'k': keep = 1; break;
		case 'p': plugin_dir = optarg; break;
		case 'P': param_args[n_params++] = optarg; break;
		case 300: calibrate = 1; break;
		case 303:
			if (strcmp(optarg, "reference") && strcmp(optarg, "candidate")) {
				exit_code = ph_cli_usage("run", "--both: expected reference or "
								"candidate, got '%s'",
							 optarg);
				goto done;
			}
			both = optarg;
			break;
		case 301:
		case 302: {
			char *end;
			long v = strtol(optarg, &end, 10);

			if (end == optarg || *end || v < (c == 301 ? 1 : 0) || v > 3600000) {
				exit_code = ph_cli_usage(
					"run", "%s: expected a whole number %s, got '%s'",
					c == 301 ? "--perf-requests" : "--idle-ms",
					c == 301 ? ">= 1" : ">= 0", optarg);
				goto done;
			}
			*(c == 301 ? &perf_requests : &idle_ms) = v;
			break;
		}
		default:
			for (i = 0; i < N_ALIASES && aliases[i].opt != c; i++)
				;
			if (i < N_ALIASES)
				alias_value[i] = optarg; /* the last one given wins, as ever */
		}
	}
	if (c < 0) {
		exit_code = ph_cli_exit(c);
		goto done;
	}
	if (optind < argc) {
		exit_code = ph_cli_usage("run", "unexpected argument '%s'", argv[optind]);
		goto done;
	}
	if (ph_loader_init(&ld, plugin_dir, ph_argv0, ph_host_table(), &err) ||
	    known_domains(&known, &ld, &err)) {
		exit_code = ph_cli_fail(&err);
		goto done;
	}
	for (i = 0; i < n_only; i++)
		if (!ph_domain_list_has(&known, only[i])) {
			exit_code = unknown_domain(&known, "", only[i]);
			goto done;
		}
	for (i = 0; i < n_params; i++)
		if ((exit_code = parse_param(params, &known, param_args[i])))
			goto done;
	/* the aliases' own checks, as before --param: a real secrets.enc, only ever read */
	if (alias_value[1] && !alias_value[0]) {
		exit_code = ph_cli_usage("run", "--machine-id goes with --secrets-file");
		goto done;
	}
	if (alias_value[0] && access(alias_value[0], R_OK)) {
		exit_code = ph_cli_usage("run", "--secrets-file '%s': %s", alias_value[0],
					 strerror(errno));
		goto done;
	}
	for (i = 0; i < N_ALIASES; i++)
		if (alias_value[i] &&
		    (exit_code = set_param(params, aliases[i].domain, aliases[i].key,
					   alias_value[i])))
			goto done;
	exit_code = PH_EXIT_USAGE;
	if (!config)
		config = default_config = ph_config_default_path();
	rc = ph_config_load_known(&cfg, config, &known, &err);
	free(default_config);
	if (!rc && calibrate)
		rc = ph_calibrate_config(&cfg, &err);
	if (!rc && both)
		rc = ph_config_same_runtime(&cfg, both, &err);
	/* a bad route list is bad input: found before any runtime starts */
	if (!rc && cfg.route_list)
		rc = ph_route_list_load(&routes, cfg.route_list, &err);
	if (rc) {
		ph_config_release(&cfg);
		exit_code = ph_cli_fail(&err);
		goto done;
	}
	ph_interrupt_install();
	ph_http_global_init();
	have_session = 1;
	rc = ph_session_init(&s, &cfg, out, &err);
	if (!rc)
		s.keep = keep;
	if (!rc && calibrate)
		rc = ph_calibrate_begin(&s, &saved_rules, &err);
	if (rc) {
		exit_code = ph_cli_fail(&err);
		goto done;
	}
	/* the config's replay_corpus is --param replay.corpus unless that is given */
	if (s.cfg.replay_corpus &&
	    !json_object_get(json_object_get(params, "replay"), "corpus") &&
	    (exit_code = set_param(params, "replay", "corpus", s.cfg.replay_corpus)))
		goto done;
	exit_code = PH_EXIT_USAGE;
	s.domain_params = params;
	params = NULL;
	s.matrix = ph_matrix_new(s.cfg.runtimes[0].name, "unknown", s.cfg.runtimes[1].name,
				 "unknown");
	if (!n_only) {
		/* the config's domains: as many as the list and the plugins found name */
		const char **all = realloc(only, (s.cfg.n_domains + 1) * sizeof(char *));

		if (!all) {
			ph_error(&err, PH_E_NOMEM, "out of memory");
			exit_code = ph_cli_fail(&err);
			goto done;
		}
		only = all;
		for (; n_only < s.cfg.n_domains; n_only++)
			only[n_only] = s.cfg.domains[n_only];
	}
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
		/* the cases the domains run mark; a run of no domain measures every one's */
		if ((perf_rc = n_only ? ph_perf_run(&s, &s.cfg.perf, only, n_only, &err) :
					ph_perf_run(&s, &s.cfg.perf,
						    (const char *const *)known.names, known.n,
						    &err)))
			fprintf(stderr, "%sparity: perf: %s\n", s.tty ? "\r\033[K" : "", err.msg);
		else
			ph_perf_print(json_object_get(json_object_get(s.matrix, "metrics"), "perf"),
				      stderr);
	}
	record_metrics(&s);
	if (!calibrate) /* calibration compared under other rules: their hits say nothing */
		report_unmatched(&s);
	cov_rc = record_coverage(&s, &routes);
	ph_matrix_finish(s.matrix);
	verdict = ph_matrix_verdict(s.matrix);
	if (ph_interrupted()) {
		fprintf(stderr, "%sparity: interrupted by signal %d\n", s.tty ? "\r\033[K" : "",
			ph_interrupted());
		verdict = PH_ERROR;
	}
	print_summary(&s);
	print_coverage(&s);
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
	if (perf_rc || calib_rc || cov_rc)
		exit_code = PH_EXIT_NOEVAL;
done:
	ph_route_list_release(&routes);
	ph_loader_release(&ld);
	if (have_session) {
		ph_session_release(&s);
		ph_http_global_cleanup();
	}
	ph_domain_list_release(&known);
	json_decref(params);
	free(param_args);
	free(only);
	return exit_code;
}
