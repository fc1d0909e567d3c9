/*
 * `parity shadow-report [--format text|json|md] LOG...`: classify and summarise
 * shadow-divergence logs per domain (DESIGN.md "CLI"). Exit 0 when no structural
 * divergence is present, 1 when one is, 2 when a log cannot be read or an option is bad.
 * Malformed lines do not change the exit code; they are counted and listed.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "shadow/shadow.h"

static const char usage_text[] =
    "usage: parity shadow-report [options] LOG...\n"
    "\n"
    "Classify the divergences of shadow logs (TS and Rust formats, mixed, '-' for stdin,\n"
    "gzip files read as such) and summarise them per domain.\n"
    "\n"
    "  --format text|json|md    output format (default text)\n"
    "  --domains FILE           endpoint -> domain map (default <repo>/suites/domains.json)\n"
    "  --config FILE            read timing thresholds from FILE's \"timing\" object\n"
    "  --timing-ratio X         slower/faster latency above X is timing (default 2.0)\n"
    "  --timing-delta-ms MS     or a difference above MS (default 100)\n"
    "  --timing-floor-ms MS     differences under MS are never timing (default 5)\n"
    "  --top N                  fingerprints shown per domain in text and md (default 5)\n"
    "  --max-line-bytes N       longest line read; longer ones count as malformed\n"
    "\n"
    "exit: 0 no structural divergence, 1 structural divergence, 2 bad usage or input\n";

/* Parse a non-negative number option; returns 0 or -1. */
static int number_arg(const char *s, double *out)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0 || v != v)
		return -1;
	*out = v;
	return 0;
}

int cmd_shadow_report(int argc, char **argv)
{
	enum { O_DOMAINS = 256, O_CONFIG, O_RATIO, O_DELTA, O_FLOOR, O_TOP, O_MAXLINE };
	static const struct option opts[] = {
	    {"format", required_argument, NULL, 'f'},
	    {"domains", required_argument, NULL, O_DOMAINS},
	    {"config", required_argument, NULL, O_CONFIG},
	    {"timing-ratio", required_argument, NULL, O_RATIO},
	    {"timing-delta-ms", required_argument, NULL, O_DELTA},
	    {"timing-floor-ms", required_argument, NULL, O_FLOOR},
	    {"top", required_argument, NULL, O_TOP},
	    {"max-line-bytes", required_argument, NULL, O_MAXLINE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const formats[] = {"text", "json", "md", NULL};
	struct ph_cli_getopt g = {.cmd = argv[0], .argc = argc, .argv = argv,
				  .shortopts = "+f:h", .longopts = opts, .usage = usage_text,
				  .named = 1};
	const char *format = "text", *domains = NULL, *config = NULL;
	double ratio = -1, delta = -1, floor_ms = -1, top = 0, maxline = 0;
	struct ph_timing timing = PH_TIMING_DEFAULT;
	struct ph_domain_map *map = NULL;
	struct ph_shadow s;
	struct ph_err err = {0, ""};
	struct ph_shadow_counts t;
	int c, i, rc, fmt;

	while ((c = ph_cli_getopt(&g)) > 0) {
		switch (c) {
		case 'f':
			format = optarg;
			break;
		case O_DOMAINS:
			domains = optarg;
			break;
		case O_CONFIG:
			config = optarg;
			break;
		case O_RATIO:
			if (number_arg(optarg, &ratio))
				return ph_cli_usage(argv[0], "--timing-ratio: '%s' is not a number",
						    optarg);
			break;
		case O_DELTA:
			if (number_arg(optarg, &delta))
				return ph_cli_usage(
				    argv[0], "--timing-delta-ms: '%s' is not a number", optarg);
			break;
		case O_FLOOR:
			if (number_arg(optarg, &floor_ms))
				return ph_cli_usage(
				    argv[0], "--timing-floor-ms: '%s' is not a number", optarg);
			break;
		case O_TOP:
			if (number_arg(optarg, &top) || top < 1)
				return ph_cli_usage(argv[0], "--top: '%s' is not a positive number",
						    optarg);
			break;
		case O_MAXLINE:
			if (number_arg(optarg, &maxline) || maxline < 16)
				return ph_cli_usage(argv[0],
						    "--max-line-bytes: '%s' is not a number >= 16",
						    optarg);
			break;
		}
	}
	if (c < 0)
		return ph_cli_exit(c);
	if ((fmt = ph_cli_format(argv[0], format, formats)) < 0)
		return PH_EXIT_USAGE;
	if (optind >= argc)
		return ph_cli_usage(argv[0], "no log given");
	if (config && ph_shadow_timing_from_config(config, &timing, &err))
		return ph_cli_fail(&err);
	if (ratio >= 0)
		timing.ratio = ratio;
	if (delta >= 0)
		timing.delta_ms = delta;
	if (floor_ms >= 0)
		timing.floor_ms = floor_ms;
	if (ph_domain_map_load(&map, domains, &err))
		return ph_cli_fail(&err);
	ph_shadow_init(&s, map, &timing);
	s.max_line = (size_t)maxline;
	for (i = optind; i < argc; i++) {
		rc = ph_shadow_read_file(&s, argv[i], &err);
		if (rc) {
			ph_shadow_release(&s);
			ph_domain_map_free(map);
			return ph_cli_fail(&err);
		}
	}
	if (fmt == 1) {
		json_t *doc = ph_shadow_to_json(&s);

		rc = ph_cli_print_json(doc);
		json_decref(doc);
		if (rc) {
			ph_shadow_release(&s);
			ph_domain_map_free(map);
			ph_error(&err, PH_E_NOMEM, "out of memory writing the report");
			return ph_cli_fail(&err);
		}
	} else if (fmt == 2) {
		ph_shadow_write_md(&s, stdout, (size_t)top);
	} else {
		ph_shadow_write_text(&s, stdout, (size_t)top);
	}
	t = ph_shadow_totals(&s);
	ph_shadow_release(&s);
	ph_domain_map_free(map);
	if (fflush(stdout)) {
		ph_error(&err, PH_E_IO, "cannot write the report to stdout");
		return ph_cli_fail(&err);
	}
	return t.structural ? PH_EXIT_DIVERGE : PH_EXIT_OK;
}
