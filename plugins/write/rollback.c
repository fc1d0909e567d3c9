/*
 * Rollback without data loss, one of the spec's success metrics: memories the candidate
 * wrote, then the reference runtime started on the candidate's workspace must list and
 * recall every one of them. Both runtimes go back to their own workspaces afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parts.h"

#define ROLLBACK_N 5

static const char *const rollback_words[ROLLBACK_N] = {"zephyr", "quartzite", "lanternfish",
						       "obsidian", "meridian"};

/* Is id among arr[].id? */
static int lists_id(const json_t *arr, const char *id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(json_object_get(v, "id"));

		if (s && !strcmp(s, id))
			return 1;
	}
	return 0;
}

/* The check's row; why is the message (a divergence's, or an error's). */
static int rollback_row(const struct ph_host *host, struct ph_run *run, const char *reference,
			enum ph_class cls, const char *kind, const char *why)
{
	return ph_write_check_row(host, run, "rollback: reference reads candidate writes",
				  "rollback", reference, cls, kind, why);
}

/* What the reference on the candidate's workspace finds of ids: its row. */
static int judge(const struct ph_host *host, struct ph_run *run, char *const *ids)
{
	json_t *list = ph_write_get_json(host, run, PH_REFERENCE, "GET", "/api/memories?limit=1000",
					 NULL);
	char *body, *why = NULL, summary[96];
	int listed = 0, recalled = 0, rc;

	for (int i = 0; i < ROLLBACK_N; i++) {
		json_t *rec;

		listed += lists_id(json_object_get(list, "memories"), ids[i]);
		body = ph_write_dupf("{\"query\":\"%s\",\"limit\":10}", rollback_words[i]);
		rec = body ? ph_write_get_json(host, run, PH_REFERENCE, "POST",
					       "/api/memory/recall", body)
			   : NULL;
		recalled += lists_id(json_object_get(rec, "results"), ids[i]);
		json_decref(rec);
		free(body);
	}
	snprintf(summary, sizeof(summary), "%d of %d listed, %d recalled", listed, ROLLBACK_N,
		 recalled);
	if (!list) {
		rc = rollback_row(host, run, summary, PH_STRUCTURAL, "list",
				  "the reference runtime on the candidate's workspace did not list "
				  "memories");
	} else if (listed < ROLLBACK_N || recalled < ROLLBACK_N) {
		why = ph_write_dupf("memories the candidate wrote are lost on rollback: %s",
				    summary);
		rc = rollback_row(host, run, summary, PH_SEMANTIC, "lost", why ? why : summary);
	} else {
		rc = rollback_row(host, run, summary, PH_PARITY, NULL, NULL);
	}
	free(why);
	json_decref(list);
	return rc;
}

int ph_write_rollback_check(const struct ph_host *host, struct ph_run *run)
{
	char *ids[ROLLBACK_N] = {0}, *body, *why = NULL;
	struct ph_err e;
	int i, rc;

	for (i = 0; i < ROLLBACK_N; i++) {
		body = ph_write_dupf("{\"content\":\"rollback check %d: the %s ledger entry must "
				     "survive\",\"who\":\"parity\"}",
				     i, rollback_words[i]);
		ids[i] = body ? ph_write_post_id(host, run, PH_CANDIDATE, "/api/memory/remember",
						 body)
			      : NULL;
		free(body);
		if (!ids[i]) {
			rc = rollback_row(host, run, "not run", PH_ERROR, "rollback",
					  "the candidate did not answer a remember with an id");
			goto out;
		}
	}
	ph_err_clear(&e);
	host->runtime_stop(run, PH_CANDIDATE, 0, &e);
	host->runtime_stop(run, PH_REFERENCE, 0, &e);
	ph_err_clear(&e);
	if (host->runtime_restart(run, PH_REFERENCE, host->workspace(run, PH_CANDIDATE), &e)) {
		why = ph_write_dupf("the reference runtime did not start on the candidate's "
				    "workspace: %s",
				    e.msg);
		rc = rollback_row(host, run, "did not start", PH_STRUCTURAL, "start",
				  why ? why : "start");
	} else {
		rc = judge(host, run, ids);
	}
	/* both back on their own workspaces, as the domain found them */
	ph_err_clear(&e);
	if (host->runtime_restart(run, PH_REFERENCE, NULL, &e) ||
	    host->runtime_restart(run, PH_CANDIDATE, NULL, &e))
		host->log(run, PH_LOG_WARN, "cannot restart after the rollback check: %s", e.msg);
out:
	for (i = 0; i < ROLLBACK_N; i++)
		free(ids[i]);
	free(why);
	return rc;
}
