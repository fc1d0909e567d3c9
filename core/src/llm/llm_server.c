/*
 * The canned-LLM HTTP server (llm_server.h): libmicrohttpd on 127.0.0.1, one thread per
 * connection so an entry's artificial latency delays only its own request. Each request
 * is routed to an Ollama or OpenAI-compatible handler that takes the prompt out of the
 * body, picks the canned answer (llm_set.c), builds the answer in the real server's shape
 * with fixed timestamps and token counts derived from the text (so both runtimes get
 * byte-identical answers), and writes one JSON line to the log. Malformed requests get
 * the status and error body the real server gives (400, 404, 405, 413), never a crash.
 */
#include "llm/llm_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define MAX_BODY ((size_t)32 << 20)
/* The fixed instant every answer carries, so answers do not depend on the clock. */
#define FIXED_CREATED_AT "2025-01-01T00:00:00.000000Z"
#define FIXED_CREATED 1735689600
#define LOAD_NS 1000000
#define PROMPT_TOKEN_NS 100000
#define EVAL_TOKEN_NS 1000000
#define DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

struct ph_llm_server {
	struct MHD_Daemon *mhd;
	const struct ph_llm_set *set;
	char *runtime;
	int port;
	char url[48];
	pthread_mutex_t lock; /* the logs and the counters */
	FILE *log, *tee;
	long requests, unmatched;
};

/* The body of one connection's request, gathered across upload callbacks. */
struct upload {
	char *data;
	size_t len, cap;
	int too_big;
};

/* One request and its answer, as the handlers see it. */
struct exchange {
	struct ph_llm_server *srv;
	const char *method, *path;
	const char *raw; /* the body, NUL-terminated */
	size_t raw_len;
	json_t *req;	   /* the parsed body, or NULL */
	json_error_t jerr; /* why it did not parse */
	int openai;	   /* errors in the OpenAI shape */
	/* the answer */
	unsigned status;
	const char *ctype;
	char *body;
	size_t body_len;
	/* for the log */
	const char *model; /* borrowed from req */
	char *prompt;
	size_t prompt_len;
	int has_prompt;
	const char *entry; /* borrowed from the set */
	int unmatched;
	long latency_ms;
};

/* ---- answers ------------------------------------------------------------------- */

static void reply_text(struct exchange *x, unsigned status, const char *ctype, const char *text)
{
	free(x->body);
	x->status = status;
	x->ctype = ctype;
	x->body = strdup(text);
	x->body_len = x->body ? strlen(x->body) : 0;
}

/* Answer doc (stolen) as JSON. */
static void reply_json(struct exchange *x, unsigned status, json_t *doc)
{
	free(x->body);
	x->status = status;
	x->ctype = "application/json; charset=utf-8";
	x->body = doc ? json_dumps(doc, DUMP_FLAGS) : NULL;
	x->body_len = x->body ? strlen(x->body) : 0;
	json_decref(doc);
	if (!x->body) {
		x->status = 500;
		x->body = strdup("{\"error\":\"out of memory\"}");
		x->body_len = x->body ? strlen(x->body) : 0;
	}
}

/* An error body as the real server gives it: Ollama {"error"} or OpenAI {"error":{...}}. */
static void reply_error(struct exchange *x, unsigned status, const char *msg)
{
	if (x->openai)
		reply_json(x, status,
			   json_pack("{s:{s:s, s:s, s:n, s:n}}", "error", "message", msg, "type",
				     status >= 500 ? "api_error" : "invalid_request_error", "param",
				     "code"));
	else
		reply_json(x, status, json_pack("{s:s}", "error", msg));
}

/* Whitespace-separated words: the deterministic stand-in for a token count. */
static json_int_t tokens(const char *s, size_t len)
{
	json_int_t n = 0;
	int in = 0;
	size_t i;

	for (i = 0; s && i < len; i++) {
		int space = s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r';

		if (!space && !in)
			n++;
		in = !space;
	}
	return n;
}

static void add_durations(json_t *o, json_int_t ptok, json_int_t etok)
{
	json_object_set_new(o, "total_duration",
			    json_integer(LOAD_NS + ptok * PROMPT_TOKEN_NS + etok * EVAL_TOKEN_NS));
	json_object_set_new(o, "load_duration", json_integer(LOAD_NS));
	json_object_set_new(o, "prompt_eval_count", json_integer(ptok));
	json_object_set_new(o, "prompt_eval_duration", json_integer(ptok * PROMPT_TOKEN_NS));
	json_object_set_new(o, "eval_count", json_integer(etok));
	json_object_set_new(o, "eval_duration", json_integer(etok * EVAL_TOKEN_NS));
}

