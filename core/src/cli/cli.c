/*
 * Helpers shared by the CLI commands: error and usage messages in one format, reading
 * options (with getopt_long or by hand), --format, JSON output, and the decision whether
 * to colour output.
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parity/jsonio.h"

const char *ph_argv0 = "parity";

int ph_cli_fail(const struct ph_err *err)
{
	fprintf(stderr, "parity: %s\n", err && err->msg[0] ? err->msg : "failed");
	return PH_EXIT_USAGE;
}

int ph_cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "parity %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see 'parity %s --help')\n", cmd);
	return PH_EXIT_USAGE;
}

int ph_cli_color(FILE *f)
{
	const char *term = getenv("TERM");

	if (getenv("NO_COLOR") && *getenv("NO_COLOR"))
		return 0;
	if (term && !strcmp(term, "dumb"))
		return 0;
	return isatty(fileno(f));
}

int ph_cli_exit(int c)
{
	return c == PH_CLI_HELP ? PH_EXIT_OK : PH_EXIT_USAGE;
}

int ph_cli_getopt(struct ph_cli_getopt *g)
{
	int c;

	if (!g->started) { /* a command may run more than once in a process (the tests) */
		g->started = 1;
		optind = 1;
		opterr = !g->named;
	}
	c = getopt_long(g->argc, g->argv, g->shortopts, g->longopts, NULL);
	if (c == -1)
		return PH_CLI_END;
	if (c == 'h') {
		fputs(g->usage, stdout);
		return PH_CLI_HELP;
	}
	if (c != '?')
		return c;
	if (g->named)
		ph_cli_usage(g->cmd, "unknown option '%s'", g->argv[optind - 1]);
	else
		ph_cli_usage(g->cmd, "unknown option");
	return PH_CLI_BAD;
}

static int listed(const char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (!strcmp(*names, name))
			return 1;
	return 0;
}

int ph_cli_args_next(struct ph_cli_args *a)
{
	while (a->i < a->argc) {
		const char *arg = a->argv[a->i++], *eq;
		size_t k;

		if (a->operands_only || arg[0] != '-' || !arg[1]) {
			if (a->n_operands == a->max_operands) {
				ph_cli_usage(a->cmd, a->too_many, arg);
				return PH_CLI_BAD;
			}
			a->operands[a->n_operands++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			a->operands_only = 1;
			continue;
		}
		if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
			fputs(a->usage, stdout);
			return PH_CLI_HELP;
		}
		a->value = NULL;
		if (listed(a->flags, arg)) {
			snprintf(a->name, sizeof(a->name), "%s", arg);
			return 1;
		}
		eq = strchr(arg, '=');
		k = eq ? (size_t)(eq - arg) : strlen(arg);
		if (k < sizeof(a->name))
			snprintf(a->name, sizeof(a->name), "%.*s", (int)k, arg);
		if (k >= sizeof(a->name) || !listed(a->with_value, a->name)) {
			ph_cli_usage(a->cmd, "unknown option '%s'", arg);
			return PH_CLI_BAD;
		}
		if (eq) {
			a->value = eq + 1;
		} else if (a->i < a->argc) {
			a->value = a->argv[a->i++];
		} else {
			ph_cli_usage(a->cmd, a->no_value, a->name);
			return PH_CLI_BAD;
		}
		return 1;
	}
	return PH_CLI_END;
}

int ph_cli_format(const char *cmd, const char *value, const char *const *names)
{
	char list[64] = "";
	int i, n;

	for (n = 0; names[n]; n++)
		if (!strcmp(value, names[n]))
			return n;
	for (i = 0; i < n; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
			 !i ? "" : i == n - 1 ? " or " : ", ", names[i]);
	ph_cli_usage(cmd, "--format: expected %s, got '%s'", list, value);
	return PH_CLI_BAD;
}

int ph_cli_print_json(const json_t *doc)
{
	char *text = doc ? ph_json_dump_pretty(doc) : NULL;

	if (!text)
		return -1;
	fputs(text, stdout);
	free(text);
	return 0;
}
