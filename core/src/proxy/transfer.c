/*
 * The one HTTP exchange both paths make with libcurl (proxy_int.h): request headers taken
 * from the client without the hop-by-hop ones, the answer's body (bounded) and headers
 * collected, a transfer the shadow side can abort once the drain time is over, and what a
 * failed shadow transfer is called in the log.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parity/clock.h"
#include "proxy/proxy_int.h"

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

int ph_px_hdrs_add(struct hdrs *h, const char *name, size_t nn, const char *value, size_t vn)
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

void ph_px_hdrs_clear(struct hdrs *h)
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

enum MHD_Result ph_px_collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	struct hdrs *h = cls;
	size_t kn = strlen(key);

	(void)kind;
	if (!is_hop(key, kn) && !strpbrk(key, "\r\n") && !strpbrk(value ? value : "", "\r\n"))
		ph_px_hdrs_add(h, key, kn, value ? value : "", value ? strlen(value) : 0);
	return MHD_YES;
}

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
		ph_px_hdrs_clear(&s->headers);
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
	ph_px_hdrs_add(&s->headers, data, k, v, (size_t)(end - v));
	return n;
}

static int on_progress(void *user, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	struct sink *s = user;

	(void)dt, (void)dn, (void)ut, (void)un;
	return s->p && atomic_load(&s->p->aborting);
}

/* Send method uri (headers, body) to base on c; fills s; returns the curl code. */
CURLcode ph_px_transfer(CURL *c, const char *base, const char *method, const char *uri,
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
const char *ph_px_shadow_error(CURLcode cc, const struct sink *s)
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