/* "<prefix>-<first 24 hex digits of the prompt's SHA-256>": stable per prompt. */
static json_t *stable_id(const char *prefix, const char *text, size_t len)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1], id[64];

	crypto_hash_sha256(d, (const unsigned char *)(text ? text : ""), text ? len : 0);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	snprintf(id, sizeof(id), "%s-%.24s", prefix, hex);
	return json_string(id);
}

static json_t *text_value(const char *s, size_t len)
{
	return json_stringn_nocheck(s ? s : "", s ? len : 0);
}

/* Append "<line>\n" (doc stolen) to a growing NDJSON or SSE body. */
static int append_doc(char **buf, size_t *len, const char *pre, json_t *doc, const char *post)
{
	char *line = doc ? json_dumps(doc, DUMP_FLAGS) : NULL;
	size_t n;
	char *p;

	json_decref(doc);
	if (!line)
		return -1;
	n = strlen(pre) + strlen(line) + strlen(post);
	p = realloc(*buf, *len + n + 1);
	if (!p) {
		free(line);
		return -1;
	}
	sprintf(p + *len, "%s%s%s", pre, line, post);
	*buf = p;
	*len += n;
	free(line);
	return 0;
}

static void reply_stream(struct exchange *x, const char *ctype, char *buf, size_t len)
{
	free(x->body);
	if (!buf) {
		x->body = NULL;
		reply_error(x, 500, "out of memory");
		return;
	}
	x->status = 200;
	x->ctype = ctype;
	x->body = buf;
	x->body_len = len;
}

/* ---- requests ------------------------------------------------------------------- */

/* The body as a JSON object, or an error answer (then returns -1). */
static int need_body(struct exchange *x)
{
	char msg[256];

	if (x->raw_len == 0) {
		reply_error(x, 400, "missing request body");
		return -1;
	}
	if (!x->req) {
		snprintf(msg, sizeof(msg), "invalid JSON at line %d column %d: %s", x->jerr.line,
			 x->jerr.column, x->jerr.text);
		reply_error(x, 400, msg);
		return -1;
	}
	if (!json_is_object(x->req)) {
		reply_error(x, 400, "request body must be a JSON object");
		return -1;
	}
	return 0;
}

static int need_model(struct exchange *x)
{
	const json_t *m = json_object_get(x->req, "model");

	if (json_is_string(m))
		x->model = json_string_value(m);
	if (!json_is_string(m) || !json_string_length(m)) {
		reply_error(x, 400, "model is required");
		return -1;
	}
	return 0;
}

/* stream: Ollama streams unless told "stream": false; OpenAI only when told true. */
static int want_stream(struct exchange *x, int dflt, int *stream)
{
	const json_t *s = json_object_get(x->req, "stream");

	if (s && !json_is_boolean(s) && !json_is_null(s)) {
		reply_error(x, 400, "invalid request: 'stream' must be a boolean");
		return -1;
	}
	*stream = json_is_boolean(s) ? json_is_true(s) : dflt;
	return 0;
}

static int set_prompt(struct exchange *x, const char *s, size_t len)
{
	free(x->prompt);
	x->prompt = malloc(len + 1);
	if (!x->prompt) {
		reply_error(x, 500, "out of memory");
		return -1;
	}
	memcpy(x->prompt, s, len);
	x->prompt[len] = '\0';
	x->prompt_len = len;
	x->has_prompt = 1;
	return 0;
}

/* A string key as the prompt: absent is "", anything else but a string is a 400. */
static int prompt_from_key(struct exchange *x, const char *key)
{
	const json_t *p = json_object_get(x->req, key);
	char msg[96];

	if (p && !json_is_string(p)) {
		snprintf(msg, sizeof(msg), "invalid request: '%s' must be a string", key);
		reply_error(x, 400, msg);
		return -1;
	}
	return set_prompt(x, p ? json_string_value(p) : "", p ? json_string_length(p) : 0);
}

