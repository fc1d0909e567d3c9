/*
 * `parity merge` logic: combine matrix.json files written by sharded runs into one
 * matrix. Sharding must not change the answer, so the inputs have to describe the same
 * two runtimes, and a domain reported by two shards must be reported identically.
 */
#include "matrix/merge.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "coverage/coverage.h"
#include "matrix/matrix.h"

/* "name version" of one side of a matrix's runtimes, for messages. */
static void side_text(const json_t *mat, const char *side, char *buf, size_t size)
{
	const json_t *r = json_object_get(json_object_get(mat, "runtimes"), side);
	const char *name = json_string_value(json_object_get(r, "name"));
	const char *ver = json_string_value(json_object_get(r, "version"));

	snprintf(buf, size, "%s %s", name ? name : "(no name)", ver ? ver : "(no version)");
}

static int same_side(const json_t *a, const json_t *b, const char *side)
{
	const json_t *ra = json_object_get(json_object_get(a, "runtimes"), side);
	const json_t *rb = json_object_get(json_object_get(b, "runtimes"), side);
	const char *keys[] = {"name", "version"};
	size_t i;

	for (i = 0; i < 2; i++) {
		const json_t *x = json_object_get(ra, keys[i]), *y = json_object_get(rb, keys[i]);

		if (!x && !y)
			continue;
		if (!x || !y || !json_equal((json_t *)x, (json_t *)y))
			return 0;
	}
	return 1;
}

/*
 * The inputs' route coverage merged into merged's "coverage" (coverage.h), when any input
 * has the key; matrices from before coverage have none and get none.
 */
static int merge_coverage(json_t *merged, json_t *const *mats, const char *const *names,
			  size_t n, struct ph_err *err)
{
	json_t **covs = calloc(n, sizeof(*covs)), *cov = NULL;
	size_t i, any = 0;
	int rc = 0;

	if (!covs)
		return ph_error(err, PH_E_NOMEM, "out of memory merging matrices");
	for (i = 0; i < n; i++) {
		covs[i] = json_object_get(mats[i], "coverage");
		any += covs[i] != NULL;
	}
	if (any && !(rc = ph_coverage_merge(&cov, covs, names, n, err)) &&
	    json_object_set_new(merged, "coverage", cov))
		rc = ph_error(err, PH_E_NOMEM, "out of memory merging matrices");
	free(covs);
	return rc;
}

int ph_merge_matrices(json_t **out, json_t *const *mats, const char *const *names, size_t n,
		      struct ph_err *err)
{
	json_t *merged, *domains, *metrics, *owner;
	size_t i, j;
	int rc;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;

	*out = NULL;
	if (!n)
		return ph_error(err, PH_E_USAGE, "no matrix to merge");
	for (i = 1; i < n; i++) {
		const char *sides[] = {"reference", "candidate"};
		size_t k;

		for (k = 0; k < 2; k++) {
			char a[256], b[256];

			if (same_side(mats[0], mats[i], sides[k]))
				continue;
			side_text(mats[0], sides[k], a, sizeof(a));
			side_text(mats[i], sides[k], b, sizeof(b));
			return ph_error(err, PH_E_INVALID,
					"runtimes differ: '%s' has %s runtime %s, '%s' has %s",
					names[0], sides[k], a, names[i], b);
		}
	}
	/* domain name -> index of the input that brought it, to name both on conflict */
	owner = json_object();
	domains = json_array();
	metrics = json_object();
	if (!owner || !domains || !metrics)
		goto nomem;
	for (i = 0; i < n; i++) {
		const json_t *ds = json_object_get(mats[i], "domains");
		const json_t *m = json_object_get(mats[i], "metrics");

		for (j = 0; j < json_array_size(ds); j++) {
			json_t *d = json_array_get(ds, j);
			const char *name = json_string_value(json_object_get(d, "domain"));
			const json_t *seen;

			if (!name) {
				json_decref(owner);
				json_decref(domains);
				json_decref(metrics);
				return ph_error(err, PH_E_INVALID,
						"%s: domains[%zu].domain: "
						"expected a string",
						names[i], j);
			}
			seen = json_object_get(owner, name);
			if (seen) {
				size_t k = (size_t)json_integer_value(json_array_get(seen, 0));
				size_t at = (size_t)json_integer_value(json_array_get(seen, 1));

				if (json_equal(json_array_get(domains, at), d))
					continue;
				json_decref(owner);
				json_decref(domains);
				json_decref(metrics);
				return ph_error(
				    err, PH_E_INVALID,
				    "domain '%s' is in both '%s' and '%s' with different "
				    "results",
				    name, names[k], names[i]);
			}
			if (json_object_set_new(owner, name,
						json_pack("[I, I]", (json_int_t)i,
							  (json_int_t)json_array_size(domains))) ||
			    json_array_append(domains, d))
				goto nomem;
		}
		if (json_is_object(m) && json_object_update_missing(metrics, (json_t *)m))
			goto nomem;
	}
	json_decref(owner);
	owner = NULL;
	merged = json_deep_copy(mats[0]);
	if (!merged)
		goto nomem;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (json_object_set_new(merged, "domains", domains) ||
	    json_object_set_new(merged, "metrics", metrics) ||
	    json_object_set_new(merged, "generated_at", json_string(stamp))) {
		domains = metrics = NULL;
		json_decref(merged);
		return ph_error(err, PH_E_NOMEM, "out of memory merging matrices");
	}
	ph_matrix_finish(merged); /* also puts the domains in the domain list's order */
	if ((rc = merge_coverage(merged, mats, names, n, err))) {
		json_decref(merged);
		return rc;
	}
	*out = merged;
	return 0;
nomem:
	json_decref(owner);
	json_decref(domains);
	json_decref(metrics);
	return ph_error(err, PH_E_NOMEM, "out of memory merging matrices");
}
