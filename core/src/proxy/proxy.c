/*
 * The live shadow proxy (proxy.h). The primary path runs in libmicrohttpd's connection
 * threads: collect the request, send it to the primary on a pooled libcurl handle
 * (keep-alive), queue the primary's answer to the client, and only then try-push the
 * exchange to the shadow queue. Shadow workers pop, replay, compare, and write. A
 * monitor thread writes the rate-limited overflow events, so the primary path never
 * touches the log file.
 */
#include "proxy/proxy.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <curl/curl.h>
#include <microhttpd.h>

#include "parity/clock.h"
#include "parity/strbuf.h"
#include "compare/compare.h"
#include "proxy/entry.h"
#include "proxy/ids.h"
#include "proxy/logfile.h"
#include "proxy/queue.h"
#include "proxy/state.h"

#define MAX_WORKERS 16
#define POOL_MAX 64			   /* idle primary handles kept */
#define HARD_MAX_BODY ((size_t)256 << 20) /* past this even the primary path gives up */
#define ID_PAIRS 65536			   /* generated ids remembered per side (ids.h) */

/* One header line "Name: value", as libcurl takes it. */
struct hdrs {
	char **v;
	size_t n, cap;
};

/* One request on its way through the primary path. */
struct req {
	char *uri; /* raw, with its query string */
	int started;
	struct ph_strbuf body;
	int body_too_big; /* over HARD_MAX_BODY */
};

/* One exchange handed to the shadow workers. */
struct task {
	char method[16];
	char *uri;
	struct hdrs headers;
	char *body;
	size_t body_len;
	long status;	   /* the primary's */
	char *pbody;	   /* the primary's answer */
	size_t pbody_len;
	double platency;
	int too_large;
	char ts[32];
	char request_id[32];
};

struct ph_proxy {
	struct ph_proxy_config cfg;
	struct MHD_Daemon *mhd;
	int port;
	struct ph_queue queue;
	struct ph_logfile log;
	pthread_t workers[MAX_WORKERS];
	int n_workers;
	pthread_t monitor;
	int monitor_started;
	pthread_mutex_t compare_lock; /* the rules count their pattern hits */
	pthread_mutex_t pool_lock;
	CURL *pool[POOL_MAX];
	int n_pool;
	atomic_int aborting; /* drain time is over: abandon transfers */
	atomic_int stopping;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	int workers_left;
	atomic_ulong forwarded, primary_errors, replayed, compared, divergent, skipped_writes,
	    shadow_errors, seq, abandoned;
	unsigned long dropped_logged;
	char id_prefix[16];
	struct ph_id_map *ids; /* with shadow_writes: the ids each side made, paired */
};

/* ---- headers ---- */

static const char *const hop_by_hop[] = {
	"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
	"trailer", "transfer-encoding", "upgrade", "content-length", "host", "expect",
	"accept-encoding", NULL
};

static int is_hop(const char *name, size_t n)
{
	size_t i;

	for (i = 0; hop_by_hop[i]; i++)
		if (strlen(hop_by_hop[i]) == n && !strncasecmp(hop_by_hop[i], name, n))
			return 1;
	return 0;
}

static int hdrs_add(struct hdrs *h, const char *name, size_t nn, const char *value, size_t vn)
{
	char *line;

	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 16;
		char **v = realloc(h->v, cap * sizeof(*v));

		if (!v)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	if (!(line = malloc(nn + vn + 3)))
		return -1;
	memcpy(line, name, nn);
	memcpy(line + nn, ": ", 2);
	memcpy(line + nn + 2, value, vn);
	line[nn + vn + 2] = '\0';
	h->v[h->n++] = line;
	return 0;
}

static void hdrs_clear(struct hdrs *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->v[i]);
	free(h->v);
	memset(h, 0, sizeof(*h));
}

/* The curl list of h, with curl's own Expect and Accept suppressed unless given. */
static struct curl_slist *hdrs_slist(const struct hdrs *h)
{
	struct curl_slist *l = NULL, *t;
	size_t i;

	for (i = 0; i < h->n; i++) {
		if (!(t = curl_slist_append(l, h->v[i])))
			goto fail;
		l = t;
	}
	if (!(t = curl_slist_append(l, "Expect:")))
		goto fail;
	l = t;
	for (i = 0; i < h->n; i++)
		if (!strncasecmp(h->v[i], "content-type:", 13))
			return l;
	if (!(t = curl_slist_append(l, "Content-Type:"))) /* curl adds one to POSTs */
		goto fail;
	return t;
fail:
	curl_slist_free_all(l);
	return NULL;
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct hdrs *h = cls;
	size_t kn = strlen(key);

