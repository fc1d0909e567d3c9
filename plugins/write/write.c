/*
 * The write domain: runs the step sequences of suites/write on both runtimes (each step
 * compared and recorded; an id a runtime generated is captured and used in that runtime's
 * later steps as "{id:<step>}", parity/labels.h), then compares what each runtime left in
 * its database for the memories the case touched: rows of memories, memory_history and (when the table
 * exists) memory_jobs, paired by natural key, with generated ids remapped to the label of
 * the step that created them and timestamps masked. Extraction work is the pipeline
 * domain's: `extract` jobs (which a remember queues when the pipeline is enabled, and the
 * worker then runs concurrently with the case's later steps) are left out here, and the
 * rules ignore memories.extraction_status for the same reason; the pipeline domain's
 * remember scenario compares both once the workers settled. Then two checks of the spec's
 * success metrics: crash consistency (SIGKILL during a burst of writes, restart, every memory
 * complete with its history or absent; one row per runtime) and rollback without data
 * loss (the reference runtime started on the candidate's workspace lists and recalls
 * every memory the candidate wrote).
 */
#define _GNU_SOURCE /* asprintf */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/labels.h"
#include "parity/plugin.h"
#include "parity/suite.h"
#include "write.h"

#define CRASH_MEMORIES 10
#define CRASH_BURST 20
#define CRASH_PATCHES 60
#define ROLLBACK_N 5
#define TIMING_MIN_SAMPLES 5

static const char *const side_names[2] = {"reference", "candidate"};

/* ---- labels: generated ids mapped to the step that created them ---- */

void ph_write_state_init(struct ph_write_state *ws)
{
	memset(ws, 0, sizeof(*ws));
	ws->labels[0] = json_object();
	ws->labels[1] = json_object();
	ws->touched = json_object();
	ws->latency = json_object();
}

void ph_write_state_release(struct ph_write_state *ws)
{
	json_decref(ws->labels[0]);
	json_decref(ws->labels[1]);
	json_decref(ws->touched);
	json_decref(ws->latency);
	memset(ws, 0, sizeof(*ws));
}

/* The label of id on side, or NULL when the id is not known. Borrowed. */
static const char *label_of(struct ph_write_state *ws, int side, const char *id)
{
	return json_string_value(json_object_get(ws->labels[side], id));
}

json_t *ph_write_rewrite_ids(struct ph_write_state *ws, int side, const json_t *v, int touch)
{
	const char *k, *l;
	json_t *out, *child;
	size_t i;

	if (json_is_string(v)) {
		l = label_of(ws, side, json_string_value(v));
		if (!l)
			return json_deep_copy(v);
		if (touch)
			json_object_set_new(ws->touched, l, json_true());
		return json_string(l);
	}
	if (json_is_object(v)) {
		out = json_object();
		json_object_foreach((json_t *)v, k, child)
		    json_object_set_new(out, k, ph_write_rewrite_ids(ws, side, child, touch));
		return out;
	}
	if (json_is_array(v)) {
		out = json_array();
		json_array_foreach(v, i, child)
		    json_array_append_new(out, ph_write_rewrite_ids(ws, side, child, touch));
		return out;
	}
	return json_deep_copy(v);
}

/* ---- small helpers ---- */

static char *dupf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *dupf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	return n < 0 ? NULL : s;
}

static json_t *body_json(const struct ph_response *r)
{
	return r->body ? json_loadb(r->body, r->body_len, 0, NULL) : NULL;
}

/* A row with one divergence of class cls, built here and freed here. */
static int record_check(const struct ph_host *host, struct ph_run *run, const char *feature,
			const char *case_name, const char *reference, enum ph_class cls,
			const char *kind, const char *message)
{
	struct ph_divergence dv = {0};
	struct ph_result res = {0};
	struct ph_row row = {0};

	row.feature = feature;
	row.case_name = case_name;
	row.reference = reference;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	if (cls == PH_ERROR) {
		row.cls = PH_ERROR;
		row.error = message;
	} else if (cls != PH_PARITY) {
		dv.cls = cls;
		dv.kind = kind;
		dv.path = (char *)"";
		dv.message = (char *)message;
		res.rule = (char *)feature;
		res.verdict = cls;
		res.count = 1;
		res.items = &dv;
		row.result = &res;
	}
	return host->record(run, &row);
}

/* ---- one case: its steps, then the database ---- */

struct step_req {
	struct ph_request req;
	struct ph_header headers[16];
	char *path;
	char *body;
};

static void step_req_release(struct step_req *sr)
{
	free(sr->path);
	free(sr->body);
}

/*
 * Build side's request for step s. Returns 0, 1 when a capture is missing (*why set,
 * caller frees), or a negative code for a malformed step.
 */
static int build_request(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
			 int side, const json_t *s, const char *where, const json_t *captured,
			 struct step_req *sr, char **why, struct ph_err *err)
{
	json_t *method = json_object_get(s, "method"), *path = json_object_get(s, "path");
	json_t *body = json_object_get(s, "body"), *text = json_object_get(s, "body_text");
	json_t *hdrs = json_object_get(s, "headers"), *v, *b;
	const char *k;
	char *missing = NULL, *seg, *save = NULL, *copy;
	size_t n = 0;

