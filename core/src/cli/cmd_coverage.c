/*
 * `parity coverage --routes F [--format text|json|md] MATRIX...`: the route coverage of
 * existing matrices, computed as `parity run` does with a "route_list" (coverage.h): the
 * rows of every matrix given against the list F. Exit 0, or 2 when the list or a matrix
 * cannot be read or has the wrong shape.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "coverage/coverage.h"
#include "matrix/matrix.h"
#include "report/report.h"

static const char usage_text[] =
    "usage: parity coverage --routes FILE [--format text|json|md] MATRIX...\n"
    "\n"
    "Which routes of a route list the rows of the matrices drive, and how deep: status\n"
    "(only the status compared), body (the answer compared under the rules) or state\n"
    "(what the request left behind compared). A row names its routes by its \"route\"\n"
    "key, else by a feature that reads \"METHOD /path\"; its depth is its \"depth\" key\n"
    "(default body); error rows count nothing. Routes driven but not listed are shown\n"
    "apart. The same computation as `parity run` with \"route_list\" in its config.\n"
    "\n"
    "  --routes FILE      the route list: upstream's route-parity.json ({routes: [{method,\n"
    "                     path, status, ...}]}), or an array of {method, path} objects or\n"
    "                     \"METHOD /path\" strings (or an object with such \"routes\")\n"
    "  --format F         text (default: a summary line, then one line per route), json\n"
    "                     (the matrix's \"coverage\" object) or md (matrix.md's section)\n"
    "\n"
    "exit: 0 computed, 2 bad usage or input\n";

/* A summary line, then "METHOD /path  depth  rows" per listed route, then the unlisted. */
static void write_text(const json_t *cov)
{
	const char *const arrays[] = {"routes_table", "unlisted"};
	const json_t *e;
	size_t width = 0, i, k;
	char *line;

	line = ph_report_coverage_line(cov);
	printf("coverage: %lld routes of %s: %s\n",
	       (long long)json_integer_value(json_object_get(cov, "routes")),
	       json_string_value(json_object_get(cov, "source")), line ? line : "?");
	free(line);
	for (k = 0; k < 2; k++)
		json_array_foreach(json_object_get(cov, arrays[k]), i, e)
		{
			size_t n = strlen(json_string_value(json_object_get(e, "route")));

			width = n > width ? n : width;
		}
	for (k = 0; k < 2; k++) {
		const json_t *arr = json_object_get(cov, arrays[k]);

		if (k && json_array_size(arr))
			printf("unlisted (%zu):\n", json_array_size(arr));
		json_array_foreach(arr, i, e)
			printf("%-*s  %-6s  %lld\n", (int)width,
			       json_string_value(json_object_get(e, "route")),
			       json_string_value(json_object_get(e, "depth")),
			       (long long)json_integer_value(json_object_get(e, "rows")));
	}
}

int cmd_coverage(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"routes", required_argument, NULL, 'r'},
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const formats[] = {"text", "json", "md", NULL};
	struct ph_cli_getopt g = {.cmd = argv[0], .argc = argc, .argv = argv,
				  .shortopts = "+r:f:h", .longopts = opts, .usage = usage_text,
				  .named = 1};
	const char *routes = NULL, *format = "text";
	struct ph_route_list list = {0};
	struct ph_err err = {0, ""};
	json_t **mats = NULL, *cov = NULL;
	size_t n, i;
	int c, rc = 0, fmt;

	while ((c = ph_cli_getopt(&g)) > 0)
		if (c == 'r')
			routes = optarg;
		else
			format = optarg;
	if (c < 0)
		return ph_cli_exit(c);
	if ((fmt = ph_cli_format(argv[0], format, formats)) < 0)
		return PH_EXIT_USAGE;
	if (!routes)
		return ph_cli_usage(argv[0], "--routes FILE is required");
	if (optind >= argc)
		return ph_cli_usage(argv[0], "no matrix given");
	n = (size_t)(argc - optind);
	if (!(mats = calloc(n, sizeof(*mats)))) {
		ph_error(&err, PH_E_NOMEM, "out of memory");
		return ph_cli_fail(&err);
	}
	rc = ph_route_list_load(&list, routes, &err);
	for (i = 0; i < n && !rc; i++)
		rc = ph_matrix_load(argv[optind + (int)i], &mats[i], &err);
	if (!rc)
		rc = ph_coverage_compute(&cov, &list, routes, mats,
					 (const char *const *)(argv + optind), n, &err);
	for (i = 0; i < n; i++)
		json_decref(mats[i]);
	free(mats);
	ph_route_list_release(&list);
	if (rc)
		return ph_cli_fail(&err);
	if (fmt == 1 && ph_cli_print_json(cov))
		rc = ph_error(&err, PH_E_NOMEM, "out of memory");
	else if (fmt == 2)
		ph_report_coverage_md(stdout, cov);
	else if (fmt == 0)
		write_text(cov);
	json_decref(cov);
	fflush(stdout);
	return rc ? ph_cli_fail(&err) : PH_EXIT_OK;
}
