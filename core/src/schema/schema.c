/*
 * Schema extraction and comparison for `parity verify-schema` and the schema domain
 * (schema.h). Extraction reads sqlite_master and the table pragmas (table_xinfo,
 * index_list, index_xinfo, foreign_key_list, table_list) into a JSON model keyed by
 * lower-case names; comparison walks two models as maps and emits classified
 * differences. SQL that must be compared as text (views, triggers, partial-index WHERE
 * clauses, virtual-table arguments, defaults) goes through one small tokenizer that
 * understands comments, string literals and quoted identifiers, so layout, case and
 * quoting do not count as differences but a changed literal does.
 */
#include "schema/schema.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parity/jsonio.h"

/* ---------------------------------------------------------------- small strings */

struct sbuf {
	char *p;
	size_t n, cap;
	int oom;
};

static void sb_addn(struct sbuf *s, const char *str, size_t len)
{
	if (s->oom)
		return;
	if (s->n + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 64;
		char *p;

		while (cap < s->n + len + 1)
			cap *= 2;
		p = realloc(s->p, cap);
		if (!p) {
			s->oom = 1;
			return;
		}
		s->p = p;
		s->cap = cap;
	}
	memcpy(s->p + s->n, str, len);
	s->n += len;
	s->p[s->n] = '\0';
}

static void sb_add(struct sbuf *s, const char *str)
{
	sb_addn(s, str, strlen(str));
}

/* The built string (never NULL unless out of memory); ownership passes to the caller. */
static char *sb_take(struct sbuf *s)
{
	if (s->oom) {
		free(s->p);
		return NULL;
	}
	if (!s->p)
		return strdup("");
	return s->p;
}

static char *lower_dup(const char *s)
{
	char *d = strdup(s ? s : "");
	char *q;

	if (d)
		for (q = d; *q; q++)
			*q = (char)tolower((unsigned char)*q);
	return d;
}

/* ---------------------------------------------------------------- SQL tokens */

enum tok_kind { T_WORD, T_LIT, T_PUNCT };

struct tok {
	enum tok_kind kind;
	char *text;
};

struct toks {
	struct tok *v;
	size_t n, cap;
};

static void toks_free(struct toks *t)
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

/*
 * Split SQL into words (lower-cased; simple quoted identifiers unquoted), string
 * literals (verbatim) and single punctuation characters. Comments and whitespace go.
 * An unterminated literal or comment runs to the end of the text.
 */
static int tokenize(const char *sql, struct toks *out)
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

static int tok_is(const struct toks *t, size_t i, const char *text)
{
	return i < t->n && !strcmp(t->v[i].text, text);
}

/* Tokens [from, to) as text: a space only between two adjacent words. */
static char *toks_join(const struct toks *t, size_t from, size_t to)
{
	struct sbuf s = {0};
	size_t i;

	for (i = from; i < to && i < t->n; i++) {
		if (i > from && t->v[i].kind == T_WORD && t->v[i - 1].kind == T_WORD)
			sb_add(&s, " ");
		sb_add(&s, t->v[i].text);
	}
	return sb_take(&s);
}

/* Index of the parenthesis closing the one at `open`, or t->n. */
static size_t match_paren(const struct toks *t, size_t open)
{
	size_t i;
	long depth = 0;

	for (i = open; i < t->n; i++) {
		if (tok_is(t, i, "("))
			depth++;
		else if (tok_is(t, i, ")") && --depth == 0)
			return i;
	}
	return t->n;
}

char *ph_schema_normalize_sql(const char *sql)
{
	struct toks t = {0};
	char *out;
	size_t n;

	if (tokenize(sql, &t)) {
		toks_free(&t);
		return NULL;
	}
	n = t.n;
	while (n > 0 && tok_is(&t, n - 1, ";"))
		n--;
	out = toks_join(&t, 0, n);
	toks_free(&t);
	return out;
}

/* A string literal's content ('it''s' -> it's); NULL when out of memory. */
static char *unquote_lit(const char *lit)
{
	struct sbuf s = {0};
	size_t len = strlen(lit), i;

	for (i = 1; i + 1 < len; i++) {
		sb_addn(&s, lit + i, 1);
		if (lit[i] == '\'' && lit[i + 1] == '\'')
			i++;
	}
	return sb_take(&s);
}

/*
 * What a column default evaluates to, so spellings of one value compare equal:
 * "null" (no default, DEFAULT NULL), "num:<n>" (0, 0.0, '0', (0)), "str:<s>" ('x'),
 * "expr:<normalised>" (datetime('now')). NULL when out of memory.
 */
