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

/* Check a cross-open case's keys. */
static int check_cross(const struct ph_host *host, struct ph_run *run, const json_t *c,
		       struct ph_err *err)
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
	return 0;
}

/* Check every case before running any; fill v. */
static int read_cases(const struct ph_host *host, struct ph_run *run, const json_t *cases,
		      struct schema_case *v, struct ph_err *err)
{
	const json_t *c;
	size_t i;
	int rc;

	json_array_foreach(cases, i, c)
	{
		const char *kind = str(c, "kind");

		if (!kind)
			return bad_case(host, run, c, "no \"kind\" (" KINDS ")", err);
		if (!strcmp(kind, "fresh-schema")) {
			v[i].database = str(c, "database");
			if (!v[i].database || !v[i].database[0] || v[i].database[0] == '/')
				return bad_case(host, run, c,
						"\"database\" must be a path inside the workspace",
						err);
		} else if (!strcmp(kind, "cross-open")) {
			if ((rc = check_cross(host, run, c, err)))
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

/* What the suite loop runs the cases with. */
struct schema_pass {
	const struct ph_host *host;
	struct ph_run *run;
	struct schema_case *v;
};

/* Run case i: its database compared, or each of its openings made. */
static int run_case(void *ctx, json_t *c, size_t i, struct ph_err *err)
{
	struct schema_pass *p = ctx;
	struct schema_case *k = &p->v[i];
	const char *name = str(c, "name");
	const json_t *o;
	size_t j;
	int rc = 0;

	(void)err;
	if (k->database)
		return schema_fresh(p->host, p->run, name, k->database);
	json_array_foreach(json_object_get(c, "openings"), j, o)
	{
		enum ph_side who = (enum ph_side)side_of(str(o, "runtime"));

		rc = schema_cross_open(p->host, p->run, name, &k->lr, who, str(o, "feature"),
				       &k->before[!who]);
		if (rc)
			break;
	}
	return rc;
}

static int schema_run(void *state, const struct ph_host *host, struct ph_run *run,
		      struct ph_err *err)
{
	struct schema_pass p = {.host = host, .run = run};
	json_t *cases = NULL;
	struct ph_err e;
	size_t i, n;
	int side, rc;

	(void)state;
	if ((rc = ph_suite_load(host, run, &cases, err)))
		return rc;
	n = json_array_size(cases);
	if (!(p.v = calloc(n, sizeof(*p.v)))) {
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = read_cases(host, run, cases, p.v, err)))
		goto out;
	for (i = 0; i < n; i++)
		for (side = 0; p.v[i].lr.path && side < 2; side++)
			schema_list_memories(host, run, side, &p.v[i].lr, &p.v[i].before[side]);
	for (side = 0; side < 2; side++) {
		ph_err_clear(&e);
		if (host->runtime_stop(run, side, 0, &e))
			host->log(run, PH_LOG_WARN, "cannot stop the %s runtime: %s",
				  schema_side_names[side], e.msg);
	}
	rc = ph_suite_each_case(host, run, cases, run_case, &p, err);
	if (rc == PH_E_INTERRUPTED)
		rc = ph_error(err, rc, "interrupted");
	else if (rc)
		rc = ph_error(err, rc, "schema domain: %s", ph_strerror(rc));
out:
	free(p.v);
	json_decref(cases);
	return rc;
}

PH_PLUGIN_EXPORT(schema, "1.0.0",
		 "fresh schemas compared table by table, migration ledger, and each runtime "
		 "opening the other's database",
		 NULL, schema_run, NULL)
