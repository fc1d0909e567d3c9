/*
 * The schema domain (issue 4): what each runtime leaves in a fresh workspace's database,
 * and whether each runtime can open the other's database (the rollback path).
 *
 * What it checks is its suite, suites/schema (README.md there): cases of kind
 * "fresh-schema" (the database to compare, fresh.c) and "cross-open" (the list request and
 * which runtime opens whose workspace, cross_open.c), run in file order. Both runtimes
 * start on fresh copies of the fixture workspace; before anything else each lists its
 * memories for every cross-open case (the count the other runtime must find), then both
 * are stopped, since stopped runtimes leave consistent files behind and cross-opening
 * needs them down. Both runtimes are left stopped; the session starts the next domain
 * afresh.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks.h"
#include "parity/suite.h"

#define KINDS "fresh-schema, cross-open"

/* A case as the run needs it; the strings are borrowed from the loaded suite. */
struct schema_case {
	const char *name;
	const json_t *c;
	const char *database;	   /* fresh-schema */
	struct schema_list_req lr; /* cross-open */
	struct listing before[2];  /* cross-open: each side on its own workspace */
};

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The side a suite names ("reference", "candidate"), or -1. */
static int side_of(const char *name)
{
	if (name && !strcmp(name, "reference"))
		return PH_REFERENCE;
	if (name && !strcmp(name, "candidate"))
		return PH_CANDIDATE;
	return -1;
}

static int bad_case(const struct ph_host *host, struct ph_run *run, const json_t *c,
		    const char *what, struct ph_err *err)
{
	return ph_error(err, PH_E_INVALID, "%s/%s: case '%s': %s", host->suite_dir(run),
			str(c, "file"), str(c, "name"), what);
}

/* Check a cross-open case's keys; the number of openings into *steps. */
static int check_cross(const struct ph_host *host, struct ph_run *run, const json_t *c,
		       int *steps, struct ph_err *err)
{
	const json_t *list = json_object_get(c, "list");
	const json_t *open = json_object_get(c, "openings"), *o;
	const char *path = str(list, "path");
	size_t i;

	if (!path || path[0] != '/' || !str(list, "array"))
		return bad_case(host, run, c,
				"\"list\" must be {\"path\": \"/...\", \"array\": \"<key>\"}", err);
	if (!json_is_array(open) || !json_array_size(open))
		return bad_case(host, run, c, "\"openings\" must be a non-empty array", err);
	json_array_foreach(open, i, o)
	{
		if (side_of(str(o, "runtime")) < 0 || !str(o, "feature"))
			return bad_case(host, run, c,
					"each of \"openings\" must be {\"runtime\": \"reference\" "
					"or \"candidate\", \"feature\": \"...\"}",
					err);
	}
	*steps += (int)json_array_size(open);
	return 0;
}

/* Check every case before running any; fill v and the number of progress steps. */
static int read_cases(const struct ph_host *host, struct ph_run *run, const json_t *cases,
		      struct schema_case *v, int *steps, struct ph_err *err)
{
	const json_t *c;
	size_t i;
	int rc;

	*steps = 0;
	json_array_foreach(cases, i, c)
	{
		const char *kind = str(c, "kind");

		v[i].name = str(c, "name");
		v[i].c = c;
		if (!kind)
			return bad_case(host, run, c, "no \"kind\" (" KINDS ")", err);
		if (!strcmp(kind, "fresh-schema")) {
			v[i].database = str(c, "database");
			if (!v[i].database || !v[i].database[0] || v[i].database[0] == '/')
				return bad_case(host, run, c,
						"\"database\" must be a path inside the workspace",
						err);
			++*steps;
		} else if (!strcmp(kind, "cross-open")) {
			if ((rc = check_cross(host, run, c, steps, err)))
				return rc;
			v[i].lr.path = str(json_object_get(c, "list"), "path");
			v[i].lr.array = str(json_object_get(c, "list"), "array");
		} else {
			char what[160];

			snprintf(what, sizeof(what), "unknown kind '%.64s' (" KINDS ")", kind);
			return bad_case(host, run, c, what, err);
		}
	}
	return 0;
}

/* Run one case's steps, reporting progress after each. */
static int run_case(const struct ph_host *host, struct ph_run *run, struct schema_case *k,
		    int *done, int steps)
{
	const json_t *o;
	size_t i;
	int rc;

	if (k->database) {
		rc = schema_fresh(host, run, k->name, k->database);
		if (!rc)
			host->progress(run, ++*done, steps);
		return rc;
	}
	json_array_foreach(json_object_get(k->c, "openings"), i, o)
	{
		enum ph_side who = (enum ph_side)side_of(str(o, "runtime"));

		rc = schema_cross_open(host, run, k->name, &k->lr, who, str(o, "feature"),
				       &k->before[!who]);
		if (rc)
			return rc;
		host->progress(run, ++*done, steps);
	}
	return 0;
}

static int schema_run(void *state, const struct ph_host *host, struct ph_run *run,
		      struct ph_err *err)
{
	struct schema_case *v = NULL;
	json_t *cases = NULL;
	struct ph_err e;
	size_t i, n;
	int side, steps, done = 0, rc;

	(void)state;
	if ((rc = ph_suite_load_dir(host->suite_dir(run), &cases, err)))
		return rc;
	n = json_array_size(cases);
	if (!n) {
		rc = ph_error(err, PH_E_INVALID, "%s: no cases", host->suite_dir(run));
		goto out;
	}
	if (!(v = calloc(n, sizeof(*v)))) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = read_cases(host, run, cases, v, &steps, err)))
		goto out;
	host->progress(run, 0, steps);
	for (i = 0; i < n; i++)
		for (side = 0; v[i].lr.path && side < 2; side++)
			schema_list_memories(host, run, side, &v[i].lr, &v[i].before[side]);
	for (side = 0; side < 2; side++) {
		ph_err_clear(&e);
		if (host->runtime_stop(run, side, 0, &e))
			host->log(run, PH_LOG_WARN, "cannot stop the %s runtime: %s",
				  schema_side_names[side], e.msg);
	}
	for (i = 0; !rc && i < n; i++)
		rc = run_case(host, run, &v[i], &done, steps);
	if (rc == PH_E_INTERRUPTED)
		rc = ph_error(err, rc, "interrupted");
	else if (rc)
		rc = ph_error(err, rc, "schema domain: %s", ph_strerror(rc));
out:
	free(v);
	json_decref(cases);
	return rc;
}

static const struct ph_plugin plugin = {
    PH_PLUGIN_HEADER,
    .name = "schema",
    .version = "1.0.0",
    .description = "fresh schemas compared table by table, migration ledger, and each "
		   "runtime opening the other's database",
    .run = schema_run,
};

const struct ph_plugin *ph_schema_plugin(void);

const struct ph_plugin *ph_schema_plugin(void)
{
	return &plugin;
}
