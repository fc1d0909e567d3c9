/*
 * One `parity run`: the config, rules, both runtimes with their workspaces, HTTP
 * connections and the matrix being filled; and struct ph_run, the per-domain view of it
 * that plugins receive (opaque to them). session.c starts and stops the runtimes for each
 * domain; host.c serves the plugins from it; cmd_run.c drives it.
 */
#ifndef PARITY_SESSION_H
#define PARITY_SESSION_H

#include <stdio.h>
#include <jansson.h>

#include "compare/canon.h"
#include "compare/compare.h"
#include "run/config.h"
#include "runtime/http.h"
#include "llm/llm_server.h"
#include "compare/rules.h"
#include "runtime/runtime.h"

struct ph_side_state {
	struct ph_runtime rt;
	struct ph_http *http;
	char *dir;                   /* <tmp>/<domain>/<role> */
	char *workspace;             /* <dir>/workspace */
	char *home;                  /* <dir>/home */
	char *llm_url;
	struct ph_llm_server *llm;   /* this side's canned-LLM server, or NULL */
	char *llm_log;               /* its request log for the current domain */
	int port;
	int running;
	char *died;                  /* why it stopped answering, once noticed */
	struct ph_canon *canon;      /* its run-specific values -> placeholder names */
	json_t *start_opts;          /* a plugin's runtime_options, or NULL: as configured */
	struct ph_runtime_spec spec_opt; /* the config's spec under start_opts (shallow copy
					    but for env_opt), what rt->spec points to then */
	char **env_opt;              /* spec_opt.env, owned */
	/* metrics */
	int starts;
	double startup_ms_max;
	long rss_kb_max;
	long pid;
};

struct ph_session {
	struct ph_config cfg;
	struct ph_rules *rules;
	char *tmp;                   /* the run's temporary folder */
	char *out;                   /* the report folder */
	char *build;                 /* folder of the parity binary */
	json_t *matrix;
	json_t *params;              /* the parameters of the domain running, for its plugin
					(host->param): name -> string (ph_session_use_params) */
	json_t *domain_params;       /* every domain's: domain -> {name: string} (--param);
					NULL or owned */
	FILE *log;                   /* <out>/parity.log */
	int keep;                    /* --keep-workspaces */
	int tty;                     /* progress on a terminal */
	struct ph_side_state side[2];
	struct ph_llm_set *llm_set;  /* the config's llm.dir, or NULL */
	char *seeded[2];             /* per side: the folder holding its seeded database
					(seed.h), or NULL without a seed phase */
	char *seed_workspace[2];     /* the workspace it was seeded in (canonicalised too) */
};

struct ph_run {
	struct ph_session *s;
	const char *domain;
	char *suite_dir;
	int done, total;
	int rows, errors;
};



/* Set up a session from a loaded config (takes cfg); creates tmp and out folders. */
int ph_session_init(struct ph_session *s, struct ph_config *cfg, const char *out,
		    struct ph_err *err);

/* Fresh workspaces for domain and both runtimes started and healthy (in parallel). */
int ph_session_start(struct ph_session *s, const char *domain, struct ph_err *err);

/* Start both sides again on their current workspaces, in parallel. */
int ph_session_start_both(struct ph_session *s, struct ph_err *err);

/* Start one side again, on its own workspace or another folder. */
int ph_session_start_side(struct ph_session *s, int side, const char *workspace,
			  struct ph_err *err);

/*
 * Stop both runtimes and start them again on fresh copies of the fixture (new workspace,
 * HOME and port, under <tmp>/<domain>/<label>/<role>), as at the start of the domain.
 * label: letters, digits, '-' and '_'.
 */
int ph_session_restart_fresh(struct ph_session *s, const char *domain, const char *label,
			     struct ph_err *err);

/*
 * A plugin's start options for side (parity/plugin.h runtime_options; NULL: as
 * configured), used from the next start on. start_options.c.
 */
int ph_session_start_options(struct ph_session *s, int side, const json_t *opts,
			     struct ph_err *err);
/*
 * The spec side starts with: the config's, or a copy under its start options, valid until
 * the next call or ph_session_start_spec_release. NULL (err filled) when out of memory.
 */
const struct ph_runtime_spec *ph_session_start_spec(struct ph_session *s, int side,
						    struct ph_err *err);
void ph_session_start_spec_release(struct ph_session *s, int side);

/* Stop both runtimes (and record their metrics). */
void ph_session_stop(struct ph_session *s);

/* Stop one side; hard: SIGKILL at once. */
int ph_session_stop_side(struct ph_session *s, int side, int hard, struct ph_err *err);

/*
 * Placeholders for side as its runtime was started (workspace, home, port, llm_url, repo,
 * shared, build); strings borrowed from the session.
 */
void ph_session_placeholders(struct ph_session *s, int side, struct ph_placeholders *ph);

/* "<out>/runtimes/<runtime>[-<role>]<suffix>.log", as the runtime's own log is named. */
char *ph_session_log_path(struct ph_session *s, int side, const char *suffix);

/*
 * The side's canonicaliser (canon.h), rebuilt at every start of its runtime from the
 * placeholders it was started with ({workspace}, {dir} its parent, {home}, {port},
 * {pid}, {llm_url}, {llm_port}); values plugins add stay until the next domain. Borrowed.
 */
struct ph_canon *ph_session_canon(struct ph_session *s, int side);

/* Does the side still run? Notes why not in side->died. */
int ph_session_alive(struct ph_session *s, int side);

/*
 * Make domain's parameters (s->domain_params) the ones host->param serves, before its
 * plugin runs: each plugin sees only its own domain's.
 */
void ph_session_use_params(struct ph_session *s, const char *domain);

/* Stop everything, remove temporary folders unless kept, free. */
void ph_session_release(struct ph_session *s);

/* Log a line to <out>/parity.log. */
void ph_session_log(struct ph_session *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * The canned-LLM servers (llm_session.c). start: when the config has llm.dir, load the set
 * and start one server per side (before any runtime; sets side[i].llm_url); a bad set is
 * PH_E_INVALID naming the file and key. domain: route each side's request log also to
 * <out>/llm/<domain>/<role>.jsonl (side[i].llm_log). metrics: request counts per side into
 * the matrix's metrics.llm. stop: stop the servers and free the set.
 */
int ph_session_llm_start(struct ph_session *s, struct ph_err *err);
int ph_session_llm_domain(struct ph_session *s, const char *domain, struct ph_err *err);
void ph_session_llm_metrics(struct ph_session *s);
void ph_session_llm_stop(struct ph_session *s);

#endif
