/*
 * The run configuration (`parity.json`, DESIGN.md "Config"): the two runtimes, the
 * fixture workspace, the rules file, the canned-LLM set, the domains and the folders of
 * their suites, timing thresholds, the report folder and the route list coverage is
 * measured against. Relative paths are resolved
 * against the repo root. Domain names are checked against the domains known (the data
 * file's list and the plugins found, domain/list.h), which also give the defaults of keys
 * that are domain knowledge ("database").
 */
#ifndef PARITY_CONFIG_H
#define PARITY_CONFIG_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"
#include "compare/compare.h"
#include "domain/list.h"
#include "domain/repo.h"
#include "measure/perf.h"
#include "runtime/runtime.h"
#include "run/seed.h"

struct ph_config {
	char *path;                  /* the file it came from */
	char *repo;                  /* repo root: PARITY_REPO or the source dir */
	char *shared;                /* <repo>/../shared */
	struct ph_runtime_spec runtimes[2]; /* [PH_REFERENCE], [PH_CANDIDATE] */
	char *fixture;               /* absolute */
	char *rules;                 /* absolute, or NULL: built-in rules */
	char *llm_dir;               /* absolute, or NULL */
	char **domains;              /* "domains", default: every domain known */
	size_t n_domains;
	char **suites;               /* "suites": folders of one <domain>/ folder of cases each,
					absolute, in search order (default: <repo>/suites) */
	size_t n_suites;
	struct ph_timing timing;
	char *out;                   /* absolute */
	json_t *doc;                 /* the whole document, for keys added later */
	char *replay_corpus;         /* "replay_corpus" (${NAME} expanded, resolved), or NULL:
					the replay domain's corpus, as --param replay.corpus */
	int timing_samples;          /* "timing"."samples": extra samples per side to confirm
					a timing divergence (default 5; 0: never re-sample) */
	double timing_alpha;         /* "timing"."alpha": significance level of the
					Mann-Whitney test that confirms one (default 0.01) */
	int has_perf;                /* the config has a "perf" object */
	struct ph_perf_opts perf;    /* its options over the defaults (perf.h) */
	char *database;              /* "database": the runtime's database file, relative to
					its workspace (default: "defaults" of the domain list) */
	struct ph_seed_spec seed;    /* "seed" (seed.h); seed.sql NULL when absent */
	char *route_list;            /* "route_list": the route list whose coverage the run
					reports (coverage/routes.h), ${NAME}s expanded from the
					environment, absolute; NULL when not set */
	char *route_list_source;     /* the same as the config writes it (the matrix's
					coverage.source) */
};

/* The default config path: <repo>/parity.json. New string. */
char *ph_config_default_path(void);

/* Load and check a config; messages name the file and the key. Domains: the repo's list. */
int ph_config_load(struct ph_config *cfg, const char *path, struct ph_err *err);

/*
 * The same with the domains known given (borrowed for the call): names not in known are
 * "unknown domain 'x' (known: ...)", and the config's default domains are all of known.
 */
int ph_config_load_known(struct ph_config *cfg, const char *path,
			 const struct ph_domain_list *known, struct ph_err *err);

/*
 * Make both runtimes the one the config names under role ("reference" or "candidate"):
 * the other entry is replaced by a second parse of it, so two instances of the same build
 * run side by side (the noise check of `parity run --both`, and calibration). A fixed
 * "port" is dropped from both sides (two instances cannot share it; the session logs it).
 */
int ph_config_same_runtime(struct ph_config *cfg, const char *role, struct ph_err *err);

/* Resolve p against the repo root unless absolute (new string). */
char *ph_config_resolve(const struct ph_config *cfg, const char *p);

/*
 * The suite folder of domain: <folder>/<domain> of the first "suites" folder that has it,
 * else of the first one (so a message names where it was expected). New string.
 */
char *ph_config_suite_dir(const struct ph_config *cfg, const char *domain);

void ph_config_release(struct ph_config *cfg);

#endif
