/*
 * The canned-LLM server: a loopback libmicrohttpd server speaking the Ollama API
 * (/api/tags, /api/generate, /api/chat, /api/embeddings, /api/embed) and its
 * OpenAI-compatible endpoints (/v1/models, /v1/chat/completions, /v1/completions,
 * /v1/embeddings), answering from a canned set (canned-llm/<set>/NAME.json, see
 * canned-llm/README.md) and logging every request as one JSON line. Both runtimes of a
 * run get their own server (own port, own log) over the same set, so their answers are
 * byte-identical and what each one asked is on record.
 */
#ifndef PARITY_LLM_SERVER_H
#define PARITY_LLM_SERVER_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

/* The vector dimension when no set file says "dimensions". */
#define PH_LLM_DEFAULT_DIMENSIONS 768

/* A loaded canned set (entries in match order, fallback, dimension, model list). */
struct ph_llm_set;

/* One canned answer: its match keys (NULL: not given) and what it answers. */
struct ph_llm_entry {
	char *name; /* NULL for the fallback */
	char *hash; /* 64 lower-case hex digits: SHA-256 of the prompt */
	char *prefix;
	size_t prefix_len;
	char *contains;
	size_t contains_len;
	char *model;
	char *endpoint;
	char *response; /* the answer text (the message content, or the error message) */
	size_t response_len;
	int status;	 /* HTTP status; >= 400 answers an error body */
	long latency_ms; /* wait this long before answering */
	char *origin;	 /* "<file>: entries[i]", for messages */
};

/* A running server. */
struct ph_llm_server;

/*
 * Load a canned set: every *.json file of the folder path in byte order of their names
 * (or path itself when it is a file). Messages name the file and the key at fault
 * ("<file>: entries[2].match: unknown key 'prefx'"). *set is freed with
 * ph_llm_set_free. Returns 0, PH_E_IO, PH_E_PARSE or PH_E_INVALID.
 */
int ph_llm_set_load(const char *path, struct ph_llm_set **set, struct ph_err *err);

void ph_llm_set_free(struct ph_llm_set *set);

/* The embedding dimension of the set. */
int ph_llm_set_dimensions(const struct ph_llm_set *set);

/* The number of entries of the set (fallback not counted). */
size_t ph_llm_set_size(const struct ph_llm_set *set);

/*
 * The entry answering a prompt of len bytes sent to endpoint (a path such as
 * "/api/generate") for model (NULL: none given): first the entries with a "hash", then
 * the others, each group in file order; the first whose given keys all match wins.
 * Returns the entry (borrowed from the set), or NULL when the fallback answers.
 */
const struct ph_llm_entry *ph_llm_set_find(const struct ph_llm_set *set, const char *endpoint,
					   const char *model, const char *prompt, size_t len);

/* Entry i (0 .. size-1) in match order, borrowed from the set. */
const struct ph_llm_entry *ph_llm_set_entry(const struct ph_llm_set *set, size_t i);

/* The fallback answer (name NULL), borrowed from the set. */
const struct ph_llm_entry *ph_llm_set_fallback(const struct ph_llm_set *set);

/* The model names /api/tags and /v1/models list (a borrowed array of strings). */
const json_t *ph_llm_set_models(const struct ph_llm_set *set);

/*
 * The embedding of text (len bytes) as dim doubles into out, normalised to length 1: a
 * bag of words. Each word (a run of letters, digits or non-ASCII bytes, lower-cased)
 * stands for a fixed pseudo-random direction (ChaCha20 output keyed by the SHA-256 of the
 * word, mapped to [-1, 1)), and the text is the sum of its words' directions plus a small
 * one of its own, so texts that share words are near each other (vector search finds the
 * memory a fact is about) and no two texts are equal. The same text always gives the same
 * vector, on every host.
 */
void ph_llm_embedding(const char *text, size_t len, int dim, double *out);

/*
 * Start a server for set (borrowed until ph_llm_server_stop) on 127.0.0.1:port (0: a
 * free port), logging as runtime (the "runtime" of each log line) to log_path (created
 * or truncated; NULL: no log). Returns 0, PH_E_IO (cannot open the log, cannot bind)
 * or PH_E_NOMEM.
 */
int ph_llm_server_start(struct ph_llm_server **srv, const struct ph_llm_set *set,
			const char *runtime, int port, const char *log_path, struct ph_err *err);

/* The port it listens on. */
int ph_llm_server_port(const struct ph_llm_server *srv);

/* "http://127.0.0.1:<port>", borrowed until ph_llm_server_stop. */
const char *ph_llm_server_url(const struct ph_llm_server *srv);

/*
 * Also write every log line to path (created or truncated) from now on, until the next
 * call; NULL stops the copy. Used to keep a per-domain log beside the run's log.
 */
int ph_llm_server_tee(struct ph_llm_server *srv, const char *path, struct ph_err *err);

/* Requests served so far, and how many of them the fallback answered. */
void ph_llm_server_counts(struct ph_llm_server *srv, long *requests, long *unmatched);

/* Stop serving (waits for requests in flight), close the logs and free srv. NULL is fine. */
void ph_llm_server_stop(struct ph_llm_server *srv);

#endif
