/*
 * Virtual tables in the schema model (vtab.h): a CREATE VIRTUAL TABLE statement read as
 * its module and a normalised definition (columns in their order, key=value options
 * sorted), and the shadow tables FTS3/4/5, R-tree and vec0 keep their data in, which the
 * model folds into their virtual table rather than reporting as tables.
 */
#include "schema/vtab.h"

#include <stdlib.h>
#include <string.h>

#include "schema/schema.h"
#include "schema/model.h"
#include "schema/sql.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* One module argument, normalised: `key = 'v'` -> key=v, a quoted column name unquoted. */
static char *vtab_arg(const struct toks *t, size_t from, size_t to, int *is_option)
{
	*is_option = 0;
	if (to - from == 1 && t->v[from].kind == T_LIT) {
		char *u = ph_sql_unquote(t->v[from].text);
		char *l = ph_schema_lower(u);

		free(u);
		return l;
	}
	if (to - from >= 3 && t->v[from].kind == T_WORD && ph_sql_tok_is(t, from + 1, "=")) {
		struct ph_strbuf s = {0};
		char *value;

		*is_option = 1;
		if (to - from == 3 && t->v[from + 2].kind == T_LIT)
			value = ph_sql_unquote(t->v[from + 2].text);
		else if (to - from == 3 && strchr("\"`[", t->v[from + 2].text[0]) &&
			 strlen(t->v[from + 2].text) >= 2)
			value = strndup(t->v[from + 2].text + 1, strlen(t->v[from + 2].text) - 2);
		else
			value = ph_sql_join(t, from + 2, to);
		ph_strbuf_add(&s, t->v[from].text);
		ph_strbuf_add(&s, "=");
		ph_strbuf_add(&s, value ? value : "");
		free(value);
		return ph_strbuf_take(&s);
	}
	return ph_sql_join(t, from, to);
}

int ph_sql_vtab_parse(const char *sql, char **module, char **definition)
{
	struct toks t = {0};
	size_t u, i, close, from, to, nargs = 0, nopts = 0;
	char **args = NULL, **opts = NULL;
	struct ph_strbuf s = {0};
	int rc = -1;

	*module = *definition = NULL;
	if (ph_sql_tokenize(sql, &t))
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
	ph_strbuf_add(&s, t.v[u + 1].text);
	if (ph_sql_tok_is(&t, u + 2, "(")) {
		close = ph_sql_match_paren(&t, u + 2);
		args = calloc(t.n, sizeof(*args));
		opts = calloc(t.n, sizeof(*opts));
		if (!args || !opts)
			goto out;
		for (to = u + 2; ph_sql_list_next(&t, close, &from, &to);) {
			int is_opt;
			char *a;

			if (to == from)
				continue; /* "fts5()": no argument */
			if (!(a = vtab_arg(&t, from, to, &is_opt)))
				goto out;
			if (is_opt)
				opts[nopts++] = a;
			else
				args[nargs++] = a;
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
		ph_strbuf_add(&s, "(");
		for (i = 0; i < nargs + nopts; i++) {
			if (i)
				ph_strbuf_add(&s, ", ");
			ph_strbuf_add(&s, i < nargs ? args[i] : opts[i - nargs]);
		}
		ph_strbuf_add(&s, ")");
	}
	*definition = ph_strbuf_take(&s);
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
	ph_sql_toks_free(&t);
	if (rc) {
		free(*module);
		free(*definition);
		*module = *definition = NULL;
	}
	return rc;
}

int ph_schema_is_shadow(const char *vt, const char *module, const char *name)
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
