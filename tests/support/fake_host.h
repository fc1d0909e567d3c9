/*
 * A fake host for plugin unit tests: the host table of parity/plugin.h with no runtime
 * behind it. Answers come from a script per side (or a responder the test writes), rows
 * and annotations are kept as JSON for assertions, requests are recorded as sent. The
 * comparison is deliberately plain (status, then the bodies as JSON or text, then a
 * latency gap), enough to show whether a plugin made two answers alike. Any entry of the
 * table may be replaced by the test before the run (fh.host.db_query = ...).
 *
 * The struct ph_run * handed to plugins is the fake itself (fake_host_run): tests need
 * no session, and one fake serves one run at a time.
 */
#ifndef PARITY_FAKE_HOST_H
#define PARITY_FAKE_HOST_H

#include <stddef.h>
#include <jansson.h>

#include "parity/plugin.h"

/* A latency gap over this is a timing divergence in the fake comparison. */
#define FAKE_TIMING_GAP_MS 100.0

struct fake_host {
	struct ph_host host;         /* the table plugins get; entries may be replaced */

	/* what the getters answer; borrowed */
	const char *domain, *suite_dir, *repo_dir, *out_dir;
	const char *workspace[2], *home[2], *llm_log[2], *runtime_name[2];
	json_t *params;              /* object: name -> string (owned) */
	json_t *env[2];              /* objects: runtime env per side (owned) */

	/*
	 * Answers: respond when set, else the next of script[side], an array of {status,
	 * body?, error?, latency_ms?, content_type?} (the last one repeats; empty: 200 "{}").
	 */
	int (*respond)(struct fake_host *fh, enum ph_side side, const struct ph_request *req,
		       struct ph_response *resp);
	void *user;                  /* the test's own state, for respond */
	json_t *script[2];
	size_t asked[2];             /* requests per side */

	/* what the plugin did */
	json_t *requests;            /* [{side, method, path, body?, headers: {}}] as sent */
	json_t *rows;                /* [{feature, case, reference, class, error?, divergences:
					[{class, kind, path, message}], latency_ms: {reference,
					candidate}, notes: {}}] */
	json_t *log;                 /* lines logged, "<level>: <text>" */
	json_t *canon;               /* [{side, value, name}] from canon_add */
	int done, total;             /* the last progress */
	int restarts, stops, fresh;  /* runtime_restart, runtime_stop, runtimes_fresh calls */

	/* timing_confirm: calls, and whether it keeps the divergence (else drops it as flaky) */
	int confirms;
	int confirm_keeps;
};

/* Fill the table with the fakes and empty records; release with fake_host_release. */
void fake_host_init(struct fake_host *fh);
void fake_host_release(struct fake_host *fh);

/* The run handle to pass to the plugin's hooks, and the fake behind a handle. */
struct ph_run *fake_host_run(struct fake_host *fh);
struct fake_host *fake_host_of(struct ph_run *run);

/* Script side's next answer: status and body (NULL: none), latency (< 0: unknown). */
void fake_host_answer(struct fake_host *fh, enum ph_side side, long status, const char *body,
		      double latency_ms);
/* Script side's next answer as a transport failure. */
void fake_host_fail(struct fake_host *fh, enum ph_side side, const char *error);

/* The recorded row of case_name (the last one when several), or NULL; borrowed. */
json_t *fake_host_row(const struct fake_host *fh, const char *case_name);
/* That row's class name ("parity", ...), or NULL when there is no such row. */
const char *fake_host_row_class(const struct fake_host *fh, const char *case_name);

#endif