	memset(sr, 0, sizeof(*sr));
	*why = NULL;
	if (!json_is_string(method) || !json_is_string(path) || json_string_value(path)[0] != '/')
		return ph_error(err, PH_E_INVALID,
				"%s: %s: expected \"method\" and a \"path\" starting with /",
				host->suite_dir(run), where);
	if ((hdrs && !json_is_object(hdrs)) || (text && !json_is_string(text)))
		return ph_error(err, PH_E_INVALID,
				"%s: %s: headers must be an object and body_text a string",
				host->suite_dir(run), where);
	sr->req.method = json_string_value(method);
	sr->path = ph_labels_substitute(json_string_value(path), captured, &missing);
	if (!sr->path)
		goto missing;
	/* a path segment that is a known id (seeded or captured) is touched by the case */
	if ((copy = strdup(sr->path))) {
		copy[strcspn(copy, "?")] = '\0';
		for (seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
			const char *l = label_of(ws, side, seg);

			if (l)
				json_object_set_new(ws->touched, l, json_true());
		}
		free(copy);
	}
	sr->req.path = sr->path;
	if (body) {
		if (!(b = ph_labels_substitute_json(body, captured, &missing)))
			goto missing;
		json_decref(ph_write_rewrite_ids(ws, side, b, 1));
		sr->body = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
		json_decref(b);
		sr->req.body = sr->body;
		sr->req.body_len = sr->body ? strlen(sr->body) : 0;
	} else if (text) {
		sr->req.body = json_string_value(text);
		sr->req.body_len = json_string_length(text);
	}
	json_object_foreach(hdrs, k, v)
	{
		if (!json_is_string(v) || n == sizeof(sr->headers) / sizeof(sr->headers[0])) {
			step_req_release(sr);
			return ph_error(err, PH_E_INVALID,
					"%s: %s: headers.%s: expected a string (at most 16)",
					host->suite_dir(run), where, k);
		}
		sr->headers[n].name = k;
		sr->headers[n].value = json_string_value(v);
		n++;
	}
	sr->req.headers = sr->headers;
	sr->req.n_headers = n;
	return 0;
missing:
	*why = dupf("%s: no id was captured from step '%s' on the %s", where,
		    missing ? missing : "?", side_names[side]);
	free(missing);
	step_req_release(sr);
	return 1;
}

/*
 * After a step: capture the "id" its answer names (a new id gets the step's label), and
 * return the answer with known ids rewritten to labels, as a response to compare.
 */
static char *capture_and_rewrite(struct ph_write_state *ws, int side, const char *label,
				 const char *step_name, json_t *captured,
				 const struct ph_response *r)
{
	json_t *doc = body_json(r), *id, *rw;
	char *out;

	if (!doc)
		return NULL;
	id = json_object_get(doc, "id");
	if (json_is_string(id)) {
		if (!label_of(ws, side, json_string_value(id)))
			json_object_set_new(ws->labels[side], json_string_value(id),
					    json_string(label));
		json_object_set(captured, step_name, id);
	}
	rw = ph_write_rewrite_ids(ws, side, doc, 1);
	out = json_dumps(rw, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);
	json_decref(rw);
	json_decref(doc);
	return out;
}

static void summary_of(const struct ph_response *r, char *buf, size_t n)
{
	json_t *doc = body_json(r);
	const char *status = json_string_value(json_object_get(doc, "status"));

	snprintf(buf, n, "%ld%s%s%s", r->status, status ? " " : "", status ? status : "",
		 json_is_true(json_object_get(doc, "deduped")) ? " deduped" : "");
	json_decref(doc);
}

/* Note one step's latencies under its feature, for the per-feature timing rows. */
static void add_latency(struct ph_write_state *ws, const char *feature, const char *endpoint,
			double a, double b)
{
	json_t *f = json_object_get(ws->latency, feature);

	if (a < 0 || b < 0)
		return;
	if (!f) {
		f = json_pack("{s:s, s:[], s:[]}", "endpoint", endpoint, "a", "b");
		if (!f)
			return;
		json_object_set_new(ws->latency, feature, f);
	}
	json_array_append_new(json_object_get(f, "a"), json_real(a));
	json_array_append_new(json_object_get(f, "b"), json_real(b));
}

