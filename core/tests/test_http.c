/*
 * Tests of the HTTP client (http.c) against a libmicrohttpd server started inside the
 * test on 127.0.0.1 with a random port. Handlers: /echo (method, path, headers and body
 * back as JSON), /redirect (302), /slow (answers after the client gave up), /big?n=N,
 * /binary (a body with NUL bytes), /dup (a header sent twice), /status/N. The server
 * counts the connections it accepts, which shows keep-alive.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "compare/compare.h" /* ph_response_release */
#include "runtime/http.h"

#include "support.h"

static const char binary_body[] = { 'a', '\0', 'b', '\0', (char)0xff, 'z' };

struct server {
	struct MHD_Daemon *d;
	int port;
	char base[64];
	atomic_int connections;
	atomic_int stopping;
	struct ph_http *h; /* the test's client, 2000 ms (client_setup) */
};

struct upload {
	char *data;
	size_t len;
};

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct server *s = cls;

	(void)c, (void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_STARTED)
		atomic_fetch_add(&s->connections, 1);
}

/*
 * Queue an answer: status, body (copied), its content type (NULL: none) and more headers
 * (name, value, ... NULL; or NULL), each added as given, so a name may come twice.
 */
static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const void *body,
			     size_t len, const char *ctype, const char *const *headers)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (ctype)
		MHD_add_response_header(r, "Content-Type", ctype);
	for (; headers && *headers; headers += 2)
		MHD_add_response_header(r, headers[0], headers[1]);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result add_header(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *value)
{
	json_t *h = cls;
	char name[256];
	size_t i;

	(void)kind;
	for (i = 0; key[i] && i < sizeof(name) - 1; i++)
		name[i] = (char)tolower((unsigned char)key[i]);
	name[i] = '\0';
	json_object_set_new(h, name, json_string(value ? value : ""));
	return MHD_YES;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *data,
			      size_t *size, void **state)
{
	struct upload *up = *state;
	struct server *s = cls;

	(void)version;
	if (!up) {
		*state = calloc(1, sizeof(struct upload));
		return *state ? MHD_YES : MHD_NO;
	}
	if (*size) {
		char *p = realloc(up->data, up->len + *size + 1);

		if (!p)
			return MHD_NO;
		memcpy(p + up->len, data, *size);
		up->data = p;
		up->len += *size;
		*size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/echo")) {
		json_t *o = json_object(), *h = json_object();
		char *text;
		enum MHD_Result ret;

		MHD_get_connection_values(c, MHD_HEADER_KIND, add_header, h);
		json_object_set_new(o, "method", json_string(method));
		json_object_set_new(o, "path", json_string(url));
		json_object_set_new(o, "headers", h);
		json_object_set_new(o, "body", json_stringn(up->data ? up->data : "", up->len));
		json_object_set_new(o, "body_len", json_integer((json_int_t)up->len));
		text = json_dumps(o, JSON_COMPACT);
		json_decref(o);
		ret = reply(c, 200, text, strlen(text), "application/json; charset=utf-8", NULL);
		free(text);
		return ret;
	}
	if (!strcmp(url, "/redirect"))
		return reply(c, 302, "moved", 5, "text/plain", T_LIST("Location", "/echo"));
	if (!strcmp(url, "/slow")) {
		int i;

		for (i = 0; i < 150 && !atomic_load(&s->stopping); i++)
			t_sleep_ms(10);
		return reply(c, 200, "late", 4, "text/plain", NULL);
	}
	if (!strcmp(url, "/big")) {
		const char *n = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "n");
		size_t len = n ? (size_t)atol(n) : 0;
		char *body = malloc(len + 1);
		enum MHD_Result ret;

		if (!body)
			return MHD_NO;
		memset(body, 'x', len);
		ret = reply(c, 200, body, len, "text/plain", NULL);
		free(body);
		return ret;
	}
	if (!strcmp(url, "/binary"))
		return reply(c, 200, binary_body, sizeof(binary_body), "application/octet-stream",
			     NULL);
	if (!strcmp(url, "/dup"))
		return reply(c, 200, "{}", 2, NULL,
			     T_LIST("X-Dup", "first", "X-Dup", "second", "X-Mixed-Case",
				    "  padded value "));
	if (!strncmp(url, "/status/", 8))
		return reply(c, (unsigned)atoi(url + 8), "{\"error\":\"asked for\"}", 21,
			     "application/json", NULL);
	return reply(c, 404, "{}", 2, "application/json", NULL);
}

