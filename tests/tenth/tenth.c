/*
 * A tenth domain, built from this folder alone: no line of the core or of plugins/ names
 * it. Its plugin sends every case of its suite (suites/tenth here, found through the
 * config's "suites") through the host's declarative HTTP exchange, then records one row
 * per parameter it asks for, so the test sees that `--param tenth.KEY=VALUE` reaches this
 * plugin and a parameter of another domain does not.
 */
#include <stdio.h>

#include "parity/plugin.h"
#include "parity/suite.h"

/* The parameters this plugin reads; the test gives "greeting" to it and "x" to read. */
static const char *const asked[] = { "greeting", "x" };

/* A row saying what host->param answered for key. */
static int record_param(const struct ph_host *host, struct ph_run *run, const char *key,
			struct ph_err *err)
{
	const char *value = host->param(run, key);
	char feature[64];
	struct ph_row row = {
		.feature = feature,
		.case_name = "param",
		.reference = value ? value : "(none)",
		.cls = PH_PARITY,
		.latency_reference_ms = -1,
		.latency_candidate_ms = -1,
	};

	snprintf(feature, sizeof(feature), "param %s", key);
	if (host->record(run, &row))
		return ph_error(err, PH_E_NOMEM, "cannot record the row of parameter '%s'", key);
	return 0;
}

static int tenth_run(void *state, const struct ph_host *host, struct ph_run *run,
		     struct ph_err *err)
{
	json_t *cases = NULL, *c;
	size_t i;
	int rc;

	(void)state;
	if ((rc = ph_suite_load_dir(host->suite_dir(run), &cases, err)))
		return rc;
	for (i = 0, rc = 0; !rc && i < json_array_size(cases); i++) {
		c = json_array_get(cases, i);
		rc = host->http_case(run, c, err);
	}
	json_decref(cases);
	for (i = 0; !rc && i < sizeof(asked) / sizeof(asked[0]); i++)
		rc = record_param(host, run, asked[i], err);
	return rc;
}

static const struct ph_plugin plugin = {
	PH_PLUGIN_HEADER,
	.name = "tenth",
	.version = "0.1.0",
	.description = "a domain added from a folder outside the core (tests/tenth)",
	.run = tenth_run,
};

const struct ph_plugin *ph_tenth_plugin(void);

const struct ph_plugin *ph_tenth_plugin(void)
{
	return &plugin;
}