/*
 * The prompt of a chat: the contents of all messages, in order, joined by "\n" (roles
 * left out, so a one-message chat has the same prompt as a generate of that text). An
 * OpenAI content may also be an array of parts; its "text" parts are concatenated.
 */
static int prompt_from_messages(struct exchange *x)
{
	const json_t *msgs = json_object_get(x->req, "messages"), *m;
	char *buf = NULL;
	size_t len = 0, i;
	int rc;

	if (msgs && !json_is_array(msgs)) {
		reply_error(x, 400, "invalid request: 'messages' must be an array");
		return -1;
	}
	if (x->openai && !json_array_size(msgs)) {
		reply_error(x, 400, "invalid request: 'messages' must be a non-empty array");
		return -1;
	}
	json_array_foreach(msgs, i, m)
	{
		const json_t *c = json_object_get(m, "content"), *part;
		size_t j;

		if (!json_is_object(m)) {
			free(buf);
			reply_error(x, 400, "invalid request: each message must be an object");
			return -1;
		}
		if (c && !json_is_string(c) && !json_is_null(c) &&
		    !(x->openai && json_is_array(c))) {
			free(buf);
			reply_error(x, 400,
				    "invalid request: a message 'content' must be a string");
			return -1;
		}
		if (i > 0 || json_is_string(c) || json_is_array(c)) {
			/* grow: the separator and the parts */
			size_t add = 1 + (json_is_string(c) ? json_string_length(c) : 0);
			char *p;

			json_array_foreach(json_is_array(c) ? c : NULL, j, part) add +=
			    json_string_length(json_object_get(part, "text"));
			p = realloc(buf, len + add + 1);
			if (!p) {
				free(buf);
				reply_error(x, 500, "out of memory");
				return -1;
			}
			buf = p;
			if (i > 0)
				buf[len++] = '\n';
			if (json_is_string(c)) {
				memcpy(buf + len, json_string_value(c), json_string_length(c));
				len += json_string_length(c);
			}
			json_array_foreach(json_is_array(c) ? c : NULL, j, part)
			{
				const json_t *t = json_object_get(part, "text");

				memcpy(buf + len, json_string_value(t) ? json_string_value(t) : "",
				       json_string_length(t));
				len += json_string_length(t);
			}
		}
	}
	rc = set_prompt(x, buf ? buf : "", len);
	free(buf);
	return rc;
}

/* The canned entry for the prompt (or the fallback); an error entry answers here. */
static const struct ph_llm_entry *answer_entry(struct exchange *x)
{
	const struct ph_llm_entry *e =
	    ph_llm_set_find(x->srv->set, x->path, x->model, x->prompt, x->prompt_len);

	if (e) {
		x->entry = e->name;
	} else {
		e = ph_llm_set_fallback(x->srv->set);
		x->unmatched = 1;
	}
	x->latency_ms = e->latency_ms;
	if (e->status >= 400) {
		char *msg = strndup(e->response, e->response_len);

		reply_error(x, (unsigned)e->status, msg ? msg : "error");
		free(msg);
		return NULL;
	}
	return e;
}

/* ---- handlers ------------------------------------------------------------------- */

static void h_root(struct exchange *x)
{
	reply_text(x, 200, "text/plain; charset=utf-8", "Ollama is running");
}

static void h_version(struct exchange *x)
{
	reply_json(x, 200, json_pack("{s:s}", "version", "0.0.0-canned"));
}

static void h_tags(struct exchange *x)
{
	json_t *list = json_array(), *m;
	size_t i;

	json_array_foreach((json_t *)ph_llm_set_models(x->srv->set), i, m)
	{
		const char *name = json_string_value(m);
		unsigned char d[crypto_hash_sha256_BYTES];
		char hex[2 * crypto_hash_sha256_BYTES + 1];

		crypto_hash_sha256(d, (const unsigned char *)name, strlen(name));
		sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
		json_array_append_new(
		    list, json_pack("{s:s, s:s, s:s, s:i, s:s, s:{s:s, s:s, s:s, s:[s], s:s, s:s}}",
				    "name", name, "model", name, "modified_at", FIXED_CREATED_AT,
				    "size", 0, "digest", hex, "details", "parent_model", "",
				    "format", "gguf", "family", "canned", "families", "canned",
				    "parameter_size", "0B", "quantization_level", "none"));
	}
	reply_json(x, 200, json_pack("{s:o}", "models", list));
}