static void completed(void *cls, struct MHD_Connection *c, void **state,
		      enum MHD_RequestTerminationCode code)
{
	struct upload *up = *state;

	(void)cls, (void)c, (void)code;
	if (up)
		free(up->data);
	free(up);
	*state = NULL;
}

static int setup(void **state)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sockaddr_in addr;
	const union MHD_DaemonInfo *info;

	if (!s || t_http_setup(state)) {
		free(s);
		return -1;
	}
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr.sin_port = 0;
	s->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD,
				0, NULL, NULL, handle, s, MHD_OPTION_SOCK_ADDR, &addr,
				MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_END);
	if (!s->d) {
		free(s);
		return -1;
	}
	info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = info ? info->port : 0;
	snprintf(s->base, sizeof(s->base), "http://127.0.0.1:%d", s->port);
	*state = s;
	return s->port > 0 ? 0 : -1;
}

static int teardown(void **state)
{
	struct server *s = *state;

	atomic_store(&s->stopping, 1);
	MHD_stop_daemon(s->d);
	free(s);
	return t_http_teardown(state);
}

/* A test's own client of the server, so that no test reuses another's connection. */
static int client_setup(void **state)
{
	struct server *s = *state;

	s->h = ph_http_new(s->base, 2000);
	return 0;
}

static int client_teardown(void **state)
{
	struct server *s = *state;

	ph_http_free(s->h);
	s->h = NULL;
	return 0;
}

#define client_test(test) cmocka_unit_test_setup_teardown(test, client_setup, client_teardown)

/* GET path with h, which must be answered: the answer (the caller releases it). */
static struct ph_response get(struct ph_http *h, const char *path)
{
	struct ph_request req = { .method = "GET", .path = path };
	struct ph_response resp;
	struct ph_err err = { 0 };

	assert_int_equal(ph_http_send(h, &req, &resp, &err), 0);
	return resp;
}

/* Send and parse the /echo answer. */
static json_t *echo(struct ph_http *h, const struct ph_request *req, struct ph_response *resp)
{
	struct ph_err err = { 0 };
	json_error_t jerr;
	json_t *o;

	if (ph_http_send(h, req, resp, &err))
		fail_msg("send: %s", err.msg);
	assert_int_equal(resp->status, 200);
	o = json_loadb(resp->body, resp->body_len, 0, &jerr);
	assert_non_null(o);
	return o;
}

static const char *hdr(json_t *echo_answer, const char *name)
{
	return json_string_value(json_object_get(json_object_get(echo_answer, "headers"), name));
}

static void test_get(void **state)
{
	struct server *s = *state;
	struct ph_http *h = s->h;
	struct ph_request req = { .method = "GET", .path = "/echo?x=1&y=%20" };
	struct ph_response resp;
	struct ph_err err = { 0 };
	json_t *o;
	int rc;

	assert_non_null(h);
	/* A proxy from the environment is not used for runtimes on loopback. */
	setenv("http_proxy", "http://127.0.0.1:9", 1);
	rc = ph_http_send(h, &req, &resp, &err);
	unsetenv("http_proxy");
	if (rc)
		fail_msg("send: %s", err.msg);
	ph_response_release(&resp);
	o = echo(h, &req, &resp);
	assert_string_equal(json_string_value(json_object_get(o, "method")), "GET");
	assert_string_equal(json_string_value(json_object_get(o, "path")), "/echo");
	assert_int_equal(json_integer_value(json_object_get(o, "body_len")), 0);
	assert_null(hdr(o, "content-type")); /* no body: no content type sent */
	assert_string_equal(resp.content_type, "application/json; charset=utf-8");
	assert_string_equal(json_string_value(json_object_get(resp.headers, "content-type")),
			    "application/json; charset=utf-8");
	assert_non_null(json_object_get(resp.headers, "content-length"));
	assert_true(resp.latency_ms > 0);
	assert_true(resp.latency_ms < 2000);
	assert_null(resp.error);
	assert_int_equal(resp.body[resp.body_len], '\0');
	json_decref(o);
	ph_response_release(&resp);
}