	(void)kind;
	if (!is_hop(key, kn) && !strpbrk(key, "\r\n") && !strpbrk(value ? value : "", "\r\n"))
		hdrs_add(h, key, kn, value ? value : "", value ? strlen(value) : 0);
	return MHD_YES;
}

/* ---- one transfer with libcurl ---- */

/* What a transfer collects. */
struct sink {
	struct ph_strbuf body;
	size_t max;
	int overflow;
	struct hdrs headers; /* response headers, hop-by-hop ones dropped (primary only) */
	int want_headers;
	struct ph_proxy *p;  /* abort when p->aborting (shadow only) */
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;

	if (n > s->max - s->body.len) {
		s->overflow = 1;
		return 0;
	}
	ph_strbuf_addn(&s->body, data, n);
	return s->body.oom ? 0 : n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb, k;
	const char *colon, *v, *end = data + n;

	if (!s->want_headers)
		return n;
	if (n >= 5 && !memcmp(data, "HTTP/", 5)) { /* a new response (after 1xx) */
		hdrs_clear(&s->headers);
		return n;
	}
	colon = memchr(data, ':', n);
	if (!colon || colon == data || data[0] == ' ' || data[0] == '\t')
		return n;
	k = (size_t)(colon - data);
	if (is_hop(data, k))
		return n;
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	hdrs_add(&s->headers, data, k, v, (size_t)(end - v));
	return n;
}

static int on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct sink *s = user;

	(void)dt, (void)dn, (void)ut, (void)un;
	return s->p && atomic_load(&s->p->aborting);
}

