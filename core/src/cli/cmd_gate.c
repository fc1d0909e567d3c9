/*
 * `parity gate [--matrix F]... [--shadow LOG]... [--documented F] [--min-shadow-days N]`
 * (and --targets, --min-coverage): the cutover gate a release pipeline runs. Exit 0 pass,
 * 1 blocked, 3 insufficient evidence, 2 when an input cannot be read or has the wrong
 * shape.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "gate/gate.h"
#include "matrix/matrix.h"
#include "measure/perf.h"

static const char usage_text[] =
    "usage: parity gate [--matrix F]... [--shadow LOG]... [--documented F] [options]\n"
    "\n"
    "Blocked (exit 1): a structural divergence in a matrix or shadow log, a semantic one\n"
    "no unexpired documented entry covers, or an expired documented entry.\n"
    "Insufficient (exit 3): no matrix, a domain of suites/domains.json missing, skipped\n"
    "or in error, error rows, failed shadow requests, shadow logs shorter than required.\n"
    "Given --targets or --min-coverage, a missed target or a route coverage below its\n"
    "minimum blocks too, and a matrix that did not measure them is insufficient.\n"
    "\n"
    "  --matrix FILE            a matrix.json (repeatable)\n"
    "  --shadow LOG             a shadow-divergence log, '-' or .gz (repeatable)\n"
    "  --documented FILE        documented divergences: [{domain, feature, path, class,\n"
    "                           reason, owner, expires}]\n"
    "  --min-shadow-days N      days of shadow logs required (default 14; 0: none)\n"
    "  --today YYYY-MM-DD       the date expiry is checked against (default: today, UTC)\n"
    "  --format text|json       output format (default text)\n"
    "  --domains FILE           endpoint -> domain map (default <repo>/suites/domains.json)\n"
    "  --config FILE            timing thresholds from FILE's \"timing\" object, and\n"
    "                           performance targets from its \"perf\".\"targets\"\n"
    "  --targets SPEC           performance targets, e.g. idle_rss_ratio<=0.1,p99_ratio<=0.5\n"
    "                           (candidate/reference ratios of metrics.perf.ratios; a\n"
    "                           missed target blocks, an unmeasured one is insufficient)\n"
    "  --min-coverage SPEC      route coverage minimums, e.g. body=0.8,state=0.5 (keys\n"
    "                           status, body, state; values 0 to 1): the share of the\n"
    "                           route list's routes each matrix drives at least that deep\n"
    "                           (its \"coverage\".ratio); below a minimum blocks, a matrix\n"
    "                           without coverage is insufficient. Each matrix is checked\n"
    "                           on its own: merge shards first (parity merge)\n"
    "\n"
    "exit: 0 pass, 1 blocked, 2 bad usage or input, 3 insufficient evidence\n";

struct gate_args {
	const char **matrices;
	size_t n_matrices;
	const char **shadows;
	size_t n_shadows;
};

static int push(const char ***v, size_t *n, const char *s)
{
	const char **nv = realloc(*v, (*n + 1) * sizeof(*nv));

	if (!nv)
		return -1;
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

static int run(struct gate_args *a, const char *documented, double min_days, const char *today,
	       int json, const char *domains, const char *config, const char *targets_arg,
	       const double *min_coverage)
{
	json_t *targets = NULL;
	struct ph_timing timing = PH_TIMING_DEFAULT;
	struct ph_domain_map *map = NULL;
	struct ph_documented doc;
	struct ph_shadow shadow;
	struct ph_gate g;
	struct ph_gate_input in;
	struct ph_err err = {0, ""};
	json_t **mats = NULL;
	int have_shadow = 0, have_doc = 0, rc = 0, code;
	size_t i;

	memset(&in, 0, sizeof(in));
	memset(&doc, 0, sizeof(doc));
	mats = calloc(a->n_matrices + 1, sizeof(*mats));
	if (!mats) {
		ph_error(&err, PH_E_NOMEM, "out of memory");
		return ph_cli_fail(&err);
	}
	for (i = 0; i < a->n_matrices && !rc; i++)
		rc = ph_matrix_load(a->matrices[i], &mats[i], &err);
	if (!rc && targets_arg)
		rc = ph_perf_targets_parse_arg(targets_arg, &targets, &err);
	else if (!rc && config)
		rc = ph_perf_targets_from_config(config, &targets, &err);
	if (!rc && documented) {
		rc = ph_documented_load(&doc, documented, &err);
		have_doc = !rc;
	}
	if (!rc && a->n_shadows) {
		if (config)
			rc = ph_shadow_timing_from_config(config, &timing, &err);
		if (!rc)
			rc = ph_domain_map_load(&map, domains, &err);
		if (!rc) {
			ph_shadow_init(&shadow, map, &timing);
			have_shadow = 1;
			for (i = 0; i < a->n_shadows && !rc; i++)
				rc = ph_shadow_read_file(&shadow, a->shadows[i], &err);
		}
	}
	if (!rc) {
		in.matrices = mats;
		in.matrix_names = a->matrices;
		in.n_matrices = a->n_matrices;
		in.shadow = have_shadow ? &shadow : NULL;
		in.documented = have_doc ? &doc : NULL;
		in.min_shadow_days = min_days;
		in.today = today;
		rc = ph_gate_evaluate(&g, &in, &err);
		if (!rc && ((rc = ph_gate_perf(&g, &in, targets, &err)) ||
			    (rc = ph_gate_coverage(&g, &in, min_coverage, &err))))
			ph_gate_release(&g);
	}
	json_decref(targets);
	for (i = 0; i < a->n_matrices; i++)
		json_decref(mats[i]);
	free(mats);
	if (have_shadow)
		ph_shadow_release(&shadow);
	ph_domain_map_free(map);
	if (have_doc)
		ph_documented_release(&doc);
	if (rc)
		return ph_cli_fail(&err);
	if (json) {
		json_t *j = ph_gate_to_json(&g);

		ph_cli_print_json(j);
		json_decref(j);
	} else {
		ph_gate_write_text(&g, stdout);
	}
	code = (int)g.verdict;
	ph_gate_release(&g);
	fflush(stdout);
	return code;
}

int cmd_gate(int argc, char **argv)
{
	enum { O_DOCUMENTED = 256, O_MINDAYS, O_TODAY, O_DOMAINS, O_CONFIG, O_TARGETS,
	       O_MINCOV };
	static const struct option opts[] = {
	    {"matrix", required_argument, NULL, 'm'},
	    {"shadow", required_argument, NULL, 's'},
	    {"documented", required_argument, NULL, O_DOCUMENTED},
	    {"min-shadow-days", required_argument, NULL, O_MINDAYS},
	    {"today", required_argument, NULL, O_TODAY},
	    {"format", required_argument, NULL, 'f'},
	    {"domains", required_argument, NULL, O_DOMAINS},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"targets", required_argument, NULL, O_TARGETS},
	    {"min-coverage", required_argument, NULL, O_MINCOV},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const formats[] = {"text", "json", NULL};
	struct ph_cli_getopt g = {.cmd = argv[0], .argc = argc, .argv = argv,
				  .shortopts = "+m:s:f:h", .longopts = opts, .usage = usage_text,
				  .named = 1};
	struct gate_args a = {NULL, 0, NULL, 0};
	const char *documented = NULL, *format = "text", *domains = NULL, *config = NULL;
	const char *today = NULL, *targets = NULL;
	double min_coverage[PH_DEPTH_COUNT];
	int have_min_coverage = 0;
	struct ph_err err;
	char today_buf[16];
	double min_days = 14;
	int c, rc = PH_EXIT_USAGE, json;

	while ((c = ph_cli_getopt(&g)) > 0) {
		switch (c) {
		case 'm':
		case 's':
			if (c == 'm' ? push(&a.matrices, &a.n_matrices, optarg)
				     : push(&a.shadows, &a.n_shadows, optarg)) {
				rc = ph_cli_usage(argv[0], "out of memory");
				goto out;
			}
			break;
		case O_DOCUMENTED:
			documented = optarg;
			break;
		case O_MINDAYS: {
			char *end;

			min_days = strtod(optarg, &end);
			if (end == optarg || *end || min_days < 0 || min_days != min_days) {
				rc = ph_cli_usage(argv[0],
						  "--min-shadow-days: '%s' is not a number >= 0",
						  optarg);
				goto out;
			}
			break;
		}
		case O_TODAY:
			today = optarg;
			break;
		case 'f':
			format = optarg;
			break;
		case O_DOMAINS:
			domains = optarg;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case O_TARGETS:
			targets = optarg;
			break;
		case O_MINCOV:
			if (ph_gate_coverage_spec(optarg, min_coverage, &err)) {
				rc = ph_cli_usage(argv[0], "%s", err.msg);
				goto out;
			}
			have_min_coverage = 1;
			break;
		}
	}
	if (c < 0) {
		rc = ph_cli_exit(c);
		goto out;
	}
	if (optind < argc) {
		rc = ph_cli_usage(argv[0], "unexpected argument '%s' (use --matrix or --shadow)",
				  argv[optind]);
		goto out;
	}
	if (today && !ph_date_valid(today)) {
		rc = ph_cli_usage(argv[0], "--today: '%s' is not a date YYYY-MM-DD", today);
		goto out;
	}
	if ((json = ph_cli_format(argv[0], format, formats)) < 0)
		goto out;
	if (!today) {
		time_t now = time(NULL);
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(today_buf, sizeof(today_buf), "%Y-%m-%d", &tm);
		today = today_buf;
	}
	rc = run(&a, documented, min_days, today, json, domains, config, targets,
		 have_min_coverage ? min_coverage : NULL);
out:
	free(a.matrices);
	free(a.shadows);
	return rc;
}
