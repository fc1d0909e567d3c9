/*
 * The `parity` executable: a static table of commands, each in its own cmd_<name>.c.
 * main() only dispatches; every command parses its own options and returns its exit
 * code (cli.h).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

struct cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct cmd commands[] = {
	{ "run", cmd_run, "start both runtimes, run the domain suites, write reports" },
	{ "compare", cmd_compare, "compare two response bodies under parity rules" },
	{ "list", cmd_list, "list plugins, domains and suites" },
	{ "secrets", cmd_secrets, "read, write and check Signet secrets.enc files" },
	{ "verify-schema", cmd_verify_schema, "compare two SQLite schemas (database files or migration folders)" },
	{ "shadow-report", cmd_shadow_report, "classify and summarise shadow-divergence logs" },
	{ "shadow", cmd_shadow, "the live shadow proxy: answer from the primary, compare the shadow" },
	{ "gate", cmd_gate, "the cutover gate: matrices, shadow logs, documented divergences" },
	{ "merge", cmd_merge, "merge matrices from sharded runs" },
	{ "coverage", cmd_coverage, "which routes of a route list matrices drive, and how deep" },
	{ "llm", cmd_llm, "the canned-LLM server on its own (serve, check, hash)" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: parity <command> [options]\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-15s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'parity <command> --help' describes a command.\n"
		   "exit codes: 0 parity, 1 divergence, 2 bad usage or input, 3 could not evaluate\n");
}

int main(int argc, char **argv)
{
	size_t i;

	ph_argv0 = argv[0];
	if (argc < 2) {
		usage(stderr);
		return PH_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return PH_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("parity %s\n", PARITY_VERSION);
		return PH_EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "parity: '%s' is not a parity command; see 'parity --help'\n", argv[1]);
	return PH_EXIT_USAGE;
}
