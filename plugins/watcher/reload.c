/*
 * A watcher "reload" case: config reload without restart. The steps change agent.yaml
 * (its auth mode) in both workspaces and an HTTP probe is asked on each side until its
 * answer changes or the deadline passes; the last answers are compared (the row drives
 * the probe's route, for route coverage), and a side that never reloads is the case's own
 * semantic divergence.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/clock.h"
#include "parity/result.h"
#include "parity/row.h"
#include "wt_run.h"

static long probe(struct ctx *x, int side, const json_t *p, struct ph_response *resp)
{
	struct ph_request req = {0};
	struct ph_err err;

	req.method = json_string_value(json_object_get(p, "method"));
	req.path = json_string_value(json_object_get(p, "path"));
	x->host->http(x->run, side, &req, resp, &err);
	resp->latency_ms = -1; /* the reload delay is what is timed, not this answer */
	return resp->error ? -1 : resp->status;
}

int wt_run_reload(struct ctx *x, const json_t *c, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const char *feature = json_string_value(json_object_get(c, "feature"));
	const json_t *p = json_object_get(c, "probe");
	long deadline = wt_num(c, "deadline_ms", x->set->deadline_ms);
	struct ph_response r[2] = {0};
	long s0[2], s1[2];
	double t_end[2], start;
	struct wt_outcome o = {.lat = {-1, -1}};
	char endpoint[512];
	int rc;

	if (!feature)
		feature = "WATCHER /config-reload";
	snprintf(endpoint, sizeof(endpoint), "%s %s",
		 json_string_value(json_object_get(p, "method")),
		 json_string_value(json_object_get(p, "path")));
	for (int s = 0; s < 2; s++) {
		s0[s] = s1[s] = probe(x, s, p, &r[s]);
		x->host->response_release(&r[s]);
		if (s0[s] < 0) {
			ph_error(&o.why, PH_E_HTTP, "%s did not answer the probe %s",
				 s ? "candidate" : "reference", endpoint);
			goto error;
		}
	}
	t_end[0] = t_end[1] = ph_now_ms();
	if (wt_apply_steps(x, json_object_get(c, "steps"), t_end, &o.why))
		goto error;
	start = t_end[0] < t_end[1] ? t_end[0] : t_end[1];
	while ((o.lat[0] < 0 || o.lat[1] < 0) && ph_now_ms() - start <= (double)deadline) {
		for (int s = 0; s < 2; s++) {
			if (o.lat[s] >= 0)
				continue;
			s1[s] = probe(x, s, p, &r[s]);
			x->host->response_release(&r[s]);
			if (s1[s] != s0[s])
				o.lat[s] = ph_now_ms() - t_end[s];
		}
		if (o.lat[0] < 0 || o.lat[1] < 0)
			ph_sleep_ms(50);
	}
	for (int s = 0; s < 2; s++)
		probe(x, s, p, &r[s]);
	if (o.lat[0] >= 0 && o.lat[1] < 0)
		ph_result_addf(&o.own, PH_SEMANTIC, "effect", "", json_integer(s0[1]), NULL,
			"the candidate still answers %s with %ld %ld ms after the change (the "
			"reference changed to %ld after %.0f ms): no reload without restart",
			endpoint, s0[1], deadline, s1[0], o.lat[0]);
	else if (o.lat[0] < 0 && o.lat[1] >= 0)
		ph_result_addf(&o.own, PH_SEMANTIC, "effect", "", NULL, json_integer(s1[1]),
			"the candidate changed its answer to %s (%ld -> %ld); the reference did not",
			endpoint, s0[1], s1[1]);
	else if (o.lat[0] < 0)
		x->host->log(x->run, PH_LOG_WARN,
			     "case '%s': neither runtime changed its answer to %s within %ld ms "
			     "(is the auth reload implemented?)",
			     name, endpoint, deadline);
	if ((rc = x->host->compare(x->run, endpoint, &r[0], &r[1], &o.hr, &o.why)))
		goto error;
	o.compared = 1;
	if (o.lat[0] >= 0)
		snprintf(o.summary, sizeof(o.summary), "%.200s: %ld -> %ld after %.0f ms", endpoint,
			 s0[0], r[0].status, o.lat[0]);
	else
		snprintf(o.summary, sizeof(o.summary), "%.200s: %ld, unchanged", endpoint,
			 r[0].status);
	goto out;
error:
	o.failed = 1;
out:
	rc = wt_finish(x, feature, name, &o, NULL);
	/* the probe's answers were compared: route coverage counts the probe's route */
	if (!rc && !o.failed)
		ph_row_annotate_route(x->host, x->run, endpoint, NULL);
	for (int s = 0; s < 2; s++)
		x->host->response_release(&r[s]);
	(void)err;
	return rc;
}
