/*
 * Fuzz target: the canned-LLM server's request handling. The handler is reachable only
 * through libmicrohttpd, so the target starts one server on loopback over the project's
 * canned-llm/default set and sends every input as an HTTP request on a kept-alive
 * libcurl handle: the first byte picks the endpoint and method, the rest is the body
 * (any bytes). The server must answer every request with a status (a transport failure
 * means it crashed, hung or dropped the connection, and aborts the target).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>

#include "fuzz.h"
#include "llm/llm_server.h"

static struct ph_llm_set *set;
static struct ph_llm_server *srv;
static CURL *curl;

static const struct {
	const char *method, *path;
} routes[] = {
	{ "POST", "/api/generate" },	   { "POST", "/api/chat" },
	{ "POST", "/api/embeddings" },	   { "POST", "/api/embed" },
	{ "POST", "/v1/chat/completions" }, { "POST", "/v1/completions" },
	{ "POST", "/v1/embeddings" },	   { "GET", "/api/tags" },
	{ "GET", "/v1/models" },	   { "GET", "/" },
	{ "PUT", "/api/chat" },		   { "POST", "/nowhere" },
	{ "GET", "/api/version" },	   { "POST", "/api/tags/" },
};

static size_t discard(char *p, size_t size, size_t n, void *user)
{
	(void)p;
	(void)user;
	return size * n;
}

static void shutdown_all(void)
{
	curl_easy_cleanup(curl);
	ph_llm_server_stop(srv);
	ph_llm_set_free(set);
	curl_global_cleanup();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct ph_err err;

	(void)argc;
	(void)argv;
	if (ph_llm_set_load(PARITY_SOURCE_DIR "/canned-llm/default", &set, &err) ||
	    ph_llm_server_start(&srv, set, "fuzz", 0, NULL, &err)) {
		fprintf(stderr, "fuzz_llm_request: %s\n", err.msg);
		abort();
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!(curl = curl_easy_init()))
		abort();
	atexit(shutdown_all);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct curl_slist *hdrs = NULL;
	char url[128], errbuf[CURL_ERROR_SIZE] = "";
	long status = 0;
	size_t r;
	CURLcode cc;

	if (!srv)
		LLVMFuzzerInitialize(NULL, NULL);
	if (!size)
		return 0;
	r = data[0] % (sizeof(routes) / sizeof(routes[0]));
	snprintf(url, sizeof(url), "%s%s", ph_llm_server_url(srv), routes[r].path);
	curl_easy_reset(curl);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROXY, "");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, routes[r].method);
	if (strcmp(routes[r].method, "GET")) {
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)(size - 1));
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, (const char *)data + 1);
	}
	cc = curl_easy_perform(curl);
	curl_slist_free_all(hdrs);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (cc != CURLE_OK || status < 200 || status > 599) {
		fprintf(stderr, "fuzz_llm_request: %s %s: %s (status %ld)\n", routes[r].method,
			routes[r].path, errbuf[0] ? errbuf : curl_easy_strerror(cc), status);
		abort();
	}
	return 0;
}
