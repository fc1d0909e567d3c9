/*
 * The cross-open check (checks.h), the rollback path: a runtime started on the other
 * runtime's workspace must get healthy and list as many memories as the owner listed on
 * it before. A runtime that cannot start there is a structural row carrying the reason,
 * not a harness error. The opened runtime is stopped again; the session starts the next
 * domain afresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"

void schema_list_memories(const struct ph_host *host, struct ph_run *run, enum ph_side side,
			  const struct schema_list_req *lr, struct listing *l)
{
	struct ph_request req;
	struct ph_response resp;
	struct ph_err err;
	json_t *doc, *arr;

	memset(&req, 0, sizeof(req));
	req.method = "GET";
	req.path = lr->path;
	l->status = 0;
	l->count = -1;
	l->why[0] = '\0';
	ph_err_clear(&err);
	host->http(run, side, &req, &resp, &err);
	if (resp.error) {
		snprintf(l->why, sizeof(l->why), "GET %s: %s", lr->path, resp.error);
		host->response_release(&resp);
		return;
	}
	l->status = resp.status;
	doc = json_loadb(resp.body ? resp.body : "", resp.body_len, 0, NULL);
	arr = json_object_get(doc, lr->array);
	if (json_is_array(arr))
		l->count = (long)json_array_size(arr);
	else
		snprintf(l->why, sizeof(l->why), "GET %s answered %ld without a \"%s\" array",
			 lr->path, resp.status, lr->array);
	json_decref(doc);
	host->response_release(&resp);
}

/* What is wrong with listing l of runtime who on owner's database, into res (0: nothing). */
static int judge_listing(const struct schema_list_req *lr, enum ph_side who, enum ph_side owner,
			 const struct listing *l, const struct listing *before,
			 struct ph_result *res)
{
	const char *w = schema_side_names[who], *o = schema_side_names[owner];
	char msg[1600];

	if (!l->status) {
		snprintf(msg, sizeof(msg), "the %s runtime on the %s's database: %s", w, o, l->why);
		return ph_result_add(res, PH_STRUCTURAL, "status", "", json_integer(200),
				     json_null(), msg);
	}
	if (l->status != 200) {
		snprintf(msg, sizeof(msg), "the %s runtime on the %s's database answered GET %s with %ld",
			 w, o, lr->path, l->status);
		return ph_result_add(res, PH_STRUCTURAL, "status", "", json_integer(200),
				     json_integer(l->status), msg);
	}
	if (l->count < 0) {
		snprintf(msg, sizeof(msg), "the %s runtime on the %s's database: %s", w, o, l->why);
		return ph_result_add(res, PH_STRUCTURAL, "type", lr->array, NULL, NULL, msg);
	}
	if (before->count >= 0 && l->count != before->count) {
		snprintf(msg, sizeof(msg),
			 "the %s runtime lists %ld memories from the %s's database, which "
			 "listed %ld itself",
			 w, l->count, o, before->count);
		return ph_result_add(res, PH_SEMANTIC, "length", lr->array,
				     json_integer(before->count), json_integer(l->count), msg);
	}
	return 0;
}

int schema_cross_open(const struct ph_host *host, struct ph_run *run, const char *case_name,
		      const struct schema_list_req *lr, enum ph_side who, const char *feature,
		      const struct listing *before)
{
	enum ph_side owner = who == PH_REFERENCE ? PH_CANDIDATE : PH_REFERENCE;
	struct ph_result res;
	struct listing l;
	struct ph_err err;
	char summary[128], msg[1600];
	int rc;

	memset(&res, 0, sizeof(res));
	if (before->count >= 0)
		snprintf(summary, sizeof(summary), "healthy, 200, %ld memories", before->count);
	else
		snprintf(summary, sizeof(summary), "healthy, 200");
	ph_err_clear(&err);
	rc = host->runtime_restart(run, who, host->workspace(run, owner), &err);
	if (rc == PH_E_INTERRUPTED || rc == PH_E_NOMEM)
		return rc;
	if (rc) {
		snprintf(msg, sizeof(msg), "the %s runtime could not open the %s's database: %s",
			 schema_side_names[who], schema_side_names[owner], err.msg);
		rc = ph_result_add(&res, PH_STRUCTURAL, "start", "", NULL, NULL, msg);
	} else {
		schema_list_memories(host, run, who, lr, &l);
		rc = judge_listing(lr, who, owner, &l, before, &res);
		ph_err_clear(&err);
		if (host->runtime_stop(run, who, 0, &err))
			host->log(run, PH_LOG_WARN, "cannot stop the %s runtime: %s",
				  schema_side_names[who], err.msg);
	}
	if (!rc)
		rc = schema_record(host, run, feature, case_name, summary, &res);
	host->result_release(&res);
	return rc;
}
