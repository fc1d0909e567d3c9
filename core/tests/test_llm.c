/*
 * Tests of the canned-LLM server (core/src/llm, cmd_llm.c): canned sets written
 * into a temporary folder, the server started in-process on a free loopback port and
 * asked with libcurl. They check what the runtimes and the pipeline plugin depend on: the
 * answer shapes of every endpoint, the matching order (hash before prefix, file order,
 * model and endpoint filters), the fallback logged as unmatched, deterministic unit-length
 * embeddings of the configured dimension, one JSON log line per request, the statuses of
 * malformed requests, the latency option, set-file errors naming file and key, and
 * `parity llm serve` itself (exit 0 on SIGTERM, exit 2 on a bad set).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "llm/llm_server.h"
#include "parity/jsonio.h"
#include "run/workspace.h"

#include "support.h"

struct fixture {
	char dir[64]; /* the temporary folder */
	char set[96]; /* <dir>/set: the canned set */
	char log[96]; /* <dir>/requests.jsonl */
	struct ph_llm_set *s;
	struct ph_llm_server *srv;
};

struct reply {
	long status;
	char *body;
	size_t len;
	char ctype[128];
	double ms;
};

static void write_file(const char *dir, const char *name, const char *text)
{
	t_write_in(dir, name, text);
}

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

static const char exact_prompt[] = "Extract the exact one";

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

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct ph_err err = {0};
	char hex[65], b[1024];

	if (!fx)
		return -1;
	strcpy(fx->dir, "/tmp/test-llm-XXXXXX");
	if (!mkdtemp(fx->dir))
		return -1;
	snprintf(fx->set, sizeof(fx->set), "%s/set", fx->dir);
	snprintf(fx->log, sizeof(fx->log), "%s/requests.jsonl", fx->dir);
	mkdir(fx->set, 0755);
	write_file(fx->set, "a.json", a_json);
	sha256_hex(exact_prompt, hex);
	snprintf(b, sizeof(b), b_json_fmt, hex);
	write_file(fx->set, "b.json", b);
	write_file(fx->set, "notes.txt", "not a set file: ignored");
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

