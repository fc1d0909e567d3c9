/*
 * Route coverage computed over matrix rows (coverage.h): each row that compared something
 * is read for the routes it drives and its depth, each route matched against the list,
 * and the deepest depth and the row count kept per listed route and per unlisted one;
 * then the coverage object is built, its counts and ratios derived from its table.
 */
#include "coverage/coverage.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/rules.h"

static const char *const depth_names[PH_DEPTH_COUNT] = {"none", "status", "body", "state"};

const char *ph_depth_name(enum ph_depth d)
{
	return (unsigned)d < PH_DEPTH_COUNT ? depth_names[d] : "none";
}

int ph_depth_of(const char *name)
{
	int i;

	for (i = 0; name && i < PH_DEPTH_COUNT; i++)
		if (!strcmp(name, depth_names[i]))
			return i;
	return -1;
}

/* The classes of rows that compared something; error and any other class count nothing. */
static int compared(const char *candidate)
{
	static const char *const classes[] = {"parity", "timing", "semantic", "structural"};
	size_t i;

	for (i = 0; candidate && i < sizeof(classes) / sizeof(classes[0]); i++)
		if (!strcmp(candidate, classes[i]))
			return 1;
	return 0;
}

/* A method of HTTP: a feature naming another ("MCP /tools/list", a rule key) is no route. */
static int http_method(const char *m)
{
	static const char *const methods[] = {"GET",	 "HEAD",    "POST",  "PUT",  "DELETE",
					      "CONNECT", "OPTIONS", "TRACE", "PATCH"};
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		if (!strcmp(m, methods[i]))
			return 1;
	return 0;
}

/* What is kept per route: the deepest row's depth, the rows, the last row counted. */
struct tally {
	enum ph_depth depth;
	json_int_t rows;
	size_t last; /* serial of the last row counted + 1: a row counts once per route */
};

struct compute {
	const struct ph_route_list *l;
	struct tally *listed;
	json_t *unlisted; /* route key -> [depth, rows, last] */
	size_t serial;    /* rows seen, for tally.last */
};

/* Count one route of the row numbered c->serial at depth d. */
static int count_route(struct compute *c, const char *method, char *const *segs, size_t n,
		       enum ph_depth d)
{
	long i = ph_route_list_match(c->l, method, segs, n);
	char *key;
	json_t *u;

	if (i >= 0) {
		struct tally *t = &c->listed[i];

		if (t->last != c->serial + 1)
			t->rows++;
		t->last = c->serial + 1;
		if (t->depth < d)
			t->depth = d;
		return 0;
	}
	if (!(key = ph_route_key(method, segs, n)))
		return PH_E_NOMEM;
	u = json_object_get(c->unlisted, key);
	if (!u) {
		u = json_pack("[i, I, I]", (int)d, (json_int_t)1, (json_int_t)(c->serial + 1));
		if (!u || json_object_set_new(c->unlisted, key, u)) {
			free(key);
			return PH_E_NOMEM;
		}
	} else {
		json_int_t depth = json_integer_value(json_array_get(u, 0));
		int again = json_integer_value(json_array_get(u, 2)) == (json_int_t)c->serial + 1;

		json_array_set_new(u, 0, json_integer(depth > (json_int_t)d ? depth : d));
		if (!again) {
			json_int_t rows = json_integer_value(json_array_get(u, 1));

			json_array_set_new(u, 1, json_integer(rows + 1));
			json_array_set_new(u, 2, json_integer((json_int_t)c->serial + 1));
		}
	}
	free(key);
	return 0;
}

/* Count the route text (strict: a "route" value; else a feature) at depth d. */
static int count_text(struct compute *c, const char *text, int strict, enum ph_depth d)
{
	char *method, **segs;
	size_t n;
	int rc = ph_route_text_split(text, strict, &method, &segs, &n);

	if (rc)
		return rc < 0 ? rc : 0; /* not a route: checked before for a "route" value */
	if (strict || http_method(method))
		rc = count_route(c, method, segs, n, d);
	free(method);
	ph_route_free(segs, n);
	return rc;
}

/* One row: 0, PH_E_INVALID (err names where), PH_E_NOMEM. */
static int count_row(struct compute *c, const json_t *row, const char *name, size_t di,
		     size_t fi, struct ph_err *err)
{
	const json_t *route = json_object_get(row, "route"), *v;
	const char *why, *depth = json_string_value(json_object_get(row, "depth"));
	enum ph_depth d = depth ? (enum ph_depth)ph_depth_of(depth) : PH_DEPTH_BODY;
	char key[32];
	size_t i;
	int rc = 0;

	if (ph_coverage_row_check(row, key, sizeof(key), &why))
		return ph_error(err, PH_E_INVALID, "%s: domains[%zu].features[%zu].%s: %s", name,
				di, fi, key, why);
	if (!compared(json_string_value(json_object_get(row, "candidate"))))
		return 0;
	c->serial++;
	if (json_is_string(route))
		return count_text(c, json_string_value(route), 1, d);
	json_array_foreach(route, i, v)
	{
		if ((rc = count_text(c, json_string_value(v), 1, d)))
			return rc;
	}
	if (!route && json_is_string(json_object_get(row, "feature")))
		rc = count_text(c, json_string_value(json_object_get(row, "feature")), 0, d);
	return rc;
}

