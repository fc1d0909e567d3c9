/*
 * The pipeline domain: the LLM extraction workers of both runtimes on canned LLM answers.
 * suites/pipeline holds three kinds of cases. A case with "method" is an HTTP request
 * compared as in the read domain (the effective pipeline configuration each runtime
 * reports). A case with "seed" is an extraction scenario whose work is seeded: the seed
 * SQL (memories and pending `extract` jobs, since the Rust daemon never queues jobs
 * itself, CONTRACT.md §4.2) is written into both running runtimes' databases. A case with
 * "remember" (an array of remember bodies) is an extraction scenario whose work a
 * runtime queues itself: each body is POSTed to /api/memory/remember on both runtimes,
 * in order and a few milliseconds apart (so their jobs' created_at, and the order the
 * workers take them in, follow the bodies), the memory id each answers is labelled
 * remember-<n> (the first body that answered it), and then
 *   - "pipeline remember jobs" (PIPELINE /remember-jobs): which label each body was
 *     answered with (a deduplicated remember answers an earlier one) and the jobs the
 *     remembers queued ({memory_id, job_type, max_attempts}, in queue order), read at
 *     once, before the workers' progress matters. TS queues one `extract` job per new
 *     memory when memory.pipelineV2.enabled, Rust none. When this row differs, each side
 *     is then given the jobs the other queued and it did not (matched by memory label
 *     and job type): a pending memory_jobs row for its memory of that label, as
 *     seed-extract.sql seeds jobs, logged and noted in the jobs row as seeded by the
 *     harness. The rest of the scenario then compares the extraction itself, not who
 *     queued it (that is this row's finding).
 * Both scenario kinds then wait, bounded, until neither runtime has a job left to run,
 * and compare (matrix feature, then its rule key in the run's rules file):
 *   - "pipeline egress" (PIPELINE /egress): the distinct requests each runtime sent to
 *     the canned LLM;
 *   - "pipeline jobs" (PIPELINE /jobs): the scenario's memory_jobs rows (status,
 *     attempts, result, error);
 *   - "pipeline decisions" (PIPELINE /decisions, PIPELINE /memories): one row per
 *     decision kind (add, update, delete, none) of the memory_history events the workers
 *     wrote, and one of the memories involved; the spec's acceptance check "pipeline
 *     extraction on canned LLM responses produces identical decisions".
 * Memory ids a runtime generates are replaced by stable labels (normalize.c) first, and
 * the ids of jobs a remember queued by "<memory label>/<job type>".
 * When the candidate leaves jobs unprocessed, only the jobs are compared (the rest would
 * repeat that one cause); when the reference does, the scenario cannot be evaluated, and
 * each of its rows is recorded as an error that says why (no row is dropped silently).
 * This file dispatches the cases: an HTTP case goes through the shared case exchange
 * (parity/http_case.h), a scenario to its file (parts.h says which part is where).
 */
#include "parity/http_case.h"
#include "parity/suite.h"
#include "parts.h"

const char *const ph_pipeline_sides[2] = {"reference", "candidate"};

struct pipeline_run {
	const struct ph_host *host;
	struct ph_run *run;
};

static int pipeline_case(void *ctx, json_t *c, size_t i, struct ph_err *err)
{
	const struct ph_host *host = ((struct pipeline_run *)ctx)->host;
	struct ph_run *run = ((struct pipeline_run *)ctx)->run;

	if (json_object_get(c, "method"))
		return ph_http_case(host, run, c, (unsigned)i, err);
	if (json_object_get(c, "seed"))
		return ph_pipeline_seeded_scenario(host, run, c, err);
	if (json_object_get(c, "remember"))
		return ph_pipeline_remember_scenario(host, run, c, err);
	return ph_error(err, PH_E_INVALID,
			"%s: case '%s': expected \"method\" (an HTTP case), \"seed\" (a seeded "
			"extraction scenario) or \"remember\" (one through remember)",
			host->suite_dir(run), json_string_value(json_object_get(c, "name")));
}

static int pipeline_run(void *state, const struct ph_host *host, struct ph_run *run,
			struct ph_err *err)
{
	struct pipeline_run p = {host, run};

	(void)state;
	return ph_suite_each(host, run, pipeline_case, &p, err);
}

PH_PLUGIN_EXPORT(pipeline, "1.0.0",
		 "LLM extraction workers on canned answers: egress, jobs, decisions, config", NULL,
		 pipeline_run, NULL)
