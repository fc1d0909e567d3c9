/*
 * How the schema domain's checks record their matrix rows (checks.h): rows without
 * latencies, since nothing these checks observe is a timed request of the suite. Their
 * divergences are added with parity/result.h, their error rows made with parity/row.h.
 */
#include <string.h>

#include "checks.h"

const char *const schema_side_names[2] = {"reference", "candidate"};

int schema_record(const struct ph_host *host, struct ph_run *run, const char *feature,
		  const char *case_name, const char *reference, const struct ph_result *res)
{
	struct ph_row row;

	memset(&row, 0, sizeof(row));
	row.feature = feature;
	row.case_name = case_name;
	row.reference = reference;
	row.result = res;
	row.latency_reference_ms = -1;
	row.latency_candidate_ms = -1;
	return host->record(run, &row);
}