static int teardown(void **state)
{
	struct fixture *fx = *state;

	ph_llm_server_stop(fx->srv);
	ph_llm_set_free(fx->s);
	assert_int_equal(t_rmtree(fx->dir), 0);
	free(fx);
	return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	char *q = realloc(r->body, r->len + size * n + 1);

	if (!q)
		return 0;
	memcpy(q + r->len, p, size * n);
	r->body = q;
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

/* method path body -> reply (body NUL-terminated, freed by the caller). */
static struct reply ask(const struct ph_llm_server *srv, const char *method, const char *path,
			const char *body)
{
	struct reply r = {0};
	char url[256];
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
	char *ct = NULL;
	struct timespec t0, t1;

	assert_non_null(c);
	snprintf(url, sizeof(url), "%s%s", ph_llm_server_url(srv), path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	r.ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
	curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
	snprintf(r.ctype, sizeof(r.ctype), "%s", ct ? ct : "");
	if (!r.body)
		r.body = calloc(1, 1);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return r;
}

static json_t *ask_json(const struct ph_llm_server *srv, const char *method, const char *path,
			const char *body, long status)
{
	struct reply r = ask(srv, method, path, body);
	json_t *doc = json_loads(r.body, 0, NULL);

	if (r.status != status || !doc)
		fprintf(stderr, "%s %s -> %ld %s\n", method, path, r.status, r.body);
	assert_int_equal(r.status, status);
	assert_non_null(doc);
	assert_non_null(strstr(r.ctype, "application/json"));
	free(r.body);
	return doc;
}

static const char *str(const json_t *doc, const char *key)
{
	return json_string_value(json_object_get(doc, key));
}

/* The generate answer's text for prompt (model m1 unless given). */
static char *generate(const struct ph_llm_server *srv, const char *path, const char *model,
		      const char *prompt)
{
	json_t *req = json_pack("{s:s, s:s, s:b}", "model", model ? model : "m1", "prompt", prompt,
				"stream", 0);
	char *body = json_dumps(req, 0), *text;
	json_t *doc = ask_json(srv, "POST", path, body, 200);

	text = strdup(str(doc, "response"));
	json_decref(doc);
	json_decref(req);
	free(body);
	return text;
}

static json_t *log_lines(const struct fixture *fx)
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

/* ---- shapes ---- */

static void test_ollama_shapes(void **state)
{
	struct fixture *fx = *state;
	json_t *doc, *m;
	struct reply r;

	doc = ask_json(fx->srv, "GET", "/api/tags", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(doc, "models")), 2);
	m = json_array_get(json_object_get(doc, "models"), 0);
	assert_string_equal(str(m, "name"), "m1");
	assert_string_equal(str(m, "model"), "m1");
	assert_non_null(str(m, "modified_at"));
	assert_true(json_is_object(json_object_get(m, "details")));
	json_decref(doc);

	doc = ask_json(fx->srv, "POST", "/api/generate",
		       "{\"model\":\"m1\",\"prompt\":\"Extract facts from this\",\"stream\":false,"
		       "\"options\":{\"num_predict\":4096}}",
		       200);
	assert_string_equal(str(doc, "model"), "m1");
	assert_string_equal(str(doc, "response"), "A-generate");
	assert_true(json_is_true(json_object_get(doc, "done")));
	assert_string_equal(str(doc, "done_reason"), "stop");
	/* fixed timestamp and counts derived from the text: the same for both runtimes */
	assert_string_equal(str(doc, "created_at"), "2025-01-01T00:00:00.000000Z");
	assert_int_equal(json_integer_value(json_object_get(doc, "prompt_eval_count")), 4);
	assert_int_equal(json_integer_value(json_object_get(doc, "eval_count")), 1);
	assert_true(json_is_integer(json_object_get(doc, "total_duration")));
	assert_true(json_is_integer(json_object_get(doc, "load_duration")));
	assert_true(json_is_integer(json_object_get(doc, "eval_duration")));
	json_decref(doc);

	/* Ollama streams by default: NDJSON, text first, then the done chunk */
	r = ask(fx->srv, "POST", "/api/generate", "{\"model\":\"m1\",\"prompt\":\"Extract x\"}");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.ctype, "application/x-ndjson"));
	{
		char *nl = strchr(r.body, '\n');
		json_t *a, *b;

		assert_non_null(nl);
		*nl = '\0';
		a = json_loads(r.body, 0, NULL);
		b = json_loads(nl + 1, 0, NULL);
		assert_non_null(a);
		assert_non_null(b);
		assert_string_equal(str(a, "response"), "A-generate");
		assert_true(json_is_false(json_object_get(a, "done")));
		assert_true(json_is_true(json_object_get(b, "done")));
		json_decref(a);
		json_decref(b);
	}
	free(r.body);

	doc = ask_json(fx->srv, "POST", "/api/chat",
		       "{\"model\":\"m1\",\"stream\":false,\"messages\":[{\"role\":\"system\","
		       "\"content\":\"Extract carefully\"},{\"role\":\"user\",\"content\":\"x\"}]}",
		       200);
	m = json_object_get(doc, "message");
	assert_string_equal(str(m, "role"), "assistant");
	/* prompt "Extract carefully\nx": not /api/generate, so extract-any answers */
	assert_string_equal(str(m, "content"), "A-any");
	assert_true(json_is_true(json_object_get(doc, "done")));
	assert_string_equal(str(doc, "created_at"), "2025-01-01T00:00:00.000000Z");
	json_decref(doc);
}

