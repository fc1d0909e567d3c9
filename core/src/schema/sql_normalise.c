/*
 * SQL text as the schema compares it (sql.h): one small tokenizer that understands
 * comments, string literals and quoted identifiers, and the normal forms built on it, so
 * that layout, case and quoting do not count as differences but a changed literal does.
 * Views, triggers and types are compared as normalised statements; a column default by
 * the value it stores; an index by its column terms and partial WHERE.
 */
#include "schema/sql.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"
#include "parity/strbuf.h"

void ph_sql_toks_free(struct toks *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->v[i].text);
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}

static int toks_push(struct toks *t, enum tok_kind kind, const char *s, size_t len)
{
	char *text;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 32;
		struct tok *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -1;
		t->v = v;
		t->cap = cap;
	}
	text = malloc(len + 1);
	if (!text)
		return -1;
	memcpy(text, s, len);
	text[len] = '\0';
	t->v[t->n].kind = kind;
	t->v[t->n].text = text;
	t->n++;
	return 0;
}

static int is_word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

static int is_simple_ident(const char *s, size_t len)
{
	size_t i;

	if (!len || isdigit((unsigned char)s[0]))
		return 0;
	for (i = 0; i < len; i++)
		if (!is_word_char((unsigned char)s[i]))
			return 0;
	return 1;
}

int ph_sql_tokenize(const char *sql, struct toks *out)
{
	const char *p = sql ? sql : "";

	while (*p) {
		unsigned char c = (unsigned char)*p;

		if (isspace(c)) {
			p++;
		} else if (c == '-' && p[1] == '-') {
			while (*p && *p != '\n')
				p++;
		} else if (c == '/' && p[1] == '*') {
			p += 2;
			while (*p && !(p[0] == '*' && p[1] == '/'))
				p++;
			if (*p)
				p += 2;
		} else if (c == '\'') {
			const char *s = p++;

			while (*p) {
				if (*p == '\'' && p[1] == '\'')
					p += 2;
				else if (*p == '\'') {
					p++;
					break;
				} else
					p++;
			}
			if (toks_push(out, T_LIT, s, (size_t)(p - s)))
				return -1;
		} else if (c == '"' || c == '`' || c == '[') {
			char close = c == '[' ? ']' : (char)c;
			const char *s = p++;
			const char *body = p;
			size_t blen;

			while (*p) {
				if (*p == close && close != ']' && p[1] == close)
					p += 2;
				else if (*p == close)
					break;
				else
					p++;
			}
			blen = (size_t)(p - body);
			if (*p)
				p++;
			if (is_simple_ident(body, blen)) {
				size_t i;

				if (toks_push(out, T_WORD, body, blen))
					return -1;
				for (i = 0; i < blen; i++)
					out->v[out->n - 1].text[i] = (char)tolower(
					    (unsigned char)out->v[out->n - 1].text[i]);
			} else if (toks_push(out, T_WORD, s, (size_t)(p - s))) {
				return -1;
			}
		} else if (is_word_char(c)) {
			const char *s = p;
			size_t i;

			while (*p && is_word_char((unsigned char)*p))
				p++;
			if (toks_push(out, T_WORD, s, (size_t)(p - s)))
				return -1;
			for (i = 0; out->v[out->n - 1].text[i]; i++)
				out->v[out->n - 1].text[i] =
				    (char)tolower((unsigned char)out->v[out->n - 1].text[i]);
		} else {
			if (toks_push(out, T_PUNCT, p, 1))
				return -1;
			p++;
		}
	}
	return 0;
}

int ph_sql_tok_is(const struct toks *t, size_t i, const char *text)
{
	return i < t->n && !strcmp(t->v[i].text, text);
}

char *ph_sql_join(const struct toks *t, size_t from, size_t to)
{
	struct ph_strbuf s = {0};
	size_t i;

	for (i = from; i < to && i < t->n; i++) {
		if (i > from && t->v[i].kind == T_WORD && t->v[i - 1].kind == T_WORD)
			ph_strbuf_add(&s, " ");
		ph_strbuf_add(&s, t->v[i].text);
	}
	return ph_strbuf_take(&s);
}

size_t ph_sql_match_paren(const struct toks *t, size_t open)
{
	size_t i;
	long depth = 0;

	for (i = open; i < t->n; i++) {
		if (ph_sql_tok_is(t, i, "("))
			depth++;
		else if (ph_sql_tok_is(t, i, ")") && --depth == 0)
			return i;
	}
	return t->n;
}

