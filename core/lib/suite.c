/*
 * Loading a suite folder: the `*.json` files in name order, their cases checked for the
 * shape every plugin relies on (an object with a unique string "name"); and the loop a
 * domain runs over them, with progress and errors that say where the case is written.
 */
#include "parity/suite.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/jsonio.h"

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_file(const char *dir, const char *name, json_t *cases, json_t *seen,
		    struct ph_err *err)
{
	size_t n = strlen(dir) + strlen(name) + 2, i;
	char *path = malloc(n);
	json_t *doc, *list, *c;
	int rc;

	if (!path)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	snprintf(path, n, "%s/%s", dir, name);
	rc = ph_json_load_file(path, &doc, err);
	if (rc) {
		free(path);
		return rc;
	}
	list = json_object_get(doc, "cases");
	if (!json_is_object(doc) || !json_is_array(list)) {
		rc = ph_error(err, PH_E_INVALID, "%s: expected an object {\"cases\": [...]}", path);
		goto out;
	}
	json_array_foreach(list, i, c)
	{
		json_t *nm = json_object_get(c, "name");

		if (!json_is_object(c) || !json_is_string(nm) || !json_string_length(nm)) {
			rc = ph_error(err, PH_E_INVALID,
				      "%s: cases[%zu]: expected an object with a string \"name\"",
				      path, i);
			goto out;
		}
		if (json_object_get(seen, json_string_value(nm))) {
			rc = ph_error(err, PH_E_INVALID, "%s: cases[%zu]: the name '%s' is used twice",
				      path, i, json_string_value(nm));
			goto out;
		}
		json_object_set_new(seen, json_string_value(nm), json_true());
		if (!json_object_get(c, "file"))
			json_object_set_new(c, "file", json_string(name));
		json_array_append(cases, c);
	}
out:
	json_decref(doc);
	free(path);
	return rc;
}

int ph_suite_load_dir(const char *dir, json_t **cases, struct ph_err *err)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	json_t *seen;
	int rc = 0;

	*cases = NULL;
	if (!d)
		return ph_error(err, PH_E_NOTFOUND, "cannot open suite folder '%s'", dir);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof(char *));

			if (!nn) {
				rc = ph_error(err, PH_E_NOMEM, "out of memory");
				break;
			}
			names = nn;
		}
		if (!(names[n] = strdup(e->d_name))) {
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
			break;
		}
		n++;
	}
	closedir(d);
	if (!rc && n)
		qsort(names, n, sizeof(char *), by_name);
	*cases = json_array();
	seen = json_object();
	for (i = 0; !rc && i < n; i++)
		rc = add_file(dir, names[i], *cases, seen, err);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	json_decref(seen);
	if (rc) {
		json_decref(*cases);
		*cases = NULL;
	}
	return rc;
}

int ph_suite_load(const struct ph_host *host, struct ph_run *run, json_t **cases,
		  struct ph_err *err)
{
	int rc = ph_suite_load_dir(host->suite_dir(run), cases, err);

	if (!rc && !json_array_size(*cases)) {
		json_decref(*cases);
		*cases = NULL;
		rc = ph_error(err, PH_E_INVALID, "%s: no cases", host->suite_dir(run));
	}
	return rc;
}

int ph_suite_each_case(const struct ph_host *host, struct ph_run *run, json_t *cases,
		       ph_suite_case_fn fn, void *ctx, struct ph_err *err)
{
	const char *dir = host->suite_dir(run);
	size_t i, n = json_array_size(cases);
	json_t *c;
	int rc;

	host->progress(run, 0, (int)n);
	json_array_foreach(cases, i, c)
	{
		if ((rc = fn(ctx, c, i, err))) {
			const char *file = json_string_value(json_object_get(c, "file"));

			if (err && strncmp(err->msg, dir, strlen(dir)))
				ph_error_prefix(err, "%s/%s: case '%s'", dir, file ? file : "?",
						json_string_value(json_object_get(c, "name")));
			return rc;
		}
		host->progress(run, (int)i + 1, (int)n);
	}
	return 0;
}

int ph_suite_each(const struct ph_host *host, struct ph_run *run, ph_suite_case_fn fn,
		  void *ctx, struct ph_err *err)
{
	json_t *cases;
	int rc = ph_suite_load(host, run, &cases, err);

	if (!rc)
		rc = ph_suite_each_case(host, run, cases, fn, ctx, err);
	json_decref(cases);
	return rc;
}
