/*
 * The HTTP client the core uses to talk to runtimes, on libcurl. One easy handle per
 * runtime is reset and reused for every request, so the connection stays open
 * (curl_easy_reset keeps live connections). Requests go to loopback http only, never
 * follow redirects, carry a per-request timeout, and collect status, headers, content
 * type, a binary-safe body capped in size, and libcurl's own total time as latency.
 */
#include "runtime/http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>

#include "parity/strbuf.h"

#define DEFAULT_MAX_BODY ((size_t)64 << 20)
#define HEALTH_MAX_BODY ((size_t)64 << 10)

struct ph_http {
	CURL *curl;
	char *base;
	long timeout_ms;
	size_t max_body;
	char errbuf[CURL_ERROR_SIZE];
};

/* What one transfer collects. */
struct sink {
	struct ph_strbuf body;
	size_t max;
	int overflow;
	json_t *headers;
};

int ph_http_global_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : PH_E_HTTP;
}

void ph_http_global_cleanup(void)
{
	curl_global_cleanup();
}

/* Is url "http://<loopback host>[:port]/..."? On no, why is written to why. */
static int loopback_url(const char *url, char *why, size_t n)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ok = 0;

	if (!u) {
		snprintf(why, n, "out of memory");
		return 0;
	}
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		snprintf(why, n, "malformed url '%s'", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, n, "malformed url '%s'", url);
		goto out;
	}
	if (strcasecmp(scheme, "http")) {
		snprintf(why, n, "refusing url '%s': only http is spoken to runtimes", url);
		goto out;
	}
	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]") || !strcmp(host, "::1")) {
		ok = 1;
	} else {
		unsigned a, b, c, d;
		char extra;

		ok = sscanf(host, "%u.%u.%u.%u%c", &a, &b, &c, &d, &extra) == 4 && a == 127 &&
		     b < 256 && c < 256 && d < 256;
	}
	if (!ok)
		snprintf(why, n, "refusing url '%s': host '%s' is not loopback", url, host);
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

struct ph_http *ph_http_new(const char *base_url, long default_timeout_ms)
{
	struct ph_http *h;
	size_t n;

	if (!base_url)
		return NULL;
	if (!(h = calloc(1, sizeof(*h))))
		return NULL;
	h->curl = curl_easy_init();
	h->base = strdup(base_url);
	if (!h->curl || !h->base) {
		ph_http_free(h);
		return NULL;
	}
	n = strlen(h->base);
	while (n && h->base[n - 1] == '/') /* paths bring their own '/' */
		h->base[--n] = '\0';
	h->timeout_ms = default_timeout_ms > 0 ? default_timeout_ms : 30000;
	h->max_body = DEFAULT_MAX_BODY;
	return h;
}

void ph_http_set_max_body(struct ph_http *h, size_t max_body)
{
	if (h)
		h->max_body = max_body ? max_body : DEFAULT_MAX_BODY;
}

void ph_http_free(struct ph_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->base);
	free(h);
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb;

	if (n > s->max - s->body.len) {
		s->overflow = 1;
		return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
	}
	ph_strbuf_addn(&s->body, data, n);
	return s->body.oom ? 0 : n;
}

/* A JSON string of the bytes, with any that are not valid UTF-8 shown as '?'. */
static json_t *header_string(const char *v, size_t n)
{
	json_t *s = json_stringn(v, n);
	char *copy;
	size_t i;

	if (s || !(copy = malloc(n + 1)))
		return s;
	for (i = 0; i < n; i++)
		copy[i] = (unsigned char)v[i] < 0x80 ? v[i] : '?';
	s = json_stringn(copy, n);
	free(copy);
	return s;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb, k, i;
	const char *colon, *v, *end = data + n;
	char name[256];

	if (!s->headers)
		return n;
	if (n >= 5 && !memcmp(data, "HTTP/", 5)) { /* a new response (after 1xx): start over */
		json_object_clear(s->headers);
		return n;
	}
	colon = memchr(data, ':', n);
	if (!colon || colon == data || data[0] == ' ' || data[0] == '\t')
		return n; /* blank line, or an obsolete folded line */
	k = (size_t)(colon - data);
	if (k >= sizeof(name))
		return n;
	for (i = 0; i < k; i++)
		name[i] = (char)tolower((unsigned char)data[i]);
	name[k] = '\0';
	v = colon + 1;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' ' ||
			   end[-1] == '\t'))
		end--;
	json_object_set_new(s->headers, name, header_string(v, (size_t)(end - v)));
	return n;
}

static int has_header(const struct ph_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++)
		if (req->headers[i].name && !strcasecmp(req->headers[i].name, name))
			return 1;
	return 0;
}

/* Fill resp->error and err alike; returns code. */
static int fail(struct ph_response *resp, struct ph_err *err, int code,
		const struct ph_request *req, const char *msg)
{
	free(resp->error);
	resp->error = strdup(msg);
	return ph_error(err, code, "%s %s: %s", req && req->method ? req->method : "?",
			req && req->path ? req->path : "?", msg);
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	size_t n = strlen(name) + (value ? strlen(value) : 0) + 3;
	char *line = malloc(n);
	struct curl_slist *l;

	if (!line)
		return -1;
	if (!value)
		snprintf(line, n, "%s:", name); /* removes a header curl would add */
	else if (!*value)
		snprintf(line, n, "%s;", name); /* curl's way to send an empty value */
	else
		snprintf(line, n, "%s: %s", name, value);
	l = curl_slist_append(*list, line);
	free(line);
	if (!l)
		return -1;
	*list = l;
	return 0;
}

