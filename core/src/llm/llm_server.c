/*
 * The canned-LLM HTTP server (llm_server.h): libmicrohttpd on 127.0.0.1, one thread per
 * connection so an entry's artificial latency delays only its own request. This file
 * gathers a request's body, routes it to the Ollama (ollama.c) or OpenAI-compatible
 * (openai.c) handler, logs the exchange (request_log.c), waits the entry's latency and
 * sends the answer; and it starts, tees and stops the server. Each handler takes the
 * prompt out of the body, picks the canned answer (llm_set.c) and builds the answer in
 * the real server's shape with fixed timestamps and token counts derived from the text,
 * so both runtimes get byte-identical answers.
 */
#include "llm/llm_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "llm/exchange.h"

#define MAX_BODY ((size_t)32 << 20)

/* The body of one connection's request, gathered across upload callbacks. */
struct upload {
	char *data;
	size_t len, cap;
	int too_big;
};

/* Paths are distinct across protocols: the order of the tables does not matter. */
static const struct ph_llm_routes *const protocols[] = {&ph_llm_ollama_routes,
							 &ph_llm_openai_routes};

/* Route x; the answer is in x afterwards. Returns the Allow value for a 405, or NULL. */
static const char *dispatch(struct exchange *x)
{
	size_t p, i, plen = strlen(x->path);

	/* "/api/tags/" is "/api/tags" */
	while (plen > 1 && x->path[plen - 1] == '/')
		plen--;
	for (p = 0; p < sizeof(protocols) / sizeof(protocols[0]); p++)
		for (i = 0; i < protocols[p]->n; i++) {
			const struct route *r = &protocols[p]->v[i];

			if (strlen(r->path) != plen || strncmp(r->path, x->path, plen))
				continue;
			x->openai = protocols[p]->openai;
			if (!strcmp(x->method, r->method) ||
			    (!strcmp(r->method, "GET") && !strcmp(x->method, "HEAD"))) {
				x->route = r;
				r->fn(x);
				return NULL;
			}
			ph_llm_reply_text(x, 405, "text/plain; charset=utf-8",
					  "405 method not allowed");
			return !strcmp(r->method, "GET") ? "GET, HEAD" : r->method;
		}
	ph_llm_reply_text(x, 404, "text/plain; charset=utf-8", "404 page not found");
	return NULL;
}

/* ---- libmicrohttpd -------------------------------------------------------------- */

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct ph_llm_server *srv = cls;
	struct upload *up = *con_cls;
	struct exchange x;
	struct MHD_Response *resp;
	const char *allow;
	enum MHD_Result ret;

	(void)version;
	if (!up) {
		if (!(up = calloc(1, sizeof(*up))))
			return MHD_NO;
		*con_cls = up;
		return MHD_YES;
	}
	if (*data_size) {
		if (!up->too_big && up->len + *data_size > MAX_BODY) {
			up->too_big = 1;
		} else if (!up->too_big) {
			if (up->len + *data_size + 1 > up->cap) {
				size_t cap = (up->len + *data_size + 1) * 2;
				char *p = realloc(up->data, cap);

				if (!p)
					return MHD_NO;
				up->data = p;
				up->cap = cap;
			}
			memcpy(up->data + up->len, data, *data_size);
			up->len += *data_size;
			up->data[up->len] = '\0';
		}
		*data_size = 0;
		return MHD_YES;
	}
	memset(&x, 0, sizeof(x));
	x.srv = srv;
	x.method = method;
	x.path = url;
	x.raw = up->data ? up->data : "";
	x.raw_len = up->too_big ? 0 : up->len;
	x.req = x.raw_len ? json_loadb(x.raw, x.raw_len, 0, &x.jerr) : NULL;
	allow = NULL;
	if (up->too_big)
		ph_llm_reply_error(&x, 413, "request body too large");
	else
		allow = dispatch(&x);
	ph_llm_log_exchange(&x);
	if (x.latency_ms > 0)
		sleep_ms(x.latency_ms);
	resp = MHD_create_response_from_buffer(x.body_len, x.body ? x.body : (void *)"",
					       x.body ? MHD_RESPMEM_MUST_FREE
						      : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(x.body);
		ret = MHD_NO;
	} else {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, x.ctype);
		if (allow)
			MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
		ret = MHD_queue_response(c, x.status, resp);
		MHD_destroy_response(resp);
	}
	json_decref(x.req);
	free(x.prompt);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	(void)cls, (void)c, (void)toe;
	if (up) {
		free(up->data);
		free(up);
		*con_cls = NULL;
	}
}

int ph_llm_server_start(struct ph_llm_server **out, const struct ph_llm_set *set,
			const char *runtime, int port, const char *log_path, struct ph_err *err)
{
	struct ph_llm_server *srv;
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	*out = NULL;
	if (port < 0 || port > 65535)
		return ph_error(err, PH_E_INVALID, "canned-llm: port %d out of range", port);
	if (sodium_init() < 0)
		return ph_error(err, PH_E_CRYPTO, "canned-llm: libsodium failed to initialise");
	srv = calloc(1, sizeof(*srv));
	if (!srv || !(srv->runtime = strdup(runtime ? runtime : "canned"))) {
		free(srv);
		return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	srv->set = set;
	pthread_mutex_init(&srv->lock, NULL);
	if (log_path && !(srv->log = fopen(log_path, "w"))) {
		ph_error(err, PH_E_IO, "canned-llm: cannot write log '%s': %s", log_path,
			 strerror(errno));
		ph_llm_server_stop(srv);
		return err ? err->code : PH_E_IO;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	srv->mhd = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_AUTO,
	    (uint16_t)port, NULL, NULL, on_request, srv, MHD_OPTION_SOCK_ADDR,
	    (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_completed, srv,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
	if (!srv->mhd) {
		ph_llm_server_stop(srv);
		return ph_error(err, PH_E_IO, "canned-llm: cannot listen on 127.0.0.1:%d", port);
	}
	info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = info && info->port ? info->port : port;
	snprintf(srv->url, sizeof(srv->url), "http://127.0.0.1:%d", srv->port);
	*out = srv;
	return 0;
}

int ph_llm_server_port(const struct ph_llm_server *srv)
{
	return srv->port;
}

const char *ph_llm_server_url(const struct ph_llm_server *srv)
{
	return srv->url;
}

int ph_llm_server_tee(struct ph_llm_server *srv, const char *path, struct ph_err *err)
{
	FILE *f = NULL;

	if (path && !(f = fopen(path, "w")))
		return ph_error(err, PH_E_IO, "canned-llm: cannot write log '%s': %s", path,
				strerror(errno));
	pthread_mutex_lock(&srv->lock);
	if (srv->tee)
		fclose(srv->tee);
	srv->tee = f;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

void ph_llm_server_counts(struct ph_llm_server *srv, long *requests, long *unmatched)
{
	pthread_mutex_lock(&srv->lock);
	if (requests)
		*requests = srv->requests;
	if (unmatched)
		*unmatched = srv->unmatched;
	pthread_mutex_unlock(&srv->lock);
}

void ph_llm_server_stop(struct ph_llm_server *srv)
{
	if (!srv)
		return;
	if (srv->mhd)
		MHD_stop_daemon(srv->mhd);
	if (srv->log)
		fclose(srv->log);
	if (srv->tee)
		fclose(srv->tee);
	pthread_mutex_destroy(&srv->lock);
	free(srv->runtime);
	free(srv);
}