static void h_models(struct exchange *x)
{
	json_t *list = json_array(), *m;
	size_t i;

	json_array_foreach((json_t *)ph_llm_set_models(x->srv->set), i, m) json_array_append_new(
	    list, json_pack("{s:O, s:s, s:i, s:s}", "id", m, "object", "model", "created",
			    FIXED_CREATED, "owned_by", "library"));
	reply_json(x, 200, json_pack("{s:s, s:o}", "object", "list", "data", list));
}

/* /api/generate and /api/chat share everything but where the text goes. */
static void ollama_complete(struct exchange *x, int chat)
{
	const struct ph_llm_entry *e;
	json_int_t ptok, etok;
	int stream;
	json_t *o;

	if (need_body(x) || need_model(x) || want_stream(x, 1, &stream))
		return;
	if (chat ? prompt_from_messages(x) : prompt_from_key(x, "prompt"))
		return;
	if (!(e = answer_entry(x)))
		return;
	ptok = tokens(x->prompt, x->prompt_len);
	etok = tokens(e->response, e->response_len);
	o = json_pack("{s:s, s:s}", "model", x->model, "created_at", FIXED_CREATED_AT);
	if (chat)
		json_object_set_new(o, "message",
				    json_pack("{s:s, s:o}", "role", "assistant", "content",
					      text_value(e->response, e->response_len)));
	else
		json_object_set_new(o, "response", text_value(e->response, e->response_len));
	if (!stream) {
		json_object_set_new(o, "done", json_true());
		json_object_set_new(o, "done_reason", json_string("stop"));
		add_durations(o, ptok, etok);
		reply_json(x, 200, o);
	} else {
		/* NDJSON: the whole text in one chunk, then the closing chunk */
		char *buf = NULL;
		size_t len = 0;
		json_t *last =
		    json_pack("{s:s, s:s}", "model", x->model, "created_at", FIXED_CREATED_AT);

		json_object_set_new(o, "done", json_false());
		if (chat)
			json_object_set_new(
			    last, "message",
			    json_pack("{s:s, s:s}", "role", "assistant", "content", ""));
		else
			json_object_set_new(last, "response", json_string(""));
		json_object_set_new(last, "done", json_true());
		json_object_set_new(last, "done_reason", json_string("stop"));
		add_durations(last, ptok, etok);
		if (append_doc(&buf, &len, "", o, "\n") || append_doc(&buf, &len, "", last, "\n")) {
			free(buf);
			buf = NULL;
		}
		reply_stream(x, "application/x-ndjson", buf, len);
	}
}

static void h_generate(struct exchange *x)
{
	ollama_complete(x, 0);
}

static void h_chat(struct exchange *x)
{
	ollama_complete(x, 1);
}

