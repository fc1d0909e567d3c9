/*
 * The write domain: runs the step sequences of suites/write on both runtimes (each step
 * compared and recorded; an id a runtime generated is captured and used in that runtime's
 * later steps as "{id:<step>}", steps.c), then compares what each runtime left in its
 * database for the memories the case touched (dbstate.c); the pipeline domain's remember
 * scenario compares the extraction work a remember queues, once the workers settled. Then
 * one timing row per feature (timing.c) and two checks of the spec's success metrics:
 * crash consistency (crash.c) and rollback without data loss (rollback.c).
 */
#include "parity/suite.h"
#include "parts.h"

const char *const ph_write_sides[2] = {"reference", "candidate"};

struct write_run {
	const struct ph_host *host;
	struct ph_run *run;
	struct ph_write_state ws;
};

static int write_case(void *ctx, json_t *c, size_t i, struct ph_err *err)
{
	struct write_run *w = ctx;

	(void)i;
	/* a malformed case: the suite is wrong, the domain stops */
	return ph_write_case(w->host, w->run, &w->ws, c, err);
}

/* After the cases: timing, then each runtime killed mid-burst, then the rollback. */
static int checks(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
		  int n, struct ph_err *err)
{
	int rc = ph_write_timing_rows(host, run, ws, err);

	if (rc)
		return rc;
	for (int i = 0; i < 2 && !rc; i++) {
		rc = ph_write_crash_check(host, run, i);
		host->progress(run, n + i + 1, n + 3);
	}
	if (!rc)
		rc = ph_write_rollback_check(host, run);
	host->progress(run, n + 3, n + 3);
	return rc < 0 ? ph_error(err, rc, "cannot record a row") : 0;
}

static int write_run(void *state, const struct ph_host *host, struct ph_run *run,
		     struct ph_err *err)
{
	struct write_run w = {.host = host, .run = run};
	json_t *cases;
	int rc;

	(void)state;
	if ((rc = ph_suite_load(host, run, &cases, err)))
		return rc;
	ph_write_state_init(&w.ws);
	if (!(rc = ph_write_seed_labels(host, run, &w.ws, err)) &&
	    !(rc = ph_suite_each_case(host, run, cases, write_case, &w, err)))
		rc = checks(host, run, &w.ws, (int)json_array_size(cases), err);
	ph_write_state_release(&w.ws);
	json_decref(cases);
	return rc;
}

PH_PLUGIN_EXPORT(write, "1.0.0",
		 "write endpoints step by step, database state, crash consistency, rollback",
		 NULL, write_run, NULL)