static void test_openai_shapes(void **state)
{
	struct fixture *fx = *state;
	json_t *doc, *ch, *again;
	struct reply r;

	doc = ask_json(fx->srv, "GET", "/v1/models", NULL, 200);
	assert_string_equal(str(doc, "object"), "list");
	assert_string_equal(str(json_array_get(json_object_get(doc, "data"), 1), "id"), "m2");
	assert_string_equal(str(json_array_get(json_object_get(doc, "data"), 1), "object"),
			    "model");
	json_decref(doc);

	doc = ask_json(fx->srv, "POST", "/v1/chat/completions",
		       "{\"model\":\"m2\",\"messages\":[{\"role\":\"user\",\"content\":"
		       "\"Extract now\"}]}",
		       200);
	assert_string_equal(str(doc, "object"), "chat.completion");
	assert_string_equal(str(doc, "model"), "m2");
	assert_int_equal(json_integer_value(json_object_get(doc, "created")), 1735689600);
	assert_true(json_is_string(json_object_get(doc, "id")));
	ch = json_array_get(json_object_get(doc, "choices"), 0);
	assert_int_equal(json_integer_value(json_object_get(ch, "index")), 0);
	assert_string_equal(str(ch, "finish_reason"), "stop");
	assert_string_equal(str(json_object_get(ch, "message"), "role"), "assistant");
	assert_string_equal(str(json_object_get(ch, "message"), "content"), "A-m2");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(doc, "usage"), "total_tokens")),
	    json_integer_value(json_object_get(json_object_get(doc, "usage"), "prompt_tokens")) +
		json_integer_value(
		    json_object_get(json_object_get(doc, "usage"), "completion_tokens")));
	/* the same request answers byte-identical JSON, id included */
	again = ask_json(fx->srv, "POST", "/v1/chat/completions",
			 "{\"model\":\"m2\",\"messages\":[{\"role\":\"user\",\"content\":"
			 "\"Extract now\"}]}",
			 200);
	assert_true(json_equal(doc, again));
	json_decref(again);
	json_decref(doc);

	/* content as parts */
	doc = ask_json(fx->srv, "POST", "/v1/chat/completions",
		       "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
		       "\"text\",\"text\":\"an apple\"}]}]}",
		       200);
	ch = json_array_get(json_object_get(doc, "choices"), 0);
	assert_string_equal(str(json_object_get(ch, "message"), "content"),
			    "{\"fruit\":\"apple\"}");
	json_decref(doc);

	r = ask(fx->srv, "POST", "/v1/chat/completions",
		"{\"model\":\"m1\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
		"\"hi\"}]}");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.ctype, "text/event-stream"));
	assert_non_null(strstr(r.body, "\"object\":\"chat.completion.chunk\""));
	assert_non_null(strstr(r.body, "no canned answer"));
	assert_non_null(strstr(r.body, "data: [DONE]\n\n"));
	free(r.body);

	doc = ask_json(fx->srv, "POST", "/v1/completions",
		       "{\"model\":\"m1\",\"prompt\":\"Extract it\"}", 200);
	assert_string_equal(str(doc, "object"), "text_completion");
	assert_string_equal(str(json_array_get(json_object_get(doc, "choices"), 0), "text"),
			    "A-any");
	json_decref(doc);
}

/* ---- matching order ---- */

static void test_matching_order(void **state)
{
	struct fixture *fx = *state;
	char *t;

	/* hash entries first, although b.json comes after a.json's prefix entries */
	t = generate(fx->srv, "/api/generate", NULL, exact_prompt);
	assert_string_equal(t, "B-exact");
	free(t);
	/* endpoint filter: the first entry only answers /api/generate */
	t = generate(fx->srv, "/api/generate", NULL, "Extract things");
	assert_string_equal(t, "A-generate");
	free(t);
	/* model filter, on another endpoint */
	{
		json_t *doc = ask_json(fx->srv, "POST", "/v1/completions",
				       "{\"model\":\"m2\",\"prompt\":\"Extract things\"}", 200);

		assert_string_equal(str(json_array_get(json_object_get(doc, "choices"), 0), "text"),
				    "A-m2");
		json_decref(doc);
		doc = ask_json(fx->srv, "POST", "/v1/completions",
			       "{\"model\":\"m1\",\"prompt\":\"Extract things\"}", 200);
		/* file order: a.json's extract-any before b.json's extract-late */
		assert_string_equal(str(json_array_get(json_object_get(doc, "choices"), 0), "text"),
				    "A-any");
		json_decref(doc);
	}
	/* contains; the prefix must be at the start */
	t = generate(fx->srv, "/api/generate", NULL, "I ate an apple. Extract");
	assert_string_equal(t, "{\"fruit\":\"apple\"}");
	free(t);
	/* the direct matcher agrees, and the hash group is tried first */
	assert_string_equal(
	    ph_llm_set_find(fx->s, "/api/chat", "m1", exact_prompt, strlen(exact_prompt))->name,
	    "exact");
	assert_string_equal(ph_llm_set_entry(fx->s, 0)->name, "exact");
	assert_string_equal(ph_llm_set_entry(fx->s, 1)->name, "gen-only");
	assert_null(ph_llm_set_find(fx->s, "/api/chat", "m1", "nothing", 7));
	assert_int_equal(ph_llm_set_size(fx->s), 8);
}

/* ---- fallback and errors from entries ---- */