static void test_methods_bodies_headers(void **state)
{
	struct server *s = *state;
	struct ph_http *h = s->h;
	static const char body[] = "{\"content\":\"remember this\"}";
	const struct ph_header custom[] = { { "X-Agent-Id", "agent-7" },
					    { "content-type", "text/plain" } };
	const char *methods[] = { "POST", "PUT", "PATCH", "DELETE" };
	struct ph_request req = { 0 };
	struct ph_response resp;
	size_t i;
	json_t *o;

	for (i = 0; i < 4; i++) {
		req = (struct ph_request){ .method = methods[i], .path = "/echo", .body = body,
					   .body_len = strlen(body) };
		o = echo(h, &req, &resp);
		assert_string_equal(json_string_value(json_object_get(o, "method")), methods[i]);
		assert_string_equal(json_string_value(json_object_get(o, "body")), body);
		assert_string_equal(hdr(o, "content-type"), "application/json");
		assert_null(hdr(o, "expect"));
		json_decref(o);
		ph_response_release(&resp);
	}

	/* A caller's content type wins; its other headers are sent as given. */
	req = (struct ph_request){ .method = "POST", .path = "/echo", .body = "plain",
				   .body_len = 5, .headers = custom, .n_headers = 2 };
	o = echo(h, &req, &resp);
	assert_string_equal(hdr(o, "content-type"), "text/plain");
	assert_string_equal(hdr(o, "x-agent-id"), "agent-7");
	json_decref(o);
	ph_response_release(&resp);

	/* Without a body: no content type, and the method still arrives. */
	req = (struct ph_request){ .method = "DELETE", .path = "/echo" };
	o = echo(h, &req, &resp);
	assert_string_equal(json_string_value(json_object_get(o, "method")), "DELETE");
	assert_int_equal(json_integer_value(json_object_get(o, "body_len")), 0);
	assert_null(hdr(o, "content-type"));
	json_decref(o);
	ph_response_release(&resp);

	/* A body with NUL bytes arrives whole. */
	req = (struct ph_request){ .method = "POST", .path = "/echo", .body = binary_body,
				   .body_len = sizeof(binary_body) };
	o = echo(h, &req, &resp);
	assert_int_equal(json_integer_value(json_object_get(o, "body_len")), sizeof(binary_body));
	json_decref(o);
	ph_response_release(&resp);
}

static void test_binary_body_and_headers(void **state)
{
	struct server *s = *state;
	struct ph_response resp = get(s->h, "/binary");

	assert_int_equal(resp.body_len, sizeof(binary_body));
	assert_memory_equal(resp.body, binary_body, sizeof(binary_body));
	assert_int_equal(resp.body[resp.body_len], '\0');
	assert_string_equal(resp.content_type, "application/octet-stream");
	ph_response_release(&resp);

	resp = get(s->h, "/dup");
	assert_string_equal(json_string_value(json_object_get(resp.headers, "x-dup")), "second");
	assert_string_equal(json_string_value(json_object_get(resp.headers, "x-mixed-case")),
			    "padded value");
	assert_null(json_object_get(resp.headers, "X-Dup"));
	assert_null(resp.content_type);
	ph_response_release(&resp);

	resp = get(s->h, "/status/503"); /* an answer, not an error */
	assert_int_equal(resp.status, 503);
	assert_string_equal(resp.body, "{\"error\":\"asked for\"}");
	ph_response_release(&resp);
}