/* /v1/chat/completions and /v1/completions. */
static void openai_complete(struct exchange *x, int chat)
{
	const struct ph_llm_entry *e;
	json_int_t ptok, etok;
	int stream;
	json_t *o, *choice, *id;

	if (need_body(x) || need_model(x) || want_stream(x, 0, &stream))
		return;
	if (chat ? prompt_from_messages(x) : prompt_from_key(x, "prompt"))
		return;
	if (!(e = answer_entry(x)))
		return;
	ptok = tokens(x->prompt, x->prompt_len);
	etok = tokens(e->response, e->response_len);
	id = stable_id(chat ? "chatcmpl" : "cmpl", x->prompt, x->prompt_len);
	if (!stream) {
		if (chat)
			choice = json_pack("{s:i, s:{s:s, s:o}, s:s}", "index", 0, "message",
					   "role", "assistant", "content",
					   text_value(e->response, e->response_len),
					   "finish_reason", "stop");
		else
			choice = json_pack("{s:o, s:i, s:s}", "text",
					   text_value(e->response, e->response_len), "index", 0,
					   "finish_reason", "stop");
		o = json_pack("{s:o, s:s, s:i, s:s, s:s, s:[o], s:{s:I, s:I, s:I}}", "id", id,
			      "object", chat ? "chat.completion" : "text_completion", "created",
			      FIXED_CREATED, "model", x->model, "system_fingerprint", "fp_ollama",
			      "choices", choice, "usage", "prompt_tokens", ptok,
			      "completion_tokens", etok, "total_tokens", ptok + etok);
		reply_json(x, 200, o);
	} else {
		/* server-sent events: the text, the finish, then [DONE] */
		const char *obj = chat ? "chat.completion.chunk" : "text_completion";
		char *buf = NULL;
		size_t len = 0;
		json_t *first, *last;

		if (chat) {
			first = json_pack(
			    "{s:i, s:{s:s, s:o}, s:n}", "index", 0, "delta", "role", "assistant",
			    "content", text_value(e->response, e->response_len), "finish_reason");
			last = json_pack("{s:i, s:{s:s, s:s}, s:s}", "index", 0, "delta", "role",
					 "assistant", "content", "", "finish_reason", "stop");
		} else {
			first = json_pack("{s:o, s:i, s:n}", "text",
					  text_value(e->response, e->response_len), "index", 0,
					  "finish_reason");
			last = json_pack("{s:s, s:i, s:s}", "text", "", "index", 0, "finish_reason",
					 "stop");
		}
		if (append_doc(&buf, &len, "data: ",
			       json_pack("{s:O, s:s, s:i, s:s, s:s, s:[o]}", "id", id, "object",
					 obj, "created", FIXED_CREATED, "model", x->model,
					 "system_fingerprint", "fp_ollama", "choices", first),
			       "\n\n") ||
		    append_doc(&buf, &len, "data: ",
			       json_pack("{s:O, s:s, s:i, s:s, s:s, s:[o]}", "id", id, "object",
					 obj, "created", FIXED_CREATED, "model", x->model,
					 "system_fingerprint", "fp_ollama", "choices", last),
			       "\n\n")) {
			free(buf);
			buf = NULL;
		} else {
			char *p = realloc(buf, len + sizeof("data: [DONE]\n\n"));

			if (p) {
				memcpy(p + len, "data: [DONE]\n\n", sizeof("data: [DONE]\n\n"));
				len += sizeof("data: [DONE]\n\n") - 1;
			} else {
				free(buf);
			}
			buf = p;
		}
		json_decref(id);
		reply_stream(x, "text/event-stream", buf, len);
	}
}

static void h_oa_chat(struct exchange *x)
{
	openai_complete(x, 1);
}

static void h_oa_completions(struct exchange *x)
{
	openai_complete(x, 0);
}

/*
 * Embedding answers are built as text: 768 numbers through json_t and a %g printer cost
 * most of a request's time (bench/llm). A small growing buffer; on allocation failure it
 * stays NULL and every later append is a no-op.
 */
struct sbuf {
	char *p;
	size_t len, cap;
	int failed;
};

static void sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *q = realloc(b->p, cap);

		if (!q) {
			b->failed = 1;
			return;
		}
		b->p = q;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_str(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void sb_int(struct sbuf *b, json_int_t v)
{
	char num[32];

	snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT, v);
	sb_str(b, num);
}

/* A JSON string literal of s. */
static void sb_json_string(struct sbuf *b, const char *s)
{
	json_t *v = json_string(s);
	char *t = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

	if (t)
		sb_str(b, t);
	else
		b->failed = 1;
	free(t);
	json_decref(v);
}

/* The embedding of text as a JSON array, each number with 9 decimals (exact, fast). */
static void sb_embedding(struct sbuf *b, const struct exchange *x, const char *text, size_t len)
{
	int dim = ph_llm_set_dimensions(x->srv->set), i;
	double *v = malloc((size_t)dim * sizeof(*v));
	char num[32];

	if (!v) {
		b->failed = 1;
		return;
	}
	ph_llm_embedding(text, len, dim, v);
	sb_add(b, "[", 1);
	for (i = 0; i < dim; i++) {
		/* |v| <= 1, so the scaled value fits; integer printing keeps this cheap */
		long long q = llround(v[i] * 1e9);
		unsigned long long a = (unsigned long long)(q < 0 ? -q : q);
		char *e = num + sizeof(num), *p = e;
		int d;

		for (d = 0; d < 9; d++, a /= 10)
			*--p = (char)('0' + a % 10);
		*--p = '.';
		do
			*--p = (char)('0' + a % 10);
		while ((a /= 10));
		if (q < 0)
			*--p = '-';
		if (i)
			*--p = ',';
		sb_add(b, p, (size_t)(e - p));
	}
	sb_add(b, "]", 1);
	free(v);
}

