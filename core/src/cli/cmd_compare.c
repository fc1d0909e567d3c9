/*
 * `parity compare`: compare two response bodies read from files under parity rules
 * (a rules file, or the built-in rules) and print the divergences as aligned text or as
 * the fixed JSON object {endpoint, rule, verdict, divergences}. Exit 0 on parity, 1 on any
 * divergence, 2 on bad usage or unreadable input. A body that is not JSON is valid input:
 * it compares as bytes, or as a structural "not-json" divergence against a JSON body.
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compare/compare.h"
#include "parity/jsonio.h"
#include "compare/rules.h"

static const char usage_text[] =
    "usage: parity compare [--rules F] --endpoint \"METHOD /path\"\n"
    "                      [--status-a N --status-b N] [--latency-a MS --latency-b MS]\n"
    "                      [--timing-ratio R --timing-delta MS --timing-floor MS]\n"
    "                      [--format text|json] [--explain] A B\n"
    "\n"
    "Compare two response bodies (files; '-' reads one of them from stdin) under parity\n"
    "rules. A is the reference, B the candidate.\n"
    "\n"
    "  --rules F         rules file in the upstream parity-rules.json format\n"
    "                    (default: built-in rules: JSON, ordered arrays, second precision)\n"
    "  --endpoint E      the request, \"METHOD /path?query\"; picks the rule\n"
    "  --status-a N      HTTP status of A (default 200); --status-b likewise for B\n"
    "  --latency-a MS    latency of A in ms; with --latency-b, compares timing\n"
    "  --timing-ratio R  timing divergence when slower/faster exceeds R (default 2)\n"
    "  --timing-delta MS ... or when the difference exceeds MS (default 100)\n"
    "  --timing-floor MS differences under MS are never timing (default 5)\n"
    "  --format F        text (default) or json\n"
    "  --explain         also show the rule applied and how many paths each pattern matched\n"
    "\n"
    "exit: 0 parity, 1 divergence, 2 bad usage or input\n";

struct opts {
	const char *rules;
	const char *endpoint;
	long status_a, status_b;
	double latency_a, latency_b;
	int have_lat_a, have_lat_b;
	struct ph_timing timing;
	int json;
	int explain;
	const char *files[2];
	int n_files;
};

static int parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return ph_cli_usage("compare", "%s: expected an integer from %ld to %ld, got '%s'",
				    opt, lo, hi, s);
	*out = v;
	return 0;
}

static int parse_double(const char *opt, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (!*s || *end || errno || !isfinite(v) || v < 0)
		return ph_cli_usage("compare", "%s: expected a non-negative number, got '%s'", opt,
				    s);
	*out = v;
	return 0;
}

/* Parse argv into o; returns -1 after --help, 0, or PH_EXIT_USAGE after a message. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	static const char *const flags[] = {"--explain", NULL};
	static const char *const with_value[] = {
	    "--rules",	      "--endpoint",	"--status-a", "--status-b",
	    "--latency-a",    "--latency-b",	"--format",   "--timing-ratio",
	    "--timing-delta", "--timing-floor", NULL};
	static const char *const formats[] = {"text", "json", NULL};
	struct ph_cli_args a = {.cmd = "compare", .argc = argc, .argv = argv, .i = 1,
				.usage = usage_text, .flags = flags, .with_value = with_value,
				.operands = o->files, .max_operands = 2,
				.too_many = "too many files: '%s'", .no_value = "%s needs a value"};
	int c;

	memset(o, 0, sizeof(*o));
	o->status_a = o->status_b = 200;
	o->timing = PH_TIMING_DEFAULT;
	while ((c = ph_cli_args_next(&a)) > 0) {
		const char *name = a.name, *val = a.value;
		int rc = 0;

		if (!strcmp(name, "--explain")) {
			o->explain = 1;
		} else if (!strcmp(name, "--rules")) {
			o->rules = val;
		} else if (!strcmp(name, "--endpoint")) {
			o->endpoint = val;
		} else if (!strcmp(name, "--status-a")) {
			rc = parse_long(name, val, 0, 999, &o->status_a);
		} else if (!strcmp(name, "--status-b")) {
			rc = parse_long(name, val, 0, 999, &o->status_b);
		} else if (!strcmp(name, "--latency-a")) {
			rc = parse_double(name, val, &o->latency_a);
			o->have_lat_a = 1;
		} else if (!strcmp(name, "--latency-b")) {
			rc = parse_double(name, val, &o->latency_b);
			o->have_lat_b = 1;
		} else if (!strcmp(name, "--timing-ratio")) {
			rc = parse_double(name, val, &o->timing.ratio);
		} else if (!strcmp(name, "--timing-delta")) {
			rc = parse_double(name, val, &o->timing.delta_ms);
		} else if (!strcmp(name, "--timing-floor")) {
			rc = parse_double(name, val, &o->timing.floor_ms);
		} else if (!strcmp(name, "--format")) {
			if ((o->json = ph_cli_format("compare", val, formats)) < 0)
				return PH_EXIT_USAGE;
		}
		if (rc)
			return rc;
	}
	if (c < 0)
		return c == PH_CLI_HELP ? -1 : PH_EXIT_USAGE;
	o->n_files = a.n_operands;
	if (!o->endpoint)
		return ph_cli_usage("compare", "--endpoint \"METHOD /path\" is required");
	{
		const char *s = o->endpoint;

		while (*s >= 'A' && *s <= 'Z')
			s++;
		if (s == o->endpoint || *s != ' ' || s[1] != '/')
			return ph_cli_usage("compare",
					    "--endpoint: expected \"METHOD /path\", got '%s'",
					    o->endpoint);
	}
	if (o->have_lat_a != o->have_lat_b)
		return ph_cli_usage("compare", "--latency-a and --latency-b go together");
	if (o->n_files != 2)
		return ph_cli_usage("compare", "expected two files A and B");
	if (!strcmp(o->files[0], "-") && !strcmp(o->files[1], "-"))
		return ph_cli_usage("compare", "only one of A and B can be '-' (stdin)");
	return 0;
}

/* ---- text output ---- */

