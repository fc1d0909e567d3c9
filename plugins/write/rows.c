/*
 * The rows of the write domain's own checks (crash consistency, rollback, a table one
 * side lacks): parity, an error, or one divergence the plugin found itself, built with
 * ph_result_add (parity/result.h) and recorded as any compared row. And dupf, the string
 * these rows' messages are made with.
 */
#define _GNU_SOURCE /* vasprintf */
#include <stdarg.h>
#include <stdio.h>

#include "parity/result.h"
#include "parity/row.h"
#include "parts.h"

char *ph_write_dupf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

int ph_write_check_row(const struct ph_host *host, struct ph_run *run, const char *feature,
		       const char *case_name, const char *reference, enum ph_class cls,
		       const char *kind, const char *message)
{
	struct ph_result res = {0};
	struct ph_row row = {0};
	int rc;

	if (cls == PH_ERROR)
		return ph_row_error(host, run, feature, case_name, reference, message);
	row.feature = feature;
	row.case_name = case_name;
	row.reference = reference;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	res.rule = (char *)feature; /* borrowed: ph_result_clear leaves it */
	if (cls != PH_PARITY) {
		if ((rc = ph_result_add(&res, cls, kind, "", NULL, NULL, message))) {
			ph_result_clear(&res);
			return rc;
		}
		row.result = &res;
	}
	rc = host->record(run, &row);
	ph_result_clear(&res);
	return rc;
}