static char *default_effective(const char *raw)
{
	struct toks t = {0};
	size_t from = 0, to;
	char *text = NULL, *res = NULL;
	struct sbuf s = {0};

	if (!raw)
		return strdup("null");
	if (tokenize(raw, &t))
		goto out;
	to = t.n;
	while (to - from >= 2 && tok_is(&t, from, "(") && match_paren(&t, from) == to - 1) {
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
		text = unquote_lit(t.v[from].text);
	else
		text = toks_join(&t, from, to);
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
	sb_add(&s, to - from == 1 && t.v[from].kind == T_LIT ? "str:" : "expr:");
	sb_add(&s, text);
	res = sb_take(&s);
out:
	free(text);
	toks_free(&t);
	return res;
}

/* ---------------------------------------------------------------- virtual tables */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One module argument, normalised: `key = 'v'` -> key=v, a quoted column name unquoted. */
static char *vtab_arg(const struct toks *t, size_t from, size_t to, int *is_option)
{
	*is_option = 0;
	if (to - from == 1 && t->v[from].kind == T_LIT) {
		char *u = unquote_lit(t->v[from].text);
		char *l = lower_dup(u);

		free(u);
		return l;
	}
	if (to - from >= 3 && t->v[from].kind == T_WORD && tok_is(t, from + 1, "=")) {
		struct sbuf s = {0};
		char *value;

		*is_option = 1;
		if (to - from == 3 && t->v[from + 2].kind == T_LIT)
			value = unquote_lit(t->v[from + 2].text);
		else if (to - from == 3 && strchr("\"`[", t->v[from + 2].text[0]) &&
			 strlen(t->v[from + 2].text) >= 2)
			value = strndup(t->v[from + 2].text + 1, strlen(t->v[from + 2].text) - 2);
		else
			value = toks_join(t, from + 2, to);
		sb_add(&s, t->v[from].text);
		sb_add(&s, "=");
		sb_add(&s, value ? value : "");
		free(value);
		return sb_take(&s);
	}
	return toks_join(t, from, to);
}

/*
 * Module and normalised definition of a CREATE VIRTUAL TABLE statement: "module(arg,
 * ...)" with plain arguments (columns) in their order, then key=value options sorted.
 * Returns 0, -1 when out of memory; when the statement does not parse, the definition
 * is the normalised statement and the module "".
 */
static int vtab_parse(const char *sql, char **module, char **definition)
{
	struct toks t = {0};
	size_t u, i, close, start, nargs = 0, nopts = 0;
	char **args = NULL, **opts = NULL;
	struct sbuf s = {0};
	int rc = -1;

	*module = *definition = NULL;
	if (tokenize(sql, &t))
		goto out;
	for (u = 0; u < t.n && !(t.v[u].kind == T_WORD && !strcmp(t.v[u].text, "using")); u++)
		;
	if (u + 1 >= t.n || t.v[u + 1].kind != T_WORD) {
		*module = strdup("");
		*definition = ph_schema_normalize_sql(sql);
		rc = (*module && *definition) ? 0 : -1;
		goto out;
	}
	*module = strdup(t.v[u + 1].text);
	sb_add(&s, t.v[u + 1].text);
	if (tok_is(&t, u + 2, "(")) {
		close = match_paren(&t, u + 2);
		args = calloc(t.n, sizeof(*args));
		opts = calloc(t.n, sizeof(*opts));
		if (!args || !opts)
			goto out;
		start = u + 3;
		for (i = u + 3; i <= close && i <= t.n; i++) {
			if (i < close && tok_is(&t, i, "(")) {
				i = match_paren(&t, i);
				continue;
			}
			if (i < close && !tok_is(&t, i, ","))
				continue;
			if (i > start) {
				int is_opt;
				char *a = vtab_arg(&t, start, i, &is_opt);

				if (!a)
					goto out;
				if (is_opt)
					opts[nopts++] = a;
				else
					args[nargs++] = a;
			}
			start = i + 1;
		}
		/* FTS5's tokenizer is unicode61 unless one is named: naming it changes nothing */
		if (!strcmp(*module, "fts5")) {
			size_t k;

			for (k = 0; k < nopts && strncmp(opts[k], "tokenize=", 9); k++)
				;
			if (k == nopts && !(opts[nopts++] = strdup("tokenize=unicode61")))
				goto out;
		}
		qsort(opts, nopts, sizeof(*opts), cmp_str);
		sb_add(&s, "(");
		for (i = 0; i < nargs + nopts; i++) {
			if (i)
				sb_add(&s, ", ");
			sb_add(&s, i < nargs ? args[i] : opts[i - nargs]);
		}
		sb_add(&s, ")");
	}
	*definition = sb_take(&s);
	s.p = NULL;
	rc = (*module && *definition) ? 0 : -1;
out:
	if (args)
		for (i = 0; i < nargs; i++)
			free(args[i]);
	if (opts)
		for (i = 0; i < nopts; i++)
			free(opts[i]);
	free(args);
	free(opts);
	free(s.p);
	toks_free(&t);
	if (rc) {
		free(*module);
		free(*definition);
		*module = *definition = NULL;
	}
	return rc;
}

/* Does table `name` belong to virtual table `vt` of module `module` (its shadow)? */
static int is_shadow(const char *vt, const char *module, const char *name)
{
	static const char *fts5[] = {"data", "idx", "docsize", "config", "content", NULL};
	static const char *fts34[] = {"content", "segments", "segdir", "docsize", "stat", NULL};
	static const char *rtree[] = {"node", "rowid", "parent", NULL};
	static const char *vec0[] = {"info", "chunks", "rowids", "auxiliary", NULL};
	static const char *vec0_numbered[] = {"vector_chunks", "metadatachunks", "metadatatext",
					      NULL};
	const char **list = NULL;
	size_t vlen = strlen(vt);
	const char *suffix;
	size_t i;

	if (strncmp(name, vt, vlen) || name[vlen] != '_')
		return 0;
	suffix = name + vlen + 1;
	if (!strcmp(module, "fts5"))
		list = fts5;
	else if (!strcmp(module, "fts3") || !strcmp(module, "fts4"))
		list = fts34;
	else if (!strcmp(module, "rtree") || !strcmp(module, "rtree_i32") ||
		 !strcmp(module, "geopoly"))
		list = rtree;
	else if (!strcmp(module, "vec0")) {
		for (i = 0; vec0_numbered[i]; i++) {
			size_t l = strlen(vec0_numbered[i]);

			if (!strncmp(suffix, vec0_numbered[i], l) && suffix[l] &&
			    strspn(suffix + l, "0123456789") == strlen(suffix + l))
				return 1;
		}
		list = vec0;
	}
	for (i = 0; list && list[i]; i++)
		if (!strcmp(suffix, list[i]))
			return 1;
	return 0;
}

/* ---------------------------------------------------------------- extraction */

static int db_fail(struct ph_err *err, sqlite3 *db, const char *source, const char *what)
{
	return ph_error(err, PH_E_DB, "%s: %s: %s", source, what, sqlite3_errmsg(db));
}

static int prep(sqlite3 *db, const char *sql, const char *arg, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(db, sql, -1, st, NULL);

	if (rc == SQLITE_OK && arg)
		rc = sqlite3_bind_text(*st, 1, arg, -1, SQLITE_TRANSIENT);
	return rc;
}

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	const unsigned char *s = sqlite3_column_text(st, col);

	return s ? json_string((const char *)s) : json_null();
}