static void reply_sbuf(struct exchange *x, struct sbuf *b)
{
	if (b->failed || !b->p) {
		free(b->p);
		reply_error(x, 500, "out of memory");
		return;
	}
	free(x->body);
	x->status = 200;
	x->ctype = "application/json; charset=utf-8";
	x->body = b->p;
	x->body_len = b->len;
}

/*
 * The texts of "input" (a string or an array of strings), joined by "\n" as the logged
 * prompt. required: OpenAI rejects a missing input; Ollama answers no embeddings.
 */
static int embed_inputs(struct exchange *x, int required, const json_t **inputs)
{
	const json_t *in = json_object_get(x->req, "input"), *s;
	size_t i, len = 0;
	char *buf;
	int ok = json_is_string(in) || json_is_array(in) || (!in && !required), rc;

	json_array_foreach(json_is_array(in) ? in : NULL, i, s)
	{
		ok = ok && json_is_string(s);
		len += json_string_length(s) + 1;
	}
	if (!ok) {
		reply_error(x, 400,
			    "invalid input type: 'input' must be a string or an array "
			    "of strings");
		return -1;
	}
	*inputs = in;
	if (json_is_string(in))
		return set_prompt(x, json_string_value(in), json_string_length(in));
	if (!in)
		return 0;
	buf = malloc(len + 1);
	if (!buf) {
		reply_error(x, 500, "out of memory");
		return -1;
	}
	len = 0;
	json_array_foreach(in, i, s)
	{
		if (i > 0)
			buf[len++] = '\n';
		memcpy(buf + len, json_string_value(s), json_string_length(s));
		len += json_string_length(s);
	}
	rc = set_prompt(x, buf, len);
	free(buf);
	return rc;
}

/* The i-th text of inputs (a string counts as one), or NULL past the end. */
static const json_t *input_at(const json_t *inputs, size_t i)
{
	if (json_is_string(inputs))
		return i == 0 ? inputs : NULL;
	return json_array_get(inputs, i);
}

static void h_embeddings(struct exchange *x)
{
	struct sbuf b = {0};

	if (need_body(x) || need_model(x) || prompt_from_key(x, "prompt"))
		return;
	sb_str(&b, "{\"embedding\":");
	if (x->prompt_len)
		sb_embedding(&b, x, x->prompt, x->prompt_len);
	else
		sb_str(&b, "[]"); /* Ollama answers an empty prompt with an empty vector */
	sb_str(&b, "}");
	reply_sbuf(x, &b);
}

static void h_embed(struct exchange *x)
{
	const json_t *inputs = NULL, *s;
	struct sbuf b = {0};
	json_int_t ptok = 0;
	size_t i;

	if (need_body(x) || need_model(x) || embed_inputs(x, 0, &inputs))
		return;
	sb_str(&b, "{\"model\":");
	sb_json_string(&b, x->model);
	sb_str(&b, ",\"embeddings\":[");
	for (i = 0; (s = input_at(inputs, i)); i++) {
		if (i)
			sb_str(&b, ",");
		sb_embedding(&b, x, json_string_value(s), json_string_length(s));
		ptok += tokens(json_string_value(s), json_string_length(s));
	}
	sb_str(&b, "],\"total_duration\":");
	sb_int(&b, LOAD_NS + ptok * PROMPT_TOKEN_NS);
	sb_str(&b, ",\"load_duration\":");
	sb_int(&b, LOAD_NS);
	sb_str(&b, ",\"prompt_eval_count\":");
	sb_int(&b, ptok);
	sb_str(&b, "}");
	reply_sbuf(x, &b);
}

static void h_oa_embeddings(struct exchange *x)
{
	const json_t *inputs = NULL, *s;
	struct sbuf b = {0};
	json_int_t ptok = 0;
	size_t i;

	if (need_body(x) || need_model(x) || embed_inputs(x, 1, &inputs))
		return;
	sb_str(&b, "{\"object\":\"list\",\"data\":[");
	for (i = 0; (s = input_at(inputs, i)); i++) {
		sb_str(&b, i ? ",{\"object\":\"embedding\",\"embedding\":"
			     : "{\"object\":\"embedding\",\"embedding\":");
		sb_embedding(&b, x, json_string_value(s), json_string_length(s));
		sb_str(&b, ",\"index\":");
		sb_int(&b, (json_int_t)i);
		sb_str(&b, "}");
		ptok += tokens(json_string_value(s), json_string_length(s));
	}
	sb_str(&b, "],\"model\":");
	sb_json_string(&b, x->model);
	sb_str(&b, ",\"usage\":{\"prompt_tokens\":");
	sb_int(&b, ptok);
	sb_str(&b, ",\"total_tokens\":");
	sb_int(&b, ptok);
	sb_str(&b, "}}");
	reply_sbuf(x, &b);
}

