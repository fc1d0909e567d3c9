/*
 * The replay domain: upstream Signet's replay corpus (a folder holding manifest.json and
 * the case files it lists; replay.h says the format) run on both runtimes. The corpus is
 * the parameter "corpus" (`--param replay.corpus=DIR`, or the config's "replay_corpus"),
 * else the folder "corpus" of this domain's suite folder (suites/replay/corpus), our own
 * cases in the same format. Each
 * case gets its own fresh runtimes (setup.c) and its steps' rows (step.c). A case file that
 * cannot be read is an error row of its own; the others still run.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/path.h"
#include "parity/row.h"
#include "replay.h"

const char *const rp_sides[2] = {"reference", "candidate"};

static int run_case(struct rp_run *r, const char *file, size_t i, size_t n, struct ph_err *err)
{
	struct rp_case c;
	char name[300];
	int rc;

	if ((rc = rp_case_load(file, &c, err))) {
		const char *base = strrchr(file, '/');

		snprintf(name, sizeof(name), "%s", base ? base + 1 : file);
		rc = ph_row_error(r->host, r->run, "replay case", name, "not run", err->msg);
		ph_err_clear(err);
		return rc;
	}
	if (json_array_size(c.unknown)) {
		char *list = json_dumps(c.unknown, JSON_COMPACT);

		r->host->log(r->run, PH_LOG_WARN,
			     "replay: %s: keys the replay format does not define, not checked: %s",
			     file, list ? list : "?");
		free(list);
	}
	r->host->log(r->run, PH_LOG_INFO, "replay: case %zu of %zu: %s", i + 1, n, c.id);
	if ((rc = rp_setup(r, &c, err))) {
		ph_error_prefix(err, "%s: setting up", c.id);
		rc = ph_row_error(r->host, r->run, "replay case", c.id, "not run", err->msg);
		ph_err_clear(err);
	} else {
		rc = rp_case_run(r, &c, err);
	}
	rp_case_release(&c);
	return rc;
}

static int replay_run(void *state, const struct ph_host *host, struct ph_run *run,
		      struct ph_err *err)
{
	struct rp_run r = {host, run, NULL, NULL, 0, 0};
	json_t *files = NULL, *f;
	char *own = NULL;
	size_t i, n;
	int rc;

	(void)state;
	r.corpus = host->param(run, "corpus");
	if (!r.corpus && !(own = ph_path_join(host->suite_dir(run), "corpus")))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (!r.corpus)
		r.corpus = own;
	r.database = host->param(run, "database");
	if (!r.database)
		r.database = "memory/memories.db";
	if ((rc = rp_manifest(r.corpus, &files, err))) {
		free(own);
		return rc;
	}
	n = json_array_size(files);
	host->progress(run, 0, (int)n);
	json_array_foreach(files, i, f)
	{
		if ((rc = run_case(&r, json_string_value(f), i, n, err)))
			break;
		host->progress(run, (int)i + 1, (int)n);
	}
	json_decref(files);
	free(own);
	return rc;
}

PH_PLUGIN_EXPORT(replay, "1.0.0",
		 "upstream's replay corpus: seeded cases, their expectations on each side, "
		 "answers and database changes compared",
		 NULL, replay_run, NULL)