static void add_note(json_t *model, const char *table, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void add_note(json_t *model, const char *table, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(json_object_get(model, "notes"),
			      json_pack("{s:s?,s:s}", "table", table, "message", msg));
}

/*
 * WITHOUT ROWID and STRICT of every table, by name, read once (pragma table_list exists
 * from SQLite 3.37; older versions give an empty map and the options are not compared).
 */
static json_t *table_options(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	json_t *map = json_object();

	if (prep(db, "SELECT name, wr, strict FROM pragma_table_list WHERE schema = 'main'", NULL,
		 &st) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct sbuf s = {0};

			if (sqlite3_column_int(st, 1))
				sb_add(&s, "without rowid");
			if (sqlite3_column_int(st, 2))
				sb_add(&s, s.n ? ", strict" : "strict");
			json_object_set_new(map, (const char *)sqlite3_column_text(st, 0),
					    json_string(s.p ? s.p : ""));
			free(s.p);
		}
	sqlite3_finalize(st);
	return map;
}

/*
 * Prepared pragma statements reused for every table of one extraction (reset and
 * rebound): preparing a table-valued pragma costs more than running it.
 */
struct stcache {
	sqlite3 *db;
	const char *sql[8];
	sqlite3_stmt *st[8];
};

static int prep_c(struct stcache *c, const char *sql, const char *arg, sqlite3_stmt **st)
{
	size_t i;
	int rc;

	for (i = 0; i < 8 && c->sql[i] && c->sql[i] != sql; i++)
		;
	if (i < 8 && c->sql[i] == sql) {
		*st = c->st[i];
		sqlite3_reset(*st);
		sqlite3_clear_bindings(*st);
		return arg ? sqlite3_bind_text(*st, 1, arg, -1, SQLITE_TRANSIENT) : SQLITE_OK;
	}
	rc = prep(c->db, sql, arg, st);
	if (rc == SQLITE_OK && i < 8) {
		c->sql[i] = sql;
		c->st[i] = *st;
	}
	return rc;
}

/* Done with st for now: cached statements are reset, others finalized. */
static void release(struct stcache *c, sqlite3_stmt *st)
{
	size_t i;

	for (i = 0; i < 8; i++)
		if (c->st[i] == st && st) {
			sqlite3_reset(st);
			return;
		}
	sqlite3_finalize(st);
}

static void stcache_free(struct stcache *c)
{
	size_t i;

	for (i = 0; i < 8; i++)
		sqlite3_finalize(c->st[i]);
	memset(c, 0, sizeof(*c));
}

/* Columns, primary key and options of an ordinary table. */
static int extract_columns(struct stcache *c, const char *source, const char *name, json_t *tab,
			   const json_t *options, struct ph_err *err)
{
	sqlite3_stmt *st = NULL;
	json_t *cols = json_object(), *order = json_array(), *pk = json_array();
	json_t *pkv[256] = {0};
	int rc, i;

	json_object_set_new(tab, "columns", cols);
	json_object_set_new(tab, "order", order);
	json_object_set_new(tab, "pk", pk);
	if (!cols || !order || !pk)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (prep_c(c,
		   "SELECT name, type, \"notnull\", dflt_value, pk, hidden "
		   "FROM pragma_table_xinfo(?1) ORDER BY cid",
		   name, &st) != SQLITE_OK) {
		release(c, st);
		return db_fail(err, c->db, source, "cannot read columns");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cname = (const char *)sqlite3_column_text(st, 0);
		char *key = lower_dup(cname);
		int pkn = sqlite3_column_int(st, 4);

		if (!key) {
			release(c, st);
			return ph_error(err, PH_E_NOMEM, "out of memory");
		}
		json_object_set_new(
		    cols, key,
		    json_pack("{s:s?,s:s,s:b,s:o,s:i,s:i}", "name", cname, "type",
			      sqlite3_column_text(st, 1) ? (const char *)sqlite3_column_text(st, 1)
							 : "",
			      "notnull", sqlite3_column_int(st, 2) != 0, "default",
			      text_or_null(st, 3), "pk", pkn, "hidden", sqlite3_column_int(st, 5)));
		json_array_append_new(order, json_string(key));
		if (pkn > 0 && pkn < 256 && !pkv[pkn])
			pkv[pkn] = json_string(key);
		free(key);
	}
	release(c, st);
	if (rc != SQLITE_DONE)
		return db_fail(err, c->db, source, "cannot read columns");
	for (i = 1; i < 256; i++)
		if (pkv[i])
			json_array_append_new(pk, pkv[i]);
	if (json_object_get(options, name))
		json_object_set(tab, "options", json_object_get(options, name));

	return 0;
}

/* The normalised column terms of a CREATE INDEX statement (for expression columns). */
static json_t *index_sql_terms(const char *sql, char **partial)
{
	struct toks t = {0};
	json_t *terms = json_array();
	size_t i, open, close, start;

	*partial = NULL;
	if (!sql || tokenize(sql, &t))
		goto out;
	for (open = 0; open < t.n && !tok_is(&t, open, "("); open++)
		;
	close = match_paren(&t, open);
	for (start = i = open + 1; i <= close && i < t.n; i++) {
		if (i < close && tok_is(&t, i, "(")) {
			i = match_paren(&t, i);
			continue;
		}
		if (i < close && !tok_is(&t, i, ","))
			continue;
		{
			char *term = toks_join(&t, start, i);

			json_array_append_new(terms, json_string(term ? term : ""));
			free(term);
		}
		start = i + 1;
	}
	for (i = close + 1; i < t.n; i++)
		if (t.v[i].kind == T_WORD && !strcmp(t.v[i].text, "where")) {
			size_t n = t.n;

			while (n > i + 1 && tok_is(&t, n - 1, ";"))
				n--;
			*partial = toks_join(&t, i + 1, n);
			break;
		}
out:
	toks_free(&t);
	return terms;
}

/* Indexes of a table, keyed by name; UNIQUE constraints by "unique(cols)". */
static int extract_indexes(struct stcache *c, const char *source, const char *name, json_t *tab,
			   const json_t *index_sql, struct ph_err *err)
{
	sqlite3_stmt *st = NULL, *xi = NULL;
	json_t *idx = json_object();
	int rc;

	json_object_set_new(tab, "indexes", idx);
	if (!idx)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (prep_c(c, "SELECT name, \"unique\", origin FROM pragma_index_list(?1)", name, &st) !=
	    SQLITE_OK) {
		release(c, st);
		return db_fail(err, c->db, source, "cannot list indexes");
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *iname = (const char *)sqlite3_column_text(st, 0);
		const char *origin = (const char *)sqlite3_column_text(st, 2);
		char *lname = lower_dup(iname);
		const char *sql = json_string_value(json_object_get(index_sql, lname ? lname : ""));
		char *partial = NULL;
		json_t *terms = index_sql_terms(sql, &partial);
		json_t *cols = json_array();
		struct sbuf key = {0};
		int xrc, pos = 0;

		if (origin && !strcmp(origin, "pk")) {
			free(lname);
			free(partial);
			json_decref(terms);
			json_decref(cols);
			continue; /* the primary key is compared as the table's "pk" */
		}
		if (prep_c(c,
			   "SELECT cid, name, \"desc\", coll FROM pragma_index_xinfo(?1) "
			   "WHERE key = 1 ORDER BY seqno",
			   iname, &xi) != SQLITE_OK) {
			release(c, xi);
			release(c, st);
			free(lname);
			free(partial);
			json_decref(terms);
			json_decref(cols);
			return db_fail(err, c->db, source, "cannot read index columns");
		}
		while ((xrc = sqlite3_step(xi)) == SQLITE_ROW) {
			struct sbuf c = {0};
			const char *cname = (const char *)sqlite3_column_text(xi, 1);
			const char *coll = (const char *)sqlite3_column_text(xi, 3);
			char *lc;

			if (sqlite3_column_int(xi, 0) == -2) {
				const char *term =
				    json_string_value(json_array_get(terms, (size_t)pos));

				sb_add(&c, term ? term : "<expression>");
			} else if (sqlite3_column_int(xi, 0) == -1) {
				sb_add(&c, "rowid");
			} else {
				lc = lower_dup(cname);
				sb_add(&c, lc ? lc : "");
				free(lc);
				if (sqlite3_column_int(xi, 2))
					sb_add(&c, " desc");
			}
			if (coll && strcasecmp(coll, "BINARY")) {
				lc = lower_dup(coll);
				sb_add(&c, " collate ");
				sb_add(&c, lc ? lc : "");
				free(lc);
			}
			json_array_append_new(cols, json_string(c.p ? c.p : ""));
			free(c.p);
			pos++;
		}
		release(c, xi);
		xi = NULL;
		if (origin && !strcmp(origin, "u")) {
			size_t i;

			sb_add(&key, "unique(");
			for (i = 0; i < json_array_size(cols); i++) {
				if (i)
					sb_add(&key, ",");
				sb_add(&key, json_string_value(json_array_get(cols, i)));
			}
			sb_add(&key, ")");
		} else {
			sb_add(&key, lname ? lname : "");
		}
		if (key.p)
			json_object_set_new(idx, key.p,
					    json_pack("{s:s?,s:b,s:o,s:s?}", "name", iname,
						      "unique", sqlite3_column_int(st, 1) != 0,
						      "columns", cols, "partial", partial));
		else
			json_decref(cols);
		free(key.p);
		free(lname);
		free(partial);
		json_decref(terms);
		if (xrc != SQLITE_DONE) {
			release(c, st);
			return db_fail(err, c->db, source, "cannot read index columns");
		}
	}
	release(c, st);
	if (rc != SQLITE_DONE)
		return db_fail(err, c->db, source, "cannot list indexes");
	return 0;
}

/* The primary-key columns of `table` (for a foreign key that names no columns). */
static json_t *pk_columns(struct stcache *c, const char *table)
{
	sqlite3_stmt *st = NULL;
	json_t *cols = json_array();

	if (prep_c(c, "SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk", table,
		   &st) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW) {
			char *l = lower_dup((const char *)sqlite3_column_text(st, 0));

			json_array_append_new(cols, json_string(l ? l : ""));
			free(l);
		}
	release(c, st);
	return cols;
}

static void join_array(struct sbuf *s, const json_t *arr)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++) {
		if (i)
			sb_add(s, ",");
		sb_add(s, json_string_value(json_array_get(arr, i))
			      ? json_string_value(json_array_get(arr, i))
			      : "");
	}
}

