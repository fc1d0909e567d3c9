/*
 * The shadow side (proxy_int.h): workers pop the queue, replay each exchange to the shadow
 * (with its own names for the ids the primary made, ids.h), compare the answers with the
 * engine and the rules of `parity compare`, snapshot the rows a write touched when the
 * databases are given (state.h), and append an entry for every divergent exchange. A
 * monitor thread writes the rate-limited overflow events, so the primary path never
 * touches the log file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "parity/clock.h"
#include "compare/compare.h"
#include "compare/timestamp.h"
#include "parity/result.h"
#include "proxy/entry.h"
#include "proxy/state.h"
#include "proxy/proxy_int.h"

#define SHADOW_NICE 10 /* the workers' priority below the primary path's */

static int json_body(const char *body, size_t len, json_t **out)
{
	*out = body && len ? json_loadb(body, len, JSON_DECODE_ANY, NULL) : NULL;
	return *out != NULL;
}

int ph_px_answer_id(const char *body, size_t len, char *buf, size_t size)
{
	json_t *doc, *id;
	int ok = 0;

	if (!json_body(body, len, &doc))
		return 0;
	id = json_is_object(doc) ? json_object_get(doc, "id") : NULL;
	if (json_is_string(id)) {
		ok = snprintf(buf, size, "%s", json_string_value(id)) < (int)size;
	} else if (json_is_integer(id)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		ok = 1;
	}
	json_decref(doc);
	return ok;
}

/*
 * A time each side stamped when it was asked: the shadow is asked later, by the replay's
 * lag, so a value divergence between two timestamps no further apart than that lag (and
 * a second, for stamps cut to the second) is the replay's, not a difference.
 */
static int replay_lag(void *ctx, const struct ph_divergence *d)
{
	double lag_ms = *(const double *)ctx;
	long long a, b;

	return d->cls == PH_SEMANTIC && json_is_string(d->a) && json_is_string(d->b) &&
	       !ph_timestamp_parse(json_string_value(d->a), json_string_length(d->a), &a) &&
	       !ph_timestamp_parse(json_string_value(d->b), json_string_length(d->b), &b) &&
	       (double)llabs(b - a) <= lag_ms + 1000.0;
}

