/*
 * Helpers shared by the CLI commands: error and usage messages in one format, and the
 * decision whether to colour output.
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