/* Foreign keys of a table, keyed "(from)->table(to)" with their actions. */
static int extract_fks(struct stcache *c, const char *source, const char *name, json_t *tab,
		       struct ph_err *err)
{
	sqlite3_stmt *st = NULL;
	json_t *fks = json_object(), *from = NULL, *to = NULL;
	char *target = NULL, *on_update = NULL, *on_delete = NULL;
	int rc, cur = -1, any_null_to = 0;

	json_object_set_new(tab, "foreign_keys", fks);
	if (!fks)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (prep_c(c,
		   "SELECT id, \"table\", \"from\", \"to\", on_update, on_delete "
		   "FROM pragma_foreign_key_list(?1) ORDER BY id, seq",
		   name, &st) != SQLITE_OK) {
		release(c, st);
		return db_fail(err, c->db, source, "cannot list foreign keys");
	}
	for (;;) {
		rc = sqlite3_step(st);
		if (cur >= 0 && (rc != SQLITE_ROW || sqlite3_column_int(st, 0) != cur)) {
			struct sbuf key = {0};

			if (any_null_to) {
				json_decref(to);
				to = pk_columns(c, target);
			}
			sb_add(&key, "(");
			join_array(&key, from);
			sb_add(&key, ")->");
			sb_add(&key, target ? target : "");
			sb_add(&key, "(");
			join_array(&key, to);
			sb_add(&key, ")");
			if (key.p)
				json_object_set_new(
				    fks, key.p,
				    json_pack("{s:s,s:s}", "on_update", on_update ? on_update : "",
					      "on_delete", on_delete ? on_delete : ""));
			free(key.p);
			json_decref(from);
			json_decref(to);
			free(target);
			free(on_update);
			free(on_delete);
			from = to = NULL;
			target = on_update = on_delete = NULL;
			cur = -1;
		}
		if (rc != SQLITE_ROW)
			break;
		if (cur < 0) {
			cur = sqlite3_column_int(st, 0);
			from = json_array();
			to = json_array();
			any_null_to = 0;
			target = lower_dup((const char *)sqlite3_column_text(st, 1));
			on_update = lower_dup((const char *)sqlite3_column_text(st, 4));
			on_delete = lower_dup((const char *)sqlite3_column_text(st, 5));
		}
		{
			char *f = lower_dup((const char *)sqlite3_column_text(st, 2));
			char *t = lower_dup((const char *)sqlite3_column_text(st, 3));

			if (!sqlite3_column_text(st, 3))
				any_null_to = 1;
			json_array_append_new(from, json_string(f ? f : ""));
			json_array_append_new(to, json_string(t ? t : ""));
			free(f);
			free(t);
		}
	}
	release(c, st);
	if (rc != SQLITE_DONE)
		return db_fail(err, c->db, source, "cannot list foreign keys");
	return 0;
}

static int cmp_json_version(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;

	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) < json_integer_value(b)
			   ? -1
			   : json_integer_value(a) > json_integer_value(b);
	if (json_is_integer(a) != json_is_integer(b))
		return json_is_integer(a) ? -1 : 1;
	return strcmp(json_string_value(a) ? json_string_value(a) : "",
		      json_string_value(b) ? json_string_value(b) : "");
}

/* A JSON array sorted with cmp (new reference; elements shared). */
static json_t *sorted_array(const json_t *arr, int (*cmp)(const void *, const void *))
{
	size_t n = json_array_size(arr), i;
	json_t **v = calloc(n ? n : 1, sizeof(*v));
	json_t *out;

	if (!v)
		return NULL;
	for (i = 0; i < n; i++)
		v[i] = json_array_get(arr, i);
	qsort(v, n, sizeof(*v), cmp);
	out = json_array();
	for (i = 0; out && i < n; i++)
		json_array_append(out, v[i]);
	free(v);
	return out;
}

static int extract_migrations(sqlite3 *db, const char *source, json_t *model, struct ph_err *err)
{
	const json_t *tab = json_object_get(json_object_get(model, "tables"), "schema_migrations");
	sqlite3_stmt *st = NULL;
	json_t *versions, *sorted;
	int rc;

	if (!tab || strcmp(json_string_value(json_object_get(tab, "type")), "table") ||
	    !json_object_get(json_object_get(tab, "columns"), "version"))
		return 0;
	if (prep(db, "SELECT DISTINCT version FROM main.schema_migrations", NULL, &st) !=
	    SQLITE_OK) {
		sqlite3_finalize(st);
		return db_fail(err, db, source, "cannot read schema_migrations");
	}
	versions = json_array();
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_type(st, 0) == SQLITE_INTEGER)
			json_array_append_new(versions, json_integer(sqlite3_column_int64(st, 0)));
		else if (sqlite3_column_type(st, 0) != SQLITE_NULL)
			json_array_append_new(
			    versions, json_string((const char *)sqlite3_column_text(st, 0)));
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		json_decref(versions);
		return db_fail(err, db, source, "cannot read schema_migrations");
	}
	sorted = sorted_array(versions, cmp_json_version);
	json_decref(versions);
	json_object_set_new(model, "migrations", sorted ? sorted : json_null());
	return 0;
}