struct route {
	const char *path;
	const char *method; /* GET routes also answer HEAD */
	void (*fn)(struct exchange *x);
	int openai;
};

static const struct route routes[] = {
    {"/", "GET", h_root, 0},
    {"/api/version", "GET", h_version, 0},
    {"/api/tags", "GET", h_tags, 0},
    {"/api/generate", "POST", h_generate, 0},
    {"/api/chat", "POST", h_chat, 0},
    {"/api/embeddings", "POST", h_embeddings, 0},
    {"/api/embed", "POST", h_embed, 0},
    {"/v1/models", "GET", h_models, 1},
    {"/v1/chat/completions", "POST", h_oa_chat, 1},
    {"/v1/completions", "POST", h_oa_completions, 1},
    {"/v1/embeddings", "POST", h_oa_embeddings, 1},
};

/* Route x; the answer is in x afterwards. Returns the Allow value for a 405, or NULL. */
static const char *dispatch(struct exchange *x)
{
	size_t i, plen = strlen(x->path);

	/* "/api/tags/" is "/api/tags" */
	while (plen > 1 && x->path[plen - 1] == '/')
		plen--;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct route *r = &routes[i];

		if (strlen(r->path) != plen || strncmp(r->path, x->path, plen))
			continue;
		x->openai = r->openai;
		if (!strcmp(x->method, r->method) ||
		    (!strcmp(r->method, "GET") && !strcmp(x->method, "HEAD"))) {
			r->fn(x);
			return NULL;
		}
		reply_text(x, 405, "text/plain; charset=utf-8", "405 method not allowed");
		return !strcmp(r->method, "GET") ? "GET, HEAD" : r->method;
	}
	reply_text(x, 404, "text/plain; charset=utf-8", "404 page not found");
	return NULL;
}

/* ---- the log -------------------------------------------------------------------- */

/* A body that is not JSON, as a string; bytes that are not UTF-8 become '?'. */
static json_t *raw_text(const char *raw, size_t len)
{
	json_t *s = json_stringn(raw, len);
	char *copy;
	size_t i;

	if (s)
		return s;
	if (!(copy = malloc(len)))
		return json_string("");
	for (i = 0; i < len; i++)
		copy[i] = (unsigned char)raw[i] < 0x80 ? raw[i] : '?';
	s = json_stringn(copy, len);
	free(copy);
	return s;
}

static void log_exchange(struct exchange *x)
{
	struct ph_llm_server *srv = x->srv;
	struct timespec ts;
	struct tm tm;
	char when[48];
	json_t *line, *request;
	char *text;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%03ldZ", ts.tv_nsec / 1000000);
	if (x->req)
		request = json_incref(x->req);
	else if (x->raw_len)
		request = json_pack("{s:o}", "raw", raw_text(x->raw, x->raw_len));
	else
		request = json_null();
	line = json_pack(
	    "{s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:i}", "time", when, "runtime", srv->runtime,
	    "method", x->method, "endpoint", x->path, "model",
	    x->model ? json_string(x->model) : json_null(), "request", request, "prompt",
	    x->has_prompt ? json_stringn_nocheck(x->prompt, x->prompt_len) : json_null(), "entry",
	    x->entry ? json_string(x->entry) : json_null(), "status", (int)x->status);
	text = line ? json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	json_decref(line);
	pthread_mutex_lock(&srv->lock);
	srv->requests++;
	if (x->unmatched)
		srv->unmatched++;
	if (text) {
		FILE *f[2] = {srv->log, srv->tee};
		int i;

		for (i = 0; i < 2; i++) {
			if (!f[i])
				continue;
			fputs(text, f[i]);
			fputc('\n', f[i]);
			fflush(f[i]);
		}
	}
	pthread_mutex_unlock(&srv->lock);
	free(text);
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
		reply_error(&x, 413, "request body too large");
	else
		allow = dispatch(&x);
	log_exchange(&x);
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
