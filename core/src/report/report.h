/*
 * Renderers of a matrix document: matrix.json, matrix.md, junit.xml and report.html.
 * Each reads only the matrix (matrix.h) and writes one file atomically. Output depends on
 * the document alone (never on the clock or the environment), so rendering the same
 * matrix twice gives the same bytes and reports diff cleanly between runs. Renderers
 * tolerate a matrix that misses keys (they show what is there); ph_matrix_validate is the
 * place that rejects a bad one.
 */
#ifndef PARITY_REPORT_H
#define PARITY_REPORT_H

#include <stdio.h>
#include <jansson.h>

#include "parity/err.h"

/* File names ph_report_all writes inside its folder. */
#define PH_REPORT_JSON "matrix.json"
#define PH_REPORT_MD "matrix.md"
#define PH_REPORT_JUNIT "junit.xml"
#define PH_REPORT_HTML "report.html"

/* matrix.json: the document itself, sorted keys, two-space indent. 0 or PH_E_*. */
int ph_report_json(const json_t *matrix, const char *path, struct ph_err *err);

/*
 * matrix.md: runtimes, verdict, a summary table, then per domain a table
 * | feature | case | reference | candidate |, a counts line and the divergences of
 * diverging rows; a metrics table when metrics is not empty. 0 or PH_E_*.
 */
int ph_report_md(const json_t *matrix, const char *path, struct ph_err *err);

/*
 * junit.xml: a testsuite per domain, a testcase per feature. Structural and semantic rows
 * fail, error rows are errors, timing rows pass with a "timing" property, a skipped
 * domain is one skipped testcase and a domain-level error one erroring testcase.
 * Characters XML 1.0 forbids become U+FFFD. 0 or PH_E_*.
 */
int ph_report_junit(const json_t *matrix, const char *path, struct ph_err *err);

/*
 * report.html: one self-contained page (inline CSS, no scripts, no external resources)
 * with the summary and, per diverging feature, a side-by-side table of its divergences.
 * 0 or PH_E_*.
 */
int ph_report_html(const json_t *matrix, const char *path, struct ph_err *err);

/*
 * The route coverage section of matrix.md alone, for a "coverage" object (coverage.h;
 * nothing for anything else), written to out: `parity coverage --format md`.
 */
void ph_report_coverage_md(FILE *out, const json_t *coverage);

/* Write all four into dir (which must exist). Stops at the first failure. 0 or PH_E_*. */
int ph_report_all(const json_t *matrix, const char *dir, struct ph_err *err);

/* ---- helpers shared by the renderers ---- */

/*
 * A JSON value as compact one-line JSON text with sorted keys, "(absent)" for NULL,
 * cut to at most max bytes (0: no limit) at a UTF-8 boundary and ending in "..." when cut.
 * New string, the caller frees; NULL only when out of memory.
 */
char *ph_report_value_text(const json_t *v, size_t max);

/*
 * A matrix coverage object's figures in one line (new string, NULL when out of memory):
 * "driven to status R, body R, state R; deepest none N, status N, body N, state N".
 */
char *ph_report_coverage_line(const json_t *cov);

/*
 * "12 features: 11 parity, 1 structural" for a domain object (classes in the order
 * parity, structural, semantic, timing, error, zero counts left out). New string, the
 * caller frees; NULL only when out of memory.
 */
char *ph_report_counts_line(const json_t *domain);

/* Integer count of one class in a domain's "counts" (0 when absent). */
long long ph_report_count(const json_t *domain, const char *cls);

/*
 * s (NULL: nothing) written to out with every ASCII byte that has an entry in subst (128
 * entries) replaced by it, the other control characters (C0 and DEL) as U+FFFD, and the
 * rest as it is: how the Markdown and HTML renderers escape text.
 */
void ph_report_escape(FILE *out, const char *s, const char *const subst[128]);

/* The string member key of obj, or def when absent or not a string. Borrowed. */
const char *ph_report_str(const json_t *obj, const char *key, const char *def);

/*
 * Keys of obj in byte order (borrowed from obj), as a new array the caller frees; NULL
 * with *n = 0 when obj is not an object, is empty or memory ran out.
 */
const char **ph_report_keys(const json_t *obj, size_t *n);

/*
 * How metrics are tabulated: the columns are the members of metrics whose value is an
 * object ("reference" and "candidate" first, then the others in byte order), the rows the
 * union of those objects' keys in byte order; scalar members are listed apart (scalars).
 * Every array is new (the caller frees it), its strings borrowed from metrics.
 */
void ph_report_metric_layout(const json_t *metrics, const char ***cols, size_t *n_cols,
			     const char ***rows, size_t *n_rows, const char ***scalars,
			     size_t *n_scalars);

/* A metric value as display text: strings as they are, others as JSON. Caller frees. */
char *ph_report_metric_text(const json_t *v);

/*
 * Render matrix (which must be an object) into path with write, which writes the whole
 * file: built in memory, then written atomically (ph_report_open, ph_report_commit).
 * 0 or PH_E_*.
 */
int ph_report_write(const json_t *matrix, const char *path,
		    void (*write)(FILE *out, const json_t *matrix), struct ph_err *err);

/*
 * Open an in-memory stream for a renderer (*buf and *len are set by fclose, as with
 * open_memstream). NULL with err filled when out of memory.
 */
FILE *ph_report_open(char **buf, size_t *len, const char *path, struct ph_err *err);

/*
 * Close a stream from ph_report_open and write what it holds to path atomically (0644),
 * freeing the buffer in every case. 0 or PH_E_*.
 */
int ph_report_commit(FILE *f, char **buf, size_t *len, const char *path, struct ph_err *err);

#endif
