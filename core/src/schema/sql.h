/*
 * The schema files' SQL tokenizer and the normal forms built on it (sql_normalise.c).
 * Internal to core/src/schema: callers outside it use ph_schema_normalize_sql.
 */
#ifndef PARITY_SCHEMA_SQL_H
#define PARITY_SCHEMA_SQL_H

#include <stddef.h>
#include <jansson.h>

enum tok_kind { T_WORD, T_LIT, T_PUNCT };

struct tok {
	enum tok_kind kind;
	char *text;
};

/* Zero-initialise ({0}); release with ph_sql_toks_free. */
struct toks {
	struct tok *v;
	size_t n, cap;
};

/*
 * Split SQL into words (lower-cased; simple quoted identifiers unquoted), string
 * literals (verbatim) and single punctuation characters, appended to out. Comments and
 * whitespace go. An unterminated literal or comment runs to the end of the text.
 * Returns 0, -1 when out of memory.
 */
int ph_sql_tokenize(const char *sql, struct toks *out);
void ph_sql_toks_free(struct toks *t);

/* Is token i the text `text`? (false past the end) */
int ph_sql_tok_is(const struct toks *t, size_t i, const char *text);

/* Tokens [from, to) as a new string: a space only between two adjacent words. */
char *ph_sql_join(const struct toks *t, size_t from, size_t to);

/* Index of the parenthesis closing the one at `open`, or t->n. */
size_t ph_sql_match_paren(const struct toks *t, size_t open);

/*
 * The next item [*from, *to) of the list whose parentheses are at open and close, split
 * at its top-level commas (a nested list is one item). Start with *to = open; returns 0
 * when the list is done. An empty list has one empty item.
 */
int ph_sql_list_next(const struct toks *t, size_t close, size_t *from, size_t *to);

/* A string literal's content ('it''s' -> it's); NULL when out of memory. */
char *ph_sql_unquote(const char *lit);

/*
 * What a column default evaluates to, so spellings of one value compare equal:
 * "null" (no default: raw NULL, DEFAULT NULL), "num:<n>" (0, 0.0, '0', (0)),
 * "str:<s>" ('x'), "expr:<normalised>" (datetime('now')). NULL when out of memory.
 */
char *ph_sql_default_value(const char *raw);

/*
 * The normalised column terms of a CREATE INDEX statement (for expression columns), a
 * new array; *partial is its WHERE clause normalised (a new string), or NULL.
 */
json_t *ph_sql_index_terms(const char *sql, char **partial);

#endif
