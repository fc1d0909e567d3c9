/*
 * The read domain: every case of suites/read is an HTTP request sent to both runtimes
 * and compared under the run's rules (list, get, history, recall, search, config,
 * identity). Cases with "expect_id" also check the spec's acceptance rule that known
 * memories are recalled by both runtimes. The knowledge is in the suite data; this plugin
 * loads it and drives the host.
 */
#include <stdio.h>

#include "parity/plugin.h"
#include "parity/suite.h"

static int read_run(void *state, const struct ph_host *host, struct ph_run *run,
		    struct ph_err *err)
{
	json_t *cases, *c;
	size_t i, n;
	int rc;

	(void)state;
	rc = ph_suite_load_dir(host->suite_dir(run), &cases, err);
	if (rc)
		return rc;
	n = json_array_size(cases);
	if (!n) {
		json_decref(cases);
		return ph_error(err, PH_E_INVALID, "%s: no cases", host->suite_dir(run));
	}
	host->progress(run, 0, (int)n);
	json_array_foreach(cases, i, c)
	{
		/* every read may be repeated, e.g. to confirm a timing divergence */
		if (!json_object_get(c, "idempotent"))
			json_object_set_new(c, "idempotent", json_true());
		rc = host->http_case(run, c, err);
		if (rc) {
			/* A malformed case: the suite is wrong, stop the domain. */
			json_decref(cases);
			return rc;
		}
		host->progress(run, (int)i + 1, (int)n);
	}
	json_decref(cases);
	return 0;
}

static const struct ph_plugin plugin = {
	PH_PLUGIN_HEADER,
	.name = "read",
	.version = "1.0.0",
	.description = "read endpoints: list, get, history, recall, search, config, identity",
	.run = read_run,
};

const struct ph_plugin *ph_read_plugin(void);

const struct ph_plugin *ph_read_plugin(void)
{
	return &plugin;
}
