/*
 * Renderers of a matrix document: matrix.json, matrix.md, junit.xml and report.html.
 * Each reads only the matrix (matrix.h) and writes one file atomically.
 */
#ifndef PARITY_REPORT_H
#define PARITY_REPORT_H

#include <jansson.h>

#include "parity/err.h"

int ph_report_json(const json_t *matrix, const char *path, struct ph_err *err);
int ph_report_md(const json_t *matrix, const char *path, struct ph_err *err);
int ph_report_junit(const json_t *matrix, const char *path, struct ph_err *err);
int ph_report_html(const json_t *matrix, const char *path, struct ph_err *err);

/* Write all four into dir (which must exist). */
int ph_report_all(const json_t *matrix, const char *dir, struct ph_err *err);

#endif
