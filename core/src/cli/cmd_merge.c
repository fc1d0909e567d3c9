/*
 * `parity merge --out F MATRIX...`: merge the matrix.json files of sharded runs (one
 * domain per CI job) into one matrix F. Exit 0, or 2 when an input cannot be read, the
 * runtimes differ, or a domain is reported twice with different results.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "matrix/matrix.h"
#include "matrix/merge.h"
#include "parity/jsonio.h"
#include "report/report.h"

static const char usage_text[] =
    "usage: parity merge --out FILE [--reports DIR] MATRIX...\n"
    "\n"
    "Merge matrices from sharded runs into FILE. Runtime names and versions must agree;\n"
    "a domain present in two inputs must be identical in both. Counts and the verdict are\n"
    "recomputed.\n"
    "\n"
    "  --reports DIR   also render matrix.json, matrix.md, junit.xml and report.html\n"
    "                  of the merged matrix into DIR (created when missing)\n"
    "\n"
    "exit: 0 merged, 2 bad usage or input\n";

int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"out", required_argument, NULL, 'o'},
	    {"reports", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct ph_cli_getopt g = {.cmd = argv[0], .argc = argc, .argv = argv,
				  .shortopts = "+o:r:h", .longopts = opts, .usage = usage_text,
				  .named = 1};
	const char *out = NULL, *reports = NULL;
	struct ph_err err = {0, ""};
	json_t **mats, *merged = NULL;
	size_t n, i;
	int c, rc = 0;

	while ((c = ph_cli_getopt(&g)) > 0)
		if (c == 'o')
			out = optarg;
		else
			reports = optarg;
	if (c < 0)
		return ph_cli_exit(c);
	if (!out)
		return ph_cli_usage(argv[0], "--out FILE is required");
	if (optind >= argc)
		return ph_cli_usage(argv[0], "no matrix given");
	n = (size_t)(argc - optind);
	mats = calloc(n, sizeof(*mats));
	if (!mats) {
		ph_error(&err, PH_E_NOMEM, "out of memory");
		return ph_cli_fail(&err);
	}
	for (i = 0; i < n && !rc; i++)
		rc = ph_matrix_load(argv[optind + (int)i], &mats[i], &err);
	if (!rc)
		rc =
		    ph_merge_matrices(&merged, mats, (const char *const *)(argv + optind), n, &err);
	for (i = 0; i < n; i++)
		json_decref(mats[i]);
	free(mats);
	if (!rc)
		rc = ph_json_write_file(out, merged, &err);
	if (!rc && reports) {
		if (mkdir(reports, 0755) && errno != EEXIST)
			rc = ph_error(&err, PH_E_IO, "cannot create '%s': %s", reports,
				      strerror(errno));
		else
			rc = ph_report_all(merged, reports, &err);
	}
	json_decref(merged);
	if (rc)
		return ph_cli_fail(&err);
	return PH_EXIT_OK;
}
