/*
 * Embedding answers built as text (embed_text.c) in a string buffer (parity/strbuf.h), for
 * the Ollama and OpenAI embedding endpoints: 768 numbers through json_t and a %g printer
 * cost most of a request's time (bench/llm). Internal to core/src/llm.
 */
#ifndef PARITY_LLM_EMBED_TEXT_H
#define PARITY_LLM_EMBED_TEXT_H

#include <stddef.h>
#include <jansson.h>

#include "llm/exchange.h"
#include "parity/strbuf.h"

/* Append a JSON string literal of s. */
void ph_llm_sb_json_string(struct ph_strbuf *b, const char *s);

/* The embedding of text as a JSON array, each number with 9 decimals (exact, fast). */
void ph_llm_sb_embedding(struct ph_strbuf *b, const struct exchange *x, const char *text,
			 size_t len);

/*
 * The embeddings of inputs (from ph_llm_embed_inputs), separated by ",": each is open,
 * the vector, then `,"index":<i>}` when indexed (OpenAI's list items). Returns the token
 * count of all the texts.
 */
json_int_t ph_llm_sb_embeddings(struct ph_strbuf *b, const struct exchange *x,
				const json_t *inputs, const char *open, int indexed);

/* Answer b's text (taken) as JSON with status 200, or a 500 when building it failed. */
void ph_llm_reply_strbuf(struct exchange *x, struct ph_strbuf *b);

/*
 * The texts of "input" (a string or an array of strings, borrowed from x into *inputs) of
 * a request with a body and a model, joined by "\n" as the logged prompt. required:
 * OpenAI rejects a missing input; Ollama answers no embeddings. Returns -1 when x already
 * holds an error answer.
 */
int ph_llm_embed_inputs(struct exchange *x, int required, const json_t **inputs);

#endif