/* Run one step on both sides; returns 0, 1 to stop the case, or a negative code. */
static int run_step(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
		    const char *case_name, const json_t *c, const json_t *s, size_t k,
		    json_t *captured[2], struct ph_err *err)
{
	char defname[32], *where = NULL, *label = NULL, *why[2] = {NULL, NULL};
	char *rw[2] = {NULL, NULL}, *endpoint = NULL, summary[128];
	const char *step_name = json_string_value(json_object_get(s, "name")), *feature;
	struct step_req sr[2];
	struct ph_response resp[2], cmp[2];
	struct ph_result res = {0};
	struct ph_row row = {0};
	struct ph_err e;
	int rc = 0, built[2] = {0, 0}, i;

	memset(resp, 0, sizeof(resp));
	if (!step_name) {
		snprintf(defname, sizeof(defname), "step%zu", k + 1);
		step_name = defname;
	}
	feature = json_string_value(json_object_get(s, "feature"));
	if (!feature)
		feature = json_string_value(json_object_get(c, "feature"));
	where = dupf("case '%s' step '%s'", case_name, step_name);
	label = dupf("%s/%s", case_name, step_name);
	if (!where || !label) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		rc = build_request(host, run, ws, i, s, where, captured[i], &sr[i], &why[i], err);
		if (rc < 0)
			goto out;
		built[i] = rc == 0;
	}
	row.case_name = label;
	row.latency_reference_ms = row.latency_candidate_ms = -1;
	if (!built[0] || !built[1]) {
		row.feature = feature ? feature : "write step";
		row.cls = PH_ERROR;
		row.error = why[0] ? why[0] : why[1];
		row.reference = "not sent";
		rc = host->record(run, &row);
		rc = rc ? rc : 1;
		goto out;
	}
	/*
	 * Alternate which runtime is asked first: on a busy machine the first request after
	 * a pause is measurably slower, and always asking the same side first biases timing.
	 */
	for (i = 0; i < 2; i++) {
		int side = (int)(ws->steps % 2) ^ i;

		ph_err_clear(&e);
		host->http(run, (enum ph_side)side, &sr[side].req, &resp[side], &e);
	}
	ws->steps++;
	row.latency_reference_ms = resp[0].latency_ms;
	row.latency_candidate_ms = resp[1].latency_ms;
	if (resp[0].error || resp[1].error) {
		why[0] =
		    dupf("%s%s%s%s", resp[0].error ? "reference: " : "",
			 resp[0].error ? resp[0].error : "",
			 resp[1].error ? (resp[0].error ? "; candidate: " : "candidate: ") : "",
			 resp[1].error ? resp[1].error : "");
		row.feature = feature ? feature : "write step";
		row.cls = PH_ERROR;
		row.error = why[0];
		row.reference = resp[0].error ? "no answer" : "answered";
		rc = host->record(run, &row);
		rc = rc ? rc : 1;
		goto out;
	}
	for (i = 0; i < 2; i++) {
		rw[i] = capture_and_rewrite(ws, i, label, step_name, captured[i], &resp[i]);
		cmp[i] = resp[i];
		cmp[i].latency_ms = -1; /* one write is one sample: timing is judged per feature */
		if (rw[i]) {
			cmp[i].body = rw[i];
			cmp[i].body_len = strlen(rw[i]);
		}
	}
	endpoint = dupf("%s %s", sr[0].req.method, sr[0].req.path);
	if (!endpoint) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	summary_of(&resp[0], summary, sizeof(summary));
	row.reference = summary;
	if ((rc = host->compare(run, endpoint, &cmp[0], &cmp[1], &res, err))) {
		row.feature = feature ? feature : endpoint;
		row.cls = PH_ERROR;
		row.error = err->msg;
		rc = host->record(run, &row);
		goto out;
	}
	row.feature = feature ? feature : res.rule;
	row.result = &res;
	rc = host->record(run, &row);
	add_latency(ws, row.feature, endpoint, resp[0].latency_ms, resp[1].latency_ms);
out:
	if (built[0])
		step_req_release(&sr[0]);
	if (built[1])
		step_req_release(&sr[1]);
	host->response_release(&resp[0]);
	host->response_release(&resp[1]);
	host->result_release(&res);
	free(rw[0]);
	free(rw[1]);
	free(why[0]);
	free(why[1]);
	free(where);
	free(label);
	free(endpoint);
	return rc;
}

/* ---- database state ---- */

/* Mask timestamps: a column named *_at or last_accessed keeps only null versus set. */
static void mask_timestamps(json_t *row)
{
	const char *k;
	json_t *v;

	json_object_foreach(row, k, v)
	{
		size_t n = strlen(k);

		if (!json_is_null(v) &&
		    ((n > 3 && !strcmp(k + n - 3, "_at")) || !strcmp(k, "last_accessed")))
			json_object_set_new(row, k, json_string("<set>"));
	}
}

/* Is the memory label in the case's scope (touched, or first seen now)? */
static int in_scope(struct ph_write_state *ws, const char *label)
{
	return label && json_object_get(ws->touched, label) != NULL;
}

json_t *ph_write_normalise_memories(struct ph_write_state *ws, int side, const json_t *rows)
{
	json_t *out = json_array(), *r;
	size_t i;

	json_array_foreach(rows, i, r)
	{
		const char *id = json_string_value(json_object_get(r, "id"));
		const char *l = id ? label_of(ws, side, id) : NULL;
		json_t *row;

		if (!id)
			continue;
		if (!l) {
			/* a row no answer named: attribute it to this case, once */
			char *nl = dupf("new:%s",
					json_string_value(json_object_get(r, "content_hash"))
					    ? json_string_value(json_object_get(r, "content_hash"))
					    : id);

			if (!nl)
				continue;
			json_object_set_new(ws->labels[side], id, json_string(nl));
			json_object_set_new(ws->touched, nl, json_true());
			free(nl);
			l = label_of(ws, side, id);
		}
		if (!in_scope(ws, l))
			continue;
		row = ph_write_rewrite_ids(ws, side, r, 0);
		mask_timestamps(row);
		json_array_append_new(out, row);
	}
	return out;
}