static void handle(struct ph_proxy *p, CURL *curl, struct task *t)
{
	struct ph_shadow_exchange x = { 0 };
	struct ph_result res = { 0 }, state = { 0 };
	struct ph_response a = { 0 }, b = { 0 };
	struct sink s = { 0 };
	struct ph_err err = { 0, "" };
	char path[2048], endpoint[2100];
	long status = 0;
	double latency = -1;
	int have_res = 0, have_state = 0, is_write = 0, have_ids = 0;
	char ida[256], idb[256], *uri_s = NULL, *body_s = NULL, *mapped = NULL, *same = NULL;
	char *pnamed = NULL;
	size_t body_s_len = 0, mapped_len = 0, same_len = 0, pnamed_len = 0;
	struct ph_latency_verdict lv;
	double lag;
	json_t *entry, *sstate = NULL;
	CURLcode cc;

	ph_shadow_strip_query(t->uri, path, sizeof(path));
	snprintf(endpoint, sizeof(endpoint), "%s %s", t->method, path);
	x.ts = t->ts;
	x.request_id = t->request_id;
	x.method = t->method;
	x.path = path;
	x.domain = p->cfg.map ? ph_domain_map_domain(p->cfg.map, t->method, path)
			      : PH_DOMAIN_UNMAPPED;
	x.status_primary = t->status;
	x.latency_primary = t->platency;
	x.latency_shadow = -1;
	pthread_mutex_lock(&p->compare_lock);
	{
		const struct ph_rule *r = ph_rules_lookup(p->cfg.rules, t->method, path);

		x.rule = r ? r->key : "default"; /* rules live as long as the proxy */
	}
	pthread_mutex_unlock(&p->compare_lock);
	if (t->too_large) {
		x.error = "too-large";
		goto write;
	}
	s.max = p->cfg.max_body;
	s.p = p;
	atomic_fetch_add(&p->replayed, 1);
	/* the shadow is asked with its own names for the ids the client took from the primary */
	if (p->ids) {
		uri_s = ph_id_map_uri_to_shadow(p->ids, t->uri);
		if (!ph_id_map_body(p->ids, 1, t->body, t->body_len, &body_s, &body_s_len))
			body_s = NULL;
	}
	cc = ph_px_transfer(curl, p->cfg.shadow, t->method, uri_s ? uri_s : t->uri, &t->headers,
		      body_s ? body_s : t->body, body_s ? body_s_len : t->body_len,
		      p->cfg.shadow_timeout_ms, &s, &status, &latency);
	free(uri_s);
	free(body_s);
	if (cc == CURLE_ABORTED_BY_CALLBACK) { /* stopped: the drain time is over */
		atomic_fetch_add(&p->abandoned, 1);
		ph_strbuf_release(&s.body);
		return;
	}
	if (cc != CURLE_OK || !status) {
		x.error = ph_px_shadow_error(cc, &s);
		x.status_shadow = status;
		atomic_fetch_add(&p->shadow_errors, 1);
		goto write;
	}
	x.status_shadow = status;
	x.latency_shadow = latency;
	is_write = !ph_proxy_replay_safe(t->method, t->uri) && t->status < 400 && status < 400;
	have_ids = is_write && ph_px_answer_id(t->pbody, t->pbody_len, ida, sizeof(ida)) &&
		   ph_px_answer_id(s.body.p, s.body.len, idb, sizeof(idb));
	if (p->ids && have_ids)
		ph_id_map_add(p->ids, ida, idb);
	/* the shadow's answer names the ids the primary's names, where they are paired */
	if (p->ids && !ph_id_map_body(p->ids, 0, s.body.p, s.body.len, &mapped, &mapped_len))
		mapped = NULL;
	/* and both say each instance's port, folder, ... by one name (same.h) */
	if (ph_same_body(&p->same, 1, mapped ? mapped : s.body.p, mapped ? mapped_len : s.body.len,
			 &same, &same_len)) {
		free(mapped);
		mapped = same;
		mapped_len = same_len;
	}
	if (!ph_same_body(&p->same, 0, t->pbody, t->pbody_len, &pnamed, &pnamed_len))
		pnamed = NULL;
	a.status = t->status;
	a.body = pnamed ? pnamed : t->pbody ? t->pbody : "";
	a.body_len = pnamed ? pnamed_len : t->pbody_len;
	a.latency_ms = -1; /* timing is judged over windows of exchanges, below */
	b.status = status;
	b.body = mapped ? mapped : s.body.p ? s.body.p : "";
	b.body_len = mapped ? mapped_len : s.body.len;
	b.latency_ms = -1;
	pthread_mutex_lock(&p->compare_lock);
	if (!ph_compare_responses(p->cfg.rules, endpoint, &a, &b, &p->cfg.timing, &res, &err))
		have_res = 1;
	pthread_mutex_unlock(&p->compare_lock);
	if (!have_res) {
		x.error = "garbage"; /* could not compare: out of memory */
		goto write;
	}
	lag = ph_now_ms() - t->answered_ms + (t->platency > 0 ? t->platency : 0);
	ph_result_drop(&res, replay_lag, &lag);
	atomic_fetch_add(&p->compared, 1);
	if (t->platency >= 0 && latency >= 0 &&
	    ph_latency_add(p->latency, x.rule, t->platency, latency, &lv))
		ph_result_addf(&res, PH_TIMING, "latency", "", json_real(lv.median_primary),
			       json_real(lv.median_shadow),
			       "median %.1f ms -> %.1f ms over the last %zu exchanges (Mann-Whitney p "
			       "%.3g)",
			       lv.median_primary, lv.median_shadow, lv.n, lv.p);
	/* the shadow's rows right after its answer, against the primary's right after its own */
	if (p->cfg.state_db_shadow && t->pstate && have_ids &&
	    !ph_state_snapshot(p->cfg.state_db_shadow, idb, &sstate, &err)) {
		pthread_mutex_lock(&p->compare_lock);
		have_state = !ph_state_compare(t->pstate, sstate, p->cfg.rules, &state, &err);
		pthread_mutex_unlock(&p->compare_lock);
		json_decref(sstate);
	}
write:
	entry = ph_shadow_entry_new(&x, have_res ? &res : NULL, have_state ? &state : NULL);
	if (entry) {
		atomic_fetch_add(&p->divergent, 1);
		ph_logfile_write(&p->log, entry);
		json_decref(entry);
	}
	if (have_res)
		ph_result_release(&res);
	if (have_state)
		ph_result_release(&state);
	free(mapped);
	free(pnamed);
	ph_strbuf_release(&s.body);
	ph_px_hdrs_clear(&s.headers);
}

static void worker_done(struct ph_proxy *p)
{
	pthread_mutex_lock(&p->stop_lock);
	p->workers_left--;
	pthread_cond_broadcast(&p->stop_cond);
	pthread_mutex_unlock(&p->stop_lock);
}

void *ph_px_worker(void *arg)
{
	struct ph_proxy *p = arg;
	CURL *curl = curl_easy_init();
	struct task *t;

	/*
	 * The shadow side yields to the primary path: on a busy machine its comparisons wait,
	 * the clients do not (Linux nices a thread by its id; a failure changes nothing).
	 */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), SHADOW_NICE);
	for (;;) {
		t = ph_queue_pop(&p->queue, -1); /* NULL: closed and empty */
		if (!t)
			break;
		if (atomic_load(&p->aborting) || !curl) {
			atomic_fetch_add(&p->abandoned, 1);
			ph_px_task_free(t);
			continue;
		}
		handle(p, curl, t);
		ph_px_task_free(t);
	}
	if (curl)
		curl_easy_cleanup(curl);
	worker_done(p);
	return NULL;
}

/* Write an overflow event at most once a second while the queue refuses work. */
void *ph_px_monitor(void *arg)
{
	struct ph_proxy *p = arg;

	while (!atomic_load(&p->stopping)) {
		unsigned long dropped;
		int i;

		for (i = 0; i < 10 && !atomic_load(&p->stopping); i++)
			ph_sleep_ms(100);
		dropped = ph_queue_dropped(&p->queue);
		if (dropped > p->dropped_logged) {
			json_t *e = ph_shadow_event_new("overflow");

			if (e) {
				json_object_set_new(e, "dropped",
						    json_integer((json_int_t)(dropped -
									      p->dropped_logged)));
				ph_logfile_write(&p->log, e);
				json_decref(e);
			}
			p->dropped_logged = dropped;
		}
	}
	return NULL;
}

