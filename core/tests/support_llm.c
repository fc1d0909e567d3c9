/*
 * The canned-LLM tests' fixture and requests (support_llm.h): the set written and served
 * for a test program, and libcurl requests to it.
 */
#include "support_llm.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "support.h"

/* Two files: a.json (prefix, model, endpoint, contains entries; fallback) and b.json. */
static const char a_json[] =
    "{\"dimensions\": 16, \"models\": [\"m1\", \"m2\"],\n"
    " \"fallback\": {\"response\": \"no canned answer\", \"status\": 200},\n"
    " \"entries\": [\n"
    "  {\"name\": \"gen-only\", \"match\": {\"prefix\": \"Extract\", \"endpoint\": "
    "\"/api/generate\"}, \"response\": \"A-generate\"},\n"
    "  {\"name\": \"model-m2\", \"match\": {\"prefix\": \"Extract\", \"model\": \"m2\"}, "
    "\"response\": \"A-m2\"},\n"
    "  {\"name\": \"extract-any\", \"match\": {\"prefix\": \"Extract\"}, \"response\": "
    "\"A-any\"},\n"
    "  {\"name\": \"contains-apple\", \"match\": {\"contains\": \"apple\"}, \"response\": "
    "{\"fruit\": \"apple\"}},\n"
    "  {\"name\": \"slow\", \"match\": {\"prefix\": \"slow please\"}, \"response\": \"late\", "
    "\"latency_ms\": 150},\n"
    "  {\"name\": \"broken\", \"match\": {\"prefix\": \"fail please\"}, \"response\": "
    "\"canned failure\", \"status\": 503}\n"
    " ]}\n";

static const char b_json_fmt[] =
    "{\"fallback\": {\"response\": \"ignored: a.json has the fallback\"},\n"
    " \"entries\": [\n"
    "  {\"name\": \"extract-late\", \"match\": {\"prefix\": \"Extract\"}, \"response\": "
    "\"B-any\"},\n"
    "  {\"name\": \"exact\", \"match\": {\"hash\": \"%s\"}, \"response\": \"B-exact\"}\n"
    " ]}\n";

/* The SHA-256 of s from coreutils, independent of the server's libsodium. */
static void sha256_hex(const char *s, char hex[65])
{
	char cmd[512];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "printf '%%s' '%s' | sha256sum", s);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(hex, 65, p));
	pclose(p);
	hex[64] = '\0';
}

int t_llm_setup(void **state)
{
	struct t_llm *fx = calloc(1, sizeof(*fx));
	struct ph_err err = {0};
	char hex[65], b[1024];

	if (!fx || t_http_setup(state))
		return -1;
	strcpy(fx->dir, "/tmp/test-llm-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->set, sizeof(fx->set), "%s/set", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/requests.jsonl", fx->dir);
	mkdir(fx->set, 0755);
	t_write_in(fx->set, "a.json", a_json);
	sha256_hex(T_LLM_EXACT_PROMPT, hex);
	snprintf(b, sizeof(b), b_json_fmt, hex);
	t_write_in(fx->set, "b.json", b);
	t_write_in(fx->set, "notes.txt", "not a set file: ignored");
	if (ph_llm_set_load(fx->set, &fx->s, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	if (ph_llm_server_start(&fx->srv, fx->s, "candidate", 0, fx->log, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return -1;
	}
	*state = fx;
	return 0;
}

int t_llm_teardown(void **state)
{
	struct t_llm *fx = *state;

	ph_llm_server_stop(fx->srv);
	ph_llm_set_free(fx->s);
	assert_int_equal(t_rmtree(fx->dir), 0);
	free(fx);
	return t_http_teardown(state);
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct t_reply *r = arg;
	char *q = realloc(r->body, r->len + size * n + 1);

	if (!q)
		return 0;
	memcpy(q + r->len, p, size * n);
	r->body = q;
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

struct t_reply t_ask(const struct ph_llm_server *srv, const char *method, const char *path,
		     const char *body)
{
	struct t_reply r = {0};
	char url[256];
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char *ct = NULL;
	double t0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s%s", ph_llm_server_url(srv), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	t0 = t_now_ms();
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	r.ms = t_now_ms() - t0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(r.ctype, sizeof(r.ctype), "%s", ct ? ct : "");
	if (!r.body)
		r.body = calloc(1, 1);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r;
}

json_t *t_ask_json(const struct ph_llm_server *srv, const char *method, const char *path,
		   const char *body, long status)
{
	struct t_reply r = t_ask(srv, method, path, body);
	json_t *doc = json_loads(r.body, 0, NULL);

	if (r.status != status || !doc)
		fprintf(stderr, "%s %s -> %ld %s\n", method, path, r.status, r.body);
	assert_int_equal(r.status, status);
	assert_non_null(doc);
	assert_non_null(strstr(r.ctype, "application/json"));
	free(r.body);
	return doc;
}

json_t *t_post(const struct t_llm *fx, const char *path, const char *body, long status)
{
	return t_ask_json(fx->srv, "POST", path, body, status);
}

char *t_generate(const struct ph_llm_server *srv, const char *path, const char *model,
		 const char *prompt)
{
	json_t *req = json_pack("{s:s, s:s, s:b}", "model", model ? model : "m1", "prompt", prompt,
				"stream", 0);
	char *body = json_dumps(req, 0), *text;
	json_t *doc = t_ask_json(srv, "POST", path, body, 200);

	text = strdup(t_str(doc, "response"));
	json_decref(doc);
	json_decref(req);
	free(body);
	return text;
}

json_t *t_log_lines(const struct t_llm *fx)
{
	FILE *f = fopen(fx->log, "r");
	json_t *lines = json_array();
	char buf[1 << 16];

	assert_non_null(f);
	while (fgets(buf, sizeof(buf), f)) {
		json_error_t je;
		json_t *line = json_loads(buf, 0, &je);

		if (!line)
			fail_msg("log line is not JSON: %s (%s)", buf, je.text);
		json_array_append_new(lines, line);
	}
	fclose(f);
	return lines;
}
