/*
 * The plugin ABI: what a domain plugin exports and the table of host services the core
 * hands it. A plugin is a shared object `<domain>.so` that exports one function,
 * `ph_<domain>_plugin()`, returning a const struct ph_plugin. Both structs start with
 * their version fields, which protect the rest: the loader accepts a plugin whose major
 * equals the host's and whose minor is not newer. Fields are only ever appended, so a
 * struct's `size` tells which of them exist.
 *
 * Plugins link jansson themselves; json_t is the one type shared across the boundary.
 * Ownership follows jansson: a json_t returned by a host call is a new reference the
 * plugin must json_decref(); a json_t passed in is borrowed unless the name says `take`.
 */
#ifndef PARITY_PLUGIN_H
#define PARITY_PLUGIN_H

#include <stddef.h>
#include <jansson.h>

#include "parity/err.h"

#define PH_ABI_MAJOR 1
#define PH_ABI_MINOR 3

/* Divergence classes, ordered by severity so that the worst is the largest. */
enum ph_class {
	PH_PARITY = 0,
	PH_TIMING = 1,
	PH_SEMANTIC = 2,
	PH_STRUCTURAL = 3,
	PH_ERROR = 4, /* the harness could not evaluate: never parity */
	/*
	 * Since ABI 1.3, and outside the order above: a suite's own expectation of what a
	 * runtime answers or leaves behind (a replay case's expectedResponse) did not hold on
	 * one side or both. Not a difference between the runtimes, so it never raises a
	 * result's or a matrix's verdict; the matrix counts it apart and the gate notes it.
	 */
	PH_EXPECTATION = 5
};

/* Which runtime a call concerns. */
enum ph_side { PH_REFERENCE = 0, PH_CANDIDATE = 1 };

enum ph_log_level { PH_LOG_DEBUG, PH_LOG_INFO, PH_LOG_WARN, PH_LOG_ERROR };

/* One HTTP header, borrowed. */
struct ph_header {
	const char *name;
	const char *value;
};

/* An HTTP request to a runtime; every pointer is borrowed for the call. */
struct ph_request {
	const char *method;          /* "GET", "POST", ... */
	const char *path;            /* path and query string, e.g. "/api/memories?limit=5" */
	const char *body;            /* NULL: no body */
	size_t body_len;
	const struct ph_header *headers;
	size_t n_headers;
	long timeout_ms;             /* 0: the host's default */
};

/*
 * What a runtime answered, or, for `parity compare`, what a file holds. Owned by whoever
 * filled it; release with the host's response_release (or ph_response_release in core).
 */
struct ph_response {
	long status;                 /* HTTP status; 0 when nothing was answered */
	char *body;                  /* NUL-terminated for convenience; may contain NULs */
	size_t body_len;
	char *content_type;          /* NULL when absent */
	json_t *headers;             /* object: lower-case name -> value; may be NULL */
	double latency_ms;           /* < 0 when unknown */
	char *error;                 /* transport failure text, NULL when the exchange completed */
};

/* One difference found by a comparison. */
struct ph_divergence {
	enum ph_class cls;
	const char *kind;            /* static: "status", "missing", "extra", "type", "value", ... */
	char *path;                  /* dot path, "" for the whole body */
	json_t *a;                   /* reference value, or NULL when absent */
	json_t *b;                   /* candidate value, or NULL when absent */
	char *message;
};

/* The outcome of one comparison; release with result_release. */
struct ph_result {
	char *rule;                  /* the matched endpoint key, or "default" */
	enum ph_class verdict;       /* worst class present, PH_PARITY when none */
	size_t count;
	struct ph_divergence *items;
};

/*
 * One matrix row. `feature` is the rule key or what the domain checks ("GET /api/memories",
 * "candidate db opened by reference"), `case_name` the suite case, `reference` a short
 * summary of what the reference runtime did ("200, 10 memories"). When `result` is given
 * its divergences are copied into the row and its verdict is the row's class unless
 * `cls` is worse. `error` explains an error row. All pointers are borrowed.
 */
struct ph_row {
	const char *feature;
	const char *case_name;
	const char *reference;
	enum ph_class cls;
	const struct ph_result *result;
	double latency_reference_ms; /* < 0: not measured */
	double latency_candidate_ms;
	const char *error;
};

struct ph_run; /* opaque: one domain's run inside `parity run` */
struct ph_stdio; /* opaque: a line channel to a process over its stdin and stdout */

/*
 * Services of the core, passed to every hook. Unless stated, calls return 0 or a
 * negative PH_E_* code with err filled.
 */
struct ph_host {
	unsigned abi_major;
	unsigned abi_minor;
	size_t size;

