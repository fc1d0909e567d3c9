/*
 * Comparison of two schema models (schema.h, model.h): tables walked as name-keyed maps,
 * then each table's columns, indexes, foreign keys and triggers the same way, each
 * difference classed (structural where a client could trip over it, semantic where only
 * order or spelling differ) and the array sorted by table, kind and name, so the report
 * is the same whatever order the models were built in.
 */
#include "schema/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/model.h"
#include "schema/sql.h"

/* The longest message; longer ones are cut. */
#define MSG_MAX 2048

static void vadd_diff(json_t *out, enum ph_class cls, const char *kind, const char *table,
		      const char *name, json_t *a, json_t *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 8, 0)));

/* Append one difference; a and b are stolen (NULL means JSON null). */
static void vadd_diff(json_t *out, enum ph_class cls, const char *kind, const char *table,
		      const char *name, json_t *a, json_t *b, const char *fmt, va_list ap)
{
	char msg[MSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s?,s:o,s:o,s:s}", "class",
					     ph_class_name(cls), "kind", kind, "table", table,
					     "name", name, "a", a ? a : json_null(), "b",
					     b ? b : json_null(), "message", msg));
}

static void add_diff(json_t *out, enum ph_class cls, const char *kind, const char *table,
		     const char *name, json_t *a, json_t *b, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void add_diff(json_t *out, enum ph_class cls, const char *kind, const char *table,
		     const char *name, json_t *a, json_t *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vadd_diff(out, cls, kind, table, name, a, b, fmt, ap);
	va_end(ap);
}

static json_t *copy(const json_t *v)
{
	return v ? json_deep_copy(v) : json_null();
}

static void diff_field(json_t *out, const char *kind, const char *table, const char *name,
		       const json_t *a, const json_t *b, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/*
 * A structural difference when `field` of item a and of item b differ, their values
 * copied as the difference's a and b. The arguments of the message are evaluated either
 * way: keep them cheap.
 */
static void diff_field(json_t *out, const char *kind, const char *table, const char *name,
		       const json_t *a, const json_t *b, const char *field, const char *fmt, ...)
{
	const json_t *va = json_object_get(a, field), *vb = json_object_get(b, field);
	va_list ap;

	if (json_equal(va, vb))
		return;
	va_start(ap, fmt);
	vadd_diff(out, PH_STRUCTURAL, kind, table, name, copy(va), copy(vb), fmt, ap);
	va_end(ap);
}

static const char *jstr(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/*
 * One kind of item a table keys by name (column, index, foreign key, trigger): how it is
 * named and shown when only one side has it, and how two of the same name compare.
 */
struct item_kind {
	const char *field;                     /* the table's map of these items */
	const char *missing, *extra;           /* difference kinds: only in A, only in B */
	void (*label)(char *buf, size_t size, const char *table, const char *key);
	json_t *(*show)(const json_t *item);   /* a or b of a missing/extra difference */
	void (*both)(json_t *out, const char *table, const char *key, const json_t *a,
		     const json_t *b);
};

/* The items of kind ik of tables ta and tb (A and B) compared as name-keyed maps. */
static void diff_items(json_t *out, const char *table, const json_t *ta, const json_t *tb,
		       const struct item_kind *ik)
{
	const json_t *ma = json_object_get(ta, ik->field), *mb = json_object_get(tb, ik->field);
	const json_t *va, *vb;
	char label[MSG_MAX];
	const char *k;

	json_object_foreach((json_t *)ma, k, va)
	{
		vb = json_object_get(mb, k);
		if (vb) {
			ik->both(out, table, k, va, vb);
			continue;
		}
		ik->label(label, sizeof(label), table, k);
		add_diff(out, PH_STRUCTURAL, ik->missing, table, k, ik->show(va), NULL,
			 "%s exists only in A", label);
	}
	json_object_foreach((json_t *)mb, k, vb) if (!json_object_get(ma, k))
	{
		ik->label(label, sizeof(label), table, k);
		add_diff(out, PH_STRUCTURAL, ik->extra, table, k, NULL, ik->show(vb),
			 "%s exists only in B", label);
	}
}

/* "TEXT NOT NULL DEFAULT 'x'" for messages and missing/extra columns. */
static json_t *column_desc(const json_t *c)
{
	struct ph_strbuf s = {0};
	json_t *res;

	ph_strbuf_add(&s, jstr(c, "type")[0] ? jstr(c, "type") : "(no type)");
	if (json_is_true(json_object_get(c, "notnull")))
		ph_strbuf_add(&s, " NOT NULL");
	if (json_is_string(json_object_get(c, "default"))) {
		ph_strbuf_add(&s, " DEFAULT ");
		ph_strbuf_add(&s, jstr(c, "default"));
	}
	if (json_integer_value(json_object_get(c, "pk")) > 0)
		ph_strbuf_add(&s, " PRIMARY KEY");
	res = json_string(s.p ? s.p : "");
	free(s.p);
	return res;
}

static json_t *index_desc(const json_t *ix)
{
	struct ph_strbuf s = {0};
	json_t *res;

	if (json_is_true(json_object_get(ix, "unique")))
		ph_strbuf_add(&s, "unique ");
	ph_strbuf_add(&s, "(");
	ph_schema_join(&s, json_object_get(ix, "columns"));
	ph_strbuf_add(&s, ")");
	if (json_is_string(json_object_get(ix, "partial"))) {
		ph_strbuf_add(&s, " where ");
		ph_strbuf_add(&s, jstr(ix, "partial"));
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
	ea = ph_sql_default_value(ra);
	eb = ph_sql_default_value(rb);
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

static void column_label(char *buf, size_t size, const char *table, const char *key)
{
	snprintf(buf, size, "column '%s.%s'", table, key);
}

static void diff_column(json_t *out, const char *table, const char *k, const json_t *ca,
			const json_t *cb)
{
	if (!same_type(jstr(ca, "type"), jstr(cb, "type")))
		add_diff(out, PH_STRUCTURAL, "column-type", table, k, json_string(jstr(ca, "type")),
			 json_string(jstr(cb, "type")), "declared type differs: '%s' vs '%s'",
			 jstr(ca, "type"), jstr(cb, "type"));
	diff_field(out, "column-notnull", table, k, ca, cb, "notnull", "NOT NULL only in %s",
		   json_is_true(json_object_get(ca, "notnull")) ? "A" : "B");
	diff_field(out, "column-hidden", table, k, ca, cb, "hidden",
		   "hidden/generated column kind differs");
	diff_default(out, table, k, ca, cb);
}

static const struct item_kind columns = {"columns", "missing-column", "extra-column",
					 column_label, column_desc, diff_column};

/* The names of the columns of t that u has too, in t's order. */
static json_t *shared_order(const json_t *t, const json_t *u)
{
	const json_t *cols_u = json_object_get(u, "columns");
	json_t *order = json_array(), *n;
	size_t i;

	json_array_foreach(json_object_get(t, "order"), i, n)
	{
		if (json_object_get(cols_u, json_string_value(n)))
			json_array_append(order, n);
	}
	return order;
}

static void diff_columns(json_t *out, const char *table, const json_t *ta, const json_t *tb)
{
	json_t *ord_a, *ord_b;
	struct ph_strbuf sa = {0}, sb = {0};
	size_t i;

	diff_items(out, table, ta, tb, &columns);

	/* Order of the columns both sides have (a SELECT * or positional INSERT sees it). */
	ord_a = shared_order(ta, tb);
	ord_b = shared_order(tb, ta);
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

	ph_schema_join(&sa, json_object_get(ta, "pk"));
	ph_schema_join(&sb, json_object_get(tb, "pk"));
	diff_field(out, "primary-key", table, NULL, ta, tb, "pk",
		   "primary key differs: (%s) vs (%s)", sa.p ? sa.p : "", sb.p ? sb.p : "");
	free(sa.p);
	free(sb.p);
	if (json_object_get(ta, "options") && json_object_get(tb, "options"))
		diff_field(out, "table-options", table, NULL, ta, tb, "options",
			   "table options (WITHOUT ROWID, STRICT) differ: '%s' vs '%s'",
			   jstr(ta, "options"), jstr(tb, "options"));
}

static void index_label(char *buf, size_t size, const char *table, const char *key)
{
	snprintf(buf, size, "index '%s' on '%s'", key, table);
}

/* A partial index's WHERE for messages, "none" for a full index. */
static const char *partial_text(const json_t *ix)
{
	return json_is_string(json_object_get(ix, "partial")) ? jstr(ix, "partial") : "none";
}

static void diff_index(json_t *out, const char *table, const char *k, const json_t *xa,
		       const json_t *xb)
{
	diff_field(out, "index-unique", table, k, xa, xb, "unique", "index is UNIQUE only in %s",
		   json_is_true(json_object_get(xa, "unique")) ? "A" : "B");
	diff_field(out, "index-columns", table, k, xa, xb, "columns", "indexed columns differ");
	diff_field(out, "index-partial", table, k, xa, xb, "partial",
		   "partial-index WHERE differs: %s vs %s", partial_text(xa), partial_text(xb));
}

static const struct item_kind indexes = {"indexes", "missing-index", "extra-index",
					 index_label, index_desc, diff_index};

static void fk_label(char *buf, size_t size, const char *table, const char *key)
{
	(void)table;
	snprintf(buf, size, "foreign key %s", key);
}

static void diff_fk(json_t *out, const char *table, const char *k, const json_t *va,
		    const json_t *vb)
{
	if (!json_equal(va, vb))
		add_diff(out, PH_STRUCTURAL, "foreign-key-action", table, k, copy(va), copy(vb),
			 "foreign key %s: ON UPDATE %s / ON DELETE %s vs %s / %s", k,
			 jstr(va, "on_update"), jstr(va, "on_delete"), jstr(vb, "on_update"),
			 jstr(vb, "on_delete"));
}

static const struct item_kind foreign_keys = {"foreign_keys", "missing-foreign-key",
					      "extra-foreign-key", fk_label, copy, diff_fk};

static void trigger_label(char *buf, size_t size, const char *table, const char *key)
{
	snprintf(buf, size, "trigger '%s' on '%s'", key, table);
}

static void diff_trigger(json_t *out, const char *table, const char *k, const json_t *va,
			 const json_t *vb)
{
	if (!json_equal(va, vb))
		add_diff(out, PH_STRUCTURAL, "trigger-sql", table, k, copy(va), copy(vb),
			 "trigger '%s' has different SQL (compared normalised)", k);
}

static const struct item_kind triggers = {"triggers", "missing-trigger", "extra-trigger",
					  trigger_label, copy, diff_trigger};

static void ranges(struct ph_strbuf *s, const json_t *arr)
{
	size_t i = 0, n = json_array_size(arr);
	char buf[128];

	if (!n)
		ph_strbuf_add(s, "none");
	while (i < n) {
		size_t j = i;
		const json_t *v = json_array_get(arr, i);

		if (i)
			ph_strbuf_add(s, ", ");
		if (!json_is_integer(v)) {
			ph_strbuf_add(s, json_string_value(v) ? json_string_value(v) : "?");
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
		ph_strbuf_add(s, buf);
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
	struct ph_strbuf sa = {0}, sb = {0};
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
			diff_items(diffs, k, ta, tb, &indexes);
			diff_items(diffs, k, ta, tb, &foreign_keys);
		} else if (!strcmp(type, "view")) {
			diff_field(diffs, "view-sql", k, NULL, ta, tb, "sql",
				   "view '%s' has different SQL (compared normalised)", k);
		} else {
			unloaded = json_is_false(json_object_get(ta, "module_loaded")) ||
				   json_is_false(json_object_get(tb, "module_loaded"));
			diff_field(diffs, "virtual-table", k, NULL, ta, tb, "definition",
				   "virtual table definition differs: %s vs %s%s",
				   jstr(ta, "definition"), jstr(tb, "definition"),
				   unloaded ? " (module not loaded here: compared by its DDL)"
					    : "");
		}
		diff_items(diffs, k, ta, tb, &triggers);
	}
	json_object_foreach((json_t *)tabs_b, k, tb) if (!json_object_get(tabs_a, k))
	{
		int view = !strcmp(jstr(tb, "type"), "view");

		add_diff(diffs, PH_STRUCTURAL, view ? "extra-view" : "extra-table", k, NULL, NULL,
			 json_string(kind_label(tb)), "%s '%s' exists only in B", kind_label(tb),
			 k);
	}
	diff_migrations(diffs, a, b);
	sorted = ph_schema_sorted_array(diffs, cmp_diff);
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
