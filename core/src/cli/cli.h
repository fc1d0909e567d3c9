/*
 * What the commands of the `parity` CLI share: their entry points (one file each,
 * cmd_<name>.c, listed in main.c's command table), the fixed exit codes, and small
 * helpers for messages and colour.
 */
#ifndef PARITY_CLI_H
#define PARITY_CLI_H

#include <stdio.h>

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
int cmd_gate(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_llm(int argc, char **argv);

/* The executable's own path as given to main (for finding plugins beside it). */
extern const char *ph_argv0;

/* Print "parity: <message>" to stderr and return PH_EXIT_USAGE. */
int ph_cli_fail(const struct ph_err *err);

/* Print "parity <cmd>: <printf message>" to stderr and return PH_EXIT_USAGE. */
int ph_cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Colour on f? Only on a terminal, and never when NO_COLOR is set or TERM is "dumb". */
int ph_cli_color(FILE *f);

#endif