json_t *ph_write_normalise_children(struct ph_write_state *ws, int side, const json_t *rows,
				    const char *kind_key)
{
	json_t *out = json_array(), *counts = json_object(), *r;
	size_t i;

	json_array_foreach(rows, i, r)
	{
		const char *mid = json_string_value(json_object_get(r, "memory_id"));
		const char *l = mid ? label_of(ws, side, mid) : NULL;
		const char *kind =
		    kind_key ? json_string_value(json_object_get(r, kind_key)) : NULL;
		char *key = NULL, *nid = NULL;
		json_int_t n;
		json_t *row;

		if (!l && mid) {
			/* a memory no answer named (and now absent): this case's, once */
			char *nl = dupf("new:%s", mid);

			if (nl) {
				json_object_set_new(ws->labels[side], mid, json_string(nl));
				json_object_set_new(ws->touched, nl, json_true());
				free(nl);
			}
			l = label_of(ws, side, mid);
		}
		if (!l)
			l = "?";
		key = dupf("%s/%s", l, kind ? kind : "");
		if (!key)
			continue;
		n = json_integer_value(json_object_get(counts, key)) + 1;
		json_object_set_new(counts, key, json_integer(n));
		if (in_scope(ws, l)) {
			nid = dupf("%s#%lld", key, (long long)n);
			row = ph_write_rewrite_ids(ws, side, r, 0);
			json_object_del(row, "_rowid");
			mask_timestamps(row);
			if (nid)
				json_object_set_new(row, "id", json_string(nid));
			json_array_append_new(out, row);
		}
		free(key);
		free(nid);
	}
	json_decref(counts);
	return out;
}

static int table_exists(const struct ph_host *host, struct ph_run *run, int side, const char *table,
			struct ph_err *err)
{
	char *sql =
	    dupf("SELECT 1 AS x FROM sqlite_master WHERE type = 'table' AND name = '%s'", table);
	json_t *rows = NULL;
	int rc, found;

	if (!sql)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = host->db_query(run, (enum ph_side)side, sql, &rows, err);
	free(sql);
	if (rc)
		return rc;
	found = json_array_size(rows) > 0;
	json_decref(rows);
	return found;
}

static const struct {
	const char *table;
	const char *sql;
	const char *kind_key; /* children: what numbers rows within a memory */
	int optional;
} tables[] = {
    {"memories", "SELECT * FROM memories ORDER BY rowid", NULL, 0},
    /*
     * History rows pair by event (<label>/<event>#<n>), not by position: one runtime's
     * extra row (the Rust daemon's "created" on remember) is then one extra member, not
     * a shift of every later pair.
     */
    {"memory_history", "SELECT rowid AS _rowid, * FROM memory_history ORDER BY rowid", "event",
     0},
    {"memory_jobs",
     "SELECT rowid AS _rowid, * FROM memory_jobs WHERE job_type IS NOT 'extract' ORDER BY rowid",
     "job_type", 1},
};

/* Compare the database state the case left, one row per table. */
static int compare_db(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
		      const char *case_name, struct ph_err *err)
{
	size_t t;
	int rc = 0;

	for (t = 0; t < sizeof(tables) / sizeof(tables[0]) && !rc; t++) {
		json_t *raw[2] = {NULL, NULL}, *norm[2] = {NULL, NULL};
		struct ph_result res = {0};
		struct ph_row row = {0};
		char feature[64], rule_key[64], summary[64], *why = NULL;
		int exists[2] = {1, 1}, i;
		struct ph_err e;

		snprintf(feature, sizeof(feature), "db: %s", tables[t].table);
		snprintf(rule_key, sizeof(rule_key), "DB /%s", tables[t].table);
		row.feature = feature;
		row.case_name = case_name;
		row.latency_reference_ms = row.latency_candidate_ms = -1;
		ph_err_clear(&e);
		for (i = 0; i < 2 && tables[t].optional; i++) {
			exists[i] = table_exists(host, run, i, tables[t].table, &e);
			if (exists[i] < 0)
				break;
		}
		if (exists[0] < 0 || exists[1] < 0) {
			row.cls = PH_ERROR;
			row.error = e.msg;
			rc = host->record(run, &row);
			continue;
		}
		if (!exists[0] && !exists[1])
			continue;
		if (exists[0] != exists[1]) {
			why = dupf("table %s exists only on the %s", tables[t].table,
				   side_names[exists[0] ? 0 : 1]);
			rc = record_check(host, run, feature, case_name,
					  exists[0] ? "table present" : "no table", PH_STRUCTURAL,
					  exists[0] ? "missing" : "extra", why ? why : "table");
			free(why);
			continue;
		}
		for (i = 0; i < 2; i++) {
			if (host->db_query(run, (enum ph_side)i, tables[t].sql, &raw[i], &e))
				break;
			norm[i] = tables[t].kind_key
				      ? ph_write_normalise_children(
					    ws, i, raw[i],
					    *tables[t].kind_key ? tables[t].kind_key : NULL)
				      : ph_write_normalise_memories(ws, i, raw[i]);
		}
		if (!norm[0] || !norm[1]) {
			why = dupf("%s: %s", side_names[i], e.msg);
			row.cls = PH_ERROR;
			row.error = why;
			rc = host->record(run, &row);
		} else if ((rc = host->compare_json(run, rule_key, norm[0], norm[1], &res, &e))) {
			row.cls = PH_ERROR;
			row.error = e.msg;
			rc = host->record(run, &row);
		} else {
			snprintf(summary, sizeof(summary), "%zu rows", json_array_size(norm[0]));
			row.reference = summary;
			row.result = &res;
			rc = host->record(run, &row);
		}
		host->result_release(&res);
		free(why);
		for (i = 0; i < 2; i++) {
			json_decref(raw[i]);
			json_decref(norm[i]);
		}
	}
	(void)err;
	return rc;
}

