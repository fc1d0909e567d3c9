/*
 * Tests of the canned-LLM server's protocols (core/src/llm, cmd_llm.c) on the set of
 * support_llm.h, asked with libcurl: what the runtimes and the pipeline plugin depend on,
 * the answer shapes of every Ollama and OpenAI endpoint, deterministic unit-length
 * embeddings of the configured dimension, one JSON log line per request (and its tee),
 * the statuses of malformed requests, the latency option, and `parity llm serve` itself
 * (exit 0 on SIGTERM, exit 2 on a bad set). What a set answers is test_llm_set.c's.
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
#include <sys/wait.h>
#include <unistd.h>

#include "llm/llm_server.h"
#include "parity/jsonio.h"

#include "support.h"
#include "support_llm.h"

/* ---- shapes ---- */

/* A generate request not streamed, and an OpenAI chat request, that "Extract" answers. */
static const char generate_req[] =
    "{\"model\":\"m1\",\"prompt\":\"Extract facts from this\",\"stream\":false,"
    "\"options\":{\"num_predict\":4096}}";
static const char chat_req[] =
    "{\"model\":\"m2\",\"messages\":[{\"role\":\"user\",\"content\":\"Extract now\"}]}";

static void test_ollama_shapes(void **state)
{
	struct t_llm *fx = *state;
	json_t *doc, *m;
	struct t_reply r;

	doc = t_ask_json(fx->srv, "GET", "/api/tags", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(doc, "models")), 2);
	m = json_array_get(json_object_get(doc, "models"), 0);
	assert_string_equal(t_str(m, "name"), "m1");
	assert_string_equal(t_str(m, "model"), "m1");
	assert_non_null(t_str(m, "modified_at"));
	assert_true(json_is_object(json_object_get(m, "details")));
	json_decref(doc);

	doc = t_post(fx, "/api/generate", generate_req, 200);
	assert_string_equal(t_str(doc, "model"), "m1");
	assert_string_equal(t_str(doc, "response"), "A-generate");
	assert_true(json_is_true(json_object_get(doc, "done")));
	assert_string_equal(t_str(doc, "done_reason"), "stop");
	/* fixed timestamp and counts derived from the text: the same for both runtimes */
	assert_string_equal(t_str(doc, "created_at"), "2025-01-01T00:00:00.000000Z");
	assert_int_equal(json_integer_value(json_object_get(doc, "prompt_eval_count")), 4);
	assert_int_equal(json_integer_value(json_object_get(doc, "eval_count")), 1);
	assert_true(json_is_integer(json_object_get(doc, "total_duration")));
	assert_true(json_is_integer(json_object_get(doc, "load_duration")));
	assert_true(json_is_integer(json_object_get(doc, "eval_duration")));
	json_decref(doc);

	/* Ollama streams by default: NDJSON, text first, then the done chunk */
	r = t_ask(fx->srv, "POST", "/api/generate", "{\"model\":\"m1\",\"prompt\":\"Extract x\"}");
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
		assert_string_equal(t_str(a, "response"), "A-generate");
		assert_true(json_is_false(json_object_get(a, "done")));
		assert_true(json_is_true(json_object_get(b, "done")));
		json_decref(a);
		json_decref(b);
	}
	free(r.body);

	doc = t_post(fx, "/api/chat",
		     "{\"model\":\"m1\",\"stream\":false,\"messages\":[{\"role\":\"system\","
		     "\"content\":\"Extract carefully\"},{\"role\":\"user\",\"content\":\"x\"}]}",
		     200);
	m = json_object_get(doc, "message");
	assert_string_equal(t_str(m, "role"), "assistant");
	/* prompt "Extract carefully\nx": not /api/generate, so extract-any answers */
	assert_string_equal(t_str(m, "content"), "A-any");
	assert_true(json_is_true(json_object_get(doc, "done")));
	assert_string_equal(t_str(doc, "created_at"), "2025-01-01T00:00:00.000000Z");
	json_decref(doc);
}