	/* Log a line to the run's log (and stderr at WARN and above); run may be NULL in init/fini. */
	void (*log)(struct ph_run *run, enum ph_log_level level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	/* The domain name and folders; borrowed for the run. */
	const char *(*domain)(struct ph_run *run);
	const char *(*suite_dir)(struct ph_run *run);        /* suites/<domain> */
	const char *(*repo_dir)(struct ph_run *run);
	const char *(*out_dir)(struct ph_run *run);          /* the report folder */
	const char *(*workspace)(struct ph_run *run, enum ph_side side);
	const char *(*runtime_name)(struct ph_run *run, enum ph_side side);

	/* Send req to one runtime; resp is filled even on transport failure (resp->error). */
	int (*http)(struct ph_run *run, enum ph_side side, const struct ph_request *req,
		    struct ph_response *resp, struct ph_err *err);
	void (*response_release)(struct ph_response *resp);

	/*
	 * Compare two responses under the run's rules for endpoint "METHOD /path?query".
	 * Fills out; release it with result_release.
	 */
	int (*compare)(struct ph_run *run, const char *endpoint, const struct ph_response *a,
		       const struct ph_response *b, struct ph_result *out, struct ph_err *err);
	/* Compare two JSON documents (database rows, file trees, ...) under the rule for key. */
	int (*compare_json)(struct ph_run *run, const char *rule_key, const json_t *a,
			    const json_t *b, struct ph_result *out, struct ph_err *err);
	void (*result_release)(struct ph_result *res);

	/*
	 * Run one declarative HTTP case against both runtimes, compare, and record its row:
	 * the lib's ph_http_case (parity/http_case.h says the case's keys) over the core's own
	 * table, the first side alternating with the rows recorded. Plugins linking phutil
	 * may call ph_http_case directly. A failure to ask is recorded as an error row and is
	 * not an error of the call.
	 */
	int (*http_case)(struct ph_run *run, const json_t *c, struct ph_err *err);

	/* Record one matrix row. */
	int (*record)(struct ph_run *run, const struct ph_row *row);

	/* Report progress: done of total cases. */
	void (*progress)(struct ph_run *run, int done, int total);

	/*
	 * Run a read-only SQL query on a runtime's workspace database
	 * (the config's "database" path) and return an array of row objects (new reference).
	 */
	int (*db_query)(struct ph_run *run, enum ph_side side, const char *sql, json_t **rows,
			struct ph_err *err);

	/* Restart a runtime; workspace NULL keeps its own, else it starts on that folder. */
	int (*runtime_restart)(struct ph_run *run, enum ph_side side, const char *workspace,
			       struct ph_err *err);
	/* Stop a runtime (SIGTERM, then SIGKILL when hard is set or the timeout passes). */
	int (*runtime_stop)(struct ph_run *run, enum ph_side side, int hard, struct ph_err *err);

	/* The canned-LLM request log of a runtime (JSON lines), or NULL when none. */
	const char *(*llm_log)(struct ph_run *run, enum ph_side side);

	/*
	 * Compare two SQLite schemas (database files, or folders of NNN-*.sql migrations) as
	 * `parity verify-schema` does; *differences is a new array of {class, kind, table,
	 * name, a, b, message}.
	 */
	int (*verify_schema)(struct ph_run *run, const char *a, const char *b,
			     json_t **differences, struct ph_err *err);

	/*
	 * A parameter of this domain's plugin, given as `parity run --param <domain>.<name>=
	 * <value>` (the host strips "<domain>."; other domains' parameters are not seen), or
	 * NULL.
	 */
	const char *(*param)(struct ph_run *run, const char *name);

	/*
	 * The fresh HOME folder a runtime was started with ({home}); borrowed for the run.
	 * Domains that check files a runtime writes under $HOME (harness sync) read it here.
	 */
	const char *(*home)(struct ph_run *run, enum ph_side side);

	/*
	 * Check a Signet secrets.enc (CONTRACT.md §9) under the key derived from machine_id
	 * (NULL: this machine's id): *report is a new {entries:[{name, status}], n_ok,
	 * n_failed}, entries sorted by name, status "ok" or why the entry does not decrypt
	 * ("plain base64 ...", "wrong key ...", ...). Values are never returned.
	 */
	int (*secrets_check)(struct ph_run *run, const char *path, const char *machine_id,
			     json_t **report, struct ph_err *err);
	/*
	 * Compare two secrets files (a under machine_id_a, b under machine_id_b; NULL: this
	 * machine's id) through keyed hashes: *report is a new {n_same, diffs:[{name, kind,
	 * status?}]}, kind "only in a", "only in b", "value differs", "does not decrypt in a",
	 * "does not decrypt in b" (then status says why).
	 */
	int (*secrets_verify)(struct ph_run *run, const char *a, const char *b,
			      const char *machine_id_a, const char *machine_id_b, json_t **report,
			      struct ph_err *err);
	/*
	 * Copy the secrets file src (read only, never modified) to dst (written atomically,
	 * mode 0600) so that it decrypts under dst_machine_id: every entry that decrypts under
	 * src_machine_id is sealed again under the destination key with a fresh nonce, its
	 * created/updated kept; other entries are copied as they are. With equal machine ids
	 * the bytes are copied unchanged. NULL machine ids mean this machine's.
	 */
	int (*secrets_copy)(struct ph_run *run, const char *src, const char *src_machine_id,
			    const char *dst, const char *dst_machine_id, struct ph_err *err);
	/*
	 * The value of variable name in a runtime's configured "env" (unexpanded), or NULL
	 * when the config does not set it; borrowed for the run.
	 */
	const char *(*runtime_env)(struct ph_run *run, enum ph_side side, const char *name);

	/*
	 * One slow answer is not a timing divergence. Given the requests behind res (cand_req
	 * NULL: the same as ref_req) and a result whose divergences include timing, re-sample
	 * it on both runtimes (two batches of timing.samples, asking each side first in turn)
	 * and keep the timing divergence only when the medians of both batches diverge by the
	 * fixed rule and the Mann-Whitney test on all samples rejects at timing.alpha;
	 * otherwise drop it from res (verdict recomputed). Only for requests that may be sent
	 * again. *info gets a new object {samples_ms: {reference, candidate}, and either
	 * flaky: {class, retries} (dropped) or median_ms: {reference, candidate} and
	 * mann_whitney_p (kept)} to attach to the row (annotate), or NULL when res had no
	 * timing divergence.
	 */
	int (*timing_confirm)(struct ph_run *run, const struct ph_request *ref_req,
			      const struct ph_request *cand_req, struct ph_result *res,
			      json_t **info, struct ph_err *err);

	/* Add key: a copy of value (borrowed) to the row recorded last in this run. */
	int (*annotate)(struct ph_run *run, const char *key, json_t *value);

	/* ---- since ABI 1.1 ---- */

	/*
	 * Start a runtime's stdio companion, the process its config names under key (a key
	 * "<name>_stdio": {command, env?, cwd?}), with the same placeholders as the running
	 * runtime ({port} is its port) and the runtime's env beneath its own; its stderr goes
	 * to <out>/runtimes/<runtime>-<name>-stdio.log. *io is closed with stdio_close (the host
	 * closes what a plugin left open when its run ends). PH_E_NOTFOUND when the config
	 * names no such command for that side; PH_E_RUNTIME when it cannot start. With io
	 * NULL nothing is started: 0 tells that the command is configured.
	 */
	int (*stdio_open)(struct ph_run *run, enum ph_side side, const char *key,
			  struct ph_stdio **io, struct ph_err *err);
	/*
	 * Write one line (len bytes without a newline; the newline is added), waiting at most
	 * timeout_ms for the process to take it. PH_E_TIMEOUT, or PH_E_RUNTIME when it is gone
	 * (err says how it ended and quotes its log).
	 */
	int (*stdio_send)(struct ph_stdio *io, const char *line, size_t len, long timeout_ms,
			  struct ph_err *err);
	/*
	 * The next line the process wrote, without its newline, waiting at most timeout_ms;
	 * *line is NUL-terminated and borrowed until the next call on io. PH_E_TIMEOUT when
	 * no complete line came in time, PH_E_RUNTIME when it closed its output.
	 */
	int (*stdio_recv)(struct ph_stdio *io, long timeout_ms, const char **line, size_t *len,
			  struct ph_err *err);
	/* End it: close its stdin, then SIGTERM/SIGKILL if it does not exit; NULL is fine. */
	void (*stdio_close)(struct ph_stdio *io);
	/*
	 * Stop both runtimes and start them again on fresh copies of the fixture workspace
	 * (new HOME and port), as at the start of the domain, so a second pass of a suite
	 * starts from the same state as the first; workspace() then names the new copies.
	 * label names the pass (letters, digits, '-' and '_'): its folders are
	 * <tmp>/<domain>/<label>/<role>. Close stdio channels first.
	 */
	int (*runtimes_fresh)(struct ph_run *run, const char *label, struct ph_err *err);

	/* ---- since ABI 1.2 ---- */

	/*
	 * A value side generated for this run (a job id, a token, a secret the plugin made)
	 * to be compared under a name: from now until the domain ends, the host replaces it
	 * by name in everything of that side it compares, as it does the side's port,
	 * workspace and canned-LLM URL. name: "{...}"; value: at least 3 bytes.
	 */
	int (*canon_add)(struct ph_run *run, enum ph_side side, const char *value,
			 const char *name, struct ph_err *err);

	/*
	 * The timing verdict on latencies a domain cannot ask again but observed several times
	 * (a watcher's delay after each change): the samples a[0..na) of the reference and
	 * b[0..nb) of the candidate diverge when their medians do by the run's fixed rule
	 * (ratio, delta_ms, floor_ms), by more than min_delta_ms, and the Mann-Whitney test
	 * rejects at timing.alpha that both come from one distribution. Then one divergence of
	 * class timing, kind "latency", path "", is added to res. *info (may be NULL) gets a
	 * new {samples_ms, median_ms, mann_whitney_p} to annotate the row with.
	 */
	int (*timing_samples)(struct ph_run *run, const double *a, size_t na, const double *b,
			      size_t nb, double min_delta_ms, struct ph_result *res, json_t **info,
			      struct ph_err *err);

	/* ---- since ABI 1.3 ---- */

	/*
	 * How side starts from now until the domain ends (runtime_restart, runtimes_fresh):
	 * opts is {"env"?: {NAME: value or null}, "ready"?: false}, or NULL to start as
	 * configured again. env values are set over the runtime's configured env (with the
	 * same placeholders; null removes a configured variable); "ready": false waits for the
	 * health path alone, not for the config's "ready" values (a suite that starts a
	 * runtime with its own agent.yaml may turn off the worker they wait for). A running
	 * runtime is not restarted by this call. PH_E_INVALID names a bad key.
	 */
	int (*runtime_options)(struct ph_run *run, enum ph_side side, const json_t *opts,
			       struct ph_err *err);
};

/*
 * Does the host table offer entry (a field name of struct ph_host)? Entries appended in a
 * later minor are absent from an older host's shorter table, or NULL in a fake host.
 */
#define PH_HOST_HAS(host, entry)                                                          \
	((host)->size >= offsetof(struct ph_host, entry) + sizeof((host)->entry) &&          \
	 (host)->entry != NULL)

/* What a plugin exports. */
struct ph_plugin {
	unsigned abi_major;
	unsigned abi_minor;
	size_t size;