int ph_schema_extract(sqlite3 *db, const char *source, json_t **out, struct ph_err *err)
{
	sqlite3_stmt *st = NULL;
	json_t *model, *tables, *rows, *index_sql, *shadows, *options = NULL, *row;
	struct stcache cache = {0};
	size_t i;
	int rc;

	*out = NULL;
	cache.db = db;
	if (!source)
		source = "database";
	model = json_pack("{s:s,s:{},s:n,s:[]}", "source", source, "tables", "migrations", "notes");
	rows = json_array();
	index_sql = json_object();
	shadows = json_object();
	if (!model || !rows || !index_sql || !shadows) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto fail;
	}
	tables = json_object_get(model, "tables");
	if (prep(db, "SELECT type, name, tbl_name, sql FROM main.sqlite_master ORDER BY rowid",
		 NULL, &st) != SQLITE_OK) {
		sqlite3_finalize(st);
		rc = db_fail(err, db, source, "cannot read the schema");
		goto fail;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		json_array_append_new(rows,
				      json_pack("{s:o,s:o,s:o,s:o}", "type", text_or_null(st, 0),
						"name", text_or_null(st, 1), "tbl_name",
						text_or_null(st, 2), "sql", text_or_null(st, 3)));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = db_fail(err, db, source, "cannot read the schema");
		goto fail;
	}

	/* Pass 1: virtual tables (their shadow tables are skipped below), index SQL. */
	json_array_foreach(rows, i, row)
	{
		const char *type = json_string_value(json_object_get(row, "type"));
		const char *sql = json_string_value(json_object_get(row, "sql"));
		char *lname = lower_dup(json_string_value(json_object_get(row, "name")));

		if (!lname) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto fail;
		}
		if (type && !strcmp(type, "index") && sql)
			json_object_set_new(index_sql, lname, json_string(sql));
		if (type && !strcmp(type, "table") && sql &&
		    !strncasecmp(sql, "create virtual table", 20)) {
			char *module, *def;
			json_t *vt;

			if (vtab_parse(sql, &module, &def)) {
				free(lname);
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				goto fail;
			}
			vt = json_pack("{s:s,s:s?,s:s,s:s,s:b,s:[],s:{}}", "type", "virtual",
				       "name", json_string_value(json_object_get(row, "name")),
				       "module", module, "definition", def, "module_loaded", 1,
				       "shadow", "triggers");
			json_object_set_new(tables, lname, vt);
			free(module);
			free(def);
		}
		free(lname);
	}
	json_array_foreach(rows, i, row)
	{
		const char *type = json_string_value(json_object_get(row, "type"));
		const char *name = json_string_value(json_object_get(row, "name"));
		char *lname;
		const char *vkey;
		json_t *vt;

		if (!type || strcmp(type, "table") || !name)
			continue;
		lname = lower_dup(name);
		if (!lname) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto fail;
		}
		json_object_foreach(tables, vkey, vt)
		{
			const char *module = json_string_value(json_object_get(vt, "module"));

			if (strcmp(vkey, lname) && is_shadow(vkey, module, lname)) {
				json_object_set_new(shadows, lname, json_true());
				json_array_append_new(json_object_get(vt, "shadow"),
						      json_string(lname));
				break;
			}
		}
		free(lname);
	}

	/* Pass 2: ordinary tables and views; probe virtual tables for their module. */
	json_array_foreach(rows, i, row)
	{
		const char *type = json_string_value(json_object_get(row, "type"));
		const char *name = json_string_value(json_object_get(row, "name"));
		const char *sql = json_string_value(json_object_get(row, "sql"));
		char *lname;
		json_t *tab;

		if (!type || !name || (strcmp(type, "table") && strcmp(type, "view")))
			continue;
		if (!strncasecmp(name, "sqlite_", 7))
			continue; /* sqlite_sequence, sqlite_stat*: SQLite's own bookkeeping */
		lname = lower_dup(name);
		if (!lname) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto fail;
		}
		if (json_object_get(shadows, lname)) {
			free(lname);
			continue;
		}
		tab = json_object_get(tables, lname);
		if (tab) { /* virtual: is its module loaded here? */
			sqlite3_stmt *probe = NULL;
			int prc =
			    prep(db, "SELECT count(*) FROM pragma_table_xinfo(?1)", name, &probe);

			if (prc == SQLITE_OK)
				prc = sqlite3_step(probe);
			if (prc != SQLITE_ROW && prc != SQLITE_DONE) {
				json_object_set_new(tab, "module_loaded", json_false());
				add_note(model, lname,
					 "virtual table '%s': %s; compared by its DDL", lname,
					 sqlite3_errmsg(db));
			}
			sqlite3_finalize(probe);
			free(lname);
			continue;
		}
		if (!strcmp(type, "view")) {
			char *norm = ph_schema_normalize_sql(sql);

			tab = json_pack("{s:s,s:s,s:s?,s:{}}", "type", "view", "name", name, "sql",
					norm, "triggers");
			free(norm);
			json_object_set_new(tables, lname, tab);
			free(lname);
			continue;
		}
		tab = json_pack("{s:s,s:s,s:{}}", "type", "table", "name", name, "triggers");
		if (!tab) {
			free(lname);
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto fail;
		}
		json_object_set_new(tables, lname, tab);
		if (!options)
			options = table_options(db);
		if ((rc = extract_columns(&cache, source, name, tab, options, err)) ||
		    (rc = extract_indexes(&cache, source, name, tab, index_sql, err)) ||
		    (rc = extract_fks(&cache, source, name, tab, err))) {
			free(lname);
			goto fail;
		}
		free(lname);
	}

	/* Pass 3: triggers, under the table or view they fire on. */
	json_array_foreach(rows, i, row)
	{
		const char *type = json_string_value(json_object_get(row, "type"));
		char *lname, *ltab, *norm;
		json_t *tab;

		if (!type || strcmp(type, "trigger"))
			continue;
		lname = lower_dup(json_string_value(json_object_get(row, "name")));
		ltab = lower_dup(json_string_value(json_object_get(row, "tbl_name")));
		norm = ph_schema_normalize_sql(json_string_value(json_object_get(row, "sql")));
		tab = json_object_get(tables, ltab ? ltab : "");
		if (lname && norm && tab)
			json_object_set_new(json_object_get(tab, "triggers"), lname,
					    json_string(norm));
		free(lname);
		free(ltab);
		free(norm);
	}

	if ((rc = extract_migrations(db, source, model, err)))
		goto fail;
	json_decref(rows);
	json_decref(index_sql);
	json_decref(shadows);
	json_decref(options);
	stcache_free(&cache);
	*out = model;
	return 0;
fail:
	stcache_free(&cache);
	json_decref(model);
	json_decref(options);
	json_decref(rows);
	json_decref(index_sql);
	json_decref(shadows);
	return rc;
}

/* ---------------------------------------------------------------- loading */

static char *file_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	struct sbuf s = {0};
	const unsigned char *p;

	sb_add(&s, "file:");
	for (p = (const unsigned char *)path; *p; p++) {
		if (isalnum(*p) || strchr("/-_.~", *p)) {
			sb_addn(&s, (const char *)p, 1);
		} else {
			char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			sb_addn(&s, e, 3);
		}
	}
	sb_add(&s, "?mode=ro&immutable=1");
	return sb_take(&s);
}

int ph_schema_load_db(const char *path, json_t **out, struct ph_err *err)
{
	static const char magic[16] = "SQLite format 3";
	char header[16] = {0};
	struct stat sb;
	sqlite3 *db = NULL;
	char *uri, *wal;
	FILE *f;
	size_t got;
	int rc;

	*out = NULL;
	if (stat(path, &sb))
		return ph_error(err, PH_E_IO, "cannot open '%s': %s", path, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return ph_error(err, PH_E_INVALID, "'%s' is not a regular file", path);
	f = fopen(path, "rb");
	if (!f)
		return ph_error(err, PH_E_IO, "cannot open '%s': %s", path, strerror(errno));
	got = fread(header, 1, sizeof(header), f);
	fclose(f);
	if (got != sizeof(header) || memcmp(header, magic, sizeof(magic)))
		return ph_error(err, PH_E_INVALID,
				"'%s' is not a SQLite database (no SQLite header)", path);
	uri = file_uri(path);
	if (!uri)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open '%s': %s", path,
			      db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return rc;
	}
	rc = ph_schema_extract(db, path, out, err);
	sqlite3_close(db);
	if (rc)
		return rc;
	wal = malloc(strlen(path) + 5);
	if (wal) {
		sprintf(wal, "%s-wal", path);
		if (!stat(wal, &sb) && sb.st_size > 0)
			add_note(*out, NULL,
				 "'%s' was not read (the database is opened immutable); "
				 "checkpoint it for the current schema",
				 wal);
		free(wal);
	}
	return 0;
}

struct migration {
	unsigned long long num;
	char *name;
};