static void test_openai_shapes(void **state)
{
	struct t_llm *fx = *state;
	json_t *doc, *ch, *again;
	struct t_reply r;

	doc = t_ask_json(fx->srv, "GET", "/v1/models", NULL, 200);
	assert_string_equal(t_str(doc, "object"), "list");
	assert_string_equal(t_str_at(json_object_get(doc, "data"), 1, "id"), "m2");
	assert_string_equal(t_str_at(json_object_get(doc, "data"), 1, "object"), "model");
	json_decref(doc);

	doc = t_post(fx, "/v1/chat/completions", chat_req, 200);
	assert_string_equal(t_str(doc, "object"), "chat.completion");
	assert_string_equal(t_str(doc, "model"), "m2");
	assert_int_equal(json_integer_value(json_object_get(doc, "created")), 1735689600);
	assert_true(json_is_string(json_object_get(doc, "id")));
	ch = json_array_get(json_object_get(doc, "choices"), 0);
	assert_int_equal(json_integer_value(json_object_get(ch, "index")), 0);
	assert_string_equal(t_str(ch, "finish_reason"), "stop");
	assert_string_equal(t_str(json_object_get(ch, "message"), "role"), "assistant");
	assert_string_equal(t_str(json_object_get(ch, "message"), "content"), "A-m2");
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(doc, "usage"), "total_tokens")),
	    json_integer_value(json_object_get(json_object_get(doc, "usage"), "prompt_tokens")) +
		json_integer_value(
		    json_object_get(json_object_get(doc, "usage"), "completion_tokens")));
	/* the same request answers byte-identical JSON, id included */
	again = t_post(fx, "/v1/chat/completions", chat_req, 200);
	assert_true(json_equal(doc, again));
	json_decref(again);
	json_decref(doc);

	/* content as parts */
	doc = t_post(fx, "/v1/chat/completions",
		     "{\"model\":\"m1\",\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":"
		     "\"text\",\"text\":\"an apple\"}]}]}",
		     200);
	ch = json_array_get(json_object_get(doc, "choices"), 0);
	assert_string_equal(t_str(json_object_get(ch, "message"), "content"),
			    "{\"fruit\":\"apple\"}");
	json_decref(doc);

	r = t_ask(fx->srv, "POST", "/v1/chat/completions",
		  "{\"model\":\"m1\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":"
		  "\"hi\"}]}");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.ctype, "text/event-stream"));
	assert_non_null(strstr(r.body, "\"object\":\"chat.completion.chunk\""));
	assert_non_null(strstr(r.body, "no canned answer"));
	assert_non_null(strstr(r.body, "data: [DONE]\n\n"));
	free(r.body);

	doc = t_post(fx, "/v1/completions", "{\"model\":\"m1\",\"prompt\":\"Extract it\"}", 200);
	assert_string_equal(t_str(doc, "object"), "text_completion");
	assert_string_equal(t_str_at(json_object_get(doc, "choices"), 0, "text"), "A-any");
	json_decref(doc);
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
	struct t_llm *fx = *state;
	struct ph_llm_server *other = NULL;
	struct ph_err err = {0};
	json_t *a, *b, *c, *d, *e, *v;
	double direct[16];
	size_t i;

	a = t_post(fx, "/api/embeddings", "{\"model\":\"nomic\",\"prompt\":\"the cat sat\"}", 200);
	check_unit(json_object_get(a, "embedding"), 16);
	/* the same text on another server (the other runtime's) gives the same vector */
	assert_int_equal(ph_llm_server_start(&other, fx->s, "reference", 0, NULL, &err), 0);
	b = t_ask_json(other, "POST", "/api/embeddings",
		       "{\"model\":\"nomic\",\"prompt\":\"the cat sat\"}", 200);
	assert_true(json_equal(a, b));
	ph_llm_server_stop(other);
	/* another text, another vector */
	c = t_post(fx, "/api/embeddings", "{\"model\":\"nomic\",\"prompt\":\"the dog ran\"}", 200);
	check_unit(json_object_get(c, "embedding"), 16);
	assert_false(json_equal(json_object_get(a, "embedding"), json_object_get(c, "embedding")));
	/* /api/embed and /v1/embeddings: one vector per input, the same as above */
	d = t_post(fx, "/api/embed",
		   "{\"model\":\"nomic\",\"input\":[\"the cat sat\",\"the dog ran\"]}", 200);
	assert_string_equal(t_str(d, "model"), "nomic");
	v = json_object_get(d, "embeddings");
	assert_int_equal(json_array_size(v), 2);
	assert_true(json_equal(json_array_get(v, 0), json_object_get(a, "embedding")));
	assert_true(json_equal(json_array_get(v, 1), json_object_get(c, "embedding")));
	e = t_post(fx, "/v1/embeddings", "{\"model\":\"nomic\",\"input\":\"the dog ran\"}", 200);
	assert_string_equal(t_str(e, "object"), "list");
	assert_string_equal(t_str(e, "model"), "nomic");
	v = json_array_get(json_object_get(e, "data"), 0);
	assert_string_equal(t_str(v, "object"), "embedding");
	assert_int_equal(json_integer_value(json_object_get(v, "index")), 0);
	assert_true(json_equal(json_object_get(v, "embedding"), json_object_get(c, "embedding")));
	assert_true(json_is_object(json_object_get(e, "usage")));
	json_decref(c);
	json_decref(d);
	json_decref(e);
	/* the library function is the same vector (up to the 9 digits sent) */
	ph_llm_embedding("the cat sat", 11, 16, direct);
	json_array_foreach(json_object_get(a, "embedding"), i, v)
	    assert_true(fabs(json_number_value(v) - direct[i]) < 1e-8);
	json_decref(a);
	/* Ollama answers an empty prompt with an empty vector */
	json_decref(b);
	b = t_post(fx, "/api/embeddings", "{\"model\":\"nomic\",\"prompt\":\"\"}", 200);
	assert_int_equal(json_array_size(json_object_get(b, "embedding")), 0);
	json_decref(b);
}