	const char *name;            /* the domain; must equal the file stem */
	const char *version;
	const char *description;

	/* Optional: set up per-process state. On failure fini is not called. */
	int (*init)(const struct ph_host *host, void **state, struct ph_err *err);
	/* Required: run the domain's suite, recording rows through the host. */
	int (*run)(void *state, const struct ph_host *host, struct ph_run *run,
		   struct ph_err *err);
	/* Optional: release what init made. */
	void (*fini)(void *state);
};

/* Signature of the entry point `ph_<domain>_plugin`. */
typedef const struct ph_plugin *(*ph_plugin_entry_fn)(void);

/* Fill the version fields of a descriptor in a plugin's source. */
#define PH_PLUGIN_HEADER PH_ABI_MAJOR, PH_ABI_MINOR, sizeof(struct ph_plugin)

/*
 * A plugin's descriptor and its one exported entry point, ph_<name>_plugin(), in one line
 * at the end of its source:
 *
 *   PH_PLUGIN_EXPORT(read, "1.0.0", "read endpoints: ...", NULL, read_run, NULL)
 *
 * name is the domain as a bare word (it must equal the file stem); init and fini may be
 * NULL.
 */
#define PH_PLUGIN_EXPORT(name_, version_, description_, init_, run_, fini_)               \
	static const struct ph_plugin ph_plugin_descriptor_ = {                             \
		PH_PLUGIN_HEADER,                                                           \
		.name = #name_,                                                             \
		.version = version_,                                                        \
		.description = description_,                                                \
		.init = init_,                                                              \
		.run = run_,                                                                \
		.fini = fini_,                                                              \
	};                                                                                  \
	const struct ph_plugin *ph_##name_##_plugin(void);                                  \
	const struct ph_plugin *ph_##name_##_plugin(void)                                   \
	{                                                                                   \
		return &ph_plugin_descriptor_;                                              \
	}

/*
 * Name of a class as in the matrix: "parity", "timing", "semantic", "structural", "error",
 * "expectation".
 */
static inline const char *ph_class_name(enum ph_class c)
{
	switch (c) {
	case PH_PARITY: return "parity";
	case PH_TIMING: return "timing";
	case PH_SEMANTIC: return "semantic";
	case PH_STRUCTURAL: return "structural";
	case PH_ERROR: return "error";
	case PH_EXPECTATION: return "expectation";
	}
	return "error";
}

#endif
