/*
 * Declarative suites: every `*.json` file of a suite folder holds {"cases": [...]}, each
 * case an object with at least a "name". Part of phutil, so every plugin reads suites the
 * same way and bad files get the same messages.
 */
#ifndef PARITY_SUITE_H
#define PARITY_SUITE_H

#include <jansson.h>

#include "parity/err.h"

/*
 * Load the cases of every `*.json` file in dir, files in name order, cases in file order,
 * into one new array. Each case gets "file" (the file's name) when it has none. A file
 * that is not {"cases": [objects with a string "name"]} or a name used twice is an error
 * naming the file and the case index.
 */
int ph_suite_load_dir(const char *dir, json_t **cases, struct ph_err *err);

#endif
