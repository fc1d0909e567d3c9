/*
 * Fuzz target: route coverage (`parity coverage`, `parity run` with "route_list"). The
 * input is a route list and a matrix, `list \n%%\n matrix`. A list that loads must match
 * each of its routes to itself (no two listed routes overlap); over a matrix that
 * validates, the coverage computed must pass the matrix's own check of it, and merging it
 * with itself must too, with every route's rows doubled.
 */
#include <stdio.h>
#include <stdlib.h>

#include "compare/rules.h"
#include "coverage/coverage.h"
#include "coverage/routes.h"
#include "fuzz.h"
#include "matrix/matrix.h"
#include "parity/jsonio.h"

/* Each listed route, read back as a request, drives itself. */
static void self_match(const struct ph_route_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		char *method, **segs;
		size_t n;

		if (ph_route_text_split(l->routes[i].key, 1, &method, &segs, &n))
			abort(); /* a listed route always reads as one */
		if (ph_route_list_match(l, method, segs, n) != (long)i) {
			fprintf(stderr, "listed route %zu '%s' does not drive itself\n", i,
				l->routes[i].key);
			abort();
		}
		free(method);
		ph_route_free(segs, n);
	}
}

static void check_merge(json_t *cov)
{
	json_t *covs[2] = {cov, cov}, *merged = NULL;
	const char *names[2] = {"a", "b"};
	struct ph_err err;
	size_t i;

	if (ph_coverage_merge(&merged, covs, names, 2, &err) ||
	    ph_coverage_validate(merged, "merged", &err)) {
		fprintf(stderr, "coverage merged with itself: %s\n", err.msg);
		abort();
	}
	for (i = 0; i < json_array_size(json_object_get(cov, "routes_table")); i++) {
		json_t *a = json_array_get(json_object_get(cov, "routes_table"), i);
		json_t *b = json_array_get(json_object_get(merged, "routes_table"), i);

		if (json_integer_value(json_object_get(b, "rows")) !=
		    2 * json_integer_value(json_object_get(a, "rows")))
			abort();
	}
	json_decref(merged);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *parts[2];
	size_t lens[2];
	size_t n = fz_split(data, size, parts, lens, 2);
	struct ph_route_list l;
	json_t *list = NULL, *m = NULL, *cov = NULL;
	const char *name = "fuzz-matrix.json";
	struct ph_err err;

	if (ph_json_load_buffer("fuzz-routes.json", parts[0], lens[0], &list, &err))
		return 0;
	if (ph_route_list_from_json(&l, list, "fuzz-routes.json", &err)) {
		ph_route_list_release(&l);
		json_decref(list);
		return 0;
	}
	self_match(&l);
	if (n == 2 && !ph_json_load_buffer(name, parts[1], lens[1], &m, &err) &&
	    !ph_matrix_validate(m, name, &err) &&
	    !ph_coverage_compute(&cov, &l, "fuzz-routes.json", &m, &name, 1, &err)) {
		if (ph_coverage_validate(cov, "computed", &err)) {
			fprintf(stderr, "computed coverage is invalid: %s\n", err.msg);
			abort();
		}
		check_merge(cov);
	}
	json_decref(cov);
	json_decref(m);
	ph_route_list_release(&l);
	json_decref(list);
	return 0;
}