static void test_fallback_unmatched(void **state)
{
	struct fixture *fx = *state;
	json_t *lines, *last, *doc;
	long requests = 0, unmatched = 0, r0 = 0, u0 = 0;
	char *t;

	ph_llm_server_counts(fx->srv, &r0, &u0);
	t = generate(fx->srv, "/api/generate", NULL, "What is the weather?");
	/* a.json's fallback, not b.json's (the first file with one decides) */
	assert_string_equal(t, "no canned answer");
	free(t);
	lines = log_lines(fx);
	last = json_array_get(lines, json_array_size(lines) - 1);
	assert_true(json_is_null(json_object_get(last, "entry")));
	assert_string_equal(str(last, "prompt"), "What is the weather?");
	json_decref(lines);
	ph_llm_server_counts(fx->srv, &requests, &unmatched);
	assert_int_equal(requests, r0 + 1);
	assert_int_equal(unmatched, u0 + 1);

	/* an entry with status >= 400 answers an error body with its text */
	doc = ask_json(fx->srv, "POST", "/api/generate",
		       "{\"model\":\"m1\",\"prompt\":\"fail please\",\"stream\":false}", 503);
	assert_string_equal(str(doc, "error"), "canned failure");
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/v1/chat/completions",
		       "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":\"fail "
		       "please\"}]}",
		       503);
	assert_string_equal(str(json_object_get(doc, "error"), "message"), "canned failure");
	json_decref(doc);
	lines = log_lines(fx);
	last = json_array_get(lines, json_array_size(lines) - 1);
	assert_string_equal(str(last, "entry"), "broken");
	assert_int_equal(json_integer_value(json_object_get(last, "status")), 503);
	json_decref(lines);
}

static void test_fallback_status(void **state)
{
	struct fixture *fx = *state;
	struct ph_llm_set *s = NULL;
	struct ph_llm_server *srv = NULL;
	struct ph_err err = {0};
	char dir[128];
	json_t *doc;

	/* a set of one file with an error fallback and no entries; default dimension */
	snprintf(dir, sizeof(dir), "%s/down", fx->dir);
	mkdir(dir, 0755);
	write_file(dir, "only.json",
		   "{\"fallback\": {\"response\": \"model is offline\", \"status\": 500}}");
	assert_int_equal(ph_llm_set_load(dir, &s, &err), 0);
	assert_int_equal(ph_llm_set_dimensions(s), PH_LLM_DEFAULT_DIMENSIONS);
	assert_int_equal(ph_llm_server_start(&srv, s, "x", 0, NULL, &err), 0);
	doc = ask_json(srv, "POST", "/api/generate",
		       "{\"model\":\"m\",\"prompt\":\"anything\",\"stream\":false}", 500);
	assert_string_equal(str(doc, "error"), "model is offline");
	json_decref(doc);
	doc = ask_json(srv, "GET", "/api/tags", NULL, 200);
	assert_string_equal(str(json_array_get(json_object_get(doc, "models"), 0), "name"), "fake");
	json_decref(doc);
	doc = ask_json(srv, "POST", "/api/embeddings", "{\"model\":\"e\",\"prompt\":\"hi\"}", 200);
	assert_int_equal(json_array_size(json_object_get(doc, "embedding")), 768);
	json_decref(doc);
	ph_llm_server_stop(srv);
	ph_llm_set_free(s);
}

/* ---- embeddings ---- */

static void check_unit(const json_t *v, size_t dim)
{
	double norm = 0;
	size_t i;
	json_t *x;

	assert_int_equal(json_array_size(v), dim);
	json_array_foreach(v, i, x)
	{
		assert_true(json_is_number(x));
		norm += json_number_value(x) * json_number_value(x);
	}
	assert_true(fabs(sqrt(norm) - 1.0) < 1e-6);
}

