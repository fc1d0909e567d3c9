/*
 * Recording rows the way every domain does: an error row when the harness could not
 * evaluate a case (never parity), the notes a confirmed or dropped timing divergence
 * leaves on its row, and what route coverage reads of a row. Part of phutil; built on
 * the host table only.
 */
#ifndef PARITY_ROW_H
#define PARITY_ROW_H

#include "parity/plugin.h"

/*
 * Record an error row: feature, case_name, reference (what the reference did, e.g. "not
 * evaluated", "no answer") and why it could not be evaluated; no latencies. Returns what
 * host->record returns.
 */
int ph_row_error(const struct ph_host *host, struct ph_run *run, const char *feature,
		 const char *case_name, const char *reference, const char *why);

/*
 * Annotate the row recorded last with what host->timing_confirm found (info may be NULL):
 * its samples_ms, and flaky when the divergence did not reproduce.
 */
void ph_row_annotate_timing(const struct ph_host *host, struct ph_run *run, const json_t *info);

/*
 * Tell route coverage what the row recorded last drove (docs/coverage.md): its "route",
 * the request "METHOD /path?query" whose effect it compared (NULL: leave it; the case
 * exchange sets the request it sent, else the row's feature stands for it), and its
 * "depth": "status" (only the status was compared), "body" (the answer, the default) or
 * "state" (what the request left behind: database rows, files, LLM egress); NULL: leave
 * it. A row whose route is several requests, or none, is annotated with host->annotate
 * directly (an array of such strings, or null).
 */
void ph_row_annotate_route(const struct ph_host *host, struct ph_run *run, const char *route,
			   const char *depth);

/*
 * "reference: <why>; candidate: <why>" for the sides whose answer is missing (resp[i].error
 * set), into buf; the text of an error row when a runtime did not answer.
 */
void ph_row_no_answer(const struct ph_response resp[2], char *buf, size_t cap);

#endif
