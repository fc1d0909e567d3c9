/*
 * The primary path (proxy_int.h), in libmicrohttpd's connection threads: collect the
 * request, send it to the primary on a pooled libcurl handle (keep-alive), queue the
 * primary's answer to the client unchanged, and only then try-push the exchange to the
 * shadow queue, which never waits. Which requests may be replayed without --shadow-writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parity/clock.h"
#include "proxy/entry.h"
#include "proxy/proxy_int.h"
#include "proxy/state.h"

static CURL *pool_take(struct ph_proxy *p)
{
	CURL *c = NULL;

	pthread_mutex_lock(&p->pool_lock);
	if (p->n_pool)
		c = p->pool[--p->n_pool];
	pthread_mutex_unlock(&p->pool_lock);
	return c ? c : curl_easy_init();
}

static void pool_give(struct ph_proxy *p, CURL *c)
{
	pthread_mutex_lock(&p->pool_lock);
	if (p->n_pool < POOL_MAX) {
		p->pool[p->n_pool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&p->pool_lock);
	if (c)
		curl_easy_cleanup(c);
}

void ph_px_task_free(struct task *t)
{
	if (!t)
		return;
	free(t->uri);
	ph_px_hdrs_clear(&t->headers);
	free(t->body);
	free(t->pbody);
	json_decref(t->pstate);
	free(t);
}

static int method_is(const char *m, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(m, *list))
			return 1;
	return 0;
}

int ph_proxy_replay_safe(const char *method, const char *path)
{
	static const char *const safe[] = { "GET", "HEAD", "OPTIONS", NULL };
	static const char *const read_posts[] = { "/api/memory/recall", "/api/memory/search",
						  NULL };
	size_t n = strcspn(path, "?#");
	const char *const *r;

	if (method_is(method, safe))
		return 1;
	if (strcmp(method, "POST"))
		return 0;
	for (r = read_posts; *r; r++)
		if (strlen(*r) == n && !strncmp(path, *r, n))
			return 1;
	return 0;
}

static enum MHD_Result answer_text(struct MHD_Connection *c, unsigned status, const char *text)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "application/json");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

/*
 * After the primary's answer is queued: build the exchange for the shadow workers, kept in
 * rq until the answer has been sent (ph_px_on_completed hands it over).
 */
static void prepare_task(struct ph_proxy *p, const char *method, struct req *rq, struct hdrs *h,
			 long status, struct sink *ps, double latency)
{
	struct task *t;
	unsigned long n = atomic_fetch_add(&p->seq, 1) + 1;

	if (!p->cfg.shadow_writes && !ph_proxy_replay_safe(method, rq->uri)) {
		atomic_fetch_add(&p->skipped_writes, 1);
		return;
	}
	if (!(t = calloc(1, sizeof(*t))))
		return;
	snprintf(t->method, sizeof(t->method), "%s", method);
	ph_shadow_ts(t->ts, sizeof(t->ts));
	t->answered_ms = ph_now_ms();
	snprintf(t->request_id, sizeof(t->request_id), "ps-%s-%06lu", p->id_prefix, n);
	t->status = status;
	t->platency = latency;
	t->uri = rq->uri;
	rq->uri = NULL;
	if (rq->body.len > p->cfg.max_body || ps->body.len > p->cfg.max_body) {
		t->too_large = 1;
	} else {
		t->headers = *h;
		memset(h, 0, sizeof(*h));
		t->body_len = rq->body.len;
		t->body = ph_strbuf_take(&rq->body);
		t->pbody_len = ps->body.len;
		t->pbody = ph_strbuf_take(&ps->body);
	}
	rq->task = t;
}

/*
 * The primary's answer has gone to the client: read the rows its write left (before this
 * connection's next request can change them), then try-push the exchange, never waiting.
 */
