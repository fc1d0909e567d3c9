/*
 * Embedding answers built as text (embed_text.h): the vector printed with integer
 * arithmetic, nine decimals, and the list of inputs both protocols accept (one string
 * or an array of strings), logged as one prompt.
 */
#include "llm/embed_text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ph_llm_sb_json_string(struct ph_strbuf *b, const char *s)
{
	json_t *v = json_string(s);
	char *t = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;

	if (t)
		ph_strbuf_add(b, t);
	else
		b->oom = 1;
	free(t);
	json_decref(v);
}

void ph_llm_sb_embedding(struct ph_strbuf *b, const struct exchange *x, const char *text,
			 size_t len)
{
	int dim = ph_llm_set_dimensions(x->srv->set), i;
	double *v = malloc((size_t)dim * sizeof(*v));
	char num[32];

	if (!v) {
		b->oom = 1;
		return;
	}
	ph_llm_embedding(text, len, dim, v);
	ph_strbuf_addc(b, '[');
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
		ph_strbuf_addn(b, p, (size_t)(e - p));
	}
	ph_strbuf_addc(b, ']');
	free(v);
}

void ph_llm_reply_strbuf(struct exchange *x, struct ph_strbuf *b)
{
	if (b->oom || !b->p) {
		free(b->p);
		ph_llm_reply_error(x, 500, "out of memory");
		return;
	}
	free(x->body);
	x->status = 200;
	x->ctype = "application/json; charset=utf-8";
	x->body = b->p;
	x->body_len = b->len;
}

int ph_llm_embed_inputs(struct exchange *x, int required, const json_t **inputs)
{
	const json_t *in = json_object_get(x->req, "input"), *s;
	size_t i, len = 0;
	char *buf;
	int ok = json_is_string(in) || json_is_array(in) || (!in && !required), rc;

	if (ph_llm_need_body(x) || ph_llm_need_model(x))
		return -1;
	json_array_foreach(json_is_array(in) ? in : NULL, i, s)
	{
		ok = ok && json_is_string(s);
		len += json_string_length(s) + 1;
	}
	if (!ok) {
		ph_llm_reply_error(x, 400,
				   "invalid input type: 'input' must be a string or an array "
				   "of strings");
		return -1;
	}
	*inputs = in;
	if (json_is_string(in))
		return ph_llm_set_prompt(x, json_string_value(in), json_string_length(in));
	if (!in)
		return 0;
	buf = malloc(len + 1);
	if (!buf) {
		ph_llm_reply_error(x, 500, "out of memory");
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
	rc = ph_llm_set_prompt(x, buf, len);
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

json_int_t ph_llm_sb_embeddings(struct ph_strbuf *b, const struct exchange *x,
				const json_t *inputs, const char *open, int indexed)
{
	json_int_t ptok = 0;
	const json_t *s;
	size_t i;

	for (i = 0; (s = input_at(inputs, i)); i++) {
		if (i)
			ph_strbuf_addc(b, ',');
		ph_strbuf_add(b, open);
		ph_llm_sb_embedding(b, x, json_string_value(s), json_string_length(s));
		if (indexed)
			ph_strbuf_addf(b, ",\"index\":%zu}", i);
		ptok += ph_llm_tokens(json_string_value(s), json_string_length(s));
	}
	return ptok;
}