/* Send method uri (headers, body) to base on c; fills s; returns the curl code. */
static CURLcode transfer(CURL *c, const char *base, const char *method, const char *uri,
			 const struct hdrs *headers, const char *body, size_t body_len,
			 long timeout_ms, struct sink *s, long *status, double *latency_ms)
{
	struct curl_slist *l = hdrs_slist(headers);
	char *url = ph_strdup_printf("%s%s", base, uri);
	curl_off_t us = 0;
	CURLcode cc;

	*status = 0;
	*latency_ms = -1;
	if (!url || !l) {
		free(url);
		curl_slist_free_all(l);
		return CURLE_OUT_OF_MEMORY;
	}
	curl_easy_reset(c); /* keeps the live connection */
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms < 2000 ? timeout_ms : 2000L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	if (s->p) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (!strcmp(method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(method, "GET") && !body_len) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else {
		if (body_len || !strcmp(method, "POST") || !strcmp(method, "PUT") ||
		    !strcmp(method, "PATCH")) {
			curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
			curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
		}
		if (strcmp(method, "POST"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK && us >= 0)
		*latency_ms = (double)us / 1000.0;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(l);
	free(url);
	return cc;
}

/* Why a shadow transfer failed, as the log names it. */
static const char *shadow_error(CURLcode cc, const struct sink *s)
{
	if (s->overflow)
		return "too-large";
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_ABORTED_BY_CALLBACK:
		return "timeout";
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return "connect";
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
		return "reset";
	default:
		return "garbage";
	}
}

/* ---- the primary path ---- */

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

static void task_free(struct task *t)
{
	if (!t)
		return;
	free(t->uri);
	hdrs_clear(&t->headers);
	free(t->body);
	free(t->pbody);
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

/* After the primary's answer is queued: hand the exchange to the shadow workers. */
static void hand_over(struct ph_proxy *p, const char *method, struct req *rq, struct hdrs *h,
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
	if (ph_queue_try_push(&p->queue, t))
		task_free(t);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
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
	MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, &h);
	s.max = HARD_MAX_BODY;
	s.want_headers = 1;
	if (!(curl = pool_take(p))) {
		hdrs_clear(&h);
		return MHD_NO;
	}
	cc = transfer(curl, p->cfg.primary, method, rq->uri, &h, rq->body.p, rq->body.len,
		      p->cfg.primary_timeout_ms, &s, &status, &latency);
	pool_give(p, curl);
	if (cc != CURLE_OK || !status) {
		atomic_fetch_add(&p->primary_errors, 1);
		hdrs_clear(&h);
		hdrs_clear(&s.headers);
		ph_strbuf_release(&s.body);
		return answer_text(c, MHD_HTTP_BAD_GATEWAY,
				   cc == CURLE_OPERATION_TIMEDOUT
				       ? "{\"error\":\"parity shadow: the primary timed out\"}"
				       : "{\"error\":\"parity shadow: the primary did not answer\"}");
	}
	r = MHD_create_response_from_buffer(s.body.len, s.body.p ? s.body.p : (void *)"",
					    MHD_RESPMEM_MUST_COPY);
	if (!r) {
		hdrs_clear(&h);
		hdrs_clear(&s.headers);
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
		hand_over(p, method, rq, &h, status, &s, latency);
	hdrs_clear(&h);
	hdrs_clear(&s.headers);
	ph_strbuf_release(&s.body);
	return rc;
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct req *rq = calloc(1, sizeof(*rq));

	(void)cls, (void)c;
	if (rq && !(rq->uri = strdup(uri && *uri ? uri : "/"))) {
		free(rq);
		rq = NULL;
	}
	return rq;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (!rq)
		return;
	free(rq->uri);
	ph_strbuf_release(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ---- the shadow side ---- */

static int json_body(const char *body, size_t len, json_t **out)
{
	*out = body && len ? json_loadb(body, len, JSON_DECODE_ANY, NULL) : NULL;
	return *out != NULL;
}

/* The "id" of a JSON answer (a string or integer), copied into buf; 0 when none. */
static int answer_id(const char *body, size_t len, char *buf, size_t size)
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
	char ida[256], idb[256], *uri_s = NULL, *body_s = NULL, *mapped = NULL;
	size_t body_s_len = 0, mapped_len = 0;
	json_t *entry;
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
	cc = transfer(curl, p->cfg.shadow, t->method, uri_s ? uri_s : t->uri, &t->headers,
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
		x.error = shadow_error(cc, &s);
		x.status_shadow = status;
		atomic_fetch_add(&p->shadow_errors, 1);
		goto write;
	}
	x.status_shadow = status;
	x.latency_shadow = latency;
	is_write = !ph_proxy_replay_safe(t->method, t->uri) && t->status < 400 && status < 400;
	have_ids = is_write && answer_id(t->pbody, t->pbody_len, ida, sizeof(ida)) &&
		   answer_id(s.body.p, s.body.len, idb, sizeof(idb));
	if (p->ids && have_ids)
		ph_id_map_add(p->ids, ida, idb);
	/* the shadow's answer names the ids the primary's names, where they are paired */
	if (p->ids && !ph_id_map_body(p->ids, 0, s.body.p, s.body.len, &mapped, &mapped_len))
		mapped = NULL;
	a.status = t->status;
	a.body = t->pbody ? t->pbody : "";
	a.body_len = t->pbody_len;
	a.latency_ms = t->platency;
	b.status = status;
	b.body = mapped ? mapped : s.body.p ? s.body.p : "";
	b.body_len = mapped ? mapped_len : s.body.len;
	b.latency_ms = latency;
	pthread_mutex_lock(&p->compare_lock);
	if (!ph_compare_responses(p->cfg.rules, endpoint, &a, &b, &p->cfg.timing, &res, &err))
		have_res = 1;
	pthread_mutex_unlock(&p->compare_lock);
	if (!have_res) {
		x.error = "garbage"; /* could not compare: out of memory */
		goto write;
	}
	atomic_fetch_add(&p->compared, 1);
	if (p->cfg.state_db_primary && p->cfg.state_db_shadow && have_ids) {
		pthread_mutex_lock(&p->compare_lock);
		have_state = !ph_state_diff(p->cfg.state_db_primary, p->cfg.state_db_shadow, ida,
					    idb, p->cfg.rules, &state, &err);
		pthread_mutex_unlock(&p->compare_lock);
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
	ph_strbuf_release(&s.body);
	hdrs_clear(&s.headers);
}

static void worker_done(struct ph_proxy *p)
{
	pthread_mutex_lock(&p->stop_lock);
	p->workers_left--;
	pthread_cond_broadcast(&p->stop_cond);
	pthread_mutex_unlock(&p->stop_lock);
}

static void *worker(void *arg)
{
	struct ph_proxy *p = arg;
	CURL *curl = curl_easy_init();
	struct task *t;

	for (;;) {
		t = ph_queue_pop(&p->queue, -1); /* NULL: closed and empty */
		if (!t)
			break;
		if (atomic_load(&p->aborting) || !curl) {
			atomic_fetch_add(&p->abandoned, 1);
			task_free(t);
			continue;
		}
		handle(p, curl, t);
		task_free(t);
	}
	if (curl)
		curl_easy_cleanup(curl);
	worker_done(p);
	return NULL;
}

/* Write an overflow event at most once a second while the queue refuses work. */
static void *monitor(void *arg)
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

/* ---- start and stop ---- */

/* Does base accept a TCP connection? */
static int reachable(const char *base, long timeout_ms, char *why, size_t n)
{
	CURL *c = curl_easy_init();
	CURLcode cc;

	if (!c) {
		snprintf(why, n, "out of memory");
		return 0;
	}
	curl_easy_setopt(c, CURLOPT_URL, base);
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
	cc = curl_easy_perform(c);
	if (cc != CURLE_OK)
		snprintf(why, n, "%s", curl_easy_strerror(cc));
	curl_easy_cleanup(c);
	return cc == CURLE_OK;
}

static int listen_addr(const struct ph_proxy_config *cfg, struct sockaddr_storage *ss,
		       int *v6)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, cfg->bind, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)cfg->port);
		*v6 = 0;
		return 0;
	}
	if (inet_pton(AF_INET6, cfg->bind, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->port);
		*v6 = 1;
		return 0;
	}
	return -1;
}

static void stop_threads(struct ph_proxy *p)
{
	int i;

	atomic_store(&p->stopping, 1);
	ph_queue_close(&p->queue);
	for (i = 0; i < p->n_workers; i++)
		pthread_join(p->workers[i], NULL);
	p->n_workers = 0;
	if (p->monitor_started)
		pthread_join(p->monitor, NULL);
	p->monitor_started = 0;
}

int ph_proxy_start(struct ph_proxy **out, const struct ph_proxy_config *cfg, struct ph_err *err)
{
	struct ph_proxy *p;
	struct sockaddr_storage ss;
	const union MHD_DaemonInfo *info;
	char why[256];
	json_t *ev;
	int v6 = 0, i, rc;

	*out = NULL;
	if (listen_addr(cfg, &ss, &v6))
		return ph_error(err, PH_E_INVALID, "--bind: '%s' is not a numeric address",
				cfg->bind);
	if (!reachable(cfg->primary, cfg->primary_timeout_ms < 2000 ? cfg->primary_timeout_ms : 2000,
		       why, sizeof(why)))
		return ph_error(err, PH_E_HTTP, "primary '%s' does not accept connections: %s",
				cfg->primary, why);
	if (!(p = calloc(1, sizeof(*p))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	p->cfg = *cfg;
	snprintf(p->id_prefix, sizeof(p->id_prefix), "%04x", (unsigned)getpid() & 0xffffu);
	pthread_mutex_init(&p->compare_lock, NULL);
	pthread_mutex_init(&p->pool_lock, NULL);
	pthread_mutex_init(&p->stop_lock, NULL);
	pthread_cond_init(&p->stop_cond, NULL);
	if (cfg->shadow_writes && !(p->ids = ph_id_map_new(ID_PAIRS))) {
		free(p);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if (ph_queue_init(&p->queue, cfg->queue ? cfg->queue : 1)) {
		ph_id_map_free(p->ids);
		free(p);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if ((rc = ph_logfile_open(&p->log, cfg->log_path, cfg->log_max_bytes, err))) {
		ph_queue_release(&p->queue);
		ph_id_map_free(p->ids);
		free(p);
		return rc;
	}
	if ((ev = ph_shadow_event_new("start"))) {
		json_object_set_new(ev, "primary", json_string(cfg->primary));
		json_object_set_new(ev, "shadow", json_string(cfg->shadow));
		json_object_set_new(ev, "queue", json_integer((json_int_t)cfg->queue));
		ph_logfile_write(&p->log, ev);
		json_decref(ev);
	}
	p->workers_left = 0;
	for (i = 0; i < cfg->workers && i < MAX_WORKERS; i++) {
		if (pthread_create(&p->workers[i], NULL, worker, p))
			break;
		p->n_workers++;
		p->workers_left++;
	}
	if (!pthread_create(&p->monitor, NULL, monitor, p))
		p->monitor_started = 1;
	p->mhd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL |
		(v6 ? MHD_USE_IPv6 : 0),
	    (uint16_t)cfg->port, NULL, NULL, on_request, p, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&ss, MHD_OPTION_URI_LOG_CALLBACK, on_uri, p,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, p, MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned)1024, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (!p->mhd) {
		int e = errno;

		stop_threads(p);
		ph_proxy_free(p);
		return ph_error(err, PH_E_IO, "cannot listen on %s port %d: %s", cfg->bind,
				cfg->port, e ? strerror(e) : "refused");
	}
	info = MHD_get_daemon_info(p->mhd, MHD_DAEMON_INFO_LISTEN_FD);
	p->port = cfg->port;
	if (info) {
		struct sockaddr_storage got;
		socklen_t len = sizeof(got);

		if (!getsockname(info->listen_fd, (struct sockaddr *)&got, &len))
			p->port = ntohs(got.ss_family == AF_INET6
					    ? ((struct sockaddr_in6 *)&got)->sin6_port
					    : ((struct sockaddr_in *)&got)->sin_port);
	}
	*out = p;
	return 0;
}

int ph_proxy_port(const struct ph_proxy *p)
{
	return p->port;
}

void ph_proxy_stats(struct ph_proxy *p, struct ph_proxy_stats *o)
{
	memset(o, 0, sizeof(*o));
	o->forwarded = atomic_load(&p->forwarded);
	o->primary_errors = atomic_load(&p->primary_errors);
	o->replayed = atomic_load(&p->replayed);
	o->compared = atomic_load(&p->compared);
	o->divergent = atomic_load(&p->divergent);
	o->dropped = ph_queue_dropped(&p->queue) + atomic_load(&p->abandoned);
	o->skipped_writes = atomic_load(&p->skipped_writes);
	o->shadow_errors = atomic_load(&p->shadow_errors);
	o->drained = atomic_load(&p->abandoned) == 0;
}

void ph_proxy_stop(struct ph_proxy *p, struct ph_proxy_stats *out)
{
	struct ph_proxy_stats st;
	struct timespec deadline;
	json_t *ev;

	if (p->mhd) {
		MHD_stop_daemon(p->mhd); /* joins the connection threads */
		p->mhd = NULL;
	}
	atomic_store(&p->stopping, 1);
	ph_queue_close(&p->queue);
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += p->cfg.drain_ms / 1000;
	deadline.tv_nsec += (p->cfg.drain_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->stop_lock);
	while (p->workers_left > 0 &&
	       pthread_cond_timedwait(&p->stop_cond, &p->stop_lock, &deadline) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&p->stop_lock);
	atomic_store(&p->aborting, 1); /* what is left is abandoned, transfers cut short */
	stop_threads(p);
	ph_proxy_stats(p, &st);
	if ((ev = ph_shadow_event_new("stop"))) {
		json_object_set_new(ev, "forwarded", json_integer((json_int_t)st.forwarded));
		json_object_set_new(ev, "replayed", json_integer((json_int_t)st.replayed));
		json_object_set_new(ev, "compared", json_integer((json_int_t)st.compared));
		json_object_set_new(ev, "divergent", json_integer((json_int_t)st.divergent));
		json_object_set_new(ev, "dropped", json_integer((json_int_t)st.dropped));
		json_object_set_new(ev, "skipped_writes",
				    json_integer((json_int_t)st.skipped_writes));
		json_object_set_new(ev, "shadow_errors",
				    json_integer((json_int_t)st.shadow_errors));
		json_object_set_new(ev, "drained", json_boolean(st.drained));
		ph_logfile_write(&p->log, ev);
		json_decref(ev);
	}
	if (out)
		*out = st;
}

void ph_proxy_free(struct ph_proxy *p)
{
	int i;

	if (!p)
		return;
	if (p->mhd)
		MHD_stop_daemon(p->mhd);
	stop_threads(p);
	for (;;) {
		struct task *t = ph_queue_pop(&p->queue, 0);

		if (!t)
			break;
		task_free(t);
	}
	for (i = 0; i < p->n_pool; i++)
		curl_easy_cleanup(p->pool[i]);
	ph_queue_release(&p->queue);
	ph_logfile_close(&p->log);
	pthread_mutex_destroy(&p->compare_lock);
	pthread_mutex_destroy(&p->pool_lock);
	pthread_mutex_destroy(&p->stop_lock);
	pthread_cond_destroy(&p->stop_cond);
	ph_id_map_free(p->ids);
	free(p);
}
