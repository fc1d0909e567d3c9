/*
 * The two checks of the schema domain, each run for a case of suites/schema (schema.c
 * reads the suite): fresh-schema (fresh.c) compares the schemas both runtimes created,
 * cross-open (cross_open.c) starts each runtime on the other's workspace. Both record
 * their rows through the host with the helper of rows.c. Everything a case names (its
 * strings) is borrowed from the suite for the run.
 */
#ifndef PARITY_PLUGIN_SCHEMA_CHECKS_H
#define PARITY_PLUGIN_SCHEMA_CHECKS_H

#include "parity/plugin.h"
#include "parity/result.h"
#include "parity/row.h"

/* "reference" and "candidate", by enum ph_side. */
extern const char *const schema_side_names[2];

/*
 * Record one row without latencies, its class res's verdict. The divergences of res are
 * added with ph_result_add (parity/result.h), error rows recorded with ph_row_error.
 */
int schema_record(const struct ph_host *host, struct ph_run *run, const char *feature,
		  const char *case_name, const char *reference, const struct ph_result *res);

/*
 * Compare the schemas of `database` (a path inside each workspace) the two stopped
 * runtimes created: a row per table of either side and one for the ledger, case
 * case_name. Only running out of memory is an error of the call.
 */
int schema_fresh(const struct ph_host *host, struct ph_run *run, const char *case_name,
		 const char *database);

/* The list request of a cross-open case: GET path, the memories under key `array`. */
struct schema_list_req {
	const char *path;
	const char *array;
};

/* What a runtime answered to the list request. */
struct listing {
	long status;   /* 0: no answer */
	long count;    /* length of the array, -1 when absent */
	char why[512]; /* why count is -1 */
};

void schema_list_memories(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			  const struct schema_list_req *lr, struct listing *l);

/*
 * Start runtime `who` on the other runtime's workspace and check it serves the list with
 * 200 and as many memories as the owner listed before (`before`); record one row
 * (feature, case_name); stop it. Interruption and running out of memory are errors of
 * the call; a runtime that cannot start is a structural row.
 */
int schema_cross_open(const struct ph_host *host, struct ph_run *run, const char *case_name,
		      const struct schema_list_req *lr, enum ph_side who, const char *feature,
		      const struct listing *before);

#endif
