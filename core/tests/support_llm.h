/*
 * The fixture of the canned-LLM tests (test_llm_server.c, test_llm_set.c): a canned set of
 * two files written into a fresh temporary folder (a.json: prefix, model, endpoint and
 * contains entries, a slow and a failing one, the fallback; b.json: a later prefix entry
 * and a hash entry for T_LLM_EXACT_PROMPT), loaded and served in-process on a free
 * loopback port as the runtime "candidate", logging to <dir>/requests.jsonl; and the
 * requests a test sends it with libcurl.
 */
#ifndef PARITY_TEST_SUPPORT_LLM_H
#define PARITY_TEST_SUPPORT_LLM_H

#include <stddef.h>
#include <jansson.h>

#include "llm/llm_server.h"

/* The prompt b.json's hash entry "exact" answers. */
#define T_LLM_EXACT_PROMPT "Extract the exact one"

struct t_llm {
	char dir[64]; /* the temporary folder */
	char set[96]; /* <dir>/set: the canned set */
	char log[96]; /* <dir>/requests.jsonl */
	struct ph_llm_set *s;
	struct ph_llm_server *srv;
};

/* An answer: status, body (NUL-terminated, the caller frees it), content type, time taken. */
struct t_reply {
	long status;
	char *body;
	size_t len;
	char ctype[128];
	double ms;
};

/*
 * cmocka group setup and teardown: *state is the struct t_llm, the server running, and
 * libcurl's global state set up (t_http_setup).
 */
int t_llm_setup(void **state);
int t_llm_teardown(void **state);

/* Send method path with body (JSON, or NULL for none) to srv; asserts it was answered. */
struct t_reply t_ask(const struct ph_llm_server *srv, const char *method, const char *path,
		     const char *body);

/* t_ask, asserting the answer is JSON with this status; the parsed body (caller decrefs). */
json_t *t_ask_json(const struct ph_llm_server *srv, const char *method, const char *path,
		   const char *body, long status);

/* t_ask_json of a POST to the fixture's server. */
json_t *t_post(const struct t_llm *fx, const char *path, const char *body, long status);

/* The text a non-streamed generate request on path answers for prompt (model m1 unless
 * given); the caller frees it. */
char *t_generate(const struct ph_llm_server *srv, const char *path, const char *model,
		 const char *prompt);

/* The request log's lines so far, each parsed (asserting each is JSON); caller decrefs. */
json_t *t_log_lines(const struct t_llm *fx);

#endif