/* ---- the log ---- */

static void test_log_lines(void **state)
{
	struct t_llm *fx = *state;
	static const char *const keys[] = {"time",    "runtime", "method", "endpoint", "model",
					   "request", "prompt",	 "entry",  "status"};
	json_t *lines, *line, *doc;
	size_t n0, i, k;
	struct t_reply r;
	char *t;

	lines = t_log_lines(fx);
	n0 = json_array_size(lines);
	json_decref(lines);
	doc = t_ask_json(fx->srv, "GET", "/api/tags", NULL, 200);
	json_decref(doc);
	t = t_generate(fx->srv, "/api/generate", "m2", "Extract all");
	free(t);
	r = t_ask(fx->srv, "POST", "/api/generate", "not json at all");
	free(r.body);
	lines = t_log_lines(fx);
	/* every request of this test is one line, every line has every key */
	assert_int_equal(json_array_size(lines), n0 + 3);
	json_array_foreach(lines, i, line)
	{
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
			if (!json_object_get(line, keys[k]))
				fail_msg("log line %zu lacks '%s'", i, keys[k]);
		assert_string_equal(t_str(line, "runtime"), "candidate");
		/* ISO-8601 with milliseconds and Z */
		assert_int_equal(strlen(t_str(line, "time")), 24);
		assert_int_equal(t_str(line, "time")[23], 'Z');
	}
	line = json_array_get(lines, n0);
	assert_string_equal(t_str(line, "method"), "GET");
	assert_string_equal(t_str(line, "endpoint"), "/api/tags");
	assert_true(json_is_null(json_object_get(line, "model")));
	line = json_array_get(lines, n0 + 1);
	assert_string_equal(t_str(line, "endpoint"), "/api/generate");
	assert_string_equal(t_str(line, "model"), "m2");
	assert_string_equal(t_str(line, "prompt"), "Extract all");
	assert_string_equal(t_str(line, "entry"), "gen-only");
	assert_int_equal(json_integer_value(json_object_get(line, "status")), 200);
	/* the full request body, parsed */
	assert_true(json_is_false(json_object_get(json_object_get(line, "request"), "stream")));
	line = json_array_get(lines, n0 + 2);
	assert_string_equal(t_str(json_object_get(line, "request"), "raw"), "not json at all");
	assert_int_equal(json_integer_value(json_object_get(line, "status")), 400);
	json_decref(lines);

	/* tee: a second log gets the lines from now on */
	{
		char tee[128];
		json_t *copy;
		struct ph_err err = {0};

		snprintf(tee, sizeof(tee), "%s/domain.jsonl", fx->dir);
		assert_int_equal(ph_llm_server_tee(fx->srv, tee, &err), 0);
		doc = t_ask_json(fx->srv, "GET", "/v1/models", NULL, 200);
		json_decref(doc);
		assert_int_equal(ph_llm_server_tee(fx->srv, NULL, &err), 0);
		doc = t_ask_json(fx->srv, "GET", "/v1/models", NULL, 200);
		json_decref(doc);
		assert_int_equal(ph_json_load_file(tee, &copy, &err), 0);
		assert_string_equal(t_str(copy, "endpoint"), "/v1/models");
		json_decref(copy);
	}
}

