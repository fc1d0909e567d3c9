/*
 * What the commands of the `parity` CLI share: their entry points (one file each,
 * cmd_<name>.c, listed in main.c's command table), the fixed exit codes, reading options,
 * --format, JSON output, and small helpers for messages and colour.
 */
#ifndef PARITY_CLI_H
#define PARITY_CLI_H

#include <getopt.h>
#include <stdio.h>
#include <jansson.h>

#include "parity/err.h"

/* Exit codes (DESIGN.md "CLI", fixed). */
enum ph_exit {
	PH_EXIT_OK = 0,          /* parity, same, pass */
	PH_EXIT_DIVERGE = 1,     /* divergence, drift, blocked, mismatch */
	PH_EXIT_USAGE = 2,       /* bad usage or bad input */
	PH_EXIT_NOEVAL = 3       /* could not evaluate, insufficient evidence */
};

/* Each command gets argv with argv[0] = the command name. */
int cmd_list(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_secrets(int argc, char **argv);
int cmd_verify_schema(int argc, char **argv);
int cmd_shadow_report(int argc, char **argv);
int cmd_shadow(int argc, char **argv);
int cmd_gate(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_coverage(int argc, char **argv);
int cmd_llm(int argc, char **argv);

/* The executable's own path as given to main (for finding plugins beside it). */
extern const char *ph_argv0;

/* Print "parity: <message>" to stderr and return PH_EXIT_USAGE. */
int ph_cli_fail(const struct ph_err *err);

/* Print "parity <cmd>: <printf message>" to stderr and return PH_EXIT_USAGE. */
int ph_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Colour on f? Only on a terminal, and never when NO_COLOR is set or TERM is "dumb". */
int ph_cli_color(FILE *f);

/* ---- options ---- */

/* What the option readers return besides an option (> 0). */
enum {
	PH_CLI_END = 0,   /* no option left */
	PH_CLI_HELP = -1, /* -h or --help: usage was printed to stdout */
	PH_CLI_BAD = -2   /* bad usage: the message was printed to stderr */
};

/* The exit code after a reader's PH_CLI_HELP (0) or PH_CLI_BAD (2). */
int ph_cli_exit(int c);

/*
 * A command's options read with getopt_long (shortopts, longopts as getopt_long takes
 * them, 'h' being --help), from argv[1]. Two conventions, kept so that no message
 * changes: named, getopt says nothing and ours is "unknown option '<arg>'"; otherwise
 * getopt prints its own line and ours is "unknown option". Start with the rest zero.
 */
struct ph_cli_getopt {
	const char *cmd; /* in messages: "parity <cmd>: ..." */
	int argc;
	char **argv;
	const char *shortopts;
	const struct option *longopts;
	const char *usage; /* printed for --help */
	int named;
	int started;
};

/*
 * The next option's code (its value in optarg); PH_CLI_END after the last option, the
 * operands starting at optind; PH_CLI_HELP or PH_CLI_BAD, both printed.
 */
int ph_cli_getopt(struct ph_cli_getopt *g);

/*
 * argv read by hand, the way compare, secrets and verify-schema read it: operands
 * anywhere ("-" is one) up to max_operands, "--" ends the options, -h and --help, flags
 * by their exact name, and the options of with_value as --name=value or --name value
 * (both lists NULL-terminated, NULL for none). too_many and no_value are the messages for
 * an operand too many ('%s' the operand) and a missing value ('%s' the option).
 */
struct ph_cli_args {
	const char *cmd;
	int argc;
	char **argv;
	int i; /* the next argument to read */
	const char *usage; /* printed for --help */
	const char *const *flags;
	const char *const *with_value;
	const char **operands; /* filled in order */
	int max_operands, n_operands;
	const char *too_many, *no_value;
	int operands_only; /* after "--" */
	char name[32];     /* the option read, without "=value" */
	const char *value; /* its value; NULL for a flag */
};

/* The next option (1: name and value set), PH_CLI_END, PH_CLI_HELP or PH_CLI_BAD. */
int ph_cli_args_next(struct ph_cli_args *a);

/* ---- output ---- */

/*
 * Check a --format value against names (NULL-terminated, "text" first): its index, or
 * PH_CLI_BAD after "--format: expected text, json or md, got '<value>'".
 */
int ph_cli_format(const char *cmd, const char *value, const char *const *names);

/* Write doc pretty-printed to stdout: 0, or -1 when out of memory (nothing written). */
int ph_cli_print_json(const json_t *doc);

#endif
