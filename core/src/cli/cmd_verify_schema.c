/*
 * `parity verify-schema [--format text|json] A B`: compare two SQLite schemas (database
 * files, or folders of NNN-*.sql migrations applied to fresh in-memory databases) with
 * the schema library (schema.h) and print one line per difference, or the JSON report
 * of DESIGN.md "CLI". Exit 0 same, 1 drift, 2 bad usage or input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "schema/schema.h"

static const char usage_text[] =
    "usage: parity verify-schema [--format text|json] A B\n"
    "\n"
    "Compare two SQLite schemas. A and B are database files (opened read-only and\n"
    "immutable) or folders of NNN-*.sql migrations applied in numeric order to fresh\n"
    "in-memory databases. A is the reference, B the candidate: 'missing-*' is only in A,\n"
    "'extra-*' only in B.\n"
    "\n"
    "Compared as name-keyed maps: tables, views, virtual tables (module and normalised\n"
    "arguments), columns (type, NOT NULL, default, hidden, order), primary keys, indexes\n"
    "(columns, unique, partial WHERE), foreign keys, triggers and views (normalised SQL),\n"
    "and the schema_migrations version set. FTS and vec0 shadow tables and sqlite_*\n"
    "tables are not reported.\n"
    "\n"
    "  --format text|json   output format (default text)\n"
    "\n"
    "exit: 0 same, 1 drift, 2 bad usage or input\n";

static char *value_text(const json_t *v)
{
	return json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
}

static void print_text(const json_t *report)
{
	const json_t *diffs = json_object_get(report, "differences");
	const json_t *d, *n;
	size_t i, structural = 0, semantic = 0;

	json_array_foreach(json_object_get(report, "notes"), i, n)
	    printf("note: %s: %s\n", json_string_value(json_object_get(n, "source")),
		   json_string_value(json_object_get(n, "message")));
	json_array_foreach((json_t *)diffs, i, d)
	{
		const char *cls = json_string_value(json_object_get(d, "class"));
		const char *name = json_string_value(json_object_get(d, "name"));
		char *a = value_text(json_object_get(d, "a"));
		char *b = value_text(json_object_get(d, "b"));

		if (!strcmp(cls, "structural"))
			structural++;
		else
			semantic++;
		printf("%-10s %-24s %s%s%s: %s -> %s  (%s)\n", cls,
		       json_string_value(json_object_get(d, "kind")),
		       json_string_value(json_object_get(d, "table")), name ? "." : "",
		       name ? name : "", a ? a : "?", b ? b : "?",
		       json_string_value(json_object_get(d, "message")));
		free(a);
		free(b);
	}
	if (!json_array_size(diffs))
		printf("same: no schema differences\n");
	else
		printf("drift: %zu difference%s (%zu structural, %zu semantic)\n",
		       json_array_size(diffs), json_array_size(diffs) == 1 ? "" : "s", structural,
		       semantic);
}

int cmd_verify_schema(int argc, char **argv)
{
	static const char *const with_value[] = {"--format", NULL};
	const char *format = "text", *paths[2] = {NULL, NULL};
	struct ph_cli_args args = {.cmd = "verify-schema", .argc = argc, .argv = argv, .i = 1,
				   .usage = usage_text, .with_value = with_value,
				   .operands = paths, .max_operands = 2,
				   .too_many = "too many arguments ('%s')",
				   .no_value = "%s needs a value"};
	json_t *a = NULL, *b = NULL, *report = NULL;
	struct ph_err err = {0};
	int rc;

	while ((rc = ph_cli_args_next(&args)) > 0)
		format = args.value;
	if (rc < 0)
		return ph_cli_exit(rc);
	if (strcmp(format, "text") && strcmp(format, "json"))
		return ph_cli_usage("verify-schema", "unknown format '%s' (text or json)", format);
	if (args.n_operands != 2)
		return ph_cli_usage("verify-schema", "needs two schemas, A and B");

	if (ph_schema_load(paths[0], &a, &err) || ph_schema_load(paths[1], &b, &err) ||
	    ph_schema_report(a, b, &report, &err)) {
		json_decref(a);
		json_decref(b);
		return ph_cli_fail(&err);
	}
	if (!strcmp(format, "json"))
		ph_cli_print_json(report);
	else
		print_text(report);
	rc = json_array_size(json_object_get(report, "differences")) ? PH_EXIT_DIVERGE : PH_EXIT_OK;
	json_decref(a);
	json_decref(b);
	json_decref(report);
	if (fflush(stdout) != 0)
		return PH_EXIT_USAGE;
	return rc;
}