static int cmp_migration(const void *pa, const void *pb)
{
	const struct migration *a = pa, *b = pb;

	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* "NNN-anything.sql" */
static int is_migration_name(const char *name)
{
	size_t digits = strspn(name, "0123456789"), len = strlen(name);

	return digits > 0 && name[digits] == '-' && len > digits + 5 &&
	       !strcmp(name + len - 4, ".sql");
}

int ph_schema_load_migrations(const char *dir, json_t **out, struct ph_err *err)
{
	struct migration *m = NULL;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	sqlite3 *db = NULL;
	DIR *d;
	int rc = 0;

	*out = NULL;
	d = opendir(dir);
	if (!d)
		return ph_error(err, PH_E_IO, "cannot open folder '%s': %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		if (!is_migration_name(de->d_name))
			continue;
		if (n == cap) {
			struct migration *nm;

			cap = cap ? cap * 2 : 16;
			nm = realloc(m, cap * sizeof(*m));
			if (!nm) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				break;
			}
			m = nm;
		}
		m[n].num = strtoull(de->d_name, NULL, 10);
		m[n].name = strdup(de->d_name);
		if (!m[n].name) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (rc)
		goto out;
	if (!n) {
		rc = ph_error(err, PH_E_INVALID, "'%s' holds no NNN-*.sql migrations", dir);
		goto out;
	}
	qsort(m, n, sizeof(*m), cmp_migration);
	for (i = 1; i < n; i++)
		if (m[i].num == m[i - 1].num) {
			rc = ph_error(err, PH_E_INVALID,
				      "%s: migrations '%s' and '%s' have the same number", dir,
				      m[i - 1].name, m[i].name);
			goto out;
		}
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = ph_error(err, PH_E_DB, "cannot open an in-memory database: %s",
			      db ? sqlite3_errmsg(db) : "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		char *path = malloc(strlen(dir) + strlen(m[i].name) + 2);
		char *sql = NULL, *emsg = NULL;
		size_t len;

		if (!path) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			goto out;
		}
		sprintf(path, "%s/%s", dir, m[i].name);
		rc = ph_file_read(path, 0, &sql, &len, err);
		if (!rc && sqlite3_exec(db, sql, NULL, NULL, &emsg) != SQLITE_OK)
			rc = ph_error(err, PH_E_PARSE, "%s: migration failed: %s", path,
				      emsg ? emsg : sqlite3_errmsg(db));
		sqlite3_free(emsg);
		free(sql);
		free(path);
		if (rc)
			goto out;
	}
	rc = ph_schema_extract(db, dir, out, err);
out:
	sqlite3_close(db);
	for (i = 0; i < n; i++)
		free(m[i].name);
	free(m);
	return rc;
}

int ph_schema_load(const char *path, json_t **out, struct ph_err *err)
{
	struct stat sb;

	if (!stat(path, &sb) && S_ISDIR(sb.st_mode))
		return ph_schema_load_migrations(path, out, err);
	return ph_schema_load_db(path, out, err);
}

/* ---------------------------------------------------------------- comparison */

static void add_diff(json_t *out, enum ph_class cls, const char *kind, const char *table,
		     const char *name, json_t *a, json_t *b, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* Append one difference; a and b are stolen (NULL means JSON null). */
static void add_diff(json_t *out, enum ph_class cls, const char *kind, const char *table,
		     const char *name, json_t *a, json_t *b, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s?,s:o,s:o,s:s}", "class",
					     ph_class_name(cls), "kind", kind, "table", table,
					     "name", name, "a", a ? a : json_null(), "b",
					     b ? b : json_null(), "message", msg));
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

static json_t *copy(const json_t *v)
{
	return v ? json_deep_copy(v) : json_null();
}

/* "TEXT NOT NULL DEFAULT 'x'" for messages and missing/extra columns. */
static json_t *column_desc(const json_t *c)
{
	struct sbuf s = {0};
	json_t *res;

	sb_add(&s, jstr(c, "type")[0] ? jstr(c, "type") : "(no type)");
	if (json_is_true(json_object_get(c, "notnull")))
		sb_add(&s, " NOT NULL");
	if (json_is_string(json_object_get(c, "default"))) {
		sb_add(&s, " DEFAULT ");
		sb_add(&s, jstr(c, "default"));
	}
	if (json_integer_value(json_object_get(c, "pk")) > 0)
		sb_add(&s, " PRIMARY KEY");
	res = json_string(s.p ? s.p : "");
	free(s.p);
	return res;
}

static json_t *index_desc(const json_t *ix)
{
	struct sbuf s = {0};
	json_t *res;

	if (json_is_true(json_object_get(ix, "unique")))
		sb_add(&s, "unique ");
	sb_add(&s, "(");
	join_array(&s, json_object_get(ix, "columns"));
	sb_add(&s, ")");
	if (json_is_string(json_object_get(ix, "partial"))) {
		sb_add(&s, " where ");
		sb_add(&s, jstr(ix, "partial"));
	}
	res = json_string(s.p ? s.p : "");
	free(s.p);
	return res;
}

static int same_type(const char *a, const char *b)
{
	char *na = ph_schema_normalize_sql(a), *nb = ph_schema_normalize_sql(b);
	int same = na && nb && !strcmp(na, nb);

	free(na);
	free(nb);
	return same;
}

static void diff_default(json_t *out, const char *table, const char *col, const json_t *ca,
			 const json_t *cb)
{
	const json_t *da = json_object_get(ca, "default"), *db = json_object_get(cb, "default");
	const char *ra = json_string_value(da), *rb = json_string_value(db);
	char *ea, *eb;

	if (json_equal(da, db) || (ra && rb && same_type(ra, rb)))
		return;
	ea = default_effective(ra);
	eb = default_effective(rb);
	if (ea && eb && !strcmp(ea, eb))
		; /* the same default spelled otherwise (DEFAULT NULL, none): stores the same */
	else
		add_diff(out, PH_STRUCTURAL, "column-default", table, col, copy(da), copy(db),
			 "default value differs: %s vs %s (an insert without the column "
			 "stores something else)",
			 ra ? ra : "no default", rb ? rb : "no default");
	free(ea);
	free(eb);
}