static void hand_over(struct ph_proxy *p, struct task *t)
{
	char id[256];
	struct ph_err err;

	if (p->cfg.state_db_primary && !t->too_large && t->status < 400 &&
	    !ph_proxy_replay_safe(t->method, t->uri) &&
	    ph_px_answer_id(t->pbody, t->pbody_len, id, sizeof(id)) &&
	    ph_state_snapshot(p->cfg.state_db_primary, id, &t->pstate, &err))
		t->pstate = NULL;
	if (ph_queue_try_push(&p->queue, t))
		ph_px_task_free(t);
}

enum MHD_Result ph_px_on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload, size_t *upload_size, void **con_cls)
{
	struct ph_proxy *p = cls;
	struct req *rq = *con_cls;
	struct hdrs h = { 0 };
	struct sink s = { 0 };
	struct MHD_Response *r;
	enum MHD_Result rc;
	long status = 0;
	double latency = -1;
	CURLcode cc;
	CURL *curl;
	size_t i;

	(void)url, (void)version;
	if (!rq)
		return MHD_NO; /* the URI callback failed to allocate */
	if (!rq->started) {
		rq->started = 1;
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->body.len + *upload_size > HARD_MAX_BODY)
			rq->body_too_big = 1;
		else
			ph_strbuf_addn(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	atomic_fetch_add(&p->forwarded, 1);
	if (rq->body_too_big || rq->body.oom)
		return answer_text(c, MHD_HTTP_CONTENT_TOO_LARGE,
				   "{\"error\":\"parity shadow: request body too large\"}");
	MHD_get_connection_values(c, MHD_HEADER_KIND, ph_px_collect_header, &h);
	s.max = HARD_MAX_BODY;
	s.want_headers = 1;
	if (!(curl = pool_take(p))) {
		ph_px_hdrs_clear(&h);
		return MHD_NO;
	}
	cc = ph_px_transfer(curl, p->cfg.primary, method, rq->uri, &h, rq->body.p, rq->body.len,
		      p->cfg.primary_timeout_ms, &s, &status, &latency);
	pool_give(p, curl);
	if (cc != CURLE_OK || !status) {
		atomic_fetch_add(&p->primary_errors, 1);
		ph_px_hdrs_clear(&h);
		ph_px_hdrs_clear(&s.headers);
		ph_strbuf_release(&s.body);
		return answer_text(c, MHD_HTTP_BAD_GATEWAY,
				   cc == CURLE_OPERATION_TIMEDOUT
				       ? "{\"error\":\"parity shadow: the primary timed out\"}"
				       : "{\"error\":\"parity shadow: the primary did not answer\"}");
	}
	r = MHD_create_response_from_buffer(s.body.len, s.body.p ? s.body.p : (void *)"",
					    MHD_RESPMEM_MUST_COPY);
	if (!r) {
		ph_px_hdrs_clear(&h);
		ph_px_hdrs_clear(&s.headers);
		ph_strbuf_release(&s.body);
		return MHD_NO;
	}
	for (i = 0; i < s.headers.n; i++) {
		char *line = s.headers.v[i], *colon = strchr(line, ':');

		*colon = '\0';
		MHD_add_response_header(r, line, colon + 2);
		*colon = ':';
	}
	rc = MHD_queue_response(c, (unsigned)status, r);
	MHD_destroy_response(r);
	if (rc == MHD_YES && !atomic_load(&p->stopping))
		prepare_task(p, method, rq, &h, status, &s, latency);
	ph_px_hdrs_clear(&h);
	ph_px_hdrs_clear(&s.headers);
	ph_strbuf_release(&s.body);
	return rc;
}

void *ph_px_on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *rq = calloc(1, sizeof(*rq));

	(void)cls, (void)c;
	if (rq && !(rq->uri = strdup(uri && *uri ? uri : "/"))) {
		free(rq);
		rq = NULL;
	}
	return rq;
}

void ph_px_on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct ph_proxy *p = cls;
	struct req *rq = *con_cls;

	(void)c;
	if (!rq)
		return;
	if (rq->task) {
		if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK && !atomic_load(&p->stopping))
			hand_over(p, rq->task);
		else
			ph_px_task_free(rq->task); /* the client never got the answer whole */
	}
	free(rq->uri);
	ph_strbuf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

