/*
 * The Ollama API of the canned-LLM server: /, /api/version, /api/tags, /api/generate,
 * /api/chat (NDJSON unless "stream": false), /api/embeddings (one prompt) and /api/embed
 * (one input or a list), in the real server's shape, with the fixed instant and
 * durations derived from token counts so both runtimes get byte-identical answers.
 */
#include "llm/exchange.h"

#include <stdlib.h>
#include <string.h>

#include "llm/embed_text.h"

/* Durations derived from token counts: fixed, but shaped like a real model's. */
#define LOAD_NS 1000000
#define PROMPT_TOKEN_NS 100000
#define EVAL_TOKEN_NS 1000000

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

static void h_root(struct exchange *x)
{
	ph_llm_reply_text(x, 200, "text/plain; charset=utf-8", "Ollama is running");
}

static void h_version(struct exchange *x)
{
	ph_llm_reply_json(x, 200, json_pack("{s:s}", "version", "0.0.0-canned"));
}

static void h_tags(struct exchange *x)
{
	json_t *list = json_array(), *m;
	size_t i;

	json_array_foreach((json_t *)ph_llm_set_models(x->srv->set), i, m)
	{
		const char *name = json_string_value(m);
		char hex[65];

		ph_llm_sha256_hex(name, strlen(name), hex);
		json_array_append_new(
		    list, json_pack("{s:s, s:s, s:s, s:i, s:s, s:{s:s, s:s, s:s, s:[s], s:s, s:s}}",
				    "name", name, "model", name, "modified_at", PH_LLM_CREATED_AT,
				    "size", 0, "digest", hex, "details", "parent_model", "",
				    "format", "gguf", "family", "canned", "families", "canned",
				    "parameter_size", "0B", "quantization_level", "none"));
	}
	ph_llm_reply_json(x, 200, json_pack("{s:o}", "models", list));
}

/* /api/generate and /api/chat share everything but where the text goes. */
static void h_complete(struct exchange *x)
{
	int chat = x->route->chat;
	struct completion c;
	const struct ph_llm_entry *e;
	json_t *o;

	if (ph_llm_completion(x, chat, 1, &c))
		return;
	e = c.e;
	o = json_pack("{s:s, s:s}", "model", x->model, "created_at", PH_LLM_CREATED_AT);
	if (chat)
		json_object_set_new(o, "message",
				    json_pack("{s:s, s:o}", "role", "assistant", "content",
					      ph_llm_text_value(e->response, e->response_len)));
	else
		json_object_set_new(o, "response",
				    ph_llm_text_value(e->response, e->response_len));
	if (!c.stream) {
		json_object_set_new(o, "done", json_true());
		json_object_set_new(o, "done_reason", json_string("stop"));
		add_durations(o, c.ptok, c.etok);
		ph_llm_reply_json(x, 200, o);
	} else {
		/* NDJSON: the whole text in one chunk, then the closing chunk */
		char *buf = NULL;
		size_t len = 0;
		json_t *last =
		    json_pack("{s:s, s:s}", "model", x->model, "created_at", PH_LLM_CREATED_AT);

		json_object_set_new(o, "done", json_false());
		if (chat)
			json_object_set_new(
			    last, "message",
			    json_pack("{s:s, s:s}", "role", "assistant", "content", ""));
		else
			json_object_set_new(last, "response", json_string(""));
		json_object_set_new(last, "done", json_true());
		json_object_set_new(last, "done_reason", json_string("stop"));
		add_durations(last, c.ptok, c.etok);
		if (ph_llm_append_doc(&buf, &len, "", o, "\n") ||
		    ph_llm_append_doc(&buf, &len, "", last, "\n")) {
			free(buf);
			buf = NULL;
		}
		ph_llm_reply_stream(x, "application/x-ndjson", buf, len);
	}
}

static void h_embeddings(struct exchange *x)
{
	struct ph_strbuf b = {0};

	if (ph_llm_need_body(x) || ph_llm_need_model(x) || ph_llm_prompt_from_key(x, "prompt"))
		return;
	ph_strbuf_add(&b, "{\"embedding\":");
	if (x->prompt_len)
		ph_llm_sb_embedding(&b, x, x->prompt, x->prompt_len);
	else
		ph_strbuf_add(&b, "[]"); /* Ollama answers an empty prompt with an empty vector */
	ph_strbuf_add(&b, "}");
	ph_llm_reply_strbuf(x, &b);
}

static void h_embed(struct exchange *x)
{
	const json_t *inputs = NULL;
	struct ph_strbuf b = {0};
	json_int_t ptok;

	if (ph_llm_embed_inputs(x, 0, &inputs))
		return;
	ph_strbuf_add(&b, "{\"model\":");
	ph_llm_sb_json_string(&b, x->model);
	ph_strbuf_add(&b, ",\"embeddings\":[");
	ptok = ph_llm_sb_embeddings(&b, x, inputs, "", 0);
	ph_strbuf_addf(&b,
		       "],\"total_duration\":%" JSON_INTEGER_FORMAT
		       ",\"load_duration\":%d,\"prompt_eval_count\":%" JSON_INTEGER_FORMAT "}",
		       LOAD_NS + ptok * PROMPT_TOKEN_NS, LOAD_NS, ptok);
	ph_llm_reply_strbuf(x, &b);
}

static const struct route routes[] = {
    {"/", "GET", h_root, 0},
    {"/api/version", "GET", h_version, 0},
    {"/api/tags", "GET", h_tags, 0},
    {"/api/generate", "POST", h_complete, 0},
    {"/api/chat", "POST", h_complete, 1},
    {"/api/embeddings", "POST", h_embeddings, 0},
    {"/api/embed", "POST", h_embed, 0},
};

const struct ph_llm_routes ph_llm_ollama_routes = {routes, sizeof(routes) / sizeof(routes[0]),
						    0};