static const char *color_of(enum ph_class c)
{
	switch (c) {
	case PH_STRUCTURAL:
		return "\033[31m";
	case PH_SEMANTIC:
		return "\033[33m";
	case PH_TIMING:
		return "\033[36m";
	case PH_ERROR:
		return "\033[35m";
	case PH_EXPECTATION:
		return "\033[34m";
	case PH_PARITY:
		break;
	}
	return "\033[32m";
}

static void render(const json_t *v, char *buf, size_t size)
{
	char *s;

	if (!v) {
		snprintf(buf, size, "(absent)");
		return;
	}
	s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!s)
		snprintf(buf, size, "?");
	else if (strlen(s) > 60)
		snprintf(buf, size, "%.57s...", s);
	else
		snprintf(buf, size, "%s", s);
	free(s);
}

static void print_text(const struct ph_result *res, const char *endpoint, int color)
{
	size_t i, wk = 4, wp = 4;

	for (i = 0; i < res->count; i++) {
		size_t k = strlen(res->items[i].kind), p = strlen(res->items[i].path);

		wk = k > wk ? k : wk;
		wp = p > wp ? p : wp;
	}
	if (wp > 48)
		wp = 48;
	for (i = 0; i < res->count; i++) {
		const struct ph_divergence *d = &res->items[i];
		char a[96], b[96];

		render(d->a, a, sizeof(a));
		render(d->b, b, sizeof(b));
		if (color)
			printf("%s%-10s\033[0m", color_of(d->cls), ph_class_name(d->cls));
		else
			printf("%-10s", ph_class_name(d->cls));
		printf("  %-*s  %-*s  ", (int)wk, d->kind, (int)wp,
		       d->path[0] ? d->path : "(root)");
		if (d->a || d->b)
			printf("%s -> %s\n", a, b);
		else
			printf("%s\n", d->message);
	}
	if (color)
		printf("verdict: %s%s\033[0m", color_of(res->verdict), ph_class_name(res->verdict));
	else
		printf("verdict: %s", ph_class_name(res->verdict));
	printf(" (%zu divergence%s; %s under rule %s)\n", res->count, res->count == 1 ? "" : "s",
	       endpoint, res->rule);
}

/* ---- explain ---- */

static json_t *patterns_json(const struct ph_pattern *v, size_t n)
{
	json_t *arr = json_array();
	size_t i;

	for (i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack("{s:s, s:I, s:b}", "pattern", v[i].text,
						     "hits", (json_int_t)v[i].hits, "inherited",
						     v[i].origin != NULL));
	return arr;
}

static json_t *explain_json(const struct ph_rules *rules, const struct ph_rule *r)
{
	json_t *tol = json_object(), *o;
	size_t i;

	for (i = 0; tol && i < r->n_tolerance; i++)
		json_object_set_new(tol, r->tolerance[i].key, json_real(r->tolerance[i].bound));
	o = json_pack(
	    "{s:s, s:s, s:{s:s, s:b}, s:{s:s, s:b}, s:{s:s, s:b}, s:o, s:o, s:o, "
	    "s:{s:b, s:b, s:o}}",
	    "rules", rules->source, "rule", r->key, "compareMode", "value",
	    ph_compare_mode_name(r->mode), "inherited", (r->inherited & PH_INHERIT_MODE) != 0,
	    "timestampPrecision", "value", ph_ts_precision_name(r->precision), "inherited",
	    (r->inherited & PH_INHERIT_PRECISION) != 0, "arrayOrdering", "value",
	    ph_ordering_name(r->ordering), "inherited", (r->inherited & PH_INHERIT_ORDERING) != 0,
	    "ignoreFields", patterns_json(r->ignore, r->n_ignore), "deterministic",
	    r->has_deterministic ? patterns_json(r->deterministic, r->n_deterministic)
				 : json_null(),
	    "tolerance", tol ? tol : json_object(), "errorComparison", "statusMustMatch",
	    rules->status_must_match, "compareBody", rules->compare_error_body, "ignoreFields",
	    patterns_json(rules->error_ignore, rules->n_error_ignore));
	return o;
}