static void test_embeddings(void **state)
{
	struct fixture *fx = *state;
	struct ph_llm_server *other = NULL;
	struct ph_err err = {0};
	json_t *a, *b, *c, *d, *e, *v;
	double direct[16];
	size_t i;

	a = ask_json(fx->srv, "POST", "/api/embeddings",
		     "{\"model\":\"nomic\",\"prompt\":\"the cat sat\"}", 200);
	check_unit(json_object_get(a, "embedding"), 16);
	/* the same text on another server (the other runtime's) gives the same vector */
	assert_int_equal(ph_llm_server_start(&other, fx->s, "reference", 0, NULL, &err), 0);
	b = ask_json(other, "POST", "/api/embeddings",
		     "{\"model\":\"nomic\",\"prompt\":\"the cat sat\"}", 200);
	assert_true(json_equal(a, b));
	ph_llm_server_stop(other);
	/* another text, another vector */
	c = ask_json(fx->srv, "POST", "/api/embeddings",
		     "{\"model\":\"nomic\",\"prompt\":\"the dog ran\"}", 200);
	check_unit(json_object_get(c, "embedding"), 16);
	assert_false(json_equal(json_object_get(a, "embedding"), json_object_get(c, "embedding")));
	/* /api/embed and /v1/embeddings: one vector per input, the same as above */
	d = ask_json(fx->srv, "POST", "/api/embed",
		     "{\"model\":\"nomic\",\"input\":[\"the cat sat\",\"the dog ran\"]}", 200);
	assert_string_equal(str(d, "model"), "nomic");
	v = json_object_get(d, "embeddings");
	assert_int_equal(json_array_size(v), 2);
	assert_true(json_equal(json_array_get(v, 0), json_object_get(a, "embedding")));
	assert_true(json_equal(json_array_get(v, 1), json_object_get(c, "embedding")));
	e = ask_json(fx->srv, "POST", "/v1/embeddings",
		     "{\"model\":\"nomic\",\"input\":\"the dog ran\"}", 200);
	assert_string_equal(str(e, "object"), "list");
	assert_string_equal(str(e, "model"), "nomic");
	v = json_array_get(json_object_get(e, "data"), 0);
	assert_string_equal(str(v, "object"), "embedding");
	assert_int_equal(json_integer_value(json_object_get(v, "index")), 0);
	assert_true(json_equal(json_object_get(v, "embedding"), json_object_get(c, "embedding")));
	assert_true(json_is_object(json_object_get(e, "usage")));
	/* the library function is the same vector (up to the 9 digits sent) */
	ph_llm_embedding("the cat sat", 11, 16, direct);
	json_array_foreach(json_object_get(a, "embedding"), i, v)
	    assert_true(fabs(json_number_value(v) - direct[i]) < 1e-8);
	/* Ollama answers an empty prompt with an empty vector */
	json_decref(b);
	b = ask_json(fx->srv, "POST", "/api/embeddings", "{\"model\":\"nomic\",\"prompt\":\"\"}",
		     200);
	assert_int_equal(json_array_size(json_object_get(b, "embedding")), 0);
	json_decref(a);
	json_decref(b);
	json_decref(c);
	json_decref(d);
	json_decref(e);
}

/* ---- the log ---- */

static void test_log_lines(void **state)
{
	struct fixture *fx = *state;
	static const char *const keys[] = {"time",    "runtime", "method", "endpoint", "model",
					   "request", "prompt",	 "entry",  "status"};
	json_t *lines, *line, *doc;
	size_t n0, i, k;
	struct reply r;
	char *t;

	lines = log_lines(fx);
	n0 = json_array_size(lines);
	json_decref(lines);
	doc = ask_json(fx->srv, "GET", "/api/tags", NULL, 200);
	json_decref(doc);
	t = generate(fx->srv, "/api/generate", "m2", "Extract all");
	free(t);
	r = ask(fx->srv, "POST", "/api/generate", "not json at all");
	free(r.body);
	lines = log_lines(fx);
	/* every request of this test is one line, every line has every key */
	assert_int_equal(json_array_size(lines), n0 + 3);
	json_array_foreach(lines, i, line)
	{
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!json_object_get(line, keys[k]))
				fail_msg("log line %zu lacks '%s'", i, keys[k]);
		assert_string_equal(str(line, "runtime"), "candidate");
		/* ISO-8601 with milliseconds and Z */
		assert_int_equal(strlen(str(line, "time")), 24);
		assert_int_equal(str(line, "time")[23], 'Z');
	}
	line = json_array_get(lines, n0);
	assert_string_equal(str(line, "method"), "GET");
	assert_string_equal(str(line, "endpoint"), "/api/tags");
	assert_true(json_is_null(json_object_get(line, "model")));
	line = json_array_get(lines, n0 + 1);
	assert_string_equal(str(line, "endpoint"), "/api/generate");
	assert_string_equal(str(line, "model"), "m2");
	assert_string_equal(str(line, "prompt"), "Extract all");
	assert_string_equal(str(line, "entry"), "gen-only");
	assert_int_equal(json_integer_value(json_object_get(line, "status")), 200);
	/* the full request body, parsed */
	assert_true(json_is_false(json_object_get(json_object_get(line, "request"), "stream")));
	line = json_array_get(lines, n0 + 2);
	assert_string_equal(str(json_object_get(line, "request"), "raw"), "not json at all");
	assert_int_equal(json_integer_value(json_object_get(line, "status")), 400);
	json_decref(lines);

	/* tee: a second log gets the lines from now on */
	{
		char tee[128];
		json_t *copy;
		struct ph_err err = {0};

		snprintf(tee, sizeof(tee), "%s/domain.jsonl", fx->dir);
		assert_int_equal(ph_llm_server_tee(fx->srv, tee, &err), 0);
		doc = ask_json(fx->srv, "GET", "/v1/models", NULL, 200);
		json_decref(doc);
		assert_int_equal(ph_llm_server_tee(fx->srv, NULL, &err), 0);
		doc = ask_json(fx->srv, "GET", "/v1/models", NULL, 200);
		json_decref(doc);
		assert_int_equal(ph_json_load_file(tee, &copy, &err), 0);
		assert_string_equal(str(copy, "endpoint"), "/v1/models");
		json_decref(copy);
	}
}