static int run_case(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
		    const json_t *c, struct ph_err *err)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	json_t *steps = json_object_get(c, "steps"), *one = NULL, *s;
	json_t *captured[2] = {json_object(), json_object()};
	size_t k;
	int rc = 0;

	json_object_clear(ws->touched);
	if (!steps) {
		one = json_array();
		json_array_append(one, (json_t *)c);
		steps = one;
	}
	if (!json_is_array(steps) || !json_array_size(steps)) {
		rc = ph_error(err, PH_E_INVALID, "%s: case '%s': steps: expected a non-empty array",
			      host->suite_dir(run), name);
		goto out;
	}
	json_array_foreach(steps, k, s)
	{
		if (!json_is_object(s)) {
			rc = ph_error(err, PH_E_INVALID,
				      "%s: case '%s': steps[%zu]: expected an object",
				      host->suite_dir(run), name, k);
			goto out;
		}
		rc = run_step(host, run, ws, name, c, s, k, captured, err);
		if (rc)
			break;
	}
	if (rc > 0)
		rc = 0; /* the case stopped early: compare what it left anyway */
	if (!rc)
		rc = compare_db(host, run, ws, name, err);
out:
	json_decref(one);
	json_decref(captured[0]);
	json_decref(captured[1]);
	return rc;
}

/*
 * Mark every memory id on both sides as known (itself) before the first case: those of
 * memories, and the memory_id of every history and job row already there, so rows the
 * seed phase left (TS's re-embed audit row names memory 'system') are in no case's scope
 * instead of being adopted, as unknown ids are, by the first case.
 */
static int seed_labels(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
		       struct ph_err *err)
{
	static const struct {
		const char *table, *sql;
		int optional;
	} known[] = {
	    {"memories", "SELECT id FROM memories", 0},
	    {"memory_history", "SELECT DISTINCT memory_id AS id FROM memory_history", 0},
	    {"memory_jobs", "SELECT DISTINCT memory_id AS id FROM memory_jobs", 1},
	};

	for (int i = 0; i < 2; i++) {
		for (size_t t = 0; t < sizeof(known) / sizeof(known[0]); t++) {
			json_t *rows = NULL, *r;
			size_t k;
			int rc = known[t].optional
				     ? table_exists(host, run, i, known[t].table, err)
				     : 1;

			if (rc > 0 &&
			    host->db_query(run, (enum ph_side)i, known[t].sql, &rows, err))
				rc = -1;
			if (rc < 0)
				return ph_error_prefix(err, "%s database", side_names[i]);
			json_array_foreach(rows, k, r)
			{
				json_t *id = json_object_get(r, "id");

				if (json_is_string(id) &&
				    !json_object_get(ws->labels[i], json_string_value(id)))
					json_object_set(ws->labels[i], json_string_value(id), id);
			}
			json_decref(rows);
		}
	}
	return 0;
}

/* ---- timing: one row per feature, medians of its steps ---- */

