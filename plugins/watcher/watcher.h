/*
 * The watcher plugin's helpers, shared with its unit test: the suite's settings
 * (suites/watcher/watcher.json "settings"), the steps cases apply to both runtimes'
 * folders, and case validation. Paths in steps and expectations are keys of the tree
 * (tree.h): "workspace/<path>" or "home/<path>", without "." or ".." segments.
 */
#ifndef WATCHER_WATCHER_H
#define WATCHER_WATCHER_H

#include <jansson.h>

#include "parity/err.h"
#include "tree.h"

struct wt_settings {
	json_t *doc;          /* the settings file (or an empty object); owns what is borrowed below */
	long debounce_ms;     /* the runtime's sync debounce the suite expects (2000) */
	long deadline_ms;     /* how long a case waits for an effect (2 x debounce + 2000) */
	long quiet_ms;        /* how long a case that expects nothing waits (debounce + 1000) */
	long settle_ms;       /* pause after the effects before the trees are read (300) */
	long poll_ms;         /* polling interval (20) */
	long tolerance_ms;    /* effect delays further apart than this are timing (400) */
	const json_t *exclude; /* fnmatch globs of tree keys left out; borrowed from doc */
	const json_t *setup;  /* steps applied to both sides before the first case; borrowed */
	struct wt_masks masks; /* volatile-line patterns */
};

/*
 * Load <suite_dir>/watcher.json's "settings" (defaults when the file or a key is absent).
 * Release with wt_settings_release, also on failure.
 */
int wt_settings_load(const char *suite_dir, struct wt_settings *s, struct ph_err *err);
void wt_settings_release(struct wt_settings *s);

/*
 * Turn a tree key into a path under ws ("workspace/...") or home ("home/..."); *out is a
 * new string. Returns -1 for a key outside both or with empty, "." or ".." segments.
 */
int wt_resolve(const char *key, const char *ws, const char *home, char **out);

/* Check one step's shape; where names it in the message. */
int wt_step_check(const json_t *step, const char *where, struct ph_err *err);

/*
 * Apply one step to one side: {write, content|append}, {replace, from, to} (first
 * occurrence), {delete}, {mkdir}; {sleep_ms} does nothing here. Parent folders are made.
 */
int wt_step_apply(const json_t *step, const char *ws, const char *home, struct ph_err *err);

/* Check one case: kind "change" (default: steps, expect) or "reload" (steps, probe). */
int wt_case_check(const json_t *c, struct ph_err *err);

/* Most expectations of one change case. */
#define WT_MAX_EXPECT 16

/* The step's target key, or NULL for sleep_ms. */
const char *wt_step_target(const json_t *step);

/*
 * An expectation of a change case: the key, and whether existing is enough ({"path",
 * "exists": true}) or it must change (a bare key). -1 when it is neither.
 */
int wt_expectation(const json_t *e, const char **key, int *exists);

/* The number under key in o, or dflt. */
long wt_num(const json_t *o, const char *key, long dflt);

#endif
