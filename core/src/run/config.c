/*
 * Loading parity.json: fixed keys checked with messages naming the file and key, paths
 * resolved against the repo root (the route list's after its ${NAME}s are expanded from
 * the environment), defaults filled in (DESIGN.md "Config"): from the domain
 * list for what is domain knowledge, the domains themselves and "database".
 */
#include "run/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "parity/jsonio.h"
#include "parity/path.h"
#include "parity/strbuf.h"

char *ph_config_default_path(void)
{
	return ph_repo_path("parity.json");
}

char *ph_config_resolve(const struct ph_config *cfg, const char *p)
{
	if (p[0] == '/')
		return strdup(p);
	return ph_path_join(cfg->repo, p);
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

/*
 * text with every ${NAME} replaced by the environment's value (new string in *out); an
 * unset variable, or a "${" that is no variable, is an error naming key.
 */
static int expand_env(const struct ph_config *cfg, const char *key, const char *text, char **out,
		      struct ph_err *err)
{
	struct ph_strbuf b = {0};
	const char *s = text;

	*out = NULL;
	while (*s) {
		const char *end, *value;
		char name[128];
		size_t n;

		if (s[0] != '$' || s[1] != '{') {
			ph_strbuf_addc(&b, *s++);
			continue;
		}
		end = strchr(s + 2, '}');
		n = end ? (size_t)(end - s - 2) : 0;
		if (!end || !n || n >= sizeof(name) || strspn(s + 2, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
								 "abcdefghijklmnopqrstuvwxyz"
								 "0123456789_") != n) {
			ph_strbuf_release(&b);
			return ph_error(err, PH_E_INVALID,
					"%s: %s: '%s': expected ${NAME} with NAME of letters, "
					"digits and '_'",
					cfg->path, key, text);
		}
		memcpy(name, s + 2, n);
		name[n] = '\0';
		if (!(value = getenv(name))) {
			ph_strbuf_release(&b);
			return ph_error(err, PH_E_INVALID,
					"%s: %s: ${%s} is not set in the environment", cfg->path,
					key, name);
		}
		ph_strbuf_add(&b, value);
		s = end + 1;
	}
	if (!(*out = ph_strbuf_take(&b)))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	return 0;
}

/* "route_list": kept as written (the coverage's source), and expanded and resolved. */
static int get_route_list(struct ph_config *cfg, struct ph_err *err)
{
	json_t *v = json_object_get(cfg->doc, "route_list");
	char *expanded;
	int rc;

	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return ph_error(err, PH_E_INVALID,
				"%s: route_list: expected the path of a route list (a string)",
				cfg->path);
	if ((rc = expand_env(cfg, "route_list", json_string_value(v), &expanded, err)))
		return rc;
	if (!*expanded) {
		free(expanded);
		return ph_error(err, PH_E_INVALID, "%s: route_list: '%s' is empty once expanded",
				cfg->path, json_string_value(v));
	}
	cfg->route_list = ph_config_resolve(cfg, expanded);
	cfg->route_list_source = strdup(json_string_value(v));
	free(expanded);
	if (!cfg->route_list || !cfg->route_list_source)
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

/*
 * A path key whose value may name environment variables as ${NAME} (a checkout outside
 * the repo: "${SIGNET_CHECKOUT}/platform/..."), expanded and resolved; absent: *out NULL.
 */
static int get_env_path(const struct ph_config *cfg, const char *key, char **out,
			struct ph_err *err)
{
	const json_t *v = json_object_get(cfg->doc, key);
	char *expanded;
	int rc;

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || !*json_string_value(v))
		return ph_error(err, PH_E_INVALID, "%s: %s: expected a non-empty string", cfg->path,
				key);
	if ((rc = expand_env(cfg, key, json_string_value(v), &expanded, err)))
		return rc;
	*out = ph_config_resolve(cfg, expanded);
	free(expanded);
	return *out ? 0 : ph_error(err, PH_E_NOMEM, "out of memory");
}

static int unknown_domain(const struct ph_config *cfg, const struct ph_domain_list *known,
			  const char *name, struct ph_err *err)
{
	char *names = ph_domain_list_text(known);
	int rc = ph_error(err, PH_E_INVALID, "%s: domains: unknown domain '%s' (known: %s)",
			  cfg->path, name, names ? names : "");

	free(names);
	return rc;
}

static int get_domains(struct ph_config *cfg, const struct ph_domain_list *known,
		       struct ph_err *err)
{
	json_t *d = json_object_get(cfg->doc, "domains"), *v;
	size_t i, n = d ? json_array_size(d) : known->n;

	if (d && !json_is_array(d))
		return ph_error(err, PH_E_INVALID, "%s: domains: expected an array of domain names",
				cfg->path);
	cfg->domains = calloc(n ? n : 1, sizeof(char *));
	if (!cfg->domains)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		const char *name;

		if (!d) {
			name = known->names[i];
		} else {
			v = json_array_get(d, i);
			if (!json_is_string(v))
				return ph_error(err, PH_E_INVALID,
						"%s: domains[%zu]: expected a domain name", cfg->path,
						i);
			name = json_string_value(v);
		}
		if (!ph_domain_list_has(known, name))
			return unknown_domain(cfg, known, name, err);
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

/* "suites": one folder or an array of them (default "suites"), resolved in order. */
static int get_suites(struct ph_config *cfg, struct ph_err *err)
{
	json_t *v = json_object_get(cfg->doc, "suites");
	json_t *list = !v		  ? json_pack("[s]", "suites") :
		       json_is_string(v) ? json_pack("[O]", v) :
					   json_incref(v);
	size_t i, n = json_array_size(list);
	int rc = 0;

	if (!list)
		return ph_error(err, PH_E_NOMEM, "out of memory");
	if (!n)
		rc = ph_error(err, PH_E_INVALID,
			      "%s: suites: expected a folder or an array of folders", cfg->path);
	else if (!(cfg->suites = calloc(n, sizeof(char *))))
		rc = ph_error(err, PH_E_NOMEM, "out of memory");
	for (i = 0; !rc && i < n; i++) {
		const char *dir = json_string_value(json_array_get(list, i));

		if (!dir || !*dir)
			rc = ph_error(err, PH_E_INVALID,
				      "%s: suites[%zu]: expected a non-empty string", cfg->path, i);
		else if (!(cfg->suites[cfg->n_suites++] = ph_config_resolve(cfg, dir)))
			rc = ph_error(err, PH_E_NOMEM, "out of memory");
	}
	json_decref(list);
	return rc;
}

char *ph_config_suite_dir(const struct ph_config *cfg, const char *domain)
{
	size_t i;

	for (i = 0; i < cfg->n_suites; i++) {
		char *dir = ph_path_join(cfg->suites[i], domain);
		struct stat st;

		if (!dir || (!stat(dir, &st) && S_ISDIR(st.st_mode)) || i + 1 == cfg->n_suites)
			return dir;
		free(dir);
	}
	return NULL;
}

/* "database", else the domain list's default for it. */
static int get_database(struct ph_config *cfg, const struct ph_domain_list *known,
			struct ph_err *err)
{
	json_t *db = json_object_get(cfg->doc, "database");
	const char *where = cfg->path;

	if (!db) {
		db = json_object_get(known->defaults, "database");
		where = known->source;
		if (!db)
			return ph_error(err, PH_E_INVALID,
					"%s: database: expected the runtime's database file inside "
					"its workspace (%s has no default)",
					cfg->path, known->source ? known->source : "the domain list");
	}
	if (!json_is_string(db) || !*json_string_value(db) || json_string_value(db)[0] == '/' ||
	    strstr(json_string_value(db), ".."))
		return ph_error(err, PH_E_INVALID,
				"%s: database: expected a path inside the workspace, e.g. "
				"\"data/runtime.db\"",
				where);
	if (!(cfg->database = strdup(json_string_value(db))))
		return ph_error(err, PH_E_NOMEM, "out of memory");
	return 0;
}

int ph_config_load(struct ph_config *cfg, const char *path, struct ph_err *err)
{
	const struct ph_domain_list *known;
	int rc;

	memset(cfg, 0, sizeof(*cfg));
	if ((rc = ph_domains_repo(&known, err)))
		return rc;
	return ph_config_load_known(cfg, path, known, err);
}

int ph_config_load_known(struct ph_config *cfg, const char *path,
			 const struct ph_domain_list *known, struct ph_err *err)
{
	static const char *const roles[] = { "reference", "candidate" };
	json_t *rts, *llm;
	int rc, i;

	memset(cfg, 0, sizeof(*cfg));
	cfg->path = strdup(path);
	cfg->repo = strdup(ph_repo_root());
	cfg->shared = cfg->repo ? ph_path_join(cfg->repo, "../shared") : NULL;
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
	if ((rc = get_env_path(cfg, "replay_corpus", &cfg->replay_corpus, err)))
		return rc;
	if ((rc = get_string(cfg, "out", "reports", &cfg->out, err)))
		return rc;
	if ((rc = get_route_list(cfg, err)))
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
	if ((rc = get_database(cfg, known, err)) || (rc = get_suites(cfg, err)))
		return rc;
	if ((rc = ph_seed_spec_parse(&cfg->seed, json_object_get(cfg->doc, "seed"), cfg->repo,
				     path, err)))
		return rc;
	ph_perf_opts_init(&cfg->perf);
	cfg->has_perf = json_object_get(cfg->doc, "perf") != NULL;
	if ((rc = ph_perf_opts_parse(&cfg->perf, json_object_get(cfg->doc, "perf"), path, err)))
		return rc;
	return get_domains(cfg, known, err);
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
	free(cfg->replay_corpus);
	free(cfg->llm_dir);
	free(cfg->out);
	free(cfg->database);
	free(cfg->route_list);
	free(cfg->route_list_source);
	ph_seed_spec_release(&cfg->seed);
	for (i = 0; i < cfg->n_domains; i++)
		free(cfg->domains[i]);
	free(cfg->domains);
	for (i = 0; i < cfg->n_suites; i++)
		free(cfg->suites[i]);
	free(cfg->suites);
	json_decref(cfg->doc);
	ph_perf_opts_release(&cfg->perf);
	memset(cfg, 0, sizeof(*cfg));
}