/* ---- malformed requests ---- */

static void test_malformed(void **state)
{
	struct fixture *fx = *state;
	json_t *doc;
	struct reply r;

	doc = ask_json(fx->srv, "POST", "/api/generate", "{\"model\": ", 400);
	assert_non_null(strstr(str(doc, "error"), "invalid JSON"));
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/api/generate", "{\"prompt\":\"x\"}", 400);
	assert_string_equal(str(doc, "error"), "model is required");
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/api/chat", "", 400);
	assert_string_equal(str(doc, "error"), "missing request body");
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/api/generate", "[1,2]", 400);
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/api/generate", "{\"model\":\"m\",\"prompt\":42}", 400);
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/api/chat", "{\"model\":\"m\",\"messages\":\"hi\"}", 400);
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/api/chat", "{\"model\":\"m\",\"messages\":[7]}", 400);
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/api/embed", "{\"model\":\"m\",\"input\":[1]}", 400);
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/api/generate",
		       "{\"model\":\"m\",\"prompt\":\"x\",\"stream\":\"no\"}", 400);
	json_decref(doc);
	/* OpenAI endpoints answer OpenAI's error shape */
	doc = ask_json(fx->srv, "POST", "/v1/chat/completions", "{\"model\":\"m\"}", 400);
	assert_string_equal(str(json_object_get(doc, "error"), "type"), "invalid_request_error");
	json_decref(doc);
	doc = ask_json(fx->srv, "POST", "/v1/embeddings", "{\"model\":\"m\"}", 400);
	assert_true(json_is_object(json_object_get(doc, "error")));
	json_decref(doc);
	/* unknown path 404, wrong method 405 with Allow */
	r = ask(fx->srv, "GET", "/api/nothing", NULL);
	assert_int_equal(r.status, 404);
	free(r.body);
	r = ask(fx->srv, "POST", "/v2/chat/completions", "{}");
	assert_int_equal(r.status, 404);
	free(r.body);
	r = ask(fx->srv, "GET", "/api/generate", NULL);
	assert_int_equal(r.status, 405);
	free(r.body);
	r = ask(fx->srv, "DELETE", "/api/tags", NULL);
	assert_int_equal(r.status, 405);
	free(r.body);
	/* not UTF-8: still answered, still logged as valid JSON (log_lines parses every line) */
	r = ask(fx->srv, "POST", "/api/generate", "\xff\xfe{\x01");
	assert_int_equal(r.status, 400);
	free(r.body);
	json_decref(log_lines(fx));
	/* the server still answers */
	doc = ask_json(fx->srv, "GET", "/api/tags", NULL, 200);
	json_decref(doc);
}

/* ---- latency ---- */