static void diff_columns(json_t *out, const char *table, const json_t *ta, const json_t *tb)
{
	const json_t *cols_a = json_object_get(ta, "columns"),
		     *cols_b = json_object_get(tb, "columns");
	json_t *ord_a = json_array(), *ord_b = json_array();
	const json_t *ca, *cb;
	const char *k;
	size_t i;

	json_object_foreach((json_t *)cols_a, k, ca)
	{
		cb = json_object_get(cols_b, k);
		if (!cb) {
			add_diff(out, PH_STRUCTURAL, "missing-column", table, k, column_desc(ca),
				 NULL, "column '%s.%s' exists only in A", table, k);
			continue;
		}
		if (!same_type(jstr(ca, "type"), jstr(cb, "type")))
			add_diff(out, PH_STRUCTURAL, "column-type", table, k,
				 json_string(jstr(ca, "type")), json_string(jstr(cb, "type")),
				 "declared type differs: '%s' vs '%s'", jstr(ca, "type"),
				 jstr(cb, "type"));
		if (!json_equal(json_object_get(ca, "notnull"), json_object_get(cb, "notnull")))
			add_diff(out, PH_STRUCTURAL, "column-notnull", table, k,
				 copy(json_object_get(ca, "notnull")),
				 copy(json_object_get(cb, "notnull")), "NOT NULL only in %s",
				 json_is_true(json_object_get(ca, "notnull")) ? "A" : "B");
		if (!json_equal(json_object_get(ca, "hidden"), json_object_get(cb, "hidden")))
			add_diff(out, PH_STRUCTURAL, "column-hidden", table, k,
				 copy(json_object_get(ca, "hidden")),
				 copy(json_object_get(cb, "hidden")),
				 "hidden/generated column kind differs");
		diff_default(out, table, k, ca, cb);
	}
	json_object_foreach((json_t *)cols_b, k, cb) if (!json_object_get(cols_a, k))
	    add_diff(out, PH_STRUCTURAL, "extra-column", table, k, NULL, column_desc(cb),
		     "column '%s.%s' exists only in B", table, k);

	/* Order of the columns both sides have (a SELECT * or positional INSERT sees it). */
	for (i = 0; i < json_array_size(json_object_get(ta, "order")); i++) {
		json_t *n = json_array_get(json_object_get(ta, "order"), i);

		if (json_object_get(cols_b, json_string_value(n)))
			json_array_append(ord_a, n);
	}
	for (i = 0; i < json_array_size(json_object_get(tb, "order")); i++) {
		json_t *n = json_array_get(json_object_get(tb, "order"), i);

		if (json_object_get(cols_a, json_string_value(n)))
			json_array_append(ord_b, n);
	}
	if (!json_equal(ord_a, ord_b)) {
		for (i = 0; i < json_array_size(ord_a); i++)
			if (!json_equal(json_array_get(ord_a, i), json_array_get(ord_b, i)))
				break;
		add_diff(out, PH_SEMANTIC, "column-order", table, NULL, ord_a, ord_b,
			 "the shared columns are in a different order (first at position %zu: "
			 "'%s' vs '%s')",
			 i + 1,
			 json_string_value(json_array_get(ord_a, i))
			     ? json_string_value(json_array_get(ord_a, i))
			     : "",
			 json_string_value(json_array_get(ord_b, i))
			     ? json_string_value(json_array_get(ord_b, i))
			     : "");
	} else {
		json_decref(ord_a);
		json_decref(ord_b);
	}

	if (!json_equal(json_object_get(ta, "pk"), json_object_get(tb, "pk"))) {
		struct sbuf sa = {0}, sb = {0};

		join_array(&sa, json_object_get(ta, "pk"));
		join_array(&sb, json_object_get(tb, "pk"));
		add_diff(out, PH_STRUCTURAL, "primary-key", table, NULL,
			 copy(json_object_get(ta, "pk")), copy(json_object_get(tb, "pk")),
			 "primary key differs: (%s) vs (%s)", sa.p ? sa.p : "", sb.p ? sb.p : "");
		free(sa.p);
		free(sb.p);
	}
	if (json_object_get(ta, "options") && json_object_get(tb, "options") &&
	    !json_equal(json_object_get(ta, "options"), json_object_get(tb, "options")))
		add_diff(out, PH_STRUCTURAL, "table-options", table, NULL,
			 copy(json_object_get(ta, "options")), copy(json_object_get(tb, "options")),
			 "table options (WITHOUT ROWID, STRICT) differ: '%s' vs '%s'",
			 jstr(ta, "options"), jstr(tb, "options"));
}

static void diff_indexes(json_t *out, const char *table, const json_t *ta, const json_t *tb)
{
	const json_t *ia = json_object_get(ta, "indexes"), *ib = json_object_get(tb, "indexes");
	const json_t *xa, *xb;
	const char *k;

	json_object_foreach((json_t *)ia, k, xa)
	{
		xb = json_object_get(ib, k);
		if (!xb) {
			add_diff(out, PH_STRUCTURAL, "missing-index", table, k, index_desc(xa),
				 NULL, "index '%s' on '%s' exists only in A", k, table);
			continue;
		}
		if (!json_equal(json_object_get(xa, "unique"), json_object_get(xb, "unique")))
			add_diff(out, PH_STRUCTURAL, "index-unique", table, k,
				 copy(json_object_get(xa, "unique")),
				 copy(json_object_get(xb, "unique")), "index is UNIQUE only in %s",
				 json_is_true(json_object_get(xa, "unique")) ? "A" : "B");
		if (!json_equal(json_object_get(xa, "columns"), json_object_get(xb, "columns")))
			add_diff(out, PH_STRUCTURAL, "index-columns", table, k,
				 copy(json_object_get(xa, "columns")),
				 copy(json_object_get(xb, "columns")), "indexed columns differ");
		if (!json_equal(json_object_get(xa, "partial"), json_object_get(xb, "partial")))
			add_diff(
			    out, PH_STRUCTURAL, "index-partial", table, k,
			    copy(json_object_get(xa, "partial")),
			    copy(json_object_get(xb, "partial")),
			    "partial-index WHERE differs: %s vs %s",
			    json_is_string(json_object_get(xa, "partial")) ? jstr(xa, "partial")
									   : "none",
			    json_is_string(json_object_get(xb, "partial")) ? jstr(xb, "partial")
									   : "none");
	}
	json_object_foreach((json_t *)ib, k, xb) if (!json_object_get(ia, k))
	    add_diff(out, PH_STRUCTURAL, "extra-index", table, k, NULL, index_desc(xb),
		     "index '%s' on '%s' exists only in B", k, table);
}

static void diff_fks(json_t *out, const char *table, const json_t *ta, const json_t *tb)
{
	const json_t *fa = json_object_get(ta, "foreign_keys"),
		     *fb = json_object_get(tb, "foreign_keys");
	const json_t *va, *vb;
	const char *k;

	json_object_foreach((json_t *)fa, k, va)
	{
		vb = json_object_get(fb, k);
		if (!vb)
			add_diff(out, PH_STRUCTURAL, "missing-foreign-key", table, k, copy(va),
				 NULL, "foreign key %s exists only in A", k);
		else if (!json_equal(va, vb))
			add_diff(out, PH_STRUCTURAL, "foreign-key-action", table, k, copy(va),
				 copy(vb), "foreign key %s: ON UPDATE %s / ON DELETE %s vs %s / %s",
				 k, jstr(va, "on_update"), jstr(va, "on_delete"),
				 jstr(vb, "on_update"), jstr(vb, "on_delete"));
	}
	json_object_foreach((json_t *)fb, k, vb) if (!json_object_get(fa, k))
	    add_diff(out, PH_STRUCTURAL, "extra-foreign-key", table, k, NULL, copy(vb),
		     "foreign key %s exists only in B", k);
}

static void diff_triggers(json_t *out, const char *table, const json_t *ta, const json_t *tb)
{
	const json_t *ga = json_object_get(ta, "triggers"), *gb = json_object_get(tb, "triggers");
	const json_t *va, *vb;
	const char *k;

	json_object_foreach((json_t *)ga, k, va)
	{
		vb = json_object_get(gb, k);
		if (!vb)
			add_diff(out, PH_STRUCTURAL, "missing-trigger", table, k, copy(va), NULL,
				 "trigger '%s' on '%s' exists only in A", k, table);
		else if (!json_equal(va, vb))
			add_diff(out, PH_STRUCTURAL, "trigger-sql", table, k, copy(va), copy(vb),
				 "trigger '%s' has different SQL (compared normalised)", k);
	}
	json_object_foreach((json_t *)gb, k, vb) if (!json_object_get(ga, k))
	    add_diff(out, PH_STRUCTURAL, "extra-trigger", table, k, NULL, copy(vb),
		     "trigger '%s' on '%s' exists only in B", k, table);
}

/* "40-63, 70" */
static void ranges(struct sbuf *s, const json_t *arr)
{
	size_t i = 0, n = json_array_size(arr);
	char buf[128];

	if (!n)
		sb_add(s, "none");
	while (i < n) {
		size_t j = i;
		const json_t *v = json_array_get(arr, i);

		if (i)
			sb_add(s, ", ");
		if (!json_is_integer(v)) {
			sb_add(s, json_string_value(v) ? json_string_value(v) : "?");
			i++;
			continue;
		}
		while (j + 1 < n && json_is_integer(json_array_get(arr, j + 1)) &&
		       json_integer_value(json_array_get(arr, j + 1)) ==
			   json_integer_value(json_array_get(arr, j)) + 1)
			j++;
		if (j > i)
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT "-%" JSON_INTEGER_FORMAT,
				 json_integer_value(v), json_integer_value(json_array_get(arr, j)));
		else
			snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		sb_add(s, buf);
		i = j + 1;
	}
}

