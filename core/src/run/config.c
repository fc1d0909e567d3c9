/*
 * Loading parity.json: fixed keys checked with messages naming the file and key, paths
 * resolved against the repo root, defaults filled in (DESIGN.md "Config").
 */
#include "run/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parity/jsonio.h"

const char *const ph_domains[] = { "schema", "read",    "write", "pipeline", "auth",
				   "watcher", "gitsync", "mcp",   "secrets" };
const size_t ph_n_domains = sizeof(ph_domains) / sizeof(ph_domains[0]);

const char *ph_repo_root(void)
{
	const char *r = getenv("PARITY_REPO");

	return r && *r ? r : PARITY_SOURCE_DIR;
}

char *ph_config_default_path(void)
{
	const char *repo = ph_repo_root();
	size_t n = strlen(repo) + sizeof("/parity.json");
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/parity.json", repo);
	return p;
}

int ph_domain_known(const char *name)
{
	size_t i;

	for (i = 0; i < ph_n_domains; i++)
		if (!strcmp(name, ph_domains[i]))
			return 1;
	return 0;
}

static char *join(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 2;
	char *p = malloc(n);

	if (p)
		snprintf(p, n, "%s/%s", a, b);
	return p;
}

char *ph_config_resolve(const struct ph_config *cfg, const char *p)
{
	if (p[0] == '/')
		return strdup(p);
	return join(cfg->repo, p);
}

static int get_string(const struct ph_config *cfg, const char *key, const char *deflt,
		      char **out, struct ph_err *err)
{
	json_t *v = json_object_get(cfg->doc, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (!deflt)
			return 0;
		*out = ph_config_resolve(cfg, deflt);
	} else if (!json_is_string(v) || !*json_string_value(v)) {
		return ph_error(err, PH_E_INVALID, "%s: %s: expected a non-empty string",
				cfg->path, key);
	} else {
		*out = ph_config_resolve(cfg, json_string_value(v));
	}
	if (!*out)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	return 0;
}

static int get_timing(struct ph_config *cfg, struct ph_err *err)
{
	struct ph_timing_confirm confirm = PH_TIMING_CONFIRM_DEFAULT;
	int rc;

	cfg->timing = PH_TIMING_DEFAULT;
	rc = ph_timing_parse(cfg->doc, cfg->path, &cfg->timing, &confirm, err);
	cfg->timing_samples = confirm.samples;
	cfg->timing_alpha = confirm.alpha;
	return rc;
}

static int get_domains(struct ph_config *cfg, struct ph_err *err)
{
	json_t *d = json_object_get(cfg->doc, "domains"), *v;
	size_t i, n = d ? json_array_size(d) : ph_n_domains;

	if (d && !json_is_array(d))
		return ph_error(err, PH_E_INVALID, "%s: domains: expected an array of domain names",
				cfg->path);
	cfg->domains = calloc(n ? n : 1, sizeof(char *));
	if (!cfg->domains)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const char *name;

		if (!d) {
			name = ph_domains[i];
		} else {
			v = json_array_get(d, i);
			if (!json_is_string(v))
				return ph_error(err, PH_E_INVALID,
						"%s: domains[%zu]: expected a domain name", cfg->path,
						i);
			name = json_string_value(v);
		}
		if (!ph_domain_known(name))
			return ph_error(err, PH_E_INVALID,
					"%s: domains: unknown domain '%s' (known: schema read write "
					"pipeline auth watcher gitsync mcp secrets)",
					cfg->path, name);
		for (size_t k = 0; k < cfg->n_domains; k++)
			if (!strcmp(cfg->domains[k], name))
				return ph_error(err, PH_E_INVALID, "%s: domains: '%s' is listed twice",
						cfg->path, name);
		cfg->domains[cfg->n_domains] = strdup(name);
		if (!cfg->domains[cfg->n_domains++])
			return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	return 0;
}