static void test_latency(void **state)
{
	struct fixture *fx = *state;
	struct reply r;

	r = ask(fx->srv, "POST", "/api/generate",
		"{\"model\":\"m1\",\"prompt\":\"slow please\",\"stream\":false}");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "late"));
	assert_true(r.ms >= 150.0);
	free(r.body);
	r = ask(fx->srv, "POST", "/api/generate",
		"{\"model\":\"m1\",\"prompt\":\"fast please\",\"stream\":false}");
	assert_true(r.ms < 150.0);
	free(r.body);
}

/* ---- set files ---- */

static void expect_bad(const char *dir, const char *name, const char *text, const char *want1,
		       const char *want2)
{
	struct ph_llm_set *s = NULL;
	struct ph_err err = {0};
	char sub[160];
	int rc;

	snprintf(sub, sizeof(sub), "%s/bad-%s", dir, name);
	mkdir(sub, 0755);
	write_file(sub, "x.json", text);
	rc = ph_llm_set_load(sub, &s, &err);
	assert_true(rc < 0);
	assert_null(s);
	if (!strstr(err.msg, "x.json") || !strstr(err.msg, want1) ||
	    (want2 && !strstr(err.msg, want2)))
		fail_msg("message '%s' lacks the file, '%s' or '%s'", err.msg, want1,
			 want2 ? want2 : "");
}

static void test_bad_sets(void **state)
{
	struct fixture *fx = *state;
	struct ph_llm_set *s = NULL;
	struct ph_err err = {0};
	char sub[160];

	expect_bad(fx->dir, "key",
		   "{\"entries\":[{\"name\":\"a\",\"match\":{\"prefx\":\"x\"},"
		   "\"response\":\"r\"}]}",
		   "entries[0].match", "prefx");
	expect_bad(fx->dir, "hash",
		   "{\"entries\":[{\"name\":\"a\",\"match\":{\"hash\":\"abc\"},"
		   "\"response\":\"r\"}]}",
		   "entries[0].match.hash", NULL);
	expect_bad(fx->dir, "noresp", "{\"entries\":[{\"name\":\"a\"}]}", "entries[0]", "response");
	expect_bad(fx->dir, "noname", "{\"entries\":[{\"response\":\"r\"}]}", "entries[0].name",
		   NULL);
	expect_bad(fx->dir, "dup",
		   "{\"entries\":[{\"name\":\"a\",\"response\":\"r\"},"
		   "{\"name\":\"a\",\"response\":\"s\"}]}",
		   "entries[1].name", "entries[0]");
	expect_bad(fx->dir, "status",
		   "{\"entries\":[{\"name\":\"a\",\"response\":\"r\","
		   "\"status\":\"500\"}]}",
		   "entries[0].status", NULL);
	expect_bad(fx->dir, "dims", "{\"dimensions\": 0}", "dimensions", NULL);
	expect_bad(fx->dir, "top", "{\"entrys\": []}", "entrys", NULL);
	expect_bad(fx->dir, "syntax", "{\"entries\": [\n  {,}\n]}", ":2:", NULL);
	expect_bad(fx->dir, "fallback", "{\"fallback\": {\"response\": 1}}", "fallback.response",
		   NULL);
	/* an empty folder is an error too, naming the folder */
	snprintf(sub, sizeof(sub), "%s/empty", fx->dir);
	mkdir(sub, 0755);
	assert_true(ph_llm_set_load(sub, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "empty"));
	/* dimensions that disagree between files */
	snprintf(sub, sizeof(sub), "%s/dims2", fx->dir);
	mkdir(sub, 0755);
	write_file(sub, "1.json", "{\"dimensions\": 8}");
	write_file(sub, "2.json", "{\"dimensions\": 9}");
	assert_true(ph_llm_set_load(sub, &s, &err) < 0);
	assert_non_null(strstr(err.msg, "2.json"));
	assert_non_null(strstr(err.msg, "1.json"));
	/* comments are allowed wherever a person may want them */
	snprintf(sub, sizeof(sub), "%s/notes", fx->dir);
	mkdir(sub, 0755);
	write_file(sub, "n.json",
		   "{\"comment\":\"c\",\"entries\":[{\"name\":\"a\",\"_why\":\"w\","
		   "\"match\":{\"comment\":\"c\"},\"response\":\"r\"}]}");
	assert_int_equal(ph_llm_set_load(sub, &s, &err), 0);
	ph_llm_set_free(s);
}