int ph_sql_list_next(const struct toks *t, size_t close, size_t *from, size_t *to)
{
	size_t i;

	if (*to >= close || *to >= t->n)
		return 0;
	*from = *to + 1;
	for (i = *from; i < close && !ph_sql_tok_is(t, i, ","); i++)
		if (ph_sql_tok_is(t, i, "("))
			i = ph_sql_match_paren(t, i);
	*to = i;
	return 1;
}

char *ph_schema_normalize_sql(const char *sql)
{
	struct toks t = {0};
	char *out;
	size_t n;

	if (ph_sql_tokenize(sql, &t)) {
		ph_sql_toks_free(&t);
		return NULL;
	}
	n = t.n;
	while (n > 0 && ph_sql_tok_is(&t, n - 1, ";"))
		n--;
	out = ph_sql_join(&t, 0, n);
	ph_sql_toks_free(&t);
	return out;
}

char *ph_sql_unquote(const char *lit)
{
	struct ph_strbuf s = {0};
	size_t len = strlen(lit), i;

	for (i = 1; i + 1 < len; i++) {
		ph_strbuf_addc(&s, lit[i]);
		if (lit[i] == '\'' && lit[i + 1] == '\'')
			i++;
	}
	return ph_strbuf_take(&s);
}

/* Parentheses around the whole default do not change what it stores: (0) is 0. */
char *ph_sql_default_value(const char *raw)
{
	struct toks t = {0};
	size_t from = 0, to;
	char *text = NULL, *res = NULL;
	struct ph_strbuf s = {0};

	if (!raw)
		return strdup("null");
	if (ph_sql_tokenize(raw, &t))
		goto out;
	to = t.n;
	while (to - from >= 2 && ph_sql_tok_is(&t, from, "(") &&
	       ph_sql_match_paren(&t, from) == to - 1) {
		from++;
		to--;
	}
	if (to - from == 1 && t.v[from].kind == T_WORD &&
	    (!strcmp(t.v[from].text, "null") || !strcmp(t.v[from].text, "true") ||
	     !strcmp(t.v[from].text, "false"))) {
		res = strdup(!strcmp(t.v[from].text, "null")   ? "null"
			     : !strcmp(t.v[from].text, "true") ? "num:1"
							       : "num:0");
		goto out;
	}
	if (to - from == 1 && t.v[from].kind == T_LIT)
		text = ph_sql_unquote(t.v[from].text);
	else
		text = ph_sql_join(&t, from, to);
	if (!text)
		goto out;
	if (text[0] && (isdigit((unsigned char)text[0]) || strchr("+-.", text[0]))) {
		char *end;
		double d;

		errno = 0;
		d = strtod(text, &end);
		if (end != text && !*end && !errno) {
			char num[64];

			snprintf(num, sizeof(num), "num:%.17g", d == 0 ? 0.0 : d);
			res = strdup(num);
			goto out;
		}
	}
	ph_strbuf_add(&s, to - from == 1 && t.v[from].kind == T_LIT ? "str:" : "expr:");
	ph_strbuf_add(&s, text);
	res = ph_strbuf_take(&s);
out:
	free(text);
	ph_sql_toks_free(&t);
	return res;
}

/*
 * SQLite reports an expression column of an index as cid -2 without its text: the terms
 * are read from the statement, in the order pragma index_xinfo lists the columns.
 */
json_t *ph_sql_index_terms(const char *sql, char **partial)
{
	struct toks t = {0};
	json_t *terms = json_array();
	size_t i, open, close, from, to;

	*partial = NULL;
	if (!sql || ph_sql_tokenize(sql, &t))
		goto out;
	for (open = 0; open < t.n && !ph_sql_tok_is(&t, open, "("); open++)
		;
	close = ph_sql_match_paren(&t, open);
	for (to = open; ph_sql_list_next(&t, close, &from, &to);) {
		char *term = ph_sql_join(&t, from, to);

		json_array_append_new(terms, json_string(term ? term : ""));
		free(term);
	}
	for (i = close + 1; i < t.n; i++)
		if (t.v[i].kind == T_WORD && !strcmp(t.v[i].text, "where")) {
			size_t n = t.n;

			while (n > i + 1 && ph_sql_tok_is(&t, n - 1, ";"))
				n--;
			*partial = ph_sql_join(&t, i + 1, n);
			break;
		}
out:
	ph_sql_toks_free(&t);
	return terms;
}