static void test_redirect_not_followed(void **state)
{
	struct server *s = *state;
	struct ph_response resp = get(s->h, "/redirect");

	assert_int_equal(resp.status, 302);
	assert_string_equal(resp.body, "moved");
	assert_string_equal(json_string_value(json_object_get(resp.headers, "location")), "/echo");
	ph_response_release(&resp);
}

static void test_timeout(void **state)
{
	struct server *s = *state;
	struct ph_http *h = ph_http_new(s->base, 5000);
	struct ph_request req = { .method = "GET", .path = "/slow", .timeout_ms = 200 };
	struct ph_response resp;
	struct ph_err err = { 0 };

	assert_int_equal(ph_http_send(h, &req, &resp, &err), PH_E_TIMEOUT);
	assert_int_equal(err.code, PH_E_TIMEOUT);
	assert_non_null(resp.error);
	assert_non_null(strstr(err.msg, "GET /slow: "));
	assert_int_equal(resp.status, 0);
	ph_response_release(&resp);

	/* The handle is usable after a failure. */
	req = (struct ph_request){ .method = "GET", .path = "/status/204" };
	assert_int_equal(ph_http_send(h, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 204);
	ph_response_release(&resp);
	ph_http_free(h);

	/* The default timeout applies when the request has none. */
	h = ph_http_new(s->base, 150);
	req = (struct ph_request){ .method = "GET", .path = "/slow" };
	assert_int_equal(ph_http_send(h, &req, &resp, &err), PH_E_TIMEOUT);
	ph_response_release(&resp);
	ph_http_free(h);
}

static void test_max_body(void **state)
{
	struct server *s = *state;
	struct ph_request req = { .method = "GET", .path = "/big?n=5000" };
	struct ph_response resp;
	struct ph_err err = { 0 };

	ph_http_set_max_body(s->h, 1000);
	assert_int_equal(ph_http_send(s->h, &req, &resp, &err), PH_E_HTTP);
	assert_non_null(resp.error);
	assert_non_null(strstr(resp.error, "exceeds 1000 bytes"));
	ph_response_release(&resp);

	resp = get(s->h, "/big?n=1000");
	assert_int_equal(resp.body_len, 1000);
	ph_response_release(&resp);

	ph_http_set_max_body(s->h, 0); /* back to the 64 MiB default */
	resp = get(s->h, "/big?n=3000000");
	assert_int_equal(resp.body_len, 3000000);
	assert_int_equal(resp.body[2999999], 'x');
	ph_response_release(&resp);
}

static void test_keep_alive(void **state)
{
	struct server *s = *state;
	struct ph_request req = { .method = "GET", .path = "/status/200" };
	struct ph_response resp;
	struct ph_err err = { 0 };
	int before = atomic_load(&s->connections), i;

	for (i = 0; i < 3; i++) {
		req.method = i == 1 ? "POST" : "GET";
		req.body = i == 1 ? "{}" : NULL;
		req.body_len = i == 1 ? 2 : 0;
		assert_int_equal(ph_http_send(s->h, &req, &resp, &err), 0);
		assert_int_equal(resp.status, 200);
		ph_response_release(&resp);
	}
	assert_int_equal(atomic_load(&s->connections) - before, 1);

	/* A second client is a second connection (the counter does count). */
	{
		struct ph_http *h = ph_http_new(s->base, 2000);

		assert_int_equal(ph_http_send(h, &req, &resp, &err), 0);
		ph_response_release(&resp);
		assert_int_equal(atomic_load(&s->connections) - before, 2);
		ph_http_free(h);
	}
}

static void expect_refused(const char *base, const char *why)
{
	struct ph_http *h = ph_http_new(base, 500);
	struct ph_request req = { .method = "GET", .path = "/health" };
	struct ph_response resp;
	struct ph_err err = { 0 };

	assert_non_null(h);
	assert_int_equal(ph_http_send(h, &req, &resp, &err), PH_E_INVALID);
	assert_non_null(resp.error);
	if (!strstr(resp.error, why))
		fail_msg("%s: got '%s', want '%s'", base, resp.error, why);
	ph_response_release(&resp);
	ph_http_free(h);
}

static void test_loopback_only(void **state)
{
	struct server *s = *state;
	struct ph_http *h;
	struct ph_request req = { .method = "GET", .path = "/status/200" };
	struct ph_response resp;
	struct ph_err err = { 0 };
	char url[96];

	expect_refused("http://example.com", "host 'example.com' is not loopback");
	expect_refused("http://10.1.2.3:80", "is not loopback");
	expect_refused("http://127.0.0.1.example.com", "is not loopback");
	expect_refused("https://127.0.0.1:1", "only http");
	expect_refused("ftp://127.0.0.1", "only http");
	assert_true(ph_http_get_status("http://192.0.2.1/health", 200) < 0);

	/* localhost and other 127/8 addresses are loopback. */
	snprintf(url, sizeof(url), "http://localhost:%d/", s->port); /* trailing '/' trimmed */
	h = ph_http_new(url, 2000);
	assert_int_equal(ph_http_send(h, &req, &resp, &err), 0);
	assert_int_equal(resp.status, 200);
	ph_response_release(&resp);
	ph_http_free(h);

	/* A path must start with '/'. */
	h = s->h;
	req.path = "status/200";
	assert_int_equal(ph_http_send(h, &req, &resp, &err), PH_E_INVALID);
	ph_response_release(&resp);
	/* A header cannot smuggle a line break. */
	{
		const struct ph_header evil[] = { { "X-A", "1\r\nX-B: 2" } };

		req = (struct ph_request){ .method = "GET", .path = "/echo", .headers = evil,
					   .n_headers = 1 };
		assert_int_equal(ph_http_send(h, &req, &resp, &err), PH_E_INVALID);
		assert_non_null(strstr(resp.error, "malformed header 'X-A'"));
		ph_response_release(&resp);
	}
}

static void test_connection_refused_and_status(void **state)
{
	struct server *s = *state;
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd, port;
	char url[96];
	struct ph_http *h;
	struct ph_request req = { .method = "GET", .path = "/" };
	struct ph_response resp;
	struct ph_err err = { 0 };

	/* A port nobody listens on: bound, never listened to, then closed. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	h = ph_http_new(url, 1000);
	assert_int_equal(ph_http_send(h, &req, &resp, &err), PH_E_HTTP);
	assert_int_equal(resp.status, 0);
	assert_non_null(resp.error);
	assert_true(strlen(resp.error) > 0);
	ph_response_release(&resp);
	ph_http_free(h);
	strcat(url, "/health");
	assert_true(ph_http_get_status(url, 500) < 0);
	close(fd);

	snprintf(url, sizeof(url), "%s/status/503", s->base);
	assert_int_equal(ph_http_get_status(url, 1000), 503);
	snprintf(url, sizeof(url), "%s/status/200", s->base);
	assert_int_equal(ph_http_get_status(url, 1000), 200);
	snprintf(url, sizeof(url), "%s/slow", s->base);
	assert_int_equal(ph_http_get_status(url, 100), PH_E_TIMEOUT);
}

T_MAIN(setup, teardown, client_test(test_get), client_test(test_methods_bodies_headers),
       client_test(test_binary_body_and_headers), client_test(test_redirect_not_followed),
       cmocka_unit_test(test_timeout), client_test(test_max_body), client_test(test_keep_alive),
       client_test(test_loopback_only), cmocka_unit_test(test_connection_refused_and_status))