static int array_has(const json_t *arr, const json_t *v)
{
	size_t i;

	for (i = 0; i < json_array_size(arr); i++)
		if (json_equal(json_array_get(arr, i), v))
			return 1;
	return 0;
}

static void diff_migrations(json_t *out, const json_t *a, const json_t *b)
{
	const json_t *ma = json_object_get(a, "migrations"), *mb = json_object_get(b, "migrations");
	json_t *only_a, *only_b;
	struct sbuf sa = {0}, sb = {0};
	size_t i;

	if (!json_is_array(ma) || !json_is_array(mb))
		return; /* a missing schema_migrations table is reported as a table */
	only_a = json_array();
	only_b = json_array();
	for (i = 0; i < json_array_size(ma); i++)
		if (!array_has(mb, json_array_get(ma, i)))
			json_array_append(only_a, json_array_get(ma, i));
	for (i = 0; i < json_array_size(mb); i++)
		if (!array_has(ma, json_array_get(mb, i)))
			json_array_append(only_b, json_array_get(mb, i));
	if (!json_array_size(only_a) && !json_array_size(only_b)) {
		json_decref(only_a);
		json_decref(only_b);
		return;
	}
	ranges(&sa, only_a);
	ranges(&sb, only_b);
	add_diff(out, PH_SEMANTIC, "migration-versions", "schema_migrations", NULL, only_a, only_b,
		 "migration versions only in A: %s; only in B: %s (compared by version only: the "
		 "runtimes compute checksums differently, CONTRACT.md 1.1)",
		 sa.p ? sa.p : "none", sb.p ? sb.p : "none");
	free(sa.p);
	free(sb.p);
}

static const char *kind_label(const json_t *t)
{
	const char *type = jstr(t, "type");

	return !strcmp(type, "virtual") ? "virtual table" : type;
}

static int cmp_diff(const void *pa, const void *pb)
{
	const json_t *a = *(json_t *const *)pa, *b = *(json_t *const *)pb;
	const json_t *na = json_object_get(a, "name"), *nb = json_object_get(b, "name");
	int c;

	if ((c = strcmp(jstr(a, "table"), jstr(b, "table"))))
		return c;
	if ((c = strcmp(jstr(a, "kind"), jstr(b, "kind"))))
		return c;
	if (json_is_null(na) != json_is_null(nb))
		return json_is_null(na) ? -1 : 1;
	if ((c = strcmp(jstr(a, "name"), jstr(b, "name"))))
		return c;
	return strcmp(jstr(a, "message"), jstr(b, "message"));
}

int ph_schema_diff(const json_t *a, const json_t *b, json_t **out, struct ph_err *err)
{
	const json_t *tabs_a = json_object_get(a, "tables"), *tabs_b = json_object_get(b, "tables");
	const json_t *ta, *tb;
	json_t *diffs, *sorted;
	const char *k;

	*out = NULL;
	if (!json_is_object(tabs_a) || !json_is_object(tabs_b))
		return ph_error(err, PH_E_INVALID, "schema model without 'tables'");
	diffs = json_array();
	if (!diffs)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	json_object_foreach((json_t *)tabs_a, k, ta)
	{
		const char *type;
		int unloaded;

		tb = json_object_get(tabs_b, k);
		if (!tb) {
			int view = !strcmp(jstr(ta, "type"), "view");

			add_diff(diffs, PH_STRUCTURAL, view ? "missing-view" : "missing-table", k,
				 NULL, json_string(kind_label(ta)), NULL,
				 "%s '%s' exists only in A", kind_label(ta), k);
			continue;
		}
		type = jstr(ta, "type");
		if (strcmp(type, jstr(tb, "type"))) {
			add_diff(diffs, PH_STRUCTURAL, "table-type", k, NULL,
				 json_string(kind_label(ta)), json_string(kind_label(tb)),
				 "'%s' is a %s in A but a %s in B", k, kind_label(ta),
				 kind_label(tb));
			continue;
		}
		if (!strcmp(type, "table")) {
			diff_columns(diffs, k, ta, tb);
			diff_indexes(diffs, k, ta, tb);
			diff_fks(diffs, k, ta, tb);
		} else if (!strcmp(type, "view")) {
			if (!json_equal(json_object_get(ta, "sql"), json_object_get(tb, "sql")))
				add_diff(diffs, PH_STRUCTURAL, "view-sql", k, NULL,
					 copy(json_object_get(ta, "sql")),
					 copy(json_object_get(tb, "sql")),
					 "view '%s' has different SQL (compared normalised)", k);
		} else if (!json_equal(json_object_get(ta, "definition"),
				       json_object_get(tb, "definition"))) {
			unloaded = json_is_false(json_object_get(ta, "module_loaded")) ||
				   json_is_false(json_object_get(tb, "module_loaded"));
			add_diff(diffs, PH_STRUCTURAL, "virtual-table", k, NULL,
				 copy(json_object_get(ta, "definition")),
				 copy(json_object_get(tb, "definition")),
				 "virtual table definition differs: %s vs %s%s",
				 jstr(ta, "definition"), jstr(tb, "definition"),
				 unloaded ? " (module not loaded here: compared by its DDL)" : "");
		}
		diff_triggers(diffs, k, ta, tb);
	}
	json_object_foreach((json_t *)tabs_b, k, tb) if (!json_object_get(tabs_a, k))
	{
		int view = !strcmp(jstr(tb, "type"), "view");

		add_diff(diffs, PH_STRUCTURAL, view ? "extra-view" : "extra-table", k, NULL, NULL,
			 json_string(kind_label(tb)), "%s '%s' exists only in B", kind_label(tb),
			 k);
	}
	diff_migrations(diffs, a, b);
	sorted = sorted_array(diffs, cmp_diff);
	json_decref(diffs);
	if (!sorted)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	*out = sorted;
	return 0;
}

enum ph_class ph_schema_verdict(const json_t *differences)
{
	enum ph_class worst = PH_PARITY;
	const json_t *d;
	size_t i;

	json_array_foreach((json_t *)differences, i, d)
	{
		const char *c = jstr(d, "class");
		enum ph_class cls = !strcmp(c, "structural") ? PH_STRUCTURAL
				    : !strcmp(c, "semantic") ? PH_SEMANTIC
				    : !strcmp(c, "timing")   ? PH_TIMING
							     : PH_ERROR;

		if (cls > worst)
			worst = cls;
	}
	return worst;
}

int ph_schema_report(const json_t *a, const json_t *b, json_t **out, struct ph_err *err)
{
	json_t *diffs, *notes, *n;
	size_t i;
	int rc;

	*out = NULL;
	if ((rc = ph_schema_diff(a, b, &diffs, err)))
		return rc;
	notes = json_array();
	json_array_foreach(json_object_get(a, "notes"), i, n) json_array_append_new(
	    notes, json_pack("{s:s,s:s,s:O}", "side", "a", "source", jstr(a, "source"), "message",
			     json_object_get(n, "message")));
	json_array_foreach(json_object_get(b, "notes"), i, n) json_array_append_new(
	    notes, json_pack("{s:s,s:s,s:O}", "side", "b", "source", jstr(b, "source"), "message",
			     json_object_get(n, "message")));
	*out = json_pack("{s:s,s:o,s:o}", "verdict", json_array_size(diffs) ? "drift" : "same",
			 "differences", diffs, "notes", notes);
	if (!*out)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	return 0;
}
