/*
 * The inside of the canned-LLM server, shared by its files: the server's state, one
 * request and its answer (struct exchange), the answers and request readers both
 * protocols use (exchange.c), their route tables (ollama.c, openai.c), the embedding
 * answers built as text (embed_text.c) and the request log (request_log.c). Internal to
 * core/src/llm: callers use llm_server.h.
 */
#ifndef PARITY_LLM_EXCHANGE_H
#define PARITY_LLM_EXCHANGE_H

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#include "llm/llm_server.h"

/* The fixed instant every answer carries, so answers do not depend on the clock. */
#define PH_LLM_CREATED_AT "2025-01-01T00:00:00.000000Z"
#define PH_LLM_CREATED 1735689600
#define PH_LLM_DUMP_FLAGS (JSON_COMPACT | JSON_PRESERVE_ORDER)

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

/* One request and its answer, as the handlers see it. */
struct exchange {
	struct ph_llm_server *srv;
	const char *method, *path;
	const char *raw; /* the body, NUL-terminated */
	size_t raw_len;
	json_t *req;	   /* the parsed body, or NULL */
	json_error_t jerr; /* why it did not parse */
	int openai;	   /* errors in the OpenAI shape */
	const struct route *route; /* the endpoint answering */
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

/* A protocol's endpoints: the handler answers in x. */
struct route {
	const char *path;
	const char *method; /* GET routes also answer HEAD */
	void (*fn)(struct exchange *x);
	int chat; /* a completion endpoint's chat form: messages, not a prompt */
};

struct ph_llm_routes {
	const struct route *v;
	size_t n;
	int openai; /* errors in the OpenAI shape */
};

extern const struct ph_llm_routes ph_llm_ollama_routes, ph_llm_openai_routes;

/* ---- answers (exchange.c) ------------------------------------------------------- */

void ph_llm_reply_text(struct exchange *x, unsigned status, const char *ctype, const char *text);

/* Answer doc (stolen) as JSON; a 500 when it cannot be encoded. */
void ph_llm_reply_json(struct exchange *x, unsigned status, json_t *doc);

/* An error body as the real server gives it: Ollama {"error"} or OpenAI {"error":{...}}. */
void ph_llm_reply_error(struct exchange *x, unsigned status, const char *msg);

/* Answer buf (stolen; NULL: out of memory, a 500) of len bytes with status 200. */
void ph_llm_reply_stream(struct exchange *x, const char *ctype, char *buf, size_t len);

/* Append "<pre><doc><post>" (doc stolen) to a growing NDJSON or SSE body; -1 on failure. */
int ph_llm_append_doc(char **buf, size_t *len, const char *pre, json_t *doc, const char *post);

/* Whitespace-separated words: the deterministic stand-in for a token count. */
json_int_t ph_llm_tokens(const char *s, size_t len);

/* s (len bytes, NULL: "") as a JSON string, not checked for UTF-8. */
json_t *ph_llm_text_value(const char *s, size_t len);

/* ---- requests (exchange.c): each returns -1 when x already holds an error answer ---- */

/* The body must be a JSON object. */
int ph_llm_need_body(struct exchange *x);

/* The body must name a model (x->model). */
int ph_llm_need_model(struct exchange *x);

/* Copy s (len bytes) as the logged prompt. */
int ph_llm_set_prompt(struct exchange *x, const char *s, size_t len);

/* A string key as the prompt: absent is "", anything else but a string is a 400. */
int ph_llm_prompt_from_key(struct exchange *x, const char *key);

/* A completion request read and answered from the set: what the protocols then shape. */
struct completion {
	const struct ph_llm_entry *e; /* the answer (borrowed from the set) */
	int stream;
	json_int_t ptok, etok; /* the prompt's and the answer's token counts */
};

/*
 * Read a completion request: body, model, stream (stream_default when not given), the
 * prompt (chat: the messages, else "prompt"), and pick the canned answer. An error
 * entry answers here (then -1, like a bad request).
 */
int ph_llm_completion(struct exchange *x, int chat, int stream_default, struct completion *c);

/* The SHA-256 of data (len bytes) as 64 lower-case hex digits and a NUL (llm_set.c). */
void ph_llm_sha256_hex(const char *data, size_t len, char hex[65]);

/* ---- the log (request_log.c) ---------------------------------------------------- */

/* Count x and write its log line to the server's log and tee. */
void ph_llm_log_exchange(struct exchange *x);

#endif
