/*
 * A seeded extraction scenario (a case with "seed"): the work is written into both
 * running runtimes' databases (the Rust daemon never queues jobs itself, CONTRACT.md
 * §4.2), after the memories its facts are decided against, which each runtime embeds
 * through its own API; then the scenario is evaluated (evaluate.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/row.h"
#include "parts.h"

/* Send the case's "embed" request ({method, path, body?}) to side; 2xx or why not. */
static int embed_side(const struct ph_host *host, struct ph_run *run, enum ph_side side,
		      const json_t *embed, struct ph_err *err)
{
	static const struct ph_header json_type = {"Content-Type", "application/json"};
	const json_t *body = json_object_get(embed, "body");
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct ph_request req = {0};
	struct ph_response resp = {0};
	int rc;

	req.method = json_string_value(json_object_get(embed, "method"));
	req.path = json_string_value(json_object_get(embed, "path"));
	req.body = text;
	req.body_len = text ? strlen(text) : 0;
	req.headers = &json_type;
	req.n_headers = text ? 1 : 0;
	req.timeout_ms = 60000;
	rc = host->http(run, side, &req, &resp, err);
	if (!rc && (resp.status < 200 || resp.status > 299))
		rc = ph_error(err, PH_E_RUNTIME, "%s %s answered %ld: %.200s", req.method, req.path,
			      resp.status, resp.body ? resp.body : "");
	host->response_release(&resp);
	free(text);
	return rc;
}

/*
 * Mark side, write the scenario's memories and have side embed them, mark its history,
 * then write the work. The memories mark is taken before the memories, so they are in the
 * memories row; the history mark after their embed, so what a runtime's re-embed writes
 * there (the TS daemon's repair audit, event 'none', memory_id 'system') is not read as a
 * decision of the workers.
 */
static int prepare(const struct ph_host *host, struct ph_run *run, enum ph_side side,
		   const char *mem_sql, const json_t *embed, const char *sql, struct snap *before,
		   struct ph_err *err)
{
	int rc;

	if ((rc = ph_pipeline_snap(host, run, side, before, err)))
		return rc;
	if (mem_sql && (rc = ph_pipeline_seed(host, run, side, mem_sql, err)))
		return rc;
	if (mem_sql && embed && (rc = embed_side(host, run, side, embed, err)))
		return rc;
	if ((rc = ph_pipeline_query_int(host, run, side,
					"SELECT coalesce(max(rowid), 0) FROM memory_history",
					&before->hist_seq, err)))
		return rc;
	return ph_pipeline_seed(host, run, side, sql, err);
}

/*
 * Run one seeded extraction scenario case. Returns non-zero only for a malformed case.
 * "memories" (optional): SQL of the memories the scenario's facts are decided against,
 * written first, then embedded through each runtime's own API ("embed": a request such
 * as POST /api/repair/re-embed), so both daemons' vector search sees them before any job
 * is queued; "seed": the SQL of the work itself (the jobs).
 */
int ph_pipeline_seeded_scenario(const struct ph_host *host, struct ph_run *run, const json_t *c,
				struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *want, *embed = json_object_get(c, "embed");
	char cname[256], why[1400];
	char *sql = NULL, *mem_sql = NULL, *known = NULL;
	struct setup su;
	long timeout_ms;
	int rc = 0, s;

	memset(&su, 0, sizeof(su));
	if (!json_object_get(c, "seed"))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"seed\": expected the name of a .sql file of the "
				"suite folder",
				host->suite_dir(run), name);
	if (embed && (!json_is_object(embed) || !json_is_string(json_object_get(embed, "method")) ||
		      !json_is_string(json_object_get(embed, "path"))))
		return ph_error(err, PH_E_INVALID,
				"%s: case '%s': \"embed\": expected {\"method\", \"path\", "
				"\"body\"?}",
				host->suite_dir(run), name);
	if ((rc = ph_pipeline_scenario_options(host, run, c, &timeout_ms, &want, err)) ||
	    (rc = ph_pipeline_case_file(host, run, c, "seed", &sql, err)) ||
	    (rc = ph_pipeline_case_file(host, run, c, "memories", &mem_sql, err)))
		goto out;
	{
		size_t n = (mem_sql ? strlen(mem_sql) : 0) + strlen(sql) + 2;

		if (!(known = malloc(n))) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		snprintf(known, n, "%s\n%s", mem_sql ? mem_sql : "", sql);
	}
	snprintf(cname, sizeof(cname), "%s/seed", name);
	for (s = 0; s < 2; s++) {
		su.known[s] = known;
		if ((rc = prepare(host, run, (enum ph_side)s, mem_sql, embed, sql, &su.before[s],
				  err))) {
			snprintf(why, sizeof(why), "%s: %s", ph_pipeline_sides[s], err->msg);
			if (!(rc = ph_row_error(host, run, F_JOBS, cname, "not evaluated", why))) {
				snprintf(why, sizeof(why), "not evaluated: the seed failed (%s)",
					 cname);
				rc = ph_pipeline_error_rows(host, run, name, want, why);
			}
			goto out;
		}
	}
	rc = ph_pipeline_evaluate(host, run, name, &su, timeout_ms, want, err);
out:
	for (s = 0; s < 2; s++)
		json_decref(su.before[s].jobs);
	free(sql);
	free(mem_sql);
	free(known);
	return rc;
}