static int build_headers(const struct ph_request *req, struct curl_slist **list,
			 const char **bad)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++) {
		const struct ph_header *hd = &req->headers[i];

		if (!hd->name || !*hd->name || strpbrk(hd->name, ": \t\r\n") ||
		    (hd->value && strpbrk(hd->value, "\r\n"))) {
			*bad = hd->name ? hd->name : "(null)";
			return PH_E_INVALID;
		}
		if (add_header(list, hd->name, hd->value ? hd->value : ""))
			return PH_E_NOMEM;
	}
	if (!has_header(req, "content-type") &&
	    add_header(list, "Content-Type", req->body ? "application/json" : NULL))
		return PH_E_NOMEM;
	/* No "Expect: 100-continue" round trip on larger bodies. */
	if (!has_header(req, "expect") && add_header(list, "Expect", NULL))
		return PH_E_NOMEM;
	return 0;
}

static void set_method(CURL *c, const struct ph_request *req)
{
	const char *m = req->method;

	if (!strcmp(m, "HEAD") && !req->body) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
		return;
	}
	if (!strcmp(m, "GET") && !req->body) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
		return;
	}
	if (req->body || !strcmp(m, "POST")) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
	}
	if (strcmp(m, "POST"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
}

static void common_options(CURL *c, long timeout_ms, char *errbuf)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
#else
	curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTP);
#endif
	curl_easy_setopt(c, CURLOPT_PROXY, ""); /* never through a proxy from the environment */
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = '\0';
}

int ph_http_send(struct ph_http *h, const struct ph_request *req, struct ph_response *resp,
		 struct ph_err *err)
{
	struct sink s = { 0 };
	struct curl_slist *hdrs = NULL;
	const char *bad = NULL;
	char *url = NULL, why[512];
	long status = 0;
	CURLcode cc;
	size_t n;
	int rc;

	memset(resp, 0, sizeof(*resp));
	resp->latency_ms = -1;
	if (!h || !req || !req->method || !*req->method || !req->path || req->path[0] != '/')
		return fail(resp, err, PH_E_INVALID, req,
			    "a request needs a method and a path starting with '/'");
	if (strpbrk(req->method, " \t\r\n"))
		return fail(resp, err, PH_E_INVALID, req, "malformed method");
	if (!(url = ph_strdup_printf("%s%s", h->base, req->path)))
		return fail(resp, err, PH_E_NOMEM, req, "out of memory");
	if (!loopback_url(url, why, sizeof(why))) {
		free(url);
		return fail(resp, err, PH_E_INVALID, req, why);
	}
	if ((rc = build_headers(req, &hdrs, &bad))) {
		curl_slist_free_all(hdrs);
		free(url);
		if (rc == PH_E_INVALID) {
			snprintf(why, sizeof(why), "malformed header '%.200s'", bad);
			return fail(resp, err, rc, req, why);
		}
		return fail(resp, err, rc, req, "out of memory");
	}
	s.max = h->max_body;
	s.headers = json_object();
	curl_easy_reset(h->curl); /* keeps the live connection */
	common_options(h->curl, req->timeout_ms > 0 ? req->timeout_ms : h->timeout_ms, h->errbuf);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h->curl, CURLOPT_HEADERDATA, &s);
	set_method(h->curl, req);
	cc = curl_easy_perform(h->curl);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	free(url);

	resp->status = status;
	resp->headers = s.headers;
	resp->body_len = s.body.len;
	if (!(resp->body = ph_strbuf_take(&s.body))) {
		json_decref(resp->headers);
		resp->headers = NULL;
		return fail(resp, err, PH_E_NOMEM, req, "out of memory");
	}
	{
		curl_off_t us = 0;
		char *ct = NULL;

		if (curl_easy_getinfo(h->curl, CURLINFO_TOTAL_TIME_T, &us) == CURLE_OK && us >= 0)
			resp->latency_ms = (double)us / 1000.0;
		if (curl_easy_getinfo(h->curl, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct &&
		    !(resp->content_type = strdup(ct)))
			return fail(resp, err, PH_E_NOMEM, req, "out of memory");
	}
	if (cc == CURLE_OK)
		return 0;
	if (s.overflow) {
		snprintf(why, sizeof(why), "response body exceeds %zu bytes", s.max);
		return fail(resp, err, PH_E_HTTP, req, why);
	}
	snprintf(why, sizeof(why), "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
	n = strlen(why);
	while (n && why[n - 1] == '\n')
		why[--n] = '\0';
	return fail(resp, err, cc == CURLE_OPERATION_TIMEDOUT ? PH_E_TIMEOUT : PH_E_HTTP, req,
		    why);
}

long ph_http_get_body(const char *url, long timeout_ms, char **body)
{
	struct sink s = { 0 };
	char errbuf[CURL_ERROR_SIZE], why[512];
	long status = 0;
	CURLcode cc;
	CURL *c;

	if (body)
		*body = NULL;
	if (!url || !loopback_url(url, why, sizeof(why)))
		return PH_E_INVALID;
	if (!(c = curl_easy_init()))
		return PH_E_NOMEM;
	s.max = HEALTH_MAX_BODY;
	common_options(c, timeout_ms > 0 ? timeout_ms : 1000, errbuf);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK || s.overflow)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	if (body && s.body.p && cc == CURLE_OK)
		*body = s.body.p;
	else
		free(s.body.p);
	if (cc != CURLE_OK && !s.overflow)
		return cc == CURLE_OPERATION_TIMEDOUT ? PH_E_TIMEOUT : PH_E_HTTP;
	return status > 0 ? status : PH_E_HTTP;
}

long ph_http_get_status(const char *url, long timeout_ms)
{
	return ph_http_get_body(url, timeout_ms, NULL);
}
