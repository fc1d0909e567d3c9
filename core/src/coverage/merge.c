/*
 * Coverage of sharded runs merged (coverage.h): shards of one job measured against the
 * same route list, each on its own rows, so a route's merged depth is its deepest in any
 * shard and its rows their sum. Coverage of different lists cannot be added up: that is
 * bad input, named with both files.
 */
#include "coverage/coverage.h"

#include <stdlib.h>
#include <string.h>

static const char *str(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Do a and b have the same route at every index, with the same listed status? */
static int same_list(const json_t *a, const json_t *b, size_t *at)
{
	const json_t *ta = json_object_get(a, "routes_table");
	const json_t *tb = json_object_get(b, "routes_table");
	size_t i, n = json_array_size(ta);

	for (i = 0; i < n && i < json_array_size(tb); i++) {
		const json_t *x = json_array_get(ta, i), *y = json_array_get(tb, i);
		const json_t *sx = json_object_get(x, "listed_status");
		const json_t *sy = json_object_get(y, "listed_status");

		if (strcmp(str(x, "route"), str(y, "route")) ||
		    (sx && !json_is_null(sx)) != (sy && !json_is_null(sy)) ||
		    strcmp(json_string_value(sx) ? json_string_value(sx) : "",
			   json_string_value(sy) ? json_string_value(sy) : "")) {
			*at = i;
			return 0;
		}
	}
	*at = i;
	return n == json_array_size(tb);
}

/* Fold entry e (route, depth, rows) into into: deepest depth, rows summed. */
static void fold(json_t *into, const json_t *e)
{
	int da = ph_depth_of(str(into, "depth")), db = ph_depth_of(str(e, "depth"));

	if (db > da)
		json_object_set_new(into, "depth", json_string(str(e, "depth")));
	json_object_set_new(into, "rows",
			    json_integer(json_integer_value(json_object_get(into, "rows")) +
					 json_integer_value(json_object_get(e, "rows"))));
}

static int by_route(const void *a, const void *b)
{
	return strcmp(str(*(json_t *const *)a, "route"), str(*(json_t *const *)b, "route"));
}

/* The unlisted routes of every input, folded by route and sorted. A new array or NULL. */
static json_t *merge_unlisted(json_t *const *covs, size_t n)
{
	json_t *by = json_object(), *out = json_array(), **v = NULL, *e;
	const char *key;
	size_t i, j, k = 0;

	if (!by || !out)
		goto fail;
	for (i = 0; i < n; i++) {
		json_array_foreach(json_object_get(covs[i], "unlisted"), j, e)
		{
			json_t *have = json_object_get(by, str(e, "route"));

			if (have)
				fold(have, e);
			else if (json_object_set_new(by, str(e, "route"), json_deep_copy(e)))
				goto fail;
		}
	}
	if (!(v = calloc(json_object_size(by) + 1, sizeof(*v))))
		goto fail;
	json_object_foreach(by, key, e) v[k++] = e;
	qsort(v, k, sizeof(*v), by_route);
	for (i = 0; i < k; i++)
		if (json_array_append(out, v[i]))
			goto fail;
	free(v);
	json_decref(by);
	return out;
fail:
	free(v);
	json_decref(by);
	json_decref(out);
	return NULL;
}

int ph_coverage_merge(json_t **out, json_t *const *covs, const char *const *names, size_t n,
		      struct ph_err *err)
{
	json_t *merged, *table, *unlisted, *e;
	size_t i, j, first = n, at;

	*out = NULL;
	for (i = 0; i < n && first == n; i++)
		if (json_is_object(covs[i]))
			first = i;
	if (first == n)
		return (*out = json_null()) ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		if (!json_is_object(covs[i]))
			return ph_error(err, PH_E_INVALID,
					"'%s' has the coverage of route_list %s, '%s' has none: "
					"merge shards run with the same config",
					names[first], str(covs[first], "source"), names[i]);
		if (strcmp(str(covs[i], "source"), str(covs[first], "source")))
			return ph_error(err, PH_E_INVALID,
					"coverage of different route lists: '%s' has %s, '%s' has "
					"%s",
					names[first], str(covs[first], "source"), names[i],
					str(covs[i], "source"));
		if (!same_list(covs[first], covs[i], &at))
			return ph_error(err, PH_E_INVALID,
					"'%s' and '%s' have coverage of different lists under "
					"route_list %s (they differ at routes_table[%zu])",
					names[first], names[i], str(covs[first], "source"), at);
	}
	merged = json_deep_copy(covs[first]);
	unlisted = merge_unlisted(covs, n);
	if (!merged || !unlisted || json_object_set_new(merged, "unlisted", unlisted)) {
		json_decref(merged);
		json_decref(merged ? NULL : unlisted); /* set_new took it when merged was there */
		return ph_error(err, PH_E_NOMEM, "out of memory merging coverage");
	}
	table = json_object_get(merged, "routes_table");
	for (i = first + 1; i < n; i++)
		json_array_foreach(json_object_get(covs[i], "routes_table"), j, e)
			fold(json_array_get(table, j), e);
	if (ph_coverage_summarise(merged)) {
		json_decref(merged);
		return ph_error(err, PH_E_NOMEM, "out of memory merging coverage");
	}
	*out = merged;
	return 0;
}
