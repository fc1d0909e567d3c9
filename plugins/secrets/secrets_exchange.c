/*
 * The secrets domain's API requests through the shared case exchange. Since 0.145 both
 * daemons run an exec as a job, waited for here so the row compares what the command did;
 * every answer is scrubbed of the values the suite stores before anything reads it, so an
 * unredacted value shows up as "<unredacted value of NAME>" and never in a report.
 */
#define _GNU_SOURCE /* memmem */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/clock.h"
#include "secrets.h"

/* Replace every known value in r->body by a marker naming its secret. */
static void scrub(const struct ctx *c, struct ph_response *r)
{
	for (size_t i = 0; r->body && i < c->n_k; i++) {
		const char *v = c->k[i].value;
		size_t vlen = strlen(v), at = 0;
		char mark[160];
		size_t mlen;

		if (!vlen)
			continue;
		mlen =
		    (size_t)snprintf(mark, sizeof(mark), "<unredacted value of %s>", c->k[i].name);
		if (mlen >= sizeof(mark))
			mlen = sizeof(mark) - 1;
		for (;;) {
			char *hit = memmem(r->body + at, r->body_len - at, v, vlen);
			char *nb;
			size_t off, nlen;

			if (!hit)
				break;
			off = (size_t)(hit - r->body);
			nlen = r->body_len - vlen + mlen;
			if (!(nb = malloc(nlen + 1)))
				break;
			memcpy(nb, r->body, off);
			memcpy(nb + off, mark, mlen);
			memcpy(nb + off + mlen, r->body + off + vlen, r->body_len - off - vlen);
			nb[nlen] = '\0';
			sodium_memzero(r->body, r->body_len);
			free(r->body);
			r->body = nb;
			r->body_len = nlen;
			at = off + mlen;
		}
	}
}

/* How long an exec job may take to finish, and how often it is asked. */
#define EXEC_JOB_WAIT_MS 20000
#define EXEC_JOB_POLL_MS 50

/* Is path an exec route ("/api/secrets/exec" or "/api/secrets/NAME/exec")? */
static int is_exec_path(const char *path)
{
	size_t n = strlen(path);

	return !strncmp(path, "/api/secrets/", strlen("/api/secrets/")) && n >= 5 &&
	       !strcmp(path + n - 5, "/exec");
}

/*
 * Since 0.145 both daemons run an exec as a job: 202 {id, status: "queued"|"running",
 * ...}, then GET /api/secrets/exec/<id> until it is "completed" or "failed". When r is
 * such an answer, wait for the job and put its last state into r's body (status kept), so
 * the row compares what the command did; the generated id is compared as {exec_job}.
 * Anything else is left as it is. Returns 0, or -1 when the job never ended (r->error).
 */
static int exec_settle(struct ctx *c, enum ph_side side, struct ph_response *r)
{
	json_t *doc = r->status == 202 ? json_loadb(r->body ? r->body : "", r->body_len, 0, NULL)
				       : NULL;
	const char *id = json_string_value(json_object_get(doc, "id"));
	char path[300];
	struct ph_err e;
	int waited = 0, rc = 0;

	if (!id || strlen(id) > 200 || strchr(id, '/') || strchr(id, '?')) {
		json_decref(doc);
		return 0;
	}
	c->host->canon_add(c->run, side, id, "{exec_job}", &e);
	snprintf(path, sizeof(path), "/api/secrets/exec/%s", id);
	json_decref(doc);
	for (;;) {
		struct ph_request req = {.method = "GET", .path = path};
		struct ph_response jr;
		const char *st;

		c->host->http(c->run, side, &req, &jr, &e);
		doc = jr.status == 200 ? json_loadb(jr.body ? jr.body : "", jr.body_len, 0, NULL)
				       : NULL;
		st = json_string_value(json_object_get(doc, "status"));
		if (st && strcmp(st, "queued") && strcmp(st, "running")) {
			free(r->body);
			r->body = jr.body;
			r->body_len = jr.body_len;
			jr.body = NULL;
			c->host->response_release(&jr);
			json_decref(doc);
			break;
		}
		json_decref(doc);
		c->host->response_release(&jr);
		if (waited >= EXEC_JOB_WAIT_MS || jr.error) {
			free(r->error);
			r->error = strdup(jr.error ? jr.error : "the exec job did not finish in 20 s");
			rc = -1;
			break;
		}
		ph_sleep_ms(EXEC_JOB_POLL_MS);
		waited += EXEC_JOB_POLL_MS;
	}
	return rc;
}

/* The job's state or the answer's status word, for a row's summary ("completed"). */
static const char *job_state(const struct ph_response *r, char *buf, size_t cap)
{
	json_t *doc = json_loadb(r->body ? r->body : "", r->body_len, 0, NULL);
	const char *st = json_string_value(json_object_get(doc, "status"));

	snprintf(buf, cap, "%s", st && json_object_get(doc, "id") ? st : "");
	json_decref(doc);
	return buf;
}

/* ---- the exchange's hooks ---- */

static int settle_and_scrub(void *ctx, enum ph_side side, struct ph_response pair[2],
			    struct ph_err *err)
{
	struct secrets_x *sx = ctx;

	(void)err;
	if (is_exec_path(sx->x.req[PH_REFERENCE].path))
		exec_settle(sx->c, side, &pair[side]);
	scrub(sx->c, &pair[side]);
	return 0;
}

static void step_summary(void *ctx, const struct ph_response *a, char *buf, size_t cap)
{
	struct secrets_x *sx = ctx;
	json_t *doc, *arr;
	char st[32];

	if (*job_state(a, st, sizeof(st)))
		snprintf(buf, cap, "%ld, job %s", a->status, st);
	else
		snprintf(buf, cap, "%ld", a->status);
	if (!sx->count_key)
		return;
	doc = json_loadb(a->body ? a->body : "", a->body_len, 0, NULL);
	arr = json_object_get(doc, sx->count_key);
	if (json_is_array(arr))
		snprintf(buf, cap, "%ld, %zu %s", a->status, json_array_size(arr), sx->count_key);
	json_decref(doc);
}

void secrets_x_init(struct secrets_x *sx, struct ctx *c, const char *method, const char *path,
		    const char *body, const char *count_key)
{
	memset(sx, 0, sizeof(*sx));
	sx->c = c;
	sx->count_key = count_key;
	sx->hdr.name = "Content-Type";
	sx->hdr.value = "application/json";
	sx->x.req[PH_REFERENCE] = (struct ph_request){.method = method,
						      .path = path,
						      .body = body,
						      .body_len = body ? strlen(body) : 0,
						      .headers = &sx->hdr,
						      .n_headers = 1};
	/* the secrets domain judges answers and files, not speed (see secrets.h) */
	sx->x.repeatable = 0;
	sx->x.turn = c->turns++;
	sx->x.ctx = sx;
	sx->x.rewrite = settle_and_scrub;
	sx->x.summary = step_summary;
}

long secrets_step(struct ctx *c, const char *feature, const char *case_name, const char *method,
		  const char *path, const char *body, const char *count_key)
{
	struct secrets_x sx;
	struct ph_err e;
	long status;

	secrets_x_init(&sx, c, method, path, body, count_key);
	sx.x.feature = feature;
	sx.x.case_name = case_name;
	sx.x.keep = 1;
	ph_exchange(c->host, c->run, &sx.x, &e);
	status = sx.x.answered ? sx.x.resp[PH_REFERENCE].status : 0;
	ph_exchange_release(c->host, &sx.x);
	return status;
}