/* The repo's default set loads and answers the pipeline prompt families. */
static void test_default_set(void **state)
{
	struct ph_llm_set *s = NULL;
	struct ph_err err = {0};
	const struct ph_llm_entry *e;
	json_t *answer;
	static const char decision[] = "You are a memory management system. Decide.";
	static const char extraction[] = "Extract key facts and entity relationships from the "
					 "text below.";

	(void)state;
	if (ph_llm_set_load(PARITY_TEST_DIR "/../../canned-llm/default", &s, &err))
		fail_msg("%s", err.msg);
	e = ph_llm_set_find(s, "/api/generate", "qwen3:4b", decision, strlen(decision));
	assert_non_null(e);
	answer = json_loads(e->response, 0, NULL);
	assert_non_null(answer);
	assert_non_null(json_string_value(json_object_get(answer, "action")));
	json_decref(answer);
	e = ph_llm_set_find(s, "/api/generate", "qwen3:4b", extraction, strlen(extraction));
	assert_non_null(e);
	answer = json_loads(e->response, 0, NULL);
	assert_true(json_is_array(json_object_get(answer, "facts")));
	json_decref(answer);
	assert_string_equal(ph_llm_set_fallback(s)->response, "{}");
	assert_int_equal(ph_llm_set_dimensions(s), 768);
	ph_llm_set_free(s);
}

/* ---- parity llm serve ---- */

static void test_cli_serve(void **state)
{
	struct fixture *fx = *state;
	const char *exe = PARITY_BUILD_DIR "/parity";
	char cmd[512], line[256], *url;
	int status, rc;
	pid_t pid;
	int pipefd[2];
	FILE *err;
	char log[128];

	if (access(exe, X_OK) != 0)
		skip();
	/* a bad set exits 2 naming file and key */
	snprintf(cmd, sizeof(cmd),
		 "mkdir -p %s/cli-bad && printf '{\"entries\":7}' > "
		 "%s/cli-bad/x.json && %s llm serve --dir %s/cli-bad 2>%s/cli.err",
		 fx->dir, fx->dir, exe, fx->dir, fx->dir);
	rc = system(cmd);
	assert_true(WIFEXITED(rc));
	assert_int_equal(WEXITSTATUS(rc), 2);
	snprintf(cmd, sizeof(cmd), "grep -q 'x.json: entries' %s/cli.err", fx->dir);
	assert_int_equal(system(cmd), 0);

	/* serve: prints where it listens, answers, logs, exits 0 on SIGTERM */
	snprintf(log, sizeof(log), "%s/cli.jsonl", fx->dir);
	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		execl(exe, exe, "llm", "serve", "--dir", fx->set, "--port", "0", "--log", log,
		      "--name", "cli", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	err = fdopen(pipefd[0], "r");
	assert_non_null(fgets(line, sizeof(line), err));
	url = strstr(line, "listening on http://127.0.0.1:");
	assert_non_null(url);
	{
		CURL *c = curl_easy_init();
		char u[128];
		long code = 0;
		FILE *devnull = fopen("/dev/null", "w");

		snprintf(u, sizeof(u), "%.*s/api/tags", (int)strcspn(url + 13, "\n"), url + 13);
		curl_easy_setopt(c, CURLOPT_URL, u);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, devnull);
		assert_int_equal(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		assert_int_equal(code, 200);
		curl_easy_cleanup(c);
		fclose(devnull);
	}
	kill(pid, SIGTERM);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	fclose(err);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	{
		json_t *l = NULL;
		struct ph_err e = {0};

		assert_int_equal(ph_json_load_file(log, &l, &e), 0);
		assert_string_equal(str(l, "runtime"), "cli");
		assert_string_equal(str(l, "endpoint"), "/api/tags");
		json_decref(l);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ollama_shapes),   cmocka_unit_test(test_openai_shapes),
	    cmocka_unit_test(test_matching_order),  cmocka_unit_test(test_fallback_unmatched),
	    cmocka_unit_test(test_fallback_status), cmocka_unit_test(test_embeddings),
	    cmocka_unit_test(test_log_lines),	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_latency),	    cmocka_unit_test(test_bad_sets),
	    cmocka_unit_test(test_default_set),	    cmocka_unit_test(test_cli_serve),
	};
	int rc;

	curl_global_init(CURL_GLOBAL_ALL);
	rc = cmocka_run_group_tests(tests, setup, teardown);
	curl_global_cleanup();
	return rc;
}