static void print_patterns(const char *kind, const struct ph_pattern *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		printf("  %-13s  %-32s  %lu path%s%s\n", kind, v[i].text, v[i].hits,
		       v[i].hits == 1 ? "" : "s", v[i].origin ? "  (inherited from default)" : "");
}

static void print_explain(const struct ph_rules *rules, const struct ph_rule *r)
{
	size_t i;

	printf("rule: %s (from %s)\n", r->key, rules->source);
	printf("  compareMode         %s%s\n", ph_compare_mode_name(r->mode),
	       r->inherited & PH_INHERIT_MODE ? " (inherited from default)" : "");
	printf("  timestampPrecision  %s%s\n", ph_ts_precision_name(r->precision),
	       r->inherited & PH_INHERIT_PRECISION ? " (inherited from default)" : "");
	printf("  arrayOrdering       %s%s\n", ph_ordering_name(r->ordering),
	       r->inherited & PH_INHERIT_ORDERING ? " (inherited from default)" : "");
	if (!r->has_deterministic)
		printf("  deterministic       (absent: values compared everywhere not ignored)\n");
	else if (!r->n_deterministic)
		printf("  deterministic       [] (only shape is compared)\n");
	for (i = 0; i < r->n_tolerance; i++)
		printf("  tolerance           %s <= %g\n", r->tolerance[i].key,
		       r->tolerance[i].bound);
	printf("  status must match   %s; error bodies %s\n",
	       rules->status_must_match ? "yes" : "no",
	       rules->compare_error_body ? "compared" : "not compared");
	if (r->n_ignore || r->n_deterministic || rules->n_error_ignore)
		printf("patterns (paths matched in this comparison):\n");
	print_patterns("ignore", r->ignore, r->n_ignore);
	print_patterns("deterministic", r->deterministic, r->n_deterministic);
	print_patterns("error-ignore", rules->error_ignore, rules->n_error_ignore);
	printf("\n");
}

int cmd_compare(int argc, char **argv)
{
	struct opts o;
	struct ph_rules *rules = NULL;
	struct ph_response resp[2];
	struct ph_result res;
	struct ph_err err = {0, ""};
	int rc, i, code = PH_EXIT_USAGE;

	rc = parse_args(argc, argv, &o);
	if (rc)
		return rc < 0 ? PH_EXIT_OK : rc;
	memset(resp, 0, sizeof(resp));
	if (o.rules) {
		if (ph_rules_load(&rules, o.rules, &err))
			return ph_cli_fail(&err);
	} else if (!(rules = ph_rules_builtin())) {
		ph_error(&err, PH_E_NOMEM, "out of memory");
		return ph_cli_fail(&err);
	}
	for (i = 0; i < 2; i++) {
		if (ph_file_read(o.files[i], 0, &resp[i].body, &resp[i].body_len, &err)) {
			code = ph_cli_fail(&err);
			goto out;
		}
		resp[i].status = i ? o.status_b : o.status_a;
		resp[i].latency_ms = -1;
	}
	if (o.have_lat_a) {
		resp[0].latency_ms = o.latency_a;
		resp[1].latency_ms = o.latency_b;
	}
	if (ph_compare_responses(rules, o.endpoint, &resp[0], &resp[1],
				 o.have_lat_a ? &o.timing : NULL, &res, &err)) {
		fprintf(stderr, "parity: %s\n", err.msg);
		code = PH_EXIT_NOEVAL;
		goto out;
	}
	if (o.json) {
		json_t *doc = ph_result_to_json(&res, o.endpoint);

		if (doc && o.explain)
			json_object_set_new(doc, "explain",
					    explain_json(rules, ph_rules_find(rules, res.rule)));
		rc = ph_cli_print_json(doc);
		json_decref(doc);
		if (rc) {
			fprintf(stderr, "parity: out of memory\n");
			ph_result_release(&res);
			code = PH_EXIT_NOEVAL;
			goto out;
		}
	} else {
		if (o.explain)
			print_explain(rules, ph_rules_find(rules, res.rule));
		print_text(&res, o.endpoint, ph_cli_color(stdout));
	}
	code = res.verdict == PH_PARITY	 ? PH_EXIT_OK
	       : res.verdict == PH_ERROR ? PH_EXIT_NOEVAL
					 : PH_EXIT_DIVERGE;
	ph_result_release(&res);
out:
	ph_response_release(&resp[0]);
	ph_response_release(&resp[1]);
	ph_rules_free(rules);
	return code;
}
