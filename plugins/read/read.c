/*
 * The read domain: every case of suites/read is an HTTP request sent to both runtimes
 * and compared under the run's rules (list, get, history, recall, search, config,
 * identity). Cases with "expect" also check the spec's acceptance rule that known
 * memories are recalled by both runtimes. The knowledge is in the suite data; this plugin
 * loads it and runs each case through the shared case exchange (parity/http_case.h).
 */
#include "parity/http_case.h"
#include "parity/suite.h"

struct read_ctx {
	const struct ph_host *host;
	struct ph_run *run;
};

static int read_case(void *ctx, json_t *c, size_t i, struct ph_err *err)
{
	struct read_ctx *r = ctx;

	/* every read may be repeated, e.g. to confirm a timing divergence */
	if (!json_object_get(c, "idempotent"))
		json_object_set_new(c, "idempotent", json_true());
	/* one row per case: the case index alternates who is asked first, as rows would */
	return ph_http_case(r->host, r->run, c, (unsigned)i, err);
}

static int read_run(void *state, const struct ph_host *host, struct ph_run *run,
		    struct ph_err *err)
{
	struct read_ctx r = {host, run};

	(void)state;
	return ph_suite_each(host, run, read_case, &r, err);
}

PH_PLUGIN_EXPORT(read, "1.0.0", "read endpoints: list, get, history, recall, search, config, identity",
		 NULL, read_run, NULL)