int ph_config_load(struct ph_config *cfg, const char *path, struct ph_err *err)
{
	static const char *const roles[] = { "reference", "candidate" };
	json_t *rts, *llm;
	int rc, i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = strdup(path);
	cfg->repo = strdup(ph_repo_root());
	cfg->shared = cfg->repo ? join(cfg->repo, "../shared") : NULL;
	if (!cfg->path || !cfg->repo || !cfg->shared)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	rc = ph_json_load_file(path, &cfg->doc, err);
	if (rc)
		return rc;
	if (!json_is_object(cfg->doc))
		return ph_error(err, PH_E_INVALID, "%s: expected a JSON object", path);
	rts = json_object_get(cfg->doc, "runtimes");
	if (!json_is_object(rts))
		return ph_error(err, PH_E_INVALID,
				"%s: runtimes: expected an object with reference and candidate", path);
	for (i = 0; i < 2; i++) {
		json_t *r = json_object_get(rts, roles[i]);

		if (!json_is_object(r))
			return ph_error(err, PH_E_INVALID, "%s: runtimes.%s: expected an object",
					path, roles[i]);
		rc = ph_runtime_spec_parse(&cfg->runtimes[i], roles[i], r, path, err);
		if (rc)
			return rc;
	}
	if (cfg->runtimes[0].port > 0 && cfg->runtimes[0].port == cfg->runtimes[1].port)
		return ph_error(err, PH_E_INVALID,
				"%s: runtimes.candidate.port: %d is the reference's port too (two "
				"runtimes cannot listen on one port)",
				path, cfg->runtimes[1].port);
	if ((rc = get_string(cfg, "fixture", "fixtures/workspaces/default", &cfg->fixture, err)))
		return rc;
	if ((rc = get_string(cfg, "rules", NULL, &cfg->rules, err)))
		return rc;
	if ((rc = get_string(cfg, "out", "reports", &cfg->out, err)))
		return rc;
	llm = json_object_get(cfg->doc, "llm");
	if (llm) {
		json_t *dir = json_object_get(llm, "dir");

		if (!json_is_object(llm) || (dir && !json_is_string(dir)))
			return ph_error(err, PH_E_INVALID, "%s: llm: expected {\"dir\": \"...\"}",
					path);
		if (dir && !(cfg->llm_dir = ph_config_resolve(cfg, json_string_value(dir))))
			return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if ((rc = get_timing(cfg, err)))
		return rc;
	{
		json_t *db = json_object_get(cfg->doc, "database");

		if (db && (!json_is_string(db) || !*json_string_value(db) ||
			   json_string_value(db)[0] == '/' || strstr(json_string_value(db), "..")))
			return ph_error(err, PH_E_INVALID,
					"%s: database: expected a path inside the workspace, e.g. "
					"\"memory/memories.db\"",
					path);
		cfg->database = strdup(db ? json_string_value(db) : "memory/memories.db");
		if (!cfg->database)
			return ph_error(err, PH_E_NOMEM, "out of memory");
	}
	if ((rc = ph_seed_spec_parse(&cfg->seed, json_object_get(cfg->doc, "seed"), cfg->repo,
				     path, err)))
		return rc;
	ph_perf_opts_init(&cfg->perf);
	cfg->has_perf = json_object_get(cfg->doc, "perf") != NULL;
	if ((rc = ph_perf_opts_parse(&cfg->perf, json_object_get(cfg->doc, "perf"), path, err)))
		return rc;
	return get_domains(cfg, err);
}

int ph_config_same_runtime(struct ph_config *cfg, const char *role, struct ph_err *err)
{
	static const char *const roles[] = { "reference", "candidate" };
	int from = !strcmp(role, "candidate"), to = !from;
	json_t *src = json_object_get(json_object_get(cfg->doc, "runtimes"), role);
	struct ph_runtime_spec spec;
	int rc;

	if (strcmp(role, "reference") && strcmp(role, "candidate"))
		return ph_error(err, PH_E_USAGE, "'%s' is not a runtime role (reference, candidate)",
				role);
	memset(&spec, 0, sizeof(spec));
	if (!json_is_object(src))
		return ph_error(err, PH_E_INVALID, "%s: runtimes.%s: expected an object", cfg->path,
				roles[from]);
	if ((rc = ph_runtime_spec_parse(&spec, roles[to], src, cfg->path, err))) {
		ph_runtime_spec_release(&spec);
		return rc;
	}
	ph_runtime_spec_release(&cfg->runtimes[to]);
	cfg->runtimes[to] = spec;
	/* two processes cannot listen on one port: both take free ones (the session logs it) */
	if (cfg->runtimes[from].port > 0) {
		cfg->runtimes[from].port_dropped = cfg->runtimes[to].port_dropped =
			cfg->runtimes[from].port;
		cfg->runtimes[from].port = cfg->runtimes[to].port = 0;
	}
	return 0;
}

void ph_config_release(struct ph_config *cfg)
{
	size_t i;

	free(cfg->path);
	free(cfg->repo);
	free(cfg->shared);
	ph_runtime_spec_release(&cfg->runtimes[0]);
	ph_runtime_spec_release(&cfg->runtimes[1]);
	free(cfg->fixture);
	free(cfg->rules);
	free(cfg->llm_dir);
	free(cfg->out);
	free(cfg->database);
	ph_seed_spec_release(&cfg->seed);
	for (i = 0; i < cfg->n_domains; i++)
		free(cfg->domains[i]);
	free(cfg->domains);
	json_decref(cfg->doc);
	ph_perf_opts_release(&cfg->perf);
	memset(cfg, 0, sizeof(*cfg));
}