static double ratio(size_t part, size_t whole)
{
	return whole ? round((double)part / (double)whole * 10000.0) / 10000.0 : 0.0;
}

int ph_coverage_summarise(json_t *cov)
{
	const json_t *table = json_object_get(cov, "routes_table"), *r;
	size_t counts[PH_DEPTH_COUNT] = {0, 0, 0, 0}, n = json_array_size(table), i;
	json_t *c, *q;
	int k;

	json_array_foreach(table, i, r)
	{
		k = ph_depth_of(json_string_value(json_object_get(r, "depth")));
		counts[k < 0 ? PH_DEPTH_NONE : k]++;
	}
	c = json_pack("{s:I, s:I, s:I, s:I}", "none", (json_int_t)counts[0], "status",
		      (json_int_t)counts[1], "body", (json_int_t)counts[2], "state",
		      (json_int_t)counts[3]);
	q = json_pack("{s:f, s:f, s:f}", "status", ratio(counts[1] + counts[2] + counts[3], n),
		      "body", ratio(counts[2] + counts[3], n), "state", ratio(counts[3], n));
	if (!c || !q || json_object_set_new(cov, "routes", json_integer((json_int_t)n)) ||
	    json_object_set_new(cov, "counts", c) || json_object_set_new(cov, "ratio", q))
		return PH_E_NOMEM;
	return 0;
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The coverage object of a finished tally. */
static json_t *build(const struct compute *c, const char *source)
{
	json_t *cov = json_object(), *table = json_array(), *unlisted = json_array(), *u, *e;
	const char **keys;
	const char *key;
	size_t i, n = 0;

	if (!cov || !table || !unlisted)
		goto fail;
	for (i = 0; i < c->l->n; i++) {
		const struct ph_route *r = &c->l->routes[i];

		if (json_array_append_new(
			table, json_pack("{s:s, s:s, s:I, s:s?}", "route", r->key, "depth",
					 ph_depth_name(c->listed[i].depth), "rows",
					 c->listed[i].rows, "listed_status", r->status)))
			goto fail;
	}
	/* unlisted by route, so the same rows always give the same array */
	keys = calloc(json_object_size(c->unlisted) + 1, sizeof(*keys));
	if (!keys)
		goto fail;
	json_object_foreach(c->unlisted, key, u) keys[n++] = key;
	qsort(keys, n, sizeof(*keys), by_text);
	for (i = 0; i < n; i++) {
		enum ph_depth d;

		u = json_object_get(c->unlisted, keys[i]);
		d = (enum ph_depth)json_integer_value(json_array_get(u, 0));
		e = json_pack("{s:s, s:s, s:O}", "route", keys[i], "depth", ph_depth_name(d),
			      "rows", json_array_get(u, 1));
		if (json_array_append_new(unlisted, e)) {
			free(keys);
			goto fail;
		}
	}
	free(keys);
	if (json_object_set_new(cov, "source", json_string(source)) ||
	    json_object_set_new(cov, "routes_table", table) ||
	    json_object_set_new(cov, "unlisted", unlisted)) {
		table = unlisted = NULL;
		goto fail;
	}
	if (ph_coverage_summarise(cov)) {
		json_decref(cov);
		return NULL;
	}
	return cov;
fail:
	json_decref(cov);
	json_decref(table);
	json_decref(unlisted);
	return NULL;
}

int ph_coverage_compute(json_t **out, const struct ph_route_list *l, const char *source,
			json_t *const *mats, const char *const *names, size_t n,
			struct ph_err *err)
{
	struct compute c = {l, NULL, NULL, 0};
	size_t m, i, j;
	int rc = 0;

	*out = NULL;
	c.listed = calloc(l->n + 1, sizeof(*c.listed));
	c.unlisted = json_object();
	if (!c.listed || !c.unlisted) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory computing coverage");
		goto out;
	}
	for (m = 0; m < n && !rc; m++) {
		const json_t *ds = json_object_get(mats[m], "domains"), *d, *f;
		const char *name = names && names[m] ? names[m] : "matrix";

		json_array_foreach(ds, i, d)
		{
			json_array_foreach(json_object_get(d, "features"), j, f)
			{
				if ((rc = count_row(&c, f, name, i, j, err)))
					break;
			}
			if (rc)
				break;
		}
	}
	if (rc == PH_E_NOMEM)
		ph_error(err, rc, "out of memory computing coverage");
	if (!rc && !(*out = build(&c, source)))
		rc = ph_error(err, PH_E_NOMEM, "out of memory computing coverage");
out:
	free(c.listed);
	json_decref(c.unlisted);
	return rc;
}
