/*
 * Fuzz target: loading a matrix.json (what `parity gate`, `parity merge` and the
 * renderers read). The input is parsed with duplicate keys refused and checked by
 * ph_matrix_validate; a matrix that passes is finished (counts, statuses, verdict
 * recomputed), must still pass validation, and is rendered as Markdown, JUnit and HTML
 * into a scratch folder, as `parity merge --reports` would.
 */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "matrix/matrix.h"
#include "parity/jsonio.h"
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char md[600], junit[600], html[600];
	struct ph_err err;
	json_t *doc = NULL;

	if (!md[0]) {
		const char *dir = fz_scratch_dir();

		snprintf(md, sizeof(md), "%s/matrix.md", dir);
		snprintf(junit, sizeof(junit), "%s/junit.xml", dir);
		snprintf(html, sizeof(html), "%s/report.html", dir);
		/* registered for removal at exit through fz_scratch_file */
		fz_scratch_file("matrix.md", NULL, 0);
		fz_scratch_file("junit.xml", NULL, 0);
		fz_scratch_file("report.html", NULL, 0);
	}
	if (ph_json_load_buffer("fuzz-matrix.json", (const char *)data, size, &doc, &err))
		return 0;
	if (!ph_matrix_validate(doc, "fuzz-matrix.json", &err)) {
		ph_matrix_verdict(doc);
		ph_matrix_finish(doc);
		if (ph_matrix_validate(doc, "fuzz-matrix.json", &err)) {
			fprintf(stderr, "a valid matrix is invalid once finished: %s\n", err.msg);
			abort();
		}
		ph_report_md(doc, md, &err);
		ph_report_junit(doc, junit, &err);
		ph_report_html(doc, html, &err);
	}
	json_decref(doc);
	return 0;
}
