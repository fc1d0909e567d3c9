/*
 * One request and its answer (exchange.h): the answers every handler gives (JSON, text,
 * a stream, an error in the protocol's shape) and the readers of a request body both
 * protocols share. A request a real server would refuse gets the status and error body
 * that server gives (400, 404, 405, 413), never a crash; the prompt is taken out of the
 * body the same way for every endpoint, so both runtimes' prompts are logged alike.
 */
#include "llm/exchange.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ph_llm_reply_text(struct exchange *x, unsigned status, const char *ctype,
		       const char *text)
{
	free(x->body);
	x->status = status;
	x->ctype = ctype;
	x->body = strdup(text);
	x->body_len = x->body ? strlen(x->body) : 0;
}

void ph_llm_reply_json(struct exchange *x, unsigned status, json_t *doc)
{
	free(x->body);
	x->status = status;
	x->ctype = "application/json; charset=utf-8";
	x->body = doc ? json_dumps(doc, PH_LLM_DUMP_FLAGS) : NULL;
	x->body_len = x->body ? strlen(x->body) : 0;
	json_decref(doc);
	if (!x->body) {
		x->status = 500;
		x->body = strdup("{\"error\":\"out of memory\"}");
		x->body_len = x->body ? strlen(x->body) : 0;
	}
}

void ph_llm_reply_error(struct exchange *x, unsigned status, const char *msg)
{
	if (x->openai)
		ph_llm_reply_json(x, status,
				  json_pack("{s:{s:s, s:s, s:n, s:n}}", "error", "message", msg,
					    "type",
					    status >= 500 ? "api_error" : "invalid_request_error",
					    "param", "code"));
	else
		ph_llm_reply_json(x, status, json_pack("{s:s}", "error", msg));
}

json_int_t ph_llm_tokens(const char *s, size_t len)
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

json_t *ph_llm_text_value(const char *s, size_t len)
{
	return json_stringn_nocheck(s ? s : "", s ? len : 0);
}

int ph_llm_append_doc(char **buf, size_t *len, const char *pre, json_t *doc, const char *post)
{
	char *line = doc ? json_dumps(doc, PH_LLM_DUMP_FLAGS) : NULL;
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

void ph_llm_reply_stream(struct exchange *x, const char *ctype, char *buf, size_t len)
{
	free(x->body);
	if (!buf) {
		x->body = NULL;
		ph_llm_reply_error(x, 500, "out of memory");
		return;
	}
	x->status = 200;
	x->ctype = ctype;
	x->body = buf;
	x->body_len = len;
}


int ph_llm_need_body(struct exchange *x)
{
	char msg[256];

	if (x->raw_len == 0) {
		ph_llm_reply_error(x, 400, "missing request body");
		return -1;
	}
	if (!x->req) {
		snprintf(msg, sizeof(msg), "invalid JSON at line %d column %d: %s", x->jerr.line,
			 x->jerr.column, x->jerr.text);
		ph_llm_reply_error(x, 400, msg);
		return -1;
	}
	if (!json_is_object(x->req)) {
		ph_llm_reply_error(x, 400, "request body must be a JSON object");
		return -1;
	}
	return 0;
}

int ph_llm_need_model(struct exchange *x)
{
	const json_t *m = json_object_get(x->req, "model");

	if (json_is_string(m))
		x->model = json_string_value(m);
	if (!json_is_string(m) || !json_string_length(m)) {
		ph_llm_reply_error(x, 400, "model is required");
		return -1;
	}
	return 0;
}

/* stream: Ollama streams unless told "stream": false; OpenAI only when told true. */
static int want_stream(struct exchange *x, int dflt, int *stream)
{
	const json_t *s = json_object_get(x->req, "stream");

	if (s && !json_is_boolean(s) && !json_is_null(s)) {
		ph_llm_reply_error(x, 400, "invalid request: 'stream' must be a boolean");
		return -1;
	}
	*stream = json_is_boolean(s) ? json_is_true(s) : dflt;
	return 0;
}

int ph_llm_set_prompt(struct exchange *x, const char *s, size_t len)
{
	free(x->prompt);
	x->prompt = malloc(len + 1);
	if (!x->prompt) {
		ph_llm_reply_error(x, 500, "out of memory");
		return -1;
	}
	memcpy(x->prompt, s, len);
	x->prompt[len] = '\0';
	x->prompt_len = len;
	x->has_prompt = 1;
	return 0;
}

int ph_llm_prompt_from_key(struct exchange *x, const char *key)
{
	const json_t *p = json_object_get(x->req, key);
	char msg[96];

	if (p && !json_is_string(p)) {
		snprintf(msg, sizeof(msg), "invalid request: '%s' must be a string", key);
		ph_llm_reply_error(x, 400, msg);
		return -1;
	}
	return ph_llm_set_prompt(x, p ? json_string_value(p) : "", p ? json_string_length(p) : 0);
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
		ph_llm_reply_error(x, 400, "invalid request: 'messages' must be an array");
		return -1;
	}
	if (x->openai && !json_array_size(msgs)) {
		ph_llm_reply_error(x, 400, "invalid request: 'messages' must be a non-empty array");
		return -1;
	}
	json_array_foreach(msgs, i, m)
	{
		const json_t *c = json_object_get(m, "content"), *part;
		size_t j;

		if (!json_is_object(m)) {
			free(buf);
			ph_llm_reply_error(x, 400,
					   "invalid request: each message must be an object");
			return -1;
		}
		if (c && !json_is_string(c) && !json_is_null(c) &&
		    !(x->openai && json_is_array(c))) {
			free(buf);
			ph_llm_reply_error(x, 400,
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
				ph_llm_reply_error(x, 500, "out of memory");
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
	rc = ph_llm_set_prompt(x, buf ? buf : "", len);
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

		ph_llm_reply_error(x, (unsigned)e->status, msg ? msg : "error");
		free(msg);
		return NULL;
	}
	return e;
}

int ph_llm_completion(struct exchange *x, int chat, int stream_default, struct completion *c)
{
	if (ph_llm_need_body(x) || ph_llm_need_model(x) ||
	    want_stream(x, stream_default, &c->stream))
		return -1;
	if (chat ? prompt_from_messages(x) : ph_llm_prompt_from_key(x, "prompt"))
		return -1;
	if (!(c->e = answer_entry(x)))
		return -1;
	c->ptok = ph_llm_tokens(x->prompt, x->prompt_len);
	c->etok = ph_llm_tokens(c->e->response, c->e->response_len);
	return 0;
}
