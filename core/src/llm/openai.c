/*
 * The OpenAI-compatible endpoints of the canned-LLM server, as Ollama serves them:
 * /v1/models, /v1/chat/completions and /v1/completions (server-sent events only when
 * "stream": true) and /v1/embeddings, with errors in OpenAI's {"error": {...}} shape.
 * Completion ids are derived from the prompt, so both runtimes get the same id.
 */
#include "llm/exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm/embed_text.h"

/* "<prefix>-<first 24 hex digits of the prompt's SHA-256>": stable per prompt. */
static json_t *stable_id(const char *prefix, const char *text, size_t len)
{
	char hex[65], id[64];

	ph_llm_sha256_hex(text ? text : "", text ? len : 0, hex);
	snprintf(id, sizeof(id), "%s-%.24s", prefix, hex);
	return json_string(id);
}

static void h_models(struct exchange *x)
{
	json_t *list = json_array(), *m;
	size_t i;

	json_array_foreach((json_t *)ph_llm_set_models(x->srv->set), i, m) json_array_append_new(
	    list, json_pack("{s:O, s:s, s:i, s:s}", "id", m, "object", "model", "created",
			    PH_LLM_CREATED, "owned_by", "library"));
	ph_llm_reply_json(x, 200, json_pack("{s:s, s:o}", "object", "list", "data", list));
}

/* One server-sent event of a streamed completion: the chunk holding choice (stolen). */
static int sse_chunk(char **buf, size_t *len, const struct exchange *x, json_t *id,
		     const char *object, json_t *choice)
{
	return ph_llm_append_doc(buf, len, "data: ",
				 json_pack("{s:O, s:s, s:i, s:s, s:s, s:[o]}", "id", id, "object",
					   object, "created", PH_LLM_CREATED, "model", x->model,
					   "system_fingerprint", "fp_ollama", "choices", choice),
				 "\n\n");
}

/* /v1/chat/completions and /v1/completions. */
static void h_oa_complete(struct exchange *x)
{
	int chat = x->route->chat;
	struct completion c;
	const struct ph_llm_entry *e;
	json_t *o, *choice, *id;

	if (ph_llm_completion(x, chat, 0, &c))
		return;
	e = c.e;
	id = stable_id(chat ? "chatcmpl" : "cmpl", x->prompt, x->prompt_len);
	if (!c.stream) {
		if (chat)
			choice = json_pack("{s:i, s:{s:s, s:o}, s:s}", "index", 0, "message",
					   "role", "assistant", "content",
					   ph_llm_text_value(e->response, e->response_len),
					   "finish_reason", "stop");
		else
			choice = json_pack("{s:o, s:i, s:s}", "text",
					   ph_llm_text_value(e->response, e->response_len),
					   "index", 0, "finish_reason", "stop");
		o = json_pack("{s:o, s:s, s:i, s:s, s:s, s:[o], s:{s:I, s:I, s:I}}", "id", id,
			      "object", chat ? "chat.completion" : "text_completion", "created",
			      PH_LLM_CREATED, "model", x->model, "system_fingerprint", "fp_ollama",
			      "choices", choice, "usage", "prompt_tokens", c.ptok,
			      "completion_tokens", c.etok, "total_tokens", c.ptok + c.etok);
		ph_llm_reply_json(x, 200, o);
	} else {
		/* server-sent events: the text, the finish, then [DONE] */
		const char *obj = chat ? "chat.completion.chunk" : "text_completion";
		char *buf = NULL;
		size_t len = 0;
		json_t *first, *last;

		if (chat) {
			first = json_pack("{s:i, s:{s:s, s:o}, s:n}", "index", 0, "delta", "role",
					  "assistant", "content",
					  ph_llm_text_value(e->response, e->response_len),
					  "finish_reason");
			last = json_pack("{s:i, s:{s:s, s:s}, s:s}", "index", 0, "delta", "role",
					 "assistant", "content", "", "finish_reason", "stop");
		} else {
			first = json_pack("{s:o, s:i, s:n}", "text",
					  ph_llm_text_value(e->response, e->response_len),
					  "index", 0, "finish_reason");
			last = json_pack("{s:s, s:i, s:s}", "text", "", "index", 0, "finish_reason",
					 "stop");
		}
		if (sse_chunk(&buf, &len, x, id, obj, first) ||
		    sse_chunk(&buf, &len, x, id, obj, last)) {
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
		ph_llm_reply_stream(x, "text/event-stream", buf, len);
	}
}

static void h_oa_embeddings(struct exchange *x)
{
	const json_t *inputs = NULL;
	struct ph_strbuf b = {0};
	json_int_t ptok;

	if (ph_llm_embed_inputs(x, 1, &inputs))
		return;
	ph_strbuf_add(&b, "{\"object\":\"list\",\"data\":[");
	ptok = ph_llm_sb_embeddings(&b, x, inputs, "{\"object\":\"embedding\",\"embedding\":", 1);
	ph_strbuf_add(&b, "],\"model\":");
	ph_llm_sb_json_string(&b, x->model);
	ph_strbuf_addf(&b,
		       ",\"usage\":{\"prompt_tokens\":%" JSON_INTEGER_FORMAT
		       ",\"total_tokens\":%" JSON_INTEGER_FORMAT "}}",
		       ptok, ptok);
	ph_llm_reply_strbuf(x, &b);
}

static const struct route routes[] = {
    {"/v1/models", "GET", h_models, 0},
    {"/v1/chat/completions", "POST", h_oa_complete, 1},
    {"/v1/completions", "POST", h_oa_complete, 0},
    {"/v1/embeddings", "POST", h_oa_embeddings, 0},
};

const struct ph_llm_routes ph_llm_openai_routes = {routes, sizeof(routes) / sizeof(routes[0]),
						    1};
