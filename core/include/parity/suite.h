/*
 * Declarative suites: every `*.json` file of a suite folder holds {"cases": [...]}, each
 * case an object with at least a "name". Part of phutil, so every plugin reads suites the
 * same way and bad files get the same messages.
 */
#ifndef PARITY_SUITE_H
#define PARITY_SUITE_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"
#include "parity/plugin.h"

/*
 * Load the cases of every `*.json` file in dir, files in name order, cases in file order,
 * into one new array. Each case gets "file" (the file's name) when it has none. A file
 * that is not {"cases": [objects with a string "name"]} or a name used twice is an error
 * naming the file and the case index.
 */
int ph_suite_load_dir(const char *dir, json_t **cases, struct ph_err *err);

/*
 * The domain's suite: the cases of host->suite_dir(run) (ph_suite_load_dir) into *cases
 * (new array); a folder without cases is PH_E_INVALID "<dir>: no cases".
 */
int ph_suite_load(const struct ph_host *host, struct ph_run *run, json_t **cases,
		  struct ph_err *err);

/* What a suite loop does with case i of the suite; 0 or a negative code with err filled. */
typedef int (*ph_suite_case_fn)(void *ctx, json_t *c, size_t i, struct ph_err *err);

/*
 * Call fn on every case in order, reporting progress (0 of n first, then i + 1 of n after
 * each), and stop at the first failure. A failure's message that does not already name
 * the suite folder is prefixed "<dir>/<file>: case '<name>': ", so it says where the case
 * is written.
 */
int ph_suite_each_case(const struct ph_host *host, struct ph_run *run, json_t *cases,
		       ph_suite_case_fn fn, void *ctx, struct ph_err *err);

/* ph_suite_load, then ph_suite_each_case: the whole loop of a domain made of its cases. */
int ph_suite_each(const struct ph_host *host, struct ph_run *run, ph_suite_case_fn fn,
		  void *ctx, struct ph_err *err);

#endif