/* ---- malformed requests ---- */

/* Send method path with body: the answer has this status (whatever its body). */
static void expect_status(const struct t_llm *fx, const char *method, const char *path,
			  const char *body, long status)
{
	struct t_reply r = t_ask(fx->srv, method, path, body);

	assert_int_equal(r.status, status);
	free(r.body);
}

static void test_malformed(void **state)
{
	struct t_llm *fx = *state;
	json_t *doc;

	doc = t_post(fx, "/api/generate", "{\"model\": ", 400);
	assert_non_null(strstr(t_str(doc, "error"), "invalid JSON"));
	json_decref(doc);
	doc = t_post(fx, "/api/generate", "{\"prompt\":\"x\"}", 400);
	assert_string_equal(t_str(doc, "error"), "model is required");
	json_decref(doc);
	doc = t_post(fx, "/api/chat", "", 400);
	assert_string_equal(t_str(doc, "error"), "missing request body");
	json_decref(doc);
	json_decref(t_post(fx, "/api/generate", "[1,2]", 400));
	json_decref(t_post(fx, "/api/generate", "{\"model\":\"m\",\"prompt\":42}", 400));
	json_decref(t_post(fx, "/api/chat", "{\"model\":\"m\",\"messages\":\"hi\"}", 400));
	json_decref(t_post(fx, "/api/chat", "{\"model\":\"m\",\"messages\":[7]}", 400));
	json_decref(t_post(fx, "/api/embed", "{\"model\":\"m\",\"input\":[1]}", 400));
	json_decref(t_post(fx, "/api/generate",
			   "{\"model\":\"m\",\"prompt\":\"x\",\"stream\":\"no\"}", 400));
	/* OpenAI endpoints answer OpenAI's error shape */
	doc = t_post(fx, "/v1/chat/completions", "{\"model\":\"m\"}", 400);
	assert_string_equal(t_str(json_object_get(doc, "error"), "type"), "invalid_request_error");
	json_decref(doc);
	doc = t_post(fx, "/v1/embeddings", "{\"model\":\"m\"}", 400);
	assert_true(json_is_object(json_object_get(doc, "error")));
	json_decref(doc);
	/* unknown path 404, wrong method 405 with Allow */
	expect_status(fx, "GET", "/api/nothing", NULL, 404);
	expect_status(fx, "POST", "/v2/chat/completions", "{}", 404);
	expect_status(fx, "GET", "/api/generate", NULL, 405);
	expect_status(fx, "DELETE", "/api/tags", NULL, 405);
	/* not UTF-8: still answered, still logged as valid JSON (log_lines parses every line) */
	expect_status(fx, "POST", "/api/generate", "\xff\xfe{\x01", 400);
	json_decref(t_log_lines(fx));
	/* the server still answers */
	doc = t_ask_json(fx->srv, "GET", "/api/tags", NULL, 200);
	json_decref(doc);
}

/* ---- latency ---- */

static void test_latency(void **state)
{
	struct t_llm *fx = *state;
	struct t_reply r;

	r = t_ask(fx->srv, "POST", "/api/generate",
		  "{\"model\":\"m1\",\"prompt\":\"slow please\",\"stream\":false}");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "late"));
	assert_true(r.ms >= 150.0);
	free(r.body);
	r = t_ask(fx->srv, "POST", "/api/generate",
		  "{\"model\":\"m1\",\"prompt\":\"fast please\",\"stream\":false}");
	assert_true(r.ms < 150.0);
	free(r.body);
}

/* ---- parity llm serve ---- */

static void test_cli_serve(void **state)
{
	struct t_llm *fx = *state;
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
		assert_string_equal(t_str(l, "runtime"), "cli");
		assert_string_equal(t_str(l, "endpoint"), "/api/tags");
		json_decref(l);
	}
}

T_MAIN(t_llm_setup, t_llm_teardown, cmocka_unit_test(test_ollama_shapes),
       cmocka_unit_test(test_openai_shapes), cmocka_unit_test(test_embeddings),
       cmocka_unit_test(test_log_lines), cmocka_unit_test(test_malformed),
       cmocka_unit_test(test_latency), cmocka_unit_test(test_cli_serve))