double ph_write_spread(const json_t *samples, double *iqr)
{
	size_t n = json_array_size(samples), i, j;
	double *v, m;

	if (iqr)
		*iqr = 0;
	if (!n || !(v = malloc(n * sizeof(*v))))
		return -1;
	for (i = 0; i < n; i++) {
		double x = json_number_value(json_array_get(samples, i));

		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	m = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	if (iqr)
		*iqr = v[(3 * n) / 4 < n ? (3 * n) / 4 : n - 1] - v[n / 4];
	free(v);
	return m;
}

static int timing_rows(const struct ph_host *host, struct ph_run *run, struct ph_write_state *ws,
		       struct ph_err *err)
{
	const char *feature;
	json_t *f;
	int rc = 0;

	json_object_foreach(ws->latency, feature, f)
	{
		struct ph_response a = {0}, b = {0};
		struct ph_result res = {0};
		struct ph_row row = {0};
		size_t n = json_array_size(json_object_get(f, "a"));
		char name[64], summary[64];
		double ia, ib;

		if (n < TIMING_MIN_SAMPLES)
			continue; /* too few writes to tell a slow runtime from a busy machine */
		a.status = b.status = 200;
		a.body = b.body = (char *)"{}";
		a.body_len = b.body_len = 2;
		a.latency_ms = ph_write_spread(json_object_get(f, "a"), &ia);
		b.latency_ms = ph_write_spread(json_object_get(f, "b"), &ib);
		snprintf(name, sizeof(name), "latency: median of %zu steps", n);
		snprintf(summary, sizeof(summary), "median %.1f ms", a.latency_ms);
		row.feature = feature;
		row.case_name = name;
		row.reference = summary;
		row.latency_reference_ms = a.latency_ms;
		row.latency_candidate_ms = b.latency_ms;
		/*
		 * As the core does for repeated cases: medians that differ by no more than
		 * the spread within a runtime are a busy machine, not a slow runtime.
		 */
		if (fabs(a.latency_ms - b.latency_ms) <= (ia > ib ? ia : ib))
			a.latency_ms = b.latency_ms = -1;
		if ((rc = host->compare(run, json_string_value(json_object_get(f, "endpoint")), &a,
					&b, &res, err)))
			return rc;
		row.result = &res;
		rc = host->record(run, &row);
		host->result_release(&res);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- crash consistency and rollback ---- */

/* POST a JSON body to one side; the answer's id (caller frees) or NULL. */
static char *post_id(const struct ph_host *host, struct ph_run *run, int side, const char *path,
		     const char *body, long timeout_ms)
{
	struct ph_request req = {0};
	struct ph_response resp;
	struct ph_err e;
	json_t *doc;
	char *id = NULL;

	req.method = "POST";
	req.path = path;
	req.body = body;
	req.body_len = strlen(body);
	req.timeout_ms = timeout_ms;
	host->http(run, (enum ph_side)side, &req, &resp, &e);
	if (!resp.error && resp.status == 200 && (doc = body_json(&resp))) {
		const char *s = json_string_value(json_object_get(doc, "id"));

		id = s ? strdup(s) : NULL;
		json_decref(doc);
	}
	host->response_release(&resp);
	return id;
}

static void fire(const struct ph_host *host, struct ph_run *run, int side, const char *method,
		 const char *path, const char *body)
{
	struct ph_request req = {0};
	struct ph_response resp;
	struct ph_err e;

	req.method = method;
	req.path = path;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	req.timeout_ms = 1; /* do not wait: the kill must land while writes are in flight */
	host->http(run, (enum ph_side)side, &req, &resp, &e);
	host->response_release(&resp);
}

/*
 * Check the crash batch of side: every memory's version equals 1 plus its recorded
 * changes, its deleted flag matches its last delete/recover event, and no history row
 * names a memory that is absent. Returns a message (caller frees) or NULL when complete.
 */
char *ph_write_crash_verdict(const json_t *memories, const json_t *orphans)
{
	json_t *m;
	size_t i;

	json_array_foreach(memories, i, m)
	{
		json_int_t version = json_integer_value(json_object_get(m, "version"));
		json_int_t changes = json_integer_value(json_object_get(m, "changes"));
		json_int_t deleted = json_integer_value(json_object_get(m, "is_deleted"));
		const char *last = json_string_value(json_object_get(m, "last_life"));
		const char *id = json_string_value(json_object_get(m, "id"));

		if (version != 1 + changes)
			return dupf("memory %s is at version %lld but has %lld recorded changes",
				    id ? id : "?", (long long)version, (long long)changes);
		if ((deleted != 0) != (last && !strcmp(last, "deleted")))
			return dupf(
			    "memory %s has is_deleted=%lld but its last lifecycle event is %s",
			    id ? id : "?", (long long)deleted, last ? last : "none");
	}
	if (json_array_size(orphans))
		return dupf(
		    "%zu history rows name a memory that does not exist (first: %s)",
		    json_array_size(orphans),
		    json_string_value(json_object_get(json_array_get(orphans, 0), "memory_id")));
	return NULL;
}

static int crash_check(const struct ph_host *host, struct ph_run *run, int side)
{
	char *ids[CRASH_MEMORIES] = {0}, *body, *path, *why = NULL, summary[96];
	json_t *mem = NULL, *orph = NULL;
	struct ph_err e;
	int made = 0, i, rc;
	char *sql_m, *sql_o;

	for (i = 0; i < CRASH_MEMORIES; i++) {
		body = dupf("{\"content\":\"crash batch %s %d: a memory written before the kill\","
			    "\"who\":\"parity\"}",
			    side_names[side], i);
		ids[i] = body ? post_id(host, run, side, "/api/memory/remember", body, 0) : NULL;
		made += ids[i] != NULL;
		free(body);
	}
	if (made < CRASH_MEMORIES) {
		why = dupf("only %d of %d remembers answered with an id before the crash", made,
			   CRASH_MEMORIES);
		rc = record_check(host, run, "crash consistency", side_names[side], "not run",
				  PH_ERROR, "crash", why ? why : "remember failed");
		goto out;
	}
	/*
	 * The burst: modify batches of CRASH_PATCHES patches (a few milliseconds of work
	 * each), with a delete and a recover every few batches, each sent without waiting for
	 * the answer, then SIGKILL while the runtime is still working. The two real daemons
	 * read a batch item differently: TS 0.145.7 takes its fields flat on the item (and
	 * ignores a "patch" key), the Rust daemon nested under "patch" (ignoring the flat
	 * ones; a flat-only item is a 422). Each item carries the same content both ways, so
	 * both apply it once. Single PATCH requests (a shape both accept) would not do: the
	 * Rust daemon applies one faster than the next arrives, so the kill would find it
	 * idle, with no write in flight.
	 */
	for (i = 0; i < CRASH_BURST; i++) {
		json_t *patches = json_array(), *doc;
		int k = (i / 5) % CRASH_MEMORIES;

		for (int j = 0; j < CRASH_PATCHES; j++) {
			char *content = dupf("crash batch %s %d: burst %d patch %d",
					     side_names[side], j % CRASH_MEMORIES, i, j);

			json_array_append_new(patches,
					      json_pack("{s:s, s:s?, s:{s:s?}}", "id",
							ids[j % CRASH_MEMORIES], "content", content,
							"patch", "content", content));
			free(content);
		}
		doc = json_pack("{s:o, s:s}", "patches", patches, "reason", "crash burst");
		body = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
		json_decref(doc);
		if (body)
			fire(host, run, side, "POST", "/api/memory/modify", body);
		free(body);
		if (i % 5 == 4) {
			path = dupf("/api/memory/%s?reason=crash%%20burst", ids[k]);
			if (path)
				fire(host, run, side, "DELETE", path, NULL);
			free(path);
			path = dupf("/api/memory/%s/recover", ids[k]);
			if (path)
				fire(host, run, side, "POST", path, "{\"reason\":\"crash burst\"}");
			free(path);
		}
	}
	ph_err_clear(&e);
	host->runtime_stop(run, (enum ph_side)side, 1, &e);
	ph_err_clear(&e);
	if (host->runtime_restart(run, (enum ph_side)side, NULL, &e)) {
		why = dupf("the %s did not start again after SIGKILL: %s", side_names[side], e.msg);
		rc =
		    record_check(host, run, "crash consistency", side_names[side], "restart failed",
				 PH_STRUCTURAL, "restart", why ? why : "restart");
		goto out;
	}
	sql_m = dupf("SELECT m.id, m.version, m.is_deleted,"
		     " (SELECT count(*) FROM memory_history h WHERE h.memory_id = m.id AND"
		     "  h.event IN ('updated', 'deleted', 'recovered')) AS changes,"
		     " (SELECT h.event FROM memory_history h WHERE h.memory_id = m.id AND"
		     "  h.event IN ('deleted', 'recovered') ORDER BY h.rowid DESC LIMIT 1)"
		     "  AS last_life"
		     " FROM memories m WHERE m.content LIKE 'crash batch %s %%'",
		     side_names[side]);
	sql_o = dupf("SELECT h.memory_id FROM memory_history h WHERE (h.new_content LIKE"
		     " 'crash batch %s %%' OR h.old_content LIKE 'crash batch %s %%') AND NOT"
		     " EXISTS (SELECT 1 FROM memories m WHERE m.id = h.memory_id)",
		     side_names[side], side_names[side]);
	ph_err_clear(&e);
	if (!sql_m || !sql_o || host->db_query(run, (enum ph_side)side, sql_m, &mem, &e) ||
	    host->db_query(run, (enum ph_side)side, sql_o, &orph, &e)) {
		why = dupf("cannot read the %s database after the crash: %s", side_names[side],
			   e.msg);
		rc = record_check(host, run, "crash consistency", side_names[side], "unreadable",
				  PH_ERROR, "crash", why ? why : "db");
	} else {
		json_int_t changes = 0;
		json_t *m;
		size_t n;

		/*
		 * The count shows the burst reached the runtime (0 would prove nothing); it
		 * varies from run to run, so it goes to the log, and the row stays diffable.
		 */
		json_array_foreach(mem, n, m)
		    changes += json_integer_value(json_object_get(m, "changes"));
		host->log(run, PH_LOG_INFO, "crash consistency: %s: %lld changes recorded "
			  "before the SIGKILL", side_names[side], (long long)changes);
		why = ph_write_crash_verdict(mem, orph);
		snprintf(summary, sizeof(summary), "%zu memories after SIGKILL, %s",
			 json_array_size(mem), why ? "incomplete" : "all complete");
		rc = record_check(host, run, "crash consistency", side_names[side], summary,
				  why ? PH_STRUCTURAL : PH_PARITY, "partial-write", why);
	}
	free(sql_m);
	free(sql_o);
out:
	for (i = 0; i < CRASH_MEMORIES; i++)
		free(ids[i]);
	free(why);
	json_decref(mem);
	json_decref(orph);
	return rc;
}

static const char *const rollback_words[ROLLBACK_N] = {"zephyr", "quartzite", "lanternfish",
						       "obsidian", "meridian"};

/* Is id among arr[].id? */
static int lists_id(const json_t *arr, const char *id)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
	{
		const char *s = json_string_value(json_object_get(v, "id"));

		if (s && !strcmp(s, id))
			return 1;
	}
	return 0;
}

static json_t *get_json(const struct ph_host *host, struct ph_run *run, int side,
			const char *method, const char *path, const char *body)
{
	struct ph_request req = {0};
	struct ph_response resp;
	struct ph_err e;
	json_t *doc = NULL;

	req.method = method;
	req.path = path;
	req.body = body;
	req.body_len = body ? strlen(body) : 0;
	host->http(run, (enum ph_side)side, &req, &resp, &e);
	if (!resp.error && resp.status == 200)
		doc = body_json(&resp);
	host->response_release(&resp);
	return doc;
}

static int rollback_check(const struct ph_host *host, struct ph_run *run)
{
	static const char feature[] = "rollback: reference reads candidate writes";
	char *ids[ROLLBACK_N] = {0}, *body, *why = NULL, summary[96];
	json_t *list = NULL;
	struct ph_err e;
	int i, listed = 0, recalled = 0, rc;

	for (i = 0; i < ROLLBACK_N; i++) {
		body = dupf("{\"content\":\"rollback check %d: the %s ledger entry must survive\","
			    "\"who\":\"parity\"}",
			    i, rollback_words[i]);
		ids[i] =
		    body ? post_id(host, run, PH_CANDIDATE, "/api/memory/remember", body, 0) : NULL;
		free(body);
		if (!ids[i]) {
			rc = record_check(host, run, feature, "rollback", "not run", PH_ERROR,
					  "rollback",
					  "the candidate did not answer a remember with an id");
			goto out;
		}
	}
	ph_err_clear(&e);
	host->runtime_stop(run, PH_CANDIDATE, 0, &e);
	host->runtime_stop(run, PH_REFERENCE, 0, &e);
	ph_err_clear(&e);
	if (host->runtime_restart(run, PH_REFERENCE, host->workspace(run, PH_CANDIDATE), &e)) {
		why = dupf("the reference runtime did not start on the candidate's workspace: %s",
			   e.msg);
		rc = record_check(host, run, feature, "rollback", "did not start", PH_STRUCTURAL,
				  "start", why ? why : "start");
		goto restore;
	}
	list = get_json(host, run, PH_REFERENCE, "GET", "/api/memories?limit=1000", NULL);
	for (i = 0; i < ROLLBACK_N; i++) {
		json_t *rec;

		listed += lists_id(json_object_get(list, "memories"), ids[i]);
		body = dupf("{\"query\":\"%s\",\"limit\":10}", rollback_words[i]);
		rec = body ? get_json(host, run, PH_REFERENCE, "POST", "/api/memory/recall", body)
			   : NULL;
		recalled += lists_id(json_object_get(rec, "results"), ids[i]);
		json_decref(rec);
		free(body);
	}
	snprintf(summary, sizeof(summary), "%d of %d listed, %d recalled", listed, ROLLBACK_N,
		 recalled);
	if (!list) {
		rc = record_check(host, run, feature, "rollback", summary, PH_STRUCTURAL, "list",
				  "the reference runtime on the candidate's workspace did not list "
				  "memories");
	} else if (listed < ROLLBACK_N || recalled < ROLLBACK_N) {
		why = dupf("memories the candidate wrote are lost on rollback: %s", summary);
		rc = record_check(host, run, feature, "rollback", summary, PH_SEMANTIC, "lost",
				  why ? why : summary);
	} else {
		rc = record_check(host, run, feature, "rollback", summary, PH_PARITY, NULL, NULL);
	}
restore:
	/* both back on their own workspaces, as the domain found them */
	ph_err_clear(&e);
	if (host->runtime_restart(run, PH_REFERENCE, NULL, &e) ||
	    host->runtime_restart(run, PH_CANDIDATE, NULL, &e))
		host->log(run, PH_LOG_WARN, "cannot restart after the rollback check: %s", e.msg);
out:
	for (i = 0; i < ROLLBACK_N; i++)
		free(ids[i]);
	free(why);
	json_decref(list);
	return rc;
}

/* ---- the plugin ---- */

static int write_run(void *state, const struct ph_host *host, struct ph_run *run,
		     struct ph_err *err)
{
	struct ph_write_state ws;
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
	ph_write_state_init(&ws);
	if ((rc = seed_labels(host, run, &ws, err)))
		goto out;
	host->progress(run, 0, (int)n + 3);
	json_array_foreach(cases, i, c)
	{
		if ((rc = run_case(host, run, &ws, c, err)))
			goto out; /* a malformed case: the suite is wrong, stop the domain */
		host->progress(run, (int)i + 1, (int)n + 3);
	}
	if ((rc = timing_rows(host, run, &ws, err)))
		goto out;
	for (i = 0; i < 2 && !rc; i++) {
		rc = crash_check(host, run, (int)i);
		host->progress(run, (int)(n + i + 1), (int)n + 3);
	}
	if (!rc)
		rc = rollback_check(host, run);
	host->progress(run, (int)n + 3, (int)n + 3);
	if (rc > 0)
		rc = 0;
	else if (rc)
		rc = ph_error(err, rc, "cannot record a row");
out:
	ph_write_state_release(&ws);
	json_decref(cases);
	return rc;
}

static const struct ph_plugin plugin = {
    PH_PLUGIN_HEADER,
    .name = "write",
    .version = "1.0.0",
    .description = "write endpoints step by step, database state, crash consistency, rollback",
    .run = write_run,
};

const struct ph_plugin *ph_write_plugin(void);

const struct ph_plugin *ph_write_plugin(void)
{
	return &plugin;
}
